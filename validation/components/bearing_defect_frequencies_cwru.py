"""Rolling bearing: defect frequencies from geometry against envelope spectra of the real CWRU fault recordings.

SKF 6205-2RS JEM (9 balls, D_w = 0.3126 in, D_pw = 1.537 in, contact angle 0), drive-end accelerometer at 12 kHz,
motor at 0 HP and nominally 1797 rpm (``../shared/data/cwru_bearing``, Case Western Reserve University Bearing Data
Center). The shaft frequency of each record is read from its own spectrum (the largest line within ±3 % of the
nominal 29.95 Hz): the nominal speed is the motor's rating, not a tachometer (Smith & Randall 2015). The envelope
spectrum (4th-order Butterworth band-pass 2–5 kHz, Hilbert envelope, Hann window, 8× zero padding) of each fault
record must have its largest line within ±3 Hz of the fault frequency no more than 0.5 Hz from our BPFI (inner-race
faults) or BPFO (outer-race faults at 6:00). Ball faults are reported, not scored: they show no clear 2×BSF line in
this data set (Smith & Randall 2015, and the data set's README).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save, table

from physics_twin.components.rolling_bearing import defect_frequencies, envelope_spectrum

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PHYSICS_TWIN_SHARED", ROOT.parent / "shared"))
GEOMETRY = {"ball_count": 9, "ball_diameter": 0.3126, "pitch_diameter": 1.537}
FS, NOMINAL = 12000.0, 1797 / 60
CASES = [
    ("1797_IR_7_DE12", "inner race, 0.007 in", "ball_pass_frequency_inner", True),
    ("1797_IR_21_DE12", "inner race, 0.021 in", "ball_pass_frequency_inner", True),
    ("1797_OR@6_7_DE12", "outer race @6, 0.007 in", "ball_pass_frequency_outer", True),
    ("1797_OR@6_21_DE12", "outer race @6, 0.021 in", "ball_pass_frequency_outer", True),
    ("1797_B_7_DE12", "ball, 0.007 in", "two_bsf", False),
    ("1797_B_21_DE12", "ball, 0.021 in", "two_bsf", False),
]


def shaft_frequency(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(x.size), 8 * x.size))
    frequency = np.fft.rfftfreq(8 * x.size, 1.0 / FS)
    window = (frequency > 0.97 * NOMINAL) & (frequency < 1.03 * NOMINAL)
    return float(frequency[window][np.argmax(spectrum[window])])


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    name, title = "bearing_defect_frequencies_cwru", "Rolling bearing: BPFI/BPFO from geometry on real CWRU envelope spectra"
    missing = [c[0] for c in CASES if not (SHARED / "data" / "cwru_bearing" / f"{c[0]}.npz").exists()]
    if missing:
        body = f"Skipped: shared data missing ({', '.join(missing)}) under {SHARED}."
        return case_result(name, title, body, {}, {}, time.perf_counter() - started)
    plt = pyplot()
    figure, axes = plt.subplots(3, 2, figsize=(10, 8.5))
    rows, errors, tolerances = [], {}, {}
    for axis, (file, label, line, scored) in zip(axes.ravel(), CASES, strict=True):
        x = np.load(SHARED / "data" / "cwru_bearing" / f"{file}.npz")["DE"][:, 0]
        shaft = shaft_frequency(x)
        lines = defect_frequencies(shaft, **GEOMETRY)
        expected = 2 * lines.ball_spin_frequency if line == "two_bsf" else getattr(lines, line)
        frequency, amplitude = envelope_spectrum(x, FS, (2000.0, 5000.0), padding=8)
        window = (frequency > expected - 3.0) & (frequency < expected + 3.0)
        peak = float(frequency[window][np.argmax(amplitude[window])])
        nominal_expected = expected / shaft * NOMINAL
        rows.append(
            (file, label, shaft, expected, peak, peak - expected, nominal_expected - peak, "yes" if scored else "reported")
        )
        if scored:
            key = f"distance peak to {'BPFI' if 'inner' in line else 'BPFO'}, {label} [Hz]"
            errors[key] = abs(peak - expected)
            tolerances[key] = 0.5
        view = frequency < 400.0
        axis.plot(frequency[view], amplitude[view], lw=0.7, color="k")
        for harmonic in (1, 2):
            axis.axvline(harmonic * expected, color="tab:red", lw=0.8, ls="--")
        axis.axvline(shaft, color="tab:blue", lw=0.6, ls=":")
        axis.set_title(
            f"{label}: {'2×BSF' if line == 'two_bsf' else ('BPFI' if 'inner' in line else 'BPFO')} "
            f"{expected:.2f} Hz, peak {peak:.2f} Hz",
            fontsize=8,
        )
        axis.set_xlabel("frequency [Hz]", fontsize=8)
        axis.set_ylabel("envelope [g]", fontsize=8)
        axis.tick_params(labelsize=7)
    image = save(figure, output_dir, name)
    body = (
        f"{__doc__.strip()}\n\n![envelope spectra]({image})\n\n"
        "Red dashed: our fault frequency and its second harmonic at the record's shaft speed; blue dotted: shaft speed.\n\n"
        + table(
            [
                "file",
                "fault",
                "shaft [Hz]",
                "ours [Hz]",
                "peak [Hz]",
                "peak − ours [Hz]",
                "ours at nominal 1797 rpm − peak [Hz]",
                "scored",
            ],
            rows,
        )
    )
    return case_result(name, title, body, errors, tolerances, time.perf_counter() - started)


if __name__ == "__main__":
    print(run(ROOT / "validation" / "results" / "components")["markdown"])
