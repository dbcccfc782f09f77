"""The motor -> pump -> pipe drive at steady state: torque balance, power balance, independent steady-state solution."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import root

from physics_twin.components import CentrifugalPump, DCMotor, PipeLoop
from physics_twin.core import System

GRAVITY = 9.80665  # standard gravity [m/s²]
VOLTAGE, AMBIENT, OPENING = 30.0, 295.0, 0.6


@pytest.fixture(scope="module")
def drive():
    motor, pump, pipe = DCMotor("motor"), CentrifugalPump("pump"), PipeLoop("pipe", static_head=2.0)
    system = System(
        "drive",
        [motor, pump, pipe],
        [
            ("motor.shaft_speed", "pump.shaft_speed"),
            ("pump.shaft_torque", "motor.load_torque"),
            ("pipe.flow_rate", "pump.flow_rate"),
            ("pump.pressure_rise", "pipe.pressure_rise"),
        ],
        inputs=["motor.voltage", "motor.ambient_temperature", "pipe.valve_opening"],
    )
    # thermal time constant ~ 600 s: 20 000 s is > 30 of them; every faster mode has long settled
    result = system.simulate(
        [0.0, 20_000.0],
        inputs={"motor.voltage": VOLTAGE, "motor.ambient_temperature": AMBIENT, "pipe.valve_opening": OPENING},
        rtol=1e-11,
        atol=1e-13,
    )
    final = {name: float(result[name].values[-1]) for name in result.data_vars if "time" in result[name].dims}
    return motor, pump, pipe, final


def test_the_drive_actually_runs(drive):
    _, pump, _, s = drive
    assert 0.5 * pump.parameter("rated_speed") < s["motor.shaft_speed"] < 1.5 * pump.parameter("rated_speed")
    assert s["pipe.flow_rate"] > 5e-4
    assert s["motor.winding_temperature"] > AMBIENT + 20.0


def test_torque_balance_at_steady_state(drive):
    # J dw/dt = k i - b w - tau_pump = 0
    motor, _, _, s = drive
    friction = motor.parameter("viscous_friction") * s["motor.shaft_speed"]
    assert_allclose(s["motor.electromagnetic_torque"], s["pump.shaft_torque"] + friction, rtol=1e-9)


def test_power_balance_at_steady_state(drive):
    # multiply the circuit equation by i and the rotor equation by w (both derivatives 0):
    #   V i = R(T) i² + k w i  and  k i w = b w² + tau_pump w  ->  V i = R(T) i² + b w² + P_pump
    motor, _, _, s = drive
    i, w = s["motor.current"], s["motor.shaft_speed"]
    losses = s["motor.winding_resistance"] * i**2 + motor.parameter("viscous_friction") * w**2
    assert_allclose(s["motor.electrical_power"], VOLTAGE * i, rtol=1e-14)
    assert_allclose(s["motor.electrical_power"], losses + s["pump.shaft_power"], rtol=1e-9)
    # and the copper loss is what the winding rejects to ambient: R i² = (T - T_a) / R_th
    assert_allclose(
        s["motor.winding_resistance"] * i**2,
        (s["motor.winding_temperature"] - AMBIENT) / motor.parameter("thermal_resistance"),
        rtol=1e-9,
    )


def test_steady_state_matches_an_independent_algebraic_solution(drive):
    # Unknowns i, w, T, Q; equations written from the module docstrings (not from the kernels):
    #   V - R(T) i - k w = 0
    #   k i - b w - (w / w_r²)(P0 r + c Q) = 0,          r = w / w_r, c = (rho g H_b Q_b / eta_b - P0) / Q_b
    #   R(T) i² - (T - T_a) / R_th = 0
    #   rho g (H0 r² - a Q²) - rho g H_st - (K_pipe + K_valve / s²) Q² = 0,   a = (H0 - H_b) / Q_b²
    motor, pump, pipe, s = drive
    m = {p.name: motor.parameter(p.name) for p in DCMotor.PARAMETERS}
    q = {p.name: pump.parameter(p.name) for p in CentrifugalPump.PARAMETERS}
    rho_g = q["fluid_density"] * GRAVITY
    a = (q["shutoff_head"] - q["bep_head"]) / q["bep_flow"] ** 2
    c = (rho_g * q["bep_head"] * q["bep_flow"] / q["bep_efficiency"] - q["shutoff_power"]) / q["bep_flow"]
    k_system = pipe.parameter("pipe_resistance") + pipe.parameter("valve_resistance") / OPENING**2

    def residual(z: np.ndarray) -> list[float]:
        i, w, temperature, flow = z[0], z[1], 300.0 + 100.0 * z[2], 1e-3 * z[3]  # scaled unknowns
        resistance = m["reference_resistance"] * (
            1 + m["resistance_temperature_coefficient"] * (temperature - m["reference_temperature"])
        )
        r = w / q["rated_speed"]
        pump_torque = w / q["rated_speed"] ** 2 * (q["shutoff_power"] * r + c * flow)
        return [
            VOLTAGE - resistance * i - m["torque_constant"] * w,
            m["torque_constant"] * i - m["viscous_friction"] * w - pump_torque,
            (resistance * i**2 - (temperature - AMBIENT) / m["thermal_resistance"]) / 10.0,
            (rho_g * (q["shutoff_head"] * r**2 - a * flow**2) - rho_g * pipe.parameter("static_head") - k_system * flow**2) / 1e4,
        ]

    solution = root(residual, [5.0, 250.0, 0.5, 1.0], tol=1e-13)
    assert_allclose(residual(solution.x), 0.0, atol=1e-9)
    i, w, temperature, flow = solution.x[0], solution.x[1], 300.0 + 100.0 * solution.x[2], 1e-3 * solution.x[3]
    assert_allclose(s["motor.current"], i, rtol=1e-8)
    assert_allclose(s["motor.shaft_speed"], w, rtol=1e-8)
    assert_allclose(s["motor.winding_temperature"], temperature, rtol=1e-9)
    assert_allclose(s["pipe.flow_rate"], flow, rtol=1e-8)
