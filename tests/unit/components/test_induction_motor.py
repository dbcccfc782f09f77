"""InductionMotor: dq steady state against the equivalent-circuit torque-slip curve, a loaded run to the right slip,
torque identities, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import InductionMotor
from physics_twin.components.induction_motor import equivalent_circuit_torque
from physics_twin.errors import ParameterError

# Krause et al. (2013), 3 hp, 4-pole, 220 V, 60 Hz machine: reactances at 60 Hz
OMEGA_S = 2 * math.pi * 60
RS, RR, XLS, XLR, XM, POLES = 0.435, 0.816, 0.754, 0.754, 26.13, 2.0
V_PHASE = 220.0 / math.sqrt(3.0)  # rms phase voltage
SLIPS = [0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, -0.03]


def phasor_torque(slip: float) -> float:
    # Independent reference: solve the per-phase T-circuit with complex phasors (no Thevenin algebra):
    #   Z = Rs + jXls + (jXm || (Rr/s + jXlr)),  I1 = V/Z,  I2 = I1 jXm / (jXm + Rr/s + jXlr),
    #   air-gap power P_ag = 3 |I2|² Rr / s,  torque = P_ag / (w_s / p).
    rotor = RR / slip + 1j * XLR
    magnetizing = 1j * XM
    z = RS + 1j * XLS + magnetizing * rotor / (magnetizing + rotor)
    i1 = V_PHASE / z
    i2 = i1 * magnetizing / (magnetizing + rotor)
    return 3.0 * abs(i2) ** 2 * RR / slip / (OMEGA_S / POLES)


def dq_steady_state(motor: InductionMotor, speed: float, v_q: float) -> np.ndarray:
    # At a fixed speed the four flux equations are linear, f(psi) = A psi + b: recover A and b column by column
    # from the kernel and solve A psi = -b exactly (no time integration).
    p = motor.parameter_values
    u = np.array([0.0, v_q, OMEGA_S, 0.0, 293.15])
    base = np.array([0.0, 0.0, 0.0, 0.0, speed, 293.15, 293.15, 293.15, 0.0])
    b = motor.derivative(0.0, base, u, p)[:4]
    a = np.empty((4, 4))
    for column in range(4):
        x = base.copy()
        x[column] = 1.0
        a[:, column] = motor.derivative(0.0, x, u, p)[:4] - b
    x = base.copy()
    x[:4] = np.linalg.solve(a, -b)
    return motor.output_values(0.0, x, u, p)


@pytest.mark.parametrize("slip", SLIPS)
def test_dq_steady_state_torque_matches_the_equivalent_circuit(slip):
    # amplitude-invariant dq: a balanced supply of rms phase voltage V is v_q = sqrt(2) V, v_d = 0
    motor = InductionMotor("im", resistance_temperature_coefficient=0.0)
    speed = (1.0 - slip) * OMEGA_S / POLES
    y = dq_steady_state(motor, speed, math.sqrt(2.0) * V_PHASE)
    assert_allclose(y[3], phasor_torque(slip), rtol=1e-10)
    assert_allclose(y[6], slip, rtol=1e-12)  # the slip output


def test_thevenin_formula_equals_the_phasor_solution():
    expected = [phasor_torque(s) for s in SLIPS]
    got = equivalent_circuit_torque(np.array(SLIPS), V_PHASE, OMEGA_S, RS, RR, XLS / OMEGA_S, XLR / OMEGA_S, XM / OMEGA_S, POLES)
    assert_allclose(got, expected, rtol=1e-12)


def test_loaded_run_settles_at_the_slip_of_the_equivalent_circuit():
    # Load the motor with T_L = T(s0) - b w0 at s0 = 3 % (below the pull-out slip, a stable point):
    # the speed must settle at w0 = (1 - s0) w_s / p.
    slip = 0.03
    motor = InductionMotor("im", resistance_temperature_coefficient=0.0)
    b = motor.parameter("viscous_friction")
    speed = (1.0 - slip) * OMEGA_S / POLES
    load = phasor_torque(slip) - b * speed
    result = motor.simulate(
        [0.0, 3.0],
        x0={"shaft_speed": 0.9 * speed},
        inputs={"voltage_q": math.sqrt(2.0) * V_PHASE, "load_torque": load},
        method="LSODA",
        rtol=1e-9,
        atol=1e-9,
    )
    assert_allclose(result["shaft_speed"].values[-1], speed, rtol=1e-7)
    assert_allclose(result["slip"].values[-1], slip, rtol=1e-5)


def test_torque_equals_the_current_form_and_power_balance_terms(rng):
    # T = 1.5 p (psi_ds i_qs - psi_qs i_ds) = 1.5 p Lm (i_qs i_dr - i_ds i_qr); currents from [psi_s; psi_r] = L [i_s; i_r]
    motor = InductionMotor("im")
    lm, lls, llr = XM / OMEGA_S, XLS / OMEGA_S, XLR / OMEGA_S
    inductance = np.array([[lls + lm, lm], [lm, llr + lm]])
    for _ in range(10):
        fluxes = rng.uniform(-1.0, 1.0, 4)
        x = np.array([*fluxes, 100.0, 330.0, 320.0, 310.0, 0.1])
        y = motor.output_values(0.0, x, np.array([10.0, 150.0, OMEGA_S, 0.0, 293.15]), motor.parameter_values)
        i_ds, i_dr = np.linalg.solve(inductance, fluxes[[0, 2]])
        i_qs, i_qr = np.linalg.solve(inductance, fluxes[[1, 3]])
        assert_allclose(y[3], 1.5 * POLES * lm * (i_qs * i_dr - i_ds * i_qr), rtol=1e-10, atol=1e-12)
        assert_allclose(y[[0, 1]], [i_ds, i_qs], rtol=1e-10, atol=1e-12)
        assert_allclose(y[7], 1.5 * RR * (i_dr**2 + i_qr**2), rtol=1e-10)  # rotor copper loss


def test_slip_is_zero_without_supply_frequency():
    motor = InductionMotor("im")
    x = np.array([0.0, 0.0, 0.0, 0.0, 10.0, 293.15, 293.15, 293.15, 0.0])
    assert motor.output_values(0.0, x, np.array([0.0, 0.0, 0.0, 0.0, 293.15]), motor.parameter_values)[6] == 0.0


def test_bad_parameters():
    with pytest.raises(
        ParameterError,
        match=r"(?s)unknown parameter 'magnetising_inductance'.*Did you mean 'magnetizing_inductance'.*"
        r"`rotor_resistance` must be within \[0, inf\] ohm; got -0\.8",
    ):
        InductionMotor("im", rotor_resistance=-0.8, magnetising_inductance=0.07)


@pytest.mark.parametrize(
    ("name", "reactances", "inertia"),
    [("krause_3hp", (0.435, 0.816, 0.754, 0.754, 26.13), 0.089), ("krause_50hp", (0.087, 0.228, 0.302, 0.302, 13.08), 1.662)],
)
def test_krause_parameter_sets_load_with_reactances_at_60_hz(name, reactances, inertia):
    # the sets store inductances; multiplied by 2 pi 60 they give back Krause's reactances
    from physics_twin.parameter_sets import load_parameter_set

    values = load_parameter_set("InductionMotor", name)
    motor = InductionMotor("im", **values)
    rs, rr, xls, xlr, xm = reactances
    assert_allclose([motor.parameter("stator_resistance"), motor.parameter("rotor_resistance")], [rs, rr], rtol=1e-15)
    inductances = [
        motor.parameter(n) for n in ("stator_leakage_inductance", "rotor_leakage_inductance", "magnetizing_inductance")
    ]
    assert_allclose(np.array(inductances) * OMEGA_S, [xls, xlr, xm], rtol=1e-14)
    assert motor.parameter("rotor_inertia") == inertia
