"""SKAB: the pump-motor twin's deviation flags against the valve experiments' labels.

Runs ``examples/skab_pump_motor.toml`` (batch calibration on each file's first 400 s, then the joint
UKF tracking the hydraulic system resistance) on every file under ``valve1/`` and ``valve2/`` of
``../shared/data/skab``, and scores the resistance deviation flag as SKAB scores detectors: the first
400 rows of each file are not scored; point-wise F1/FAR/MAR against ``anomaly``; the NAB-style
changepoint score against ``changepoint`` with a 60 s window; detection delay per labelled anomaly
period; false alarms. On ``anomaly-free/anomaly-free.csv`` it reports the filter's mean NIS against
its chi-square band.

Run: ``python validation/skab_deviation.py [--shared ../shared] [--out validation/results]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _report import results_json

from physics_twin.quality import NAB_PROFILES, score_flags
from physics_twin.twin import Twin

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "skab_pump_motor.toml"
SCORED_FROM_ROW = 400
WINDOW = 60.0


def labels_for(path: Path, timestamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SKAB's `anomaly` and `changepoint` columns aligned to the twin's sample timestamps."""
    frame = pd.read_csv(path, sep=";", parse_dates=["datetime"]).set_index("datetime")
    frame.index = frame.index.tz_localize("UTC").as_unit("ns")
    wanted = (
        pd.DatetimeIndex(timestamps).tz_localize("UTC")
        if pd.DatetimeIndex(timestamps).tz is None
        else pd.DatetimeIndex(timestamps)
    )
    aligned = frame.reindex(wanted)
    return aligned["anomaly"].to_numpy(float), aligned["changepoint"].to_numpy(float)


def evaluate(shared: Path) -> dict:
    twin = Twin.from_file(CONFIG)
    files = sorted((shared / "data" / "skab").glob("valve[12]/*.csv"), key=lambda p: (p.parent.name, int(p.stem)))
    rows, pooled_confusion, pooled_windows = [], None, {}
    started = time.perf_counter()
    for path in files:
        data = twin.read(path)
        result = twin.run(data)
        dataset = result.dataset
        flag = dataset["pipe.pipe_resistance_deviation_flag"].to_numpy()
        anomaly, changepoint = labels_for(path, dataset["timestamp"].to_numpy())
        times = dataset["time"].to_numpy()
        scored_from = times[SCORED_FROM_ROW]
        score = score_flags(times, flag, anomaly, changepoint, scored_from=scored_from, window=WINDOW)
        pooled_confusion = score.confusion if pooled_confusion is None else pooled_confusion + score.confusion
        for profile, value in score.windows.items():
            pooled_windows[profile] = value if profile not in pooled_windows else pooled_windows[profile] + value
        rows.append(
            {
                "file": f"{path.parent.name}/{path.name}",
                "f1": score.confusion.f1,
                "far": score.confusion.false_alarm_rate,
                "mar": score.confusion.missed_alarm_rate,
                "detection_delay_s": list(score.detection_delays),
                "missed_periods": score.missed_periods,
                "false_alarms": score.false_alarms,
                "nab_standard_hits": score.windows["standard"].true_positives,
                "nab_standard_false_positives": score.windows["standard"].false_positives,
                "nis_mean": dataset.attrs["nis_mean"],
                "nis_band": [dataset.attrs["nis_band_lower"], dataset.attrs["nis_band_upper"]],
                "peak_change_percent": max((100 * e.peak_change for e in result.events), default=0.0),
            }
        )
        delays_text = ", ".join(f"{d:.0f} s" for d in score.detection_delays) or "-"
        print(
            f"{rows[-1]['file']:>14}: F1 {rows[-1]['f1']:.3f}  delay {delays_text}  false alarms {score.false_alarms}  "
            f"NIS {rows[-1]['nis_mean']:.2f}"
        )
    free = shared / "data" / "skab" / "anomaly-free" / "anomaly-free.csv"
    free_result = twin.run(twin.read(free)).dataset.attrs
    delays = [d for row in rows for d in row["detection_delay_s"]]
    summary = {
        "files": len(rows),
        "pooled_f1": pooled_confusion.f1,
        "pooled_far": pooled_confusion.false_alarm_rate,
        "pooled_mar": pooled_confusion.missed_alarm_rate,
        "nab": {p: pooled_windows[p].score for p in NAB_PROFILES},
        "nab_hits": pooled_windows["standard"].true_positives,
        "nab_windows": pooled_windows["standard"].true_positives + pooled_windows["standard"].missed,
        "nab_false_positives": pooled_windows["standard"].false_positives,
        "detection_delay_median_s": float(np.median(delays)) if delays else None,
        "detection_delay_range_s": [float(np.min(delays)), float(np.max(delays))] if delays else None,
        "periods_detected": len(delays),
        "periods_missed": sum(r["missed_periods"] for r in rows),
        "false_alarms": sum(r["false_alarms"] for r in rows),
        "anomaly_free_nis_mean": free_result["nis_mean"],
        "anomaly_free_nis_band": [free_result["nis_band_lower"], free_result["nis_band_upper"]],
        "anomaly_free_nis_expected": free_result["nis_expected"],
        "anomaly_free_samples": free_result["nis_samples"],
    }
    print(f"wall time {time.perf_counter() - started:.1f} s")  # not in the report: it changes with the machine's load
    return {"summary": summary, "files": rows}


