"""Loads (constant, quadratic, Kienzle cutting) and sources (voltage step/pulse/sine, speed profile, breakpoints)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import DCMotor
from physics_twin.components.loads import ConstantTorqueLoad, CuttingForceLoad, QuadraticTorqueLoad
from physics_twin.components.sources import SpeedProfile, VoltageSource, source_breakpoints
from physics_twin.core.system import System
from physics_twin.errors import ParameterError, ShapeError

EMPTY = np.empty(0)


def test_constant_and_quadratic_loads():
    constant = ConstantTorqueLoad("c", torque=3.0)
    assert_allclose(constant.output_values(0.0, EMPTY, np.array([10.0]), constant.parameter_values), [3.0, 30.0])
    fan = QuadraticTorqueLoad("f", rated_torque=10.0, rated_speed=100.0, friction_torque=0.5)
    for speed in (50.0, 100.0, -50.0, 0.0):
        y = fan.output_values(0.0, EMPTY, np.array([speed]), fan.parameter_values)
        # tau = tau_r w|w|/w_r² + tau_0 sign(w): at half speed a quarter of the rated torque
        expected = 10.0 * speed * abs(speed) / 100.0**2 + 0.5 * np.sign(speed)
        assert y[0] == pytest.approx(expected, rel=1e-15) and y[1] == pytest.approx(expected * speed, rel=1e-15)


def test_kienzle_cutting_force():
    load = CuttingForceLoad("cut", specific_cutting_force=2.0e9, kienzle_exponent=0.25, tool_radius=0.01, engaged_edges=2.0)
    h, b = 0.1e-3, 2e-3
    y = load.output_values(0.0, EMPTY, np.array([500.0, h, b]), load.parameter_values)
    # F = z kc1.1 b h (h/1 mm)^-mc: at h = 0.1 mm the specific force is 2000 N/mm² * 0.1^-0.25 = 3556.6 N/mm²
    force = 2.0 * 2000.0 * 0.1**-0.25 * 2.0 * 0.1  # N, with b and h in mm
    assert y[2] == pytest.approx(force, rel=1e-12)
    assert y[0] == pytest.approx(force * 0.01, rel=1e-12)
    assert y[1] == pytest.approx(force * 0.01 * 500.0, rel=1e-12)
    # at h = 1 mm, b = 1 mm, one edge: exactly k_c1.1 times 1 mm²
    single = CuttingForceLoad("one", specific_cutting_force=2.0e9)
    assert single.output_values(0.0, EMPTY, np.array([1.0, 1e-3, 1e-3]), single.parameter_values)[2] == pytest.approx(
        2000.0, rel=1e-14
    )
    assert single.output_values(0.0, EMPTY, np.array([1.0, 0.0, 1e-3]), single.parameter_values)[2] == 0.0


def test_voltage_source_step_pulse_and_sine():
    source = VoltageSource(
        "v", dc_voltage=1.0, step_voltage=20.0, step_time=1.0, pulse_duration=0.05, amplitude=2.0, frequency=5.0
    )
    p = source.parameter_values
    for t, expected in [
        (0.5, 1.0 + 2.0 * math.sin(5.0 * math.pi)),
        (1.02, 21.0 + 2.0 * math.sin(2 * math.pi * 5.0 * 1.02)),
        (1.06, 1.0 + 2.0 * math.sin(2 * math.pi * 5.0 * 1.06)),
    ]:
        assert source.output_values(t, EMPTY, EMPTY, p)[0] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert source.breakpoints() == [1.0, 1.05]
    assert VoltageSource("step", step_time=2.0).breakpoints() == [2.0]


def test_a_short_pulse_from_a_source_is_not_stepped_over_when_its_breakpoints_are_passed():
    # Hard case 2 through a System: a DC motor held still (huge inertia, no temperature effect) has
    # L di/dt = V - R i, i.e. i' = -i + V for R = 1 ohm, L = 1 H; i(0) = 1, V = 20 V for 1 < t < 1.05:
    # i(2) = e^-2 + 20 (1 - e^-0.05) e^-0.95 = 0.512567...
    expected = math.exp(-2.0) + 20.0 * (1.0 - math.exp(-0.05)) * math.exp(-0.95)
    source = VoltageSource("supply", step_voltage=20.0, step_time=1.0, pulse_duration=0.05)
    motor = DCMotor("motor", reference_resistance=1.0, inductance=1.0, rotor_inertia=1e12, resistance_temperature_coefficient=0.0)
    system = System(
        "pulse",
        [source, motor],
        connections=[("supply.voltage", "motor.voltage")],
        inputs=["motor.load_torque", "motor.ambient_temperature"],
    )
    model = system.model()
    breaks = source_breakpoints(system)
    assert breaks == [1.0, 1.05]
    result = model_simulate(model, breaks)
    assert result == pytest.approx(expected, abs=1e-6)
    # without the breakpoints RK45 at its default tolerances steps over the pulse (i(2) = e^-2 = 0.1353)
    assert model_simulate(model, [], rtol=1e-3, atol=1e-6) == pytest.approx(math.exp(-2.0), abs=1e-3)


def model_simulate(model, breakpoints, rtol=1e-10, atol=1e-12) -> float:
    from physics_twin.core.simulate import simulate

    result = simulate(
        model,
        [0.0, 2.0],
        x0={"motor.current": 1.0},
        inputs={"motor.ambient_temperature": 293.15},
        breakpoints=breakpoints,
        rtol=rtol,
        atol=atol,
        method="RK45",
    )
    return float(result["motor.current"].values[-1])


def test_speed_profile_interpolates_and_reports_its_corners():
    profile = SpeedProfile.from_points("ramp", [0.0, 2.0, 5.0, 6.0], [0.0, 100.0, 100.0, 40.0])
    p = profile.parameter_values
    for t, speed, acceleration in [(-1.0, 0.0, 0.0), (1.0, 50.0, 50.0), (3.0, 100.0, 0.0), (5.5, 70.0, -60.0), (7.0, 40.0, 0.0)]:
        assert_allclose(profile.output_values(t, EMPTY, EMPTY, p), [speed, acceleration], rtol=1e-14)
    assert profile.breakpoints() == [0.0, 2.0, 5.0, 6.0]
    default = SpeedProfile("default")
    assert default.output_values(2.0, EMPTY, EMPTY, default.parameter_values)[0] == 150.0
    assert source_breakpoints([profile, default, DCMotor("m")]) == [0.0, 1.0, 2.0, 4.0, 5.0, 6.0]


def test_speed_profile_checks():
    with pytest.raises(ShapeError, match="`times` and `speeds` must be 1-D of equal length between 2 and 8"):
        SpeedProfile.from_points("p", [0.0], [1.0])
    with pytest.raises(ParameterError, match="must be strictly increasing"):
        SpeedProfile.from_points("p", [0.0, 2.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ParameterError, match="`point_count` must be a whole number"):
        SpeedProfile("p", point_count=2.5)
    with pytest.raises(ParameterError, match="`components` must be a System or a sequence of components"):
        source_breakpoints(3)
