"""IMS run-to-failure tests (../shared/data/ims_bearing): the twin's conventions hold on every failed bearing.

Checks derived from the data alone: the onset found by the twin is where the 1-h trailing median first exceeds 1.5 x
the calibrated baseline; the artefact rows at the end (below 0.01 g) drop out; at the last valid snapshot the twin
reports the bearing failed exactly when the measured indicator (median of the last hour) is beyond 3 x baseline, and
otherwise a finite, positive RUL. The prediction accuracy itself is measured, not asserted: validation/ims_rul.py.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from physics_twin.config import load_config
from physics_twin.twin import Twin

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "ims_bearing.toml"
BEARINGS = [
    ("merged_dataset_BearingTest_1.csv", "Bearing 3 C1"),
    ("merged_dataset_BearingTest_1.csv", "Bearing 4 C1"),
    ("merged_dataset_BearingTest_2.csv", "Bearing 1"),
    ("merged_dataset_BearingTest_3.csv", "Bearing 3"),
]


@pytest.mark.parametrize(("file", "column"), BEARINGS)
def test_failed_bearing(shared, file, column):
    path = shared("data", "ims_bearing", file)
    config = load_config(CONFIG)
    config = dataclasses.replace(
        config,
        measurements=(dataclasses.replace(config.measurements[0], column=column),),
        rul=dataclasses.replace(config.rul, every=math.inf, samples=400),
    )
    twin = Twin(config)
    data = twin.read(path)
    result = twin.run(data)
    baseline = result.calibration.values[0]
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    valid = indicator >= 0.01 * 9.80665
    times = data.times

    def trailing_median(k: int) -> float:
        window = valid & (times > times[k] - 3600.0) & (times <= times[k])
        return float(np.median(indicator[window]))

    onset = result.dataset.attrs["filter_start_s"]
    k_onset = int(np.searchsorted(times, onset))
    assert trailing_median(k_onset) > 1.5 * baseline
    assert all(trailing_median(k) <= 1.5 * baseline for k in np.flatnonzero(valid[:k_onset]))
    last = np.flatnonzero(valid)[-1]
    document = result.rul_document
    if trailing_median(last) > 3 * baseline:
        assert result.rul.p50.value == 0.0
    else:
        assert result.rul.p50.censored or result.rul.p50.value > 0.0
    assert document["data_quality"]["flags"] == (["out_of_range_readings"] if not valid.all() else [])
