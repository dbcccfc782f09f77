"""BearingDegradation: closed-form damage growth at constant speed and load, the vibration indicator, threshold time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import BearingDegradation
from physics_twin.core import Event

TIGHT = {"rtol": 1e-11, "atol": 1e-14}
SPEED, LOAD = 150.0, 30_000.0  # different from the reference speed (209.4 rad/s) and load (26 689 N)


def rate(bearing: BearingDegradation, speed: float, load: float) -> float:
    """c' = c (n / n_ref) (P / P_ref)^p."""
    return (
        bearing.parameter("growth_rate")
        * (speed / bearing.parameter("reference_speed"))
        * (load / bearing.parameter("reference_load")) ** bearing.parameter("life_exponent")
    )


def exact_damage(d0: float, c: float, m: float, t: np.ndarray) -> np.ndarray:
    # dD/dt = c' D^m.  m = 1: D = D0 e^{c' t}.  Otherwise D^{-m} dD = c' dt gives
    # D^{1-m} / (1-m) = D0^{1-m} / (1-m) + c' t, i.e. D = [D0^{1-m} + (1-m) c' t]^{1/(1-m)}.
    if m == 1.0:
        return d0 * np.exp(c * t)
    return (d0 ** (1 - m) + (1 - m) * c * t) ** (1 / (1 - m))


@pytest.mark.parametrize("m", [1.0, 0.5, 1.5, 2.0, 3.0])
def test_damage_growth_closed_form(m):
    bearing = BearingDegradation("b", growth_rate=2e-6, growth_exponent=m, life_exponent=3.0)
    c = rate(bearing, SPEED, LOAD)
    d0 = 0.05
    # for m > 1 the damage blows up at t* = D0^{1-m} / ((m-1) c'); stay at 80 % of it (or 3 e-foldings for m = 1)
    end = 0.8 * d0 ** (1 - m) / ((m - 1) * c) if m > 1 else 3.0 / c
    times = np.linspace(0.0, end, 21)
    result = bearing.simulate(
        times, x0={"damage": d0}, inputs={"shaft_speed": SPEED, "radial_load": LOAD}, method="Radau", **TIGHT
    )
    assert_allclose(result["damage"].values, exact_damage(d0, c, m, times), rtol=1e-8)


def test_vibration_level_is_proportional_to_one_plus_damage():
    bearing = BearingDegradation("b", baseline_vibration=0.7)
    y = bearing.output_values(0.0, np.array([0.4]), np.array([SPEED, LOAD]), bearing.parameter_values)
    assert_allclose(y, [0.7 * 1.4, 0.4], rtol=1e-15)


def test_growth_rate_scales_linearly_with_speed_and_with_the_life_exponent_of_load():
    bearing = BearingDegradation("b", life_exponent=10.0 / 3.0)
    x, p = np.array([0.1]), bearing.parameter_values
    base = bearing.derivative(0.0, x, np.array([SPEED, LOAD]), p)[0]
    assert_allclose(bearing.derivative(0.0, x, np.array([2 * SPEED, LOAD]), p)[0], 2 * base, rtol=1e-14)
    assert_allclose(bearing.derivative(0.0, x, np.array([SPEED, 2 * LOAD]), p)[0], 2 ** (10 / 3) * base, rtol=1e-14)
    assert_allclose(base, rate(bearing, SPEED, LOAD) * 0.1, rtol=1e-14)


def test_time_to_the_vibration_threshold():
    # m = 1: vibration reaches k times its baseline when D = k - 1, at t = ln((k - 1) / D0) / c'
    bearing = BearingDegradation("b", growth_rate=1e-5)
    c, d0, k = rate(bearing, SPEED, LOAD), 1e-3, 3.0
    threshold = Event("threshold", lambda t, x, u, p: p[0] * (1 + x[0]) - k * p[0], terminal=True)
    result = bearing.simulate(
        [0.0, 10.0 / c], x0={"damage": d0}, inputs={"shaft_speed": SPEED, "radial_load": LOAD}, events=[threshold], **TIGHT
    )
    assert_allclose(result["event_time"].values, [math.log((k - 1) / d0) / c], rtol=1e-8)
    assert_allclose(result["vibration_level"].values[-1], k * bearing.parameter("baseline_vibration"), rtol=1e-8)


def test_no_growth_at_standstill_or_from_zero_damage():
    bearing = BearingDegradation("b")
    p = bearing.parameter_values
    assert bearing.derivative(0.0, np.array([0.3]), np.array([0.0, LOAD]), p)[0] == 0.0
    assert bearing.derivative(0.0, np.array([0.0]), np.array([SPEED, LOAD]), p)[0] == 0.0
    # a (numerically) negative damage is treated as zero, not raised to a fractional power
    bearing = BearingDegradation("b", growth_exponent=0.5)
    assert bearing.derivative(0.0, np.array([-1e-12]), np.array([SPEED, LOAD]), bearing.parameter_values)[0] == 0.0
