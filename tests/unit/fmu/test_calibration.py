"""FMUFilter: filterpy UKF over an FMU with get/set FMU state; recovers a stiffness from noisy positions."""

from __future__ import annotations

import numpy as np
import pytest

from physics_twin.errors import ParameterError, ShapeError
from physics_twin.estimation.ukf import EstimatedParameter
from physics_twin.fmu import CoSimulation, FMUComponent, FMUFilter

from .test_adapter import damped_oscillator


@pytest.fixture
def oscillator_me(oscillator_fmu):
    component = FMUComponent(oscillator_fmu, "osc", interface="ME")
    yield component
    component.close()


def test_stiffness_is_recovered_within_its_stated_confidence(oscillator_me, rng):
    # truth: k = 1 N/m (closed form); 0.01 m measurement noise every 0.05 s; the filter starts at 1.5 N/m
    times = np.arange(1, 101) * 0.05
    measured = damped_oscillator(times)[:, None] + rng.normal(0.0, 0.01, size=(times.size, 1))
    estimator = FMUFilter(
        CoSimulation([oscillator_me], max_step=0.01),
        measured={"osc.position": 0.01},
        estimate=[EstimatedParameter("osc.k", initial_std=0.5, initial=1.5)],
        step=0.05,
        initial_std={"osc.x": 1e-3, "osc.v": 1e-3},
    )
    result = estimator.run(times, measured, start_time=0.0)
    k, std = float(result["osc.k"][-1]), float(result["osc.k_std"][-1])
    assert abs(k - 1.0) < 3.0 * std
    assert std < 0.02  # it learned: the prior was 0.5
    assert result["osc.k"].attrs["units"] == "N/m"
    # 1 channel: NIS ~ chi-square(1); its mean over 100 samples lies within [0.6, 1.5] with high probability
    assert 0.6 < result.attrs["nis_mean"] < 1.5
    assert result["nis_dof"].values.tolist() == [1] * 100


def test_missing_samples_skip_the_update(oscillator_me, rng):
    times = np.arange(1, 21) * 0.05
    measured = damped_oscillator(times)[:, None] + rng.normal(0.0, 0.01, size=(times.size, 1))
    measured[5:10] = np.nan
    estimator = FMUFilter(
        oscillator_me,
        measured={"osc.position": 0.01},
        estimate=[EstimatedParameter("osc.k", initial_std=0.1)],
        step=0.05,
        initial_std={"osc.x": 1e-3, "osc.v": 1e-3},
    )
    result = estimator.run(times, measured, start_time=0.0)
    assert np.isnan(result["nis"].values[5:10]).all()
    assert result["nis_dof"].values[5:10].tolist() == [0] * 5
    assert np.isfinite(result["osc.k"].values).all()


def test_settings_are_checked_together(oscillator_me):
    with pytest.raises(ParameterError) as info:
        FMUFilter(
            oscillator_me,
            measured={"osc.positon": 0.0},
            estimate=[EstimatedParameter("osc.enabled", 0.1)],
            step=0.05,
            initial_std={"osc.z": 1.0},
        )
    message = str(info.value)
    assert "unknown measured output 'osc.positon'" in message
    assert "measurement noise of `osc.positon` must be a finite number > 0" in message
    assert "`osc.enabled` must be a scalar tunable real parameter" in message
    assert "unknown state 'osc.z'" in message


def test_measurement_shape_is_checked(oscillator_me):
    estimator = FMUFilter(oscillator_me, measured={"osc.position": 0.01}, estimate=[EstimatedParameter("osc.k", 0.1)], step=0.05)
    with pytest.raises(ShapeError, match=r"`measurements` must have shape \(3, 1\)"):
        estimator.run(np.array([0.05, 0.1, 0.15]), np.zeros((3, 2)), start_time=0.0)
