"""DCMotor against closed forms: steady state, the linear electromechanical transient, thermal steady state and lag."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm
from scipy.optimize import root

from physics_twin.components import DCMotor

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def motor_values(motor: DCMotor) -> dict[str, float]:
    return {p.name: motor.parameter(p.name) for p in DCMotor.PARAMETERS}


def test_no_load_steady_state_without_temperature_dependence():
    # di/dt = 0: V = R i + k w;  dw/dt = 0: k i = b w  ->  w = k V / (k² + R b),  i = b V / (k² + R b)
    motor = DCMotor("m", resistance_temperature_coefficient=0.0)
    v = motor_values(motor)
    voltage = 24.0
    k, r, b = v["torque_constant"], v["reference_resistance"], v["viscous_friction"]
    # mechanical time constant J R / (k² + R b) ≈ 0.1 s: 5 s is 50 time constants
    result = motor.simulate([0.0, 5.0], inputs={"voltage": voltage}, method="LSODA", **TIGHT)
    assert_allclose(result["shaft_speed"].values[-1], k * voltage / (k**2 + r * b), rtol=1e-8)
    assert_allclose(result["current"].values[-1], b * voltage / (k**2 + r * b), rtol=1e-7)
    assert_allclose(result["electromagnetic_torque"].values[-1], k * b * voltage / (k**2 + r * b), rtol=1e-7)
    assert_allclose(result["electrical_power"].values[-1], voltage * b * voltage / (k**2 + r * b), rtol=1e-7)


@pytest.mark.parametrize("method", ["LSODA", "Radau", "RK45"])
def test_linear_electromechanical_transient_matches_the_matrix_exponential(method):
    # With alpha = 0 the (i, w) subsystem is linear and independent of the temperature:
    #   d/dt [i, w] = A [i, w] + B [V, tau_L],  A = [[-R/L, -k/L], [k/J, -b/J]],  B = [[1/L, 0], [0, -1/J]],
    # so with constant inputs x(t) = e^{At} x0 + A^{-1} (e^{At} - I) B u  (scipy.linalg.expm).
    motor = DCMotor("m", resistance_temperature_coefficient=0.0, inductance=5e-3)
    v = motor_values(motor)
    r, inductance, k, j, b = (
        v[n] for n in ("reference_resistance", "inductance", "torque_constant", "rotor_inertia", "viscous_friction")
    )
    a = np.array([[-r / inductance, -k / inductance], [k / j, -b / j]])
    bu = np.array([[1 / inductance, 0.0], [0.0, -1 / j]]) @ np.array([12.0, 0.2])
    x0 = np.array([1.0, 5.0])
    times = np.linspace(0.0, 0.3, 31)
    expected = np.array([expm(a * t) @ x0 + np.linalg.solve(a, (expm(a * t) - np.eye(2)) @ bu) for t in times])
    result = motor.simulate(
        times, x0={"current": 1.0, "shaft_speed": 5.0}, inputs={"voltage": 12.0, "load_torque": 0.2}, method=method, **TIGHT
    )
    assert_allclose(result["current"].values, expected[:, 0], rtol=1e-7, atol=1e-9)
    assert_allclose(result["shaft_speed"].values, expected[:, 1], rtol=1e-7, atol=1e-9)


def test_thermal_steady_state_with_temperature_dependent_resistance():
    # Steady state of all three equations, solved independently with scipy.optimize.root:
    #   V - R(T) i - k w = 0,   k i - b w - tau_L = 0,   R(T) i² - (T - T_a) / R_th = 0,
    #   R(T) = R_ref (1 + alpha (T - T_ref)).
    motor = DCMotor("m")
    v = motor_values(motor)
    voltage, load, ambient = 12.0, 0.5, 300.0
    k, b, r_th = v["torque_constant"], v["viscous_friction"], v["thermal_resistance"]

    def resistance(temperature: float) -> float:
        return v["reference_resistance"] * (
            1 + v["resistance_temperature_coefficient"] * (temperature - v["reference_temperature"])
        )

    def residual(z: np.ndarray) -> list[float]:
        i, w, temperature = z
        return [
            voltage - resistance(temperature) * i - k * w,
            k * i - b * w - load,
            resistance(temperature) * i**2 - (temperature - ambient) / r_th,
        ]

    solution = root(residual, [5.0, 50.0, 330.0], tol=1e-12)
    assert solution.success
    assert_allclose(residual(solution.x), 0.0, atol=1e-10)
    current, speed, temperature = solution.x
    assert temperature > ambient + 30.0  # a real thermal effect: R rises by > 12 %
    # thermal time constant ~ C R_th / (1 - alpha R i² R_th) ≈ 650 s: 25 000 s is ~ 38 time constants
    result = motor.simulate(
        [0.0, 25_000.0], inputs={"voltage": voltage, "load_torque": load, "ambient_temperature": ambient}, method="LSODA", **TIGHT
    )
    assert_allclose(result["winding_temperature"].values[-1], temperature, rtol=1e-9)
    assert_allclose(result["current"].values[-1], current, rtol=1e-7)
    assert_allclose(result["shaft_speed"].values[-1], speed, rtol=1e-7)
    assert_allclose(result["winding_resistance"].values[-1], resistance(temperature), rtol=1e-9)


def test_winding_temperature_lags_with_the_thermal_time_constant():
    # alpha = 0: once the electromechanical transient (~0.1 s) is over, i is constant and
    #   C dT/dt = R i² - (T - T_a)/R_th  ->  T_inf - T(t) = c e^{-t / (R_th C)}  exactly.
    # The time constant from two late samples: tau = (t2 - t1) / ln((T_inf - T1) / (T_inf - T2)).
    motor = DCMotor("m", resistance_temperature_coefficient=0.0)
    v = motor_values(motor)
    tau = v["thermal_resistance"] * v["thermal_capacitance"]  # 600 s
    voltage, load, ambient = 12.0, 0.5, 293.15
    k, b, r = v["torque_constant"], v["viscous_friction"], v["reference_resistance"]
    # steady current from V = R i + k w and k i = b w + tau_L
    speed = (voltage * k - r * load) / (k**2 + r * b)
    current = (load + b * speed) / k
    t_inf = ambient + r * current**2 * v["thermal_resistance"]
    result = motor.simulate(
        [0.0, 100.0, 700.0, 1300.0], inputs={"voltage": voltage, "load_torque": load}, method="LSODA", **TIGHT
    )
    temperature = result["winding_temperature"].values
    measured_tau = (1300.0 - 100.0) / math.log((t_inf - temperature[1]) / (t_inf - temperature[3]))
    assert_allclose(measured_tau, tau, rtol=1e-6)
    # and from rest, the first-order step response to within the start-up transient's extra heat:
    # at most (V/R)² R * 0.5 s / C = 0.18 K of a 37.5 K rise
    expected = ambient + (t_inf - ambient) * (1 - np.exp(-result["time"].values / tau))
    assert_allclose(temperature, expected, atol=0.18)


def test_temperature_dependent_thermal_time_constant_at_fixed_current():
    # With b = 0 and a load torque, k i = tau_L fixes i = tau_L / k whatever the resistance, so the heat balance is
    # linear in T:  C dT/dt = R_ref (1 + alpha (T - T_ref)) i² - (T - T_a)/R_th  with the time constant
    #   tau_eff = C / (1/R_th - alpha R_ref i²)   (longer than R_th C: hotter winding, more loss).
    # J dw/dt enters k i = tau_L + J dw/dt: as R rises, w falls at dw/dt = -(i/k) R_ref alpha dT/dt, which adds
    # 2 R i² J R_ref alpha / k² to the heat capacity (5.6e-5 relative with the default J = 1e-3). J = 1e-6 makes
    # that 6e-8 (the mechanical time constant J R / k² becomes 0.1 ms, still far faster than the thermal one).
    motor = DCMotor("m", viscous_friction=0.0, rotor_inertia=1e-6)
    v = motor_values(motor)
    load = 0.5
    current = load / v["torque_constant"]
    tau_eff = v["thermal_capacitance"] / (
        1 / v["thermal_resistance"] - v["resistance_temperature_coefficient"] * v["reference_resistance"] * current**2
    )
    # fixed point: T_inf = (R_ref i² (1 - alpha T_ref) + T_a / R_th) / (1/R_th - alpha R_ref i²)
    ambient = 293.15
    r_ref, alpha = v["reference_resistance"], v["resistance_temperature_coefficient"]
    t_inf = (
        (r_ref * current**2 * (1 - alpha * v["reference_temperature"]) + ambient / v["thermal_resistance"])
        * tau_eff
        / v["thermal_capacitance"]
    )
    result = motor.simulate([0.0, 100.0, 1300.0], inputs={"voltage": 12.0, "load_torque": load}, method="LSODA", **TIGHT)
    temperature = result["winding_temperature"].values
    measured_tau = 1200.0 / math.log((t_inf - temperature[1]) / (t_inf - temperature[2]))
    assert_allclose(measured_tau, tau_eff, rtol=1e-6)
    assert tau_eff > v["thermal_resistance"] * v["thermal_capacitance"]


def test_output_kernel_values():
    motor = DCMotor("m")
    v = motor_values(motor)
    x, u = np.array([2.0, 30.0, 350.0]), np.array([10.0, 0.1, 290.0])
    y = motor.output_values(0.0, x, u, motor.parameter_values)
    resistance = v["reference_resistance"] * (1 + v["resistance_temperature_coefficient"] * (350.0 - v["reference_temperature"]))
    assert_allclose(y, [2.0, 30.0, 350.0, v["torque_constant"] * 2.0, resistance, 20.0], rtol=1e-15)
