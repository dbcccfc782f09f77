"""``physics-twin demo``: the two shipped twins on the shipped real data, with their figures.

(a) The SKAB pump-motor twin (``examples/skab_pump_motor.toml``) on two valve-closure experiments
    (``examples/skab/``): calibrated on each file's first 400 s, then filtered through the closure;
    its system-resistance deviation flags are scored against SKAB's labels.
(b) The spindle-bearing twin (``examples/ims_bearing.toml``) on IMS test 2 (``examples/ims/``):
    healthy baseline calibrated on the first 10 h, filter and RUL from the degradation onset on,
    predicted RUL against the true RUL (end of life = the last valid snapshot), with the prognostic
    metrics of Saxena et al. (2010).

Outputs (NetCDF per run, the RUL JSON) go to the folder given; the figures are printed.
"""

from __future__ import annotations

import resource
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

import physics_twin
from physics_twin.errors import ConfigError, OutputError
from physics_twin.estimation.consistency import band_position
from physics_twin.io.outputs import check_output_paths
from physics_twin.prognostics.metrics import prognostic_summary
from physics_twin.quality import score_flags
from physics_twin.twin import Twin

__all__ = ["examples_folder", "ims_end_of_life", "run_demo", "skab_labels"]

SKAB_FILES = ("valve1_13.csv", "valve2_3.csv")
SKAB_SCORED_FROM_ROW = 400
SKAB_WINDOW = 60.0


def examples_folder() -> Path:
    """The shipped examples: inside the installed package (wheel) or beside it (source checkout)."""
    packaged = Path(str(resources.files("physics_twin"))) / "_examples"
    for candidate in (packaged, Path(__file__).resolve().parents[1] / "examples"):
        if (candidate / "skab_pump_motor.toml").is_file():
            return candidate
    raise ConfigError("the shipped examples are missing: reinstall physics_twin (pip install .) from a full checkout.")


