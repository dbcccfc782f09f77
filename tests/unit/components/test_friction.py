"""Coulomb friction that sticks exactly (hard case 3): fixed-step RK4/ROS2 and the adaptive simulate path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components.friction import FrictionBody, slip_velocity, stick_slip_force
from physics_twin.core.integrators import METHODS, integrate
from physics_twin.core.simulate import Event
from physics_twin.errors import ParameterError

MU, G, V0, H = 0.3, 9.8, 10.0, 0.02
DECELERATION = MU * G  # 2.94 m/s²
STOP_TIME = V0 / DECELERATION  # 3.401360544... s
STOP_DISTANCE = V0**2 / (2 * DECELERATION)  # 17.00680272... m


def body(**overrides) -> FrictionBody:
    values = {"kinetic_friction_coefficient": MU, "static_friction_coefficient": 0.4, "gravitational_acceleration": G}
    return FrictionBody("body", **{**values, **overrides})


def fixed_step_run(component: FrictionBody, x0: np.ndarray, force, steps: int, method: str = "RK4"):
    model = component.model()
    p = component.parameter_values
    x = x0.copy()
    times, speeds, positions, stuck = [], [], [], []
    for k in range(steps + 1):
        t = k * H
        u = np.array([force(t)])
        y = model.output_values(t, x, u, p)
        times.append(t)
        speeds.append(y[0])
        positions.append(y[1])
        stuck.append(y[3])
        x = integrate(model.rhs, t, x, u, p, H, H, METHODS[method])
    return np.array(times), np.array(speeds), np.array(positions), np.array(stuck)


@pytest.mark.parametrize("method", ["RK4", "ROS2"])
def test_a_body_decelerated_by_coulomb_friction_stops_at_the_exact_time_and_sticks(method):
    component = body()
    x0 = np.array([0.0, component.slip_for_velocity(V0)])
    t, v, s, stuck = fixed_step_run(component, x0, lambda t: 0.0, 400, method)
    # closed form: v = v0 - mu g t until t_stop = v0/(mu g) = 3.40136 s, then exactly 0
    expected = np.maximum(V0 - DECELERATION * t, 0.0)
    assert_allclose(v, expected, rtol=0, atol=1e-12)
    moving = t < STOP_TIME
    assert t[moving][-1] == pytest.approx(3.40) and t[~moving][0] == pytest.approx(3.42)
    assert np.all(v[~moving] == 0.0)  # exactly zero: no chatter, no sign flips
    assert np.all(v >= 0.0)
    assert np.all(stuck[~moving] == 1.0) and np.all(stuck[moving] == 0.0)
    # no creep while stuck; the distance is the closed form v0²/(2 mu g) up to the entry step's stage mix
    assert np.all(s[~moving] == s[-1])
    assert s[-1] == pytest.approx(STOP_DISTANCE, abs=DECELERATION * H**2)


def test_the_adaptive_simulate_path_locates_the_stop_and_sticks():
    component = body()
    band = component.parameter("stick_band")
    stop = Event("stop", lambda t, x, u, p: x[1] - band, terminal=False, direction=-1.0)
    result = component.simulate(
        np.linspace(0.0, 6.0, 301), x0={"slip_velocity": component.slip_for_velocity(V0)}, events=[stop], rtol=1e-10, atol=1e-12
    )
    assert result["event_time"].values.tolist() == pytest.approx([STOP_TIME], abs=1e-9)
    speed = result["velocity"].values
    time = result["time"].values
    assert_allclose(speed, np.maximum(V0 - DECELERATION * time, 0.0), atol=1e-8)
    assert np.all(speed[time > STOP_TIME] == 0.0)


def test_a_push_below_breakaway_keeps_a_stuck_body_stuck_and_a_larger_one_moves_it():
    component = body()
    m, kinetic, static = 1.0, MU * G, 0.4 * G
    # between kinetic and static friction: the body stays stuck, exactly
    t, v, s, _ = fixed_step_run(component, np.zeros(2), lambda t: 0.5 * (kinetic + static), 200)
    assert np.all(v == 0.0) and np.all(s == 0.0)
    # above breakaway: it slides with (F - F_k)/m once it has crossed the band
    force = 1.2 * static
    t, v, _, _ = fixed_step_run(component, np.zeros(2), lambda t: force, 200)
    acceleration = (force - kinetic) / m
    delay = 1.5 * component.parameter("stick_band") * m / kinetic  # bound stated in the module docstring
    moving = v > 0
    start = t[moving][0]
    assert start <= delay + H
    assert_allclose(np.diff(v[moving][2:]), acceleration * H, rtol=1e-9)


def test_reverse_motion_is_symmetric():
    component = body()
    x0 = np.array([0.0, component.slip_for_velocity(-V0)])
    t, v, s, _ = fixed_step_run(component, x0, lambda t: 0.0, 250)
    assert_allclose(v, -np.maximum(V0 - DECELERATION * t, 0.0), rtol=0, atol=1e-12)
    assert s[-1] == pytest.approx(-STOP_DISTANCE, abs=DECELERATION * H**2)


def test_a_body_pushed_back_and_forth_never_chatters_at_rest():
    # a square-wave push of amplitude below breakaway after a stop: the speed stays exactly zero
    component = body()
    x0 = np.array([0.0, component.slip_for_velocity(1.0)])
    t, v, _, _ = fixed_step_run(component, x0, lambda t: 3.5 * (1.0 if int(t / 0.3) % 2 else -1.0), 300)
    assert np.all(v[t > 1.0] == 0.0)


def test_kernel_helpers():
    assert slip_velocity(1.5, 0.5) == 1.0 and slip_velocity(-1.5, 0.5) == -1.0 and slip_velocity(0.3, 0.5) == 0.0
    # in the inner half of the band the state relaxes linearly to F/F_k of the half-width
    assert stick_slip_force(0.1, 0.0, 2.0, 3.0, 0.0, 0.4) == pytest.approx(-2.0 * 0.1 / 0.2)
    # breakaway crosses the band at least at F_k/m
    assert stick_slip_force(0.0, 3.1, 2.0, 3.0, 0.0, 0.4) == 2.0


def test_slip_for_velocity_and_parameter_checks():
    component = body(stick_band=0.5)
    assert component.slip_for_velocity(2.0) == 2.5
    assert component.slip_for_velocity(-2.0) == -2.5
    assert component.slip_for_velocity(0.0) == 0.0
    with pytest.raises(ParameterError, match="`static_friction_coefficient` must be >= `kinetic_friction_coefficient`"):
        FrictionBody("b", kinetic_friction_coefficient=0.5, static_friction_coefficient=0.4)
    assert math.isfinite(component.parameter("stick_band"))