def write_report(results: dict, out: Path) -> Path:
    s = results["summary"]
    lines = [
        "# SKAB valve experiments: deviation flags of the pump-motor twin",
        "",
        "Command: `python validation/skab_deviation.py` (config `examples/skab_pump_motor.toml`; data `../shared/data/skab`).",
        "Scoring as SKAB: first 400 rows of each file not scored; point-wise against `anomaly`; changepoints = edges of",
        "the flag, windows [t, t + 60 s] after each labelled changepoint (NAB-style, tanh-scaled reward).",
        "",
        f"- files: {s['files']} (valve1: 16, valve2: 4)",
        f"- point-wise F1 {s['pooled_f1']:.3f}, FAR {100 * s['pooled_far']:.2f} %, MAR {100 * s['pooled_mar']:.2f} %",
        f"- NAB score: standard {s['nab']['standard']:.1f}, low-FP {s['nab']['low_fp']:.1f}, low-FN {s['nab']['low_fn']:.1f} "
        f"({s['nab_hits']} of {s['nab_windows']} changepoint windows hit, {s['nab_false_positives']} predicted "
        "changepoints outside windows)",
        f"- anomaly periods detected: {s['periods_detected']}, missed: {s['periods_missed']}; detection delay median "
        f"{s['detection_delay_median_s']} s, range {s['detection_delay_range_s']} s (from the labelled start of the period)",
        f"- false alarms (flag periods starting outside labelled anomalies, scored part): {s['false_alarms']}",
        f"- anomaly-free file: mean NIS {s['anomaly_free_nis_mean']:.3f} over {s['anomaly_free_samples']} samples, expected "
        f"{s['anomaly_free_nis_expected']:.3g}, 95 % band [{s['anomaly_free_nis_band'][0]:.3f}, "
        f"{s['anomaly_free_nis_band'][1]:.3f}]",
        "- published leaderboard for comparison (data-driven detectors): best outlier F1 0.78 (Conv-AE), best NAB "
        "standard 32.42 (MSCRED)",
        "",
        "| file | F1 | FAR | MAR | delay [s] | missed | false alarms | mean NIS | peak resistance change |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["files"]:
        lines.append(
            f"| {r['file']} | {r['f1']:.3f} | {100 * r['far']:.1f} % | {100 * r['mar']:.1f} % | "
            f"{', '.join(f'{d:.0f}' for d in r['detection_delay_s']) or '-'} | {r['missed_periods']} | {r['false_alarms']} | "
            f"{r['nis_mean']:.2f} | {r['peak_change_percent']:+.0f} % |"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "skab_deviation.json").write_text(results_json(results))
    path = out / "skab_deviation.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "validation" / "results")
    args = parser.parse_args()
    results = evaluate(args.shared)
    print(write_report(results, args.out).read_text())


if __name__ == "__main__":
    main()
