"""PermanentMagnetSynchronousMotor: torque law, dq voltage equations with cross-coupling, mechanics, losses, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm

from physics_twin.components import PermanentMagnetSynchronousMotor
from physics_twin.errors import ParameterError

TIGHT = {"rtol": 1e-10, "atol": 1e-10}
#: a salient (interior-magnet) machine, so that the reluctance term matters
SALIENT = {
    "d_axis_inductance": 2.0e-3,
    "q_axis_inductance": 5.0e-3,
    "magnet_flux_linkage": 0.12,
    "pole_pairs": 4.0,
    "stator_resistance": 0.05,
    "resistance_temperature_coefficient": 0.0,
}


def values(motor):
    return {p.name: motor.parameter(p.name) for p in PermanentMagnetSynchronousMotor.PARAMETERS}


def test_torque_is_the_dq_torque_law(rng):
    # T = 1.5 p (psi iq + (Ld - Lq) id iq)  (amplitude-invariant dq)
    motor = PermanentMagnetSynchronousMotor("pmsm", **SALIENT)
    p = motor.parameter_values
    u = np.array([0.0, 0.0, 0.0, 293.15])
    for _ in range(20):
        i_d, i_q = rng.uniform(-200.0, 200.0, 2)
        x = np.array([i_d, i_q, 100.0, 293.15, 293.15, 293.15, 0.0])
        expected = 1.5 * 4.0 * (0.12 * i_q + (2.0e-3 - 5.0e-3) * i_d * i_q)
        assert_allclose(motor.output_values(0.0, x, u, p)[3], expected, rtol=1e-13)


def test_electrical_transient_at_locked_speed_matches_the_matrix_exponential():
    # With the speed held (huge inertia) and R constant, the dq circuit is linear:
    #   d/dt [id, iq] = A [id, iq] + c,  A = [[-R/Ld, we Lq/Ld], [-we Ld/Lq, -R/Lq]],  c = [vd/Ld, (vq - we psi)/Lq],
    # so [id, iq](t) = e^{At} x0 + A^{-1} (e^{At} - I) c.  This checks the cross-coupling terms and their signs.
    motor = PermanentMagnetSynchronousMotor("pmsm", rotor_inertia=1e12, viscous_friction=0.0, **SALIENT)
    speed, vd, vq = 150.0, -40.0, 90.0
    we = 4.0 * speed
    r, ld, lq, psi = 0.05, 2.0e-3, 5.0e-3, 0.12
    a = np.array([[-r / ld, we * lq / ld], [-we * ld / lq, -r / lq]])
    c = np.array([vd / ld, (vq - we * psi) / lq])
    x0 = np.array([5.0, -3.0])
    times = np.linspace(0.0, 0.05, 51)
    expected = np.array([expm(a * t) @ x0 + np.linalg.solve(a, (expm(a * t) - np.eye(2)) @ c) for t in times])
    result = motor.simulate(
        times,
        x0={"current_d": 5.0, "current_q": -3.0, "shaft_speed": speed},
        inputs={"voltage_d": vd, "voltage_q": vq},
        method="Radau",
        **TIGHT,
    )
    assert_allclose(result["current_d"].values, expected[:, 0], rtol=1e-7, atol=1e-7)
    assert_allclose(result["current_q"].values, expected[:, 1], rtol=1e-7, atol=1e-7)


def test_steady_state_operating_point_from_the_voltage_equations():
    # Pick a speed and currents; the steady dq equations give the voltages that hold them:
    #   vd = R id - we Lq iq,   vq = R iq + we Ld id + we psi;  the load that holds the speed is T_L = T_e - b w.
    # Started there, the motor must stay there (the operating point is an equilibrium of the full model).
    motor = PermanentMagnetSynchronousMotor("pmsm", **SALIENT)
    b = motor.parameter("viscous_friction")
    speed, i_d, i_q = 80.0, -20.0, 60.0
    we = 4.0 * speed
    vd = 0.05 * i_d - we * 5.0e-3 * i_q
    vq = 0.05 * i_q + we * 2.0e-3 * i_d + we * 0.12
    torque = 1.5 * 4.0 * (0.12 * i_q + (2.0e-3 - 5.0e-3) * i_d * i_q)
    x0 = {"current_d": i_d, "current_q": i_q, "shaft_speed": speed}
    inputs = {"voltage_d": vd, "voltage_q": vq, "load_torque": torque - b * speed}
    result = motor.simulate([0.0, 0.2], x0=x0, inputs=inputs, **TIGHT)
    assert_allclose(result["current_d"].values[-1], i_d, rtol=1e-7)
    assert_allclose(result["current_q"].values[-1], i_q, rtol=1e-7)
    assert_allclose(result["shaft_speed"].values[-1], speed, rtol=1e-9)
    # terminal power 1.5 (vd (id + G vd) + vq (iq + G vq)) and rms phase current |i + G v| / sqrt(2)
    g = motor.parameter("core_loss_conductance")
    terminal = np.array([i_d + g * vd, i_q + g * vq])
    assert_allclose(result["electrical_power"].values[-1], 1.5 * (vd * terminal[0] + vq * terminal[1]), rtol=1e-7)
    assert_allclose(result["phase_current_rms"].values[-1], np.hypot(*terminal) / math.sqrt(2.0), rtol=1e-7)


def test_defaults_are_the_modelica_machine():
    # SM_PermanentMagnetData: 112.3 V rms open circuit per phase at 50 Hz -> peak flux linkage sqrt(2) 112.3 / (2 pi 50)
    motor = PermanentMagnetSynchronousMotor("pmsm")
    assert_allclose(motor.parameter("magnet_flux_linkage"), math.sqrt(2) * 112.3 / (2 * math.pi * 50), rtol=1e-15)
    assert_allclose(motor.parameter("d_axis_inductance"), (0.1 + 0.3) / (2 * math.pi * 50), rtol=1e-15)
    # open circuit at 1500 rpm: |v| = we psi, i.e. 112.3 V rms per phase
    x = np.array([0.0, 0.0, 2 * math.pi * 1500 / 60, 293.15, 293.15, 293.15, 0.0])
    di_q = motor.derivative(0.0, x, np.array([0.0, 0.0, 0.0, 293.15]), motor.parameter_values)[1]
    assert_allclose(-di_q * motor.parameter("q_axis_inductance") / math.sqrt(2.0), 112.3, rtol=1e-12)


def test_losses_heat_their_nodes():
    motor = PermanentMagnetSynchronousMotor("pmsm")
    v = values(motor)
    x = np.array([10.0, 50.0, 100.0, 320.0, 310.0, 300.0, 0.0])
    u = np.array([20.0, 150.0, 30.0, 290.0])
    dx = motor.derivative(0.0, x, u, motor.parameter_values)
    y = motor.output_values(0.0, x, u, motor.parameter_values)
    r = v["stator_resistance"] * (1 + v["resistance_temperature_coefficient"] * (320.0 - 293.15))
    copper = 1.5 * r * (10.0**2 + 50.0**2)
    core = 1.5 * v["core_loss_conductance"] * (20.0**2 + 150.0**2)
    friction = v["viscous_friction"] * 100.0**2
    assert_allclose(y[[9, 10, 11, 12]], [r, copper, core, friction], rtol=1e-13)
    c_w, r_wi = v["winding_thermal_capacitance"], v["winding_iron_thermal_resistance"]
    assert_allclose(dx[3], (copper - (320.0 - 310.0) / r_wi) / c_w, rtol=1e-13)
    c_h, r_ih, r_ha = (
        v["housing_thermal_capacitance"],
        v["iron_housing_thermal_resistance"],
        v["housing_ambient_thermal_resistance"],
    )
    assert_allclose(dx[5], (friction + (310.0 - 300.0) / r_ih - (300.0 - 290.0) / r_ha) / c_h, rtol=1e-13)


def test_bad_parameters():
    with pytest.raises(
        ParameterError,
        match=r"(?s)`d_axis_inductance` must be within \(0, inf\] H; got 0\.0.*"
        r"`pole_pairs` must be within \[1, 100\] 1; got 0\.5",
    ):
        PermanentMagnetSynchronousMotor("pmsm", d_axis_inductance=0.0, pole_pairs=0.5)


def test_modelica_parameter_set_equals_the_defaults():
    from physics_twin.parameter_sets import load_parameter_set

    values = load_parameter_set("PermanentMagnetSynchronousMotor", "modelica_smpm")
    default = PermanentMagnetSynchronousMotor("pmsm")
    assert_allclose([values[n] for n in values], [default.parameter(n) for n in values], rtol=1e-15)
