"""Spindle: coast-down that sticks exactly (hard case 3), thermal growth, preload change, heat balance, fatigue."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components.spindle import Spindle
from physics_twin.core.integrators import METHODS, integrate
from physics_twin.errors import ParameterError

H = 0.02


def outputs(spindle: Spindle, x, u=(0.0, 0.0, 293.15, 0.0, 0.0)) -> np.ndarray:
    return Spindle.output_values(0.0, np.asarray(x, float), np.asarray(u, float), spindle.parameter_values)


def test_coast_down_against_a_larger_breakaway_torque_stops_exactly_and_sticks():
    # without thermal expansion the friction torque is constant: tau_k = 0.05 + 2 * 1e-3 * 500 * 0.0875 = 0.1375 N m,
    # breakaway 1.5 tau_k > applied 0.02 N m. J w' = tau_a - tau_k - c w  ->  w(t) = (w0 + a/b) e^(-b t) - a/b with
    # a = (tau_k - tau_a)/J, b = c/J; stop at t_s = ln(1 + b w0 / a) / b
    spindle = Spindle("s", expansion_coefficient=0.0)
    j, c, tau_k, tau_a, w0 = 0.01, 1e-4, 0.1375, 0.02, 30.0  # stop after 2.53 s
    assert outputs(spindle, [0, 293.15, 293.15, 0])[3] == pytest.approx(tau_k, rel=1e-14)
    a, b = (tau_k - tau_a) / j, c / j
    stop = math.log(1.0 + b * w0 / a) / b
    model = spindle.model()
    p = spindle.parameter_values
    x = np.array([spindle.slip_for_speed(w0), 293.15, 293.15, 0.0])
    u = np.array([tau_a, 0.0, 293.15, 0.0, 0.0])
    times, speeds = [], []
    for k in range(250):
        times.append(k * H)
        speeds.append(model.output_values(k * H, x, u, p)[0])
        x = integrate(model.rhs, k * H, x, u, p, H, H, METHODS["RK4"])
    times, speeds = np.array(times), np.array(speeds)
    moving = times < stop
    assert_allclose(speeds[moving], (w0 + a / b) * np.exp(-b * times[moving]) - a / b, rtol=1e-9, atol=1e-9)
    assert np.all(speeds[~moving] == 0.0)  # exactly zero from the first sample after the stop, no chatter
    assert times[moving][-1] < stop < times[~moving][0]


def test_tool_tip_growth_is_alpha_length_delta_t():
    spindle = Spindle("s", expansion_coefficient=11.5e-6, growth_length=0.3)
    assert outputs(spindle, [0.0, 313.15, 293.15, 0.0])[1] == pytest.approx(11.5e-6 * 0.3 * 20.0, rel=1e-12)


def test_uniform_heating_keeps_the_preload_and_a_hot_shaft_raises_it():
    spindle = Spindle("s")
    # raceway geometry of the defaults: d_o - d_i = 2 D_w, so a uniform temperature rise changes no clearance
    assert outputs(spindle, [0.0, 293.15, 293.15, 0.0])[2] == pytest.approx(500.0, rel=1e-14)
    assert outputs(spindle, [0.0, 333.15, 333.15, 0.0])[2] == pytest.approx(500.0, rel=1e-12)
    hot_shaft = outputs(spindle, [0.0, 303.15, 293.15, 0.0])[2]
    hot_housing = outputs(spindle, [0.0, 293.15, 303.15, 0.0])[2]
    assert hot_shaft > 500.0 > hot_housing


def test_preload_slope_at_the_initial_preload_is_the_catalogue_axial_stiffness():
    # F(delta_a) = F0 (1 + delta_a/delta_0)^1.5 with delta_0 = 1.5 F0/k_a has dF/d(delta_a) = k_a at delta_a = 0; a shaft
    # temperature rise dT gives delta_a = alpha/2 (d_i + D_w) dT / tan(alpha_c)
    spindle = Spindle("s")
    d_t = 1e-4
    rise = outputs(spindle, [0.0, 293.15 + d_t, 293.15, 0.0])[2] - 500.0
    delta_a = 11.5e-6 / 2 * (0.0765 + 0.011) * d_t / math.tan(math.radians(15.0))
    assert rise / delta_a == pytest.approx(1.0e8, rel=1e-5)


def test_heat_balance_at_steady_speed():
    # alpha = 0: constant friction; steady speed w = (tau_d - tau_k)/c; heat Q = tau_d w; T_h = T_c + Q/G_hc, T_s = T_h + Q/G_sh
    spindle = Spindle("s", expansion_coefficient=0.0, rotor_inertia=0.001)
    tau_d = 0.2
    speed = (tau_d - 0.1375) / 1e-4
    heat = tau_d * speed
    result = spindle.simulate(
        [0.0, 2e5],
        x0={"slip_speed": spindle.slip_for_speed(speed)},
        inputs={"drive_torque": tau_d, "coolant_temperature": 293.15},
        rtol=1e-10,
        atol=1e-10,
        method="BDF",
    )
    assert result["shaft_speed"].values[-1] == pytest.approx(speed, rel=1e-8)
    assert result["bearing_power_loss"].values[-1] == pytest.approx(heat, rel=1e-8)
    assert result["housing_temperature"].values[-1] == pytest.approx(293.15 + heat / 50.0, rel=1e-8)
    assert result["shaft_temperature"].values[-1] == pytest.approx(293.15 + heat / 50.0 + heat / 10.0, rel=1e-8)


def test_bearing_fatigue_rate_is_iso_281_basic_life():
    spindle = Spindle("s")
    speed, radial = 1000.0, 2000.0
    dx = Spindle.derivative(
        0.0,
        np.array([spindle.slip_for_speed(speed), 293.15, 293.15, 0.0]),
        np.array([0.0, 0.0, 293.15, radial, 0.0]),
        spindle.parameter_values,
    )
    load = radial + 500.0
    assert dx[3] == pytest.approx(speed / (2 * math.pi) / (1e6 * (39000.0 / load) ** 3), rel=1e-12)


def test_raceway_diameters_are_checked():
    with pytest.raises(ParameterError, match="`outer_raceway_diameter` must exceed `inner_raceway_diameter`"):
        Spindle("s", outer_raceway_diameter=0.05)