def skab_labels(path: Path, timestamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SKAB's ``anomaly`` and ``changepoint`` columns at the given UTC sample instants."""
    frame = pd.read_csv(path, sep=";", parse_dates=["datetime"]).set_index("datetime")
    frame.index = frame.index.tz_localize("UTC").as_unit("ns")
    wanted = pd.DatetimeIndex(timestamps)
    wanted = wanted.tz_localize("UTC") if wanted.tz is None else wanted
    aligned = frame.reindex(wanted)
    return aligned["anomaly"].to_numpy(float), aligned["changepoint"].to_numpy(float)


def ims_end_of_life(times: np.ndarray, indicator: np.ndarray, baseline: float) -> float:
    """End of life of an IMS bearing: the last snapshot whose indicator is above half its healthy
    baseline (the final near-zero rows of the distributed files are sensor/stop artefacts). [s]"""
    valid = np.flatnonzero(np.asarray(indicator) > 0.5 * baseline)
    return float(np.asarray(times)[valid[-1]])


def _skab(examples: Path, out: Path, say) -> None:
    twin = Twin.from_file(examples / "skab_pump_motor.toml")
    say("(a) SKAB pump-motor twin: system-resistance deviation flags on valve-closure experiments")
    for name in SKAB_FILES:
        path = examples / "skab" / name
        result = twin.run(twin.read(path))
        target = out / f"skab_{Path(name).stem}.nc"
        result.write(target)
        dataset = result.dataset
        times = dataset["time"].to_numpy()
        anomaly, changepoint = skab_labels(path, dataset["timestamp"].to_numpy())
        score = score_flags(
            times,
            dataset["pipe.pipe_resistance_deviation_flag"].to_numpy(),
            anomaly,
            changepoint,
            scored_from=times[SKAB_SCORED_FROM_ROW],
            window=SKAB_WINDOW,
        )
        attrs = dataset.attrs
        labelled = times[np.flatnonzero(anomaly > 0)[0]] if (anomaly > 0).any() else float("nan")
        say(
            f"  {name}: calibrated system resistance {result.calibration.values[0]:.3g} Pa s²/m⁶ "
            f"(95 % CI {result.calibration.lower[0]:.3g} to {result.calibration.upper[0]:.3g})"
        )
        say(f"    {nis_line(attrs)} over the whole file, valve closure included")
        for event in result.events:
            say(
                f"    flag: resistance {event.direction} {100 * event.peak_change:+.0f} % from t = {event.start:.0f} s "
                f"to {event.end if event.end is None else round(event.end)} s; labelled anomaly starts at t = {labelled:.0f} s"
            )
        say(
            f"    scored as SKAB (after row 400): F1 {score.confusion.f1:.3f}, false-alarm rate "
            f"{100 * score.confusion.false_alarm_rate:.2f} %, "
            f"detection delay {', '.join(f'{d:.0f} s' for d in score.detection_delays) or 'missed'}, false alarms "
            f"{score.false_alarms}, "
            f"NAB standard {score.windows['standard'].score:.1f}"
        )
        say(f"    wrote {target}")


def nis_line(attrs: dict) -> str:
    """The run's mean NIS against its chi-square band, for people."""
    low, high, mean = attrs["nis_band_lower"], attrs["nis_band_upper"], attrs["nis_mean"]
    position = band_position(mean, low, high)
    where = position if position == "inside" else f"OUTSIDE, {position}"
    return f"mean NIS {mean:.2f} (expected {attrs['nis_expected']:.3g}; 95 % band {low:.2f} to {high:.2f}: {where})"


def _ims(examples: Path, out: Path, say) -> None:
    twin = Twin.from_file(examples / "ims_bearing.toml")
    say("(b) IMS spindle-bearing RUL, test 2 bearing 1 (outer-race failure)")
    data = twin.read(examples / "ims" / "bearing_test_2.csv")
    result = twin.run(data)
    nc, rul_json = out / "ims_test2_bearing1.nc", out / "ims_test2_bearing1.rul.json"
    result.write(nc, rul_json)
    dataset = result.dataset
    baseline = float(result.calibration.values[0])
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    eol = ims_end_of_life(data.times, indicator, baseline)
    hours = dataset["rul_time"].to_numpy() / 3600.0
    p50 = dataset["rul_p50"].to_numpy()
    censored = dataset["rul_p50_censored"].to_numpy().astype(bool)
    onset_h = dataset.attrs["filter_start_s"] / 3600
    say(
        f"  healthy baseline {baseline / 9.80665:.4f} g; onset (1 h median > 1.5 x baseline) at {onset_h:.1f} h; "
        f"end of life {eol / 3600:.1f} h (end of the test: the bearing failed); the twin predicts when its damage "
        "estimate reaches 3 x baseline"
    )
    say(
        f"  {nis_line(dataset.attrs)}"
        + (
            ": the configured measurement noise is wider than the indicator scatters (conservative uncertainty)"
            if dataset.attrs["nis_mean"] < dataset.attrs["nis_band_lower"]
            else ""
        )
    )
    say("  t [h]   true RUL [h]   predicted p5 / p50 / p95 [h]")
    for k in np.linspace(0, hours.size - 1, min(8, hours.size)).astype(int):
        if hours[k] * 3600 >= eol:
            continue
        cells = []
        for label in ("rul_p05", "rul_p50", "rul_p95"):
            value = dataset[label].to_numpy()[k]
            cells.append(f"> {value:.0f}" if dataset[f"{label}_censored"].to_numpy()[k] else f"{value:.1f}")
        say(f"  {hours[k]:6.1f}   {eol / 3600 - hours[k]:12.1f}   {' / '.join(cells)}")
    horizon = twin.config.rul.horizon
    predicted = np.where(censored, np.inf, p50 * 3600.0)
    metrics = prognostic_summary(hours * 3600.0, predicted, eol, censoring_bound=horizon)
    lam = next(a for a in metrics["alpha_lambda"] if a["lambda"] == 0.5)
    halfway = hours[0] + 0.5 * (eol / 3600 - hours[0])  # t_lambda
    scored = eol / 3600 - lam["true_rul_h"]  # the latest prediction at or before t_lambda
    say("  prognostic metrics of the median against the true RUL (Saxena et al. 2010):")
    say(
        f"    at t = {scored:.1f} h (the last prediction before t = {halfway:.1f} h, halfway from the first prediction to "
        f"the end of life): predicted {lam['predicted_rul_h']:.1f} h, true {lam['true_rul_h']:.1f} h, "
        f"{'within' if lam['accurate'] else 'not within'} +-20 % (alpha-lambda); relative accuracy "
        f"{metrics['relative_accuracy']['0.5']:.2f} (1 = exact, below 0 the error exceeds the true RUL)"
    )
    say(
        f"    prognostic horizon {metrics['prognostic_horizon_h']:.1f} h: the medians stay within +-"
        f"{metrics['prognostic_horizon_bound_h']:.0f} h (0.2 x the end of life counted from the test's start) only over "
        f"the last {metrics['prognostic_horizon_h']:.1f} h; {100 * metrics['fraction_within_alpha']:.0f} % of all medians "
        "lie within +-20 % of the true RUL"
    )
    if result.rul_document is not None:
        action = result.rul_document["recommended_action"]
        say(f"  RUL contract at the last sample: action {action['action']} ({action['reason']})")
    say(f"    wrote {nc} and {rul_json}")


def run_demo(out: str | Path, quiet: bool = False) -> int:
    """Run both demos, writing into ``out``; returns the exit status."""
    started = time.perf_counter()
    if str(out).strip() == "":
        raise OutputError("`--out` must be a folder path; got an empty string.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"`--out` must be a folder for the demo's outputs; {str(out)!r} is a file.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"`--out` folder {str(out)!r} cannot be created: {exc.strerror or exc}.") from exc
    check_output_paths({"--out": out / "ims_test2_bearing1.nc"})  # a file name of the demo: the folder must take files

    def say(line: str) -> None:
        print(line, flush=True)

    examples = examples_folder()
    say(f"physics-twin demo: examples from {examples}")
    _skab(examples, out, say)
    _ims(examples, out, say)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    now = time.perf_counter()
    loading = started - physics_twin._IMPORT_STARTED
    say(
        f"done in {now - physics_twin._IMPORT_STARTED:.1f} s wall time ({loading:.1f} s of it loading physics_twin, which "
        f"compiles and caches the kernels on a first run; {usage.ru_utime + usage.ru_stime:.0f} s CPU), peak memory "
        f"{usage.ru_maxrss / 1024.0:.0f} MiB; outputs in {out.resolve()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(Path("physics-twin-demo")))
