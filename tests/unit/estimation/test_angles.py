"""Hard case 2: angles across ±180°: wrapped residuals, circular sigma-point means, wrapped posterior."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics_twin.core.declarations import State
from physics_twin.errors import ParameterError
from physics_twin.estimation import FilterState, create_filter
from physics_twin.estimation._compiled import wrap_angle

from .conftest import Shaft

DEG = math.pi / 180.0
KINDS = ("sr-ukf", "ukf", "ekf")


@pytest.mark.parametrize("kind", KINDS)
def test_measurement_across_the_wrap_point(kind):
    # Prior angle 179°, measurement -179°, both with σ = 1°. The shortest residual is +2° (not -358°); the linear
    # update then gives the mean 179° + 2° × 1/(1 + 1) = 180° (wrapped into (-π, π]: π) and the variance
    # 1 × 1 / (1 + 1) = 0.5 deg². The encoder wraps its reading (atan2), so the unscented filters must also average
    # the predicted readings circularly: the sigma points 179° ± √3° straddle ±180°.
    model = Shaft().model()
    flt = create_filter(
        kind, model, measured={"angle": 1.0 * DEG}, initial_state={"angle": 179 * DEG}, initial_std={"angle": 1.0 * DEG}
    )
    result, _ = flt.run([0.0], None, [[-179 * DEG]])
    assert result["angle_innovation"].values[0] == pytest.approx(2 * DEG, abs=1e-12)
    assert result["angle_predicted"].values[0] == pytest.approx(179 * DEG, abs=1e-9)
    posterior = result["angle"].values[0]
    assert -math.pi < posterior <= math.pi
    assert abs(wrap_angle(posterior - math.pi)) < 1e-9
    assert result["covariance"].values[0, 0, 0] / DEG**2 == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_prediction_across_the_wrap_point_is_circular(kind):
    # From 179° at 2°/s the angle is 181° one second later, i.e. -179° wrapped; the sigma points of the predicted
    # angle lie on both sides of ±180°, and their circular mean is -179° (a linear mean of wrapped values would be
    # near 0°). The predicted variance is still 1 deg² (the speed is known, no process noise), equal to R, so the
    # measurement -179.5° moves the estimate half-way: -179.25°.
    model = Shaft().model()
    flt = create_filter(
        kind,
        model,
        measured={"angle": 1.0 * DEG},
        initial_state={"angle": 179 * DEG, "speed": 2 * DEG},
        initial_std={"angle": 1.0 * DEG, "speed": 1e-6},
    )
    result, _ = flt.run([0.0, 1.0], None, [[np.nan], [-179.5 * DEG]])
    assert result["angle_predicted"].values[1] == pytest.approx(-179 * DEG, abs=1e-9)
    assert result["angle"].values[1] == pytest.approx(-179.25 * DEG, abs=1e-9)


def test_many_turns_stay_wrapped(rng):
    # A shaft turning at 1 rev/s sampled at 10 Hz for 5 s: the estimate stays in (-π, π] and tracks the truth.
    model = Shaft().model()
    flt = create_filter(
        "sr-ukf",
        model,
        measured={"angle": 0.01},
        initial_state={"angle": 0.0, "speed": 2 * math.pi},
        initial_std={"angle": 0.05, "speed": 0.1},
        process_noise={"speed": 0.01},
    )
    times = np.arange(51) * 0.1
    truth = np.arctan2(np.sin(2 * math.pi * times), np.cos(2 * math.pi * times))
    measured = np.arctan2(np.sin(truth + 0.01 * rng.normal(size=51)), np.cos(truth + 0.01 * rng.normal(size=51)))
    result, _ = flt.run(times, None, measured[:, None])
    angle = result["angle"].values
    assert np.all((angle > -math.pi) & (angle <= math.pi))
    error = np.array([wrap_angle(a - b) for a, b in zip(angle, truth, strict=True)])
    assert np.max(np.abs(error)) < 0.05
    assert np.max(np.abs(result["angle_innovation"].values)) < 0.1


def test_angle_and_nonnegative_together_is_rejected():
    class Bad(Shaft):
        STATES = (State("angle", "rad", "shaft angle", 0.1, nonnegative=True, angle=True), Shaft.STATES[1])

    with pytest.raises(ParameterError, match=r"state `angle` cannot be both an angle and non-negative"):
        create_filter("sr-ukf", Bad().model(), measured={"angle": 0.01})


def test_wrap_angle_edges():
    # (-π, π]: π stays, -π maps to π, values inside are returned unchanged (no rounding from adding and removing π)
    assert wrap_angle(math.pi) == math.pi
    assert wrap_angle(-math.pi) == math.pi
    assert wrap_angle(1e-20) == 1e-20
    assert wrap_angle(3 * math.pi) == pytest.approx(math.pi)
    assert wrap_angle(-1.5 * math.pi) == pytest.approx(0.5 * math.pi)
    state = FilterState(0.0, np.array([3.0]), np.eye(1), ("angle",), np.zeros(0))
    assert state.to_dict()["mean"] == [3.0]
