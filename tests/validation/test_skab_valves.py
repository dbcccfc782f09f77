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


def test_calibration_intervals_do_not_depend_on_the_start_at_rounding_level(twin, shared, monkeypatch):
    # The batch fit of valve1/14 started three times, the optimiser's start moved by 0 and ±1e-7 (log space). A
    # confidence interval is a property of the data, not of where the optimiser began: its half-width must agree to
    # 0.1 %. With forward-difference Jacobians (step sqrt(eps)) the simulation's rounding noise moved the thermal
    # resistance's half-width by 0.9 % here; central differences agree to about 1e-5.
    from scipy import optimize

    from physics_twin.estimation import batch

    least_squares = optimize.least_squares
    data = twin.read(shared("data", "skab", "valve1", "14.csv"))
    fits = []
    for shift in (0.0, 1e-7, -1e-7):
        monkeypatch.setattr(
            batch.optimize, "least_squares", lambda f, x0, shift=shift, **kw: least_squares(f, np.asarray(x0) + shift, **kw)
        )
        fits.append(twin.run(data).calibration)
    half_widths = np.array([(fit.upper - fit.lower) / 2 for fit in fits])
    np.testing.assert_allclose(half_widths[1:], half_widths[[0, 0]], rtol=1e-3)
    np.testing.assert_allclose(np.array([fit.values for fit in fits[1:]]), [fits[0].values] * 2, rtol=1e-5)
