"""SKAB valve experiments (../shared/data/skab): the twin's flags against what the data themselves show.

Expectation derived from the data, independently of the twin: in a file where the mean measured flow during the
labelled anomaly is lower than in the scored healthy part by more than 1.5 L/min (over 3 times the flow sensor's
standard deviation of about 0.45 L/min, and about 20 standard errors of the means), the valve closure changed the
hydraulics, so the twin must raise a resistance-increase flag inside the labelled period. In every file, no flag may
start in the scored healthy part (SKAB scores rows after the first 400).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from physics_twin.demo import skab_labels
from physics_twin.twin import Twin

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "skab_pump_motor.toml"
FILES = [f"valve1/{k}.csv" for k in range(16)] + [f"valve2/{k}.csv" for k in range(4)]


@pytest.fixture(scope="module")
def twin() -> Twin:
    return Twin.from_file(CONFIG)


@pytest.mark.parametrize("name", FILES)
def test_valve_file(twin, shared, name):
    path = shared("data", "skab", *name.split("/"))
    frame = pd.read_csv(path, sep=";")
    scored = np.arange(len(frame)) >= 400
    anomaly = frame["anomaly"].to_numpy() > 0
    drop = frame["Volume Flow RateRMS"][scored & ~anomaly].mean() - frame["Volume Flow RateRMS"][anomaly].mean()
    result = twin.run(twin.read(path))
    times = result.dataset["time"].to_numpy()
    labels, _ = skab_labels(path, result.dataset["timestamp"].to_numpy())
    inside = times[labels > 0]
    healthy_start = [e for e in result.events if e.start >= times[400] and not inside[0] <= e.start <= inside[-1]]
    assert healthy_start == [], f"false alarm(s) at {[e.start for e in healthy_start]} s"
    if drop > 1.5:
        hits = [e for e in result.events if inside[0] <= e.start <= inside[-1] and e.direction == "increase"]
        assert hits, f"flow dropped by {drop:.2f} L/min during the closure but no flag was raised"
