"""Power balance of the motors with thermal networks, at arbitrary states and inputs:
electrical power in = mechanical power out + losses + rate of stored (magnetic + kinetic) energy, and the heat the
losses bring equals what the nodes store plus what leaves to the ambient."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from physics_twin.components import DCMotorThermal, InductionMotor, PermanentMagnetSynchronousMotor


def real(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def thermal_draw(draw) -> dict[str, float]:
    return {
        "winding_thermal_capacitance": draw(real(1.0, 1e5)),
        "iron_thermal_capacitance": draw(real(1.0, 1e5)),
        "housing_thermal_capacitance": draw(real(1.0, 1e5)),
        "winding_iron_thermal_resistance": draw(real(1e-3, 5.0)),
        "iron_housing_thermal_resistance": draw(real(1e-3, 5.0)),
        "housing_ambient_thermal_resistance": draw(real(1e-3, 5.0)),
    }


def temperatures(draw) -> list[float]:
    return [draw(real(250.0, 450.0)) for _ in range(3)]


def balanced(terms_in: list[float], terms_out: list[float], tolerance: float = 1e-11) -> bool:
    scale = max(sum(abs(t) for t in (*terms_in, *terms_out)), 1e-300)
    return abs(sum(terms_in) - sum(terms_out)) <= tolerance * scale


def check_heat_balance(motor, dx, x, ambient, losses, first_temperature: int) -> None:
    # sum_k C_k dT_k/dt = Q_w + Q_i + Q_h - (T_h - T_a)/R_ha: the inner resistances only move heat between nodes
    c = [motor.parameter(n) for n in ("winding_thermal_capacitance", "iron_thermal_capacitance", "housing_thermal_capacitance")]
    stored = [ck * dx[first_temperature + k] for k, ck in enumerate(c)]
    rejected = (x[first_temperature + 2] - ambient) / motor.parameter("housing_ambient_thermal_resistance")
    assert balanced(list(losses), [*stored, rejected])


@st.composite
def dc_case(draw):
    parameters = {
        "reference_resistance": draw(real(1e-3, 20.0)),
        "resistance_temperature_coefficient": draw(real(0.0, 0.01)),
        "inductance": draw(real(1e-5, 0.5)),
        "torque_constant": draw(real(1e-3, 2.0)),
        "rotor_inertia": draw(real(1e-6, 1.0)),
        "viscous_friction": draw(real(0.0, 0.1)),
        "iron_loss_coefficient": draw(real(0.0, 0.1)),
        **thermal_draw(draw),
    }
    x = np.array([draw(real(-100.0, 100.0)), draw(real(-1000.0, 1000.0)), *temperatures(draw), draw(real(0.0, 1.0))])
    u = np.array([draw(real(-400.0, 400.0)), draw(real(-20.0, 20.0)), draw(real(230.0, 330.0))])
    return DCMotorThermal("m", **parameters), x, u


@given(dc_case())
def test_dc_motor_thermal_power_balance(case):
    # L di/dt * i + J dw/dt * w = V i - R i² - k_fe w² - b w² - tau_L w   (multiply the two equations by i and w)
    motor, x, u = case
    p = motor.parameter_values
    dx = motor.derivative(0.0, x, u, p)
    y = motor.output_values(0.0, x, u, p)
    names = [o.name for o in DCMotorThermal.OUTPUTS]
    copper, iron, friction = (y[names.index(n)] for n in ("copper_loss", "iron_loss", "friction_loss"))
    stored = motor.parameter("inductance") * x[0] * dx[0] + motor.parameter("rotor_inertia") * x[1] * dx[1]
    assert balanced([y[names.index("electrical_power")]], [copper, iron, friction, u[1] * x[1], stored])
    assert copper >= 0.0 and iron >= 0.0 and friction >= 0.0
    check_heat_balance(motor, dx, x, u[2], (copper, iron, friction), first_temperature=2)


@st.composite
def pmsm_case(draw):
    parameters = {
        "stator_resistance": draw(real(1e-3, 5.0)),
        "resistance_temperature_coefficient": draw(real(0.0, 0.01)),
        "d_axis_inductance": draw(real(1e-5, 0.1)),
        "q_axis_inductance": draw(real(1e-5, 0.1)),
        "magnet_flux_linkage": draw(real(0.0, 2.0)),
        "pole_pairs": float(draw(st.integers(1, 12))),
        "rotor_inertia": draw(real(1e-5, 10.0)),
        "viscous_friction": draw(real(0.0, 0.1)),
        "core_loss_conductance": draw(real(0.0, 0.1)),
        **thermal_draw(draw),
    }
    x = np.array([draw(real(-300.0, 300.0)), draw(real(-300.0, 300.0)), draw(real(-500.0, 500.0)), *temperatures(draw), 0.0])
    u = np.array([draw(real(-600.0, 600.0)), draw(real(-600.0, 600.0)), draw(real(-500.0, 500.0)), draw(real(230.0, 330.0))])
    return PermanentMagnetSynchronousMotor("m", **parameters), x, u


@given(pmsm_case())
def test_pmsm_power_balance(case):
    # d/dt (3/4 (Ld id² + Lq iq²)) = 1.5 (Ld id did/dt + Lq iq diq/dt); kinetic J w dw/dt.  The magnet flux stores no
    # energy change (constant), so P_e = P_cu + P_fe + b w² + tau_L w + d/dt(magnetic + kinetic).
    motor, x, u = case
    p = motor.parameter_values
    dx = motor.derivative(0.0, x, u, p)
    y = motor.output_values(0.0, x, u, p)
    names = [o.name for o in PermanentMagnetSynchronousMotor.OUTPUTS]
    copper, core, friction = (y[names.index(n)] for n in ("copper_loss", "iron_loss", "friction_loss"))
    ld, lq, j = (motor.parameter(n) for n in ("d_axis_inductance", "q_axis_inductance", "rotor_inertia"))
    magnetic = 1.5 * (ld * x[0] * dx[0] + lq * x[1] * dx[1])
    kinetic = j * x[2] * dx[2]
    assert balanced([y[names.index("electrical_power")]], [copper, core, friction, u[2] * x[2], magnetic, kinetic])
    # the air-gap torque times speed is the converted power
    assert balanced([y[names.index("electromagnetic_torque")] * x[2]], [friction, u[2] * x[2], kinetic])
    check_heat_balance(motor, dx, x, u[3], (copper, core, friction), first_temperature=3)


@st.composite
def induction_case(draw):
    parameters = {
        "stator_resistance": draw(real(1e-3, 5.0)),
        "resistance_temperature_coefficient": draw(real(0.0, 0.01)),
        "rotor_resistance": draw(real(1e-3, 5.0)),
        "stator_leakage_inductance": draw(real(1e-4, 0.05)),
        "rotor_leakage_inductance": draw(real(1e-4, 0.05)),
        "magnetizing_inductance": draw(real(1e-3, 0.5)),
        "pole_pairs": float(draw(st.integers(1, 6))),
        "rotor_inertia": draw(real(1e-4, 10.0)),
        "viscous_friction": draw(real(0.0, 0.1)),
        "core_loss_conductance": draw(real(0.0, 0.1)),
        **thermal_draw(draw),
    }
    fluxes = [draw(real(-2.0, 2.0)) for _ in range(4)]
    x = np.array([*fluxes, draw(real(-400.0, 400.0)), *temperatures(draw), 0.0])
    u = np.array(
        [
            draw(real(-600.0, 600.0)),
            draw(real(-600.0, 600.0)),
            draw(real(-800.0, 800.0)),
            draw(real(-500.0, 500.0)),
            draw(real(230.0, 330.0)),
        ]
    )
    return InductionMotor("m", **parameters), x, u


@given(induction_case())
def test_induction_motor_power_balance(case):
    # Magnetic energy W = 3/4 (i_s . psi_s + i_r . psi_r) with psi = L i symmetric, so dW/dt = 1.5 (i_s . dpsi_s + i_r . dpsi_r);
    # currents are recovered here by solving [psi_s; psi_r] = [[Ls, Lm], [Lm, Lr]] [i_s; i_r] with numpy.
    motor, x, u = case
    p = motor.parameter_values
    dx = motor.derivative(0.0, x, u, p)
    y = motor.output_values(0.0, x, u, p)
    names = [o.name for o in InductionMotor.OUTPUTS]
    lls, llr, lm = (
        motor.parameter(n) for n in ("stator_leakage_inductance", "rotor_leakage_inductance", "magnetizing_inductance")
    )
    matrix = np.array([[lls + lm, lm], [lm, llr + lm]])
    i_ds, i_dr = np.linalg.solve(matrix, x[[0, 2]])
    i_qs, i_qr = np.linalg.solve(matrix, x[[1, 3]])
    magnetic = 1.5 * (i_ds * dx[0] + i_qs * dx[1] + i_dr * dx[2] + i_qr * dx[3])
    kinetic = motor.parameter("rotor_inertia") * x[4] * dx[4]
    stator, rotor, core, friction = (
        y[names.index(n)] for n in ("copper_loss", "rotor_copper_loss", "iron_loss", "friction_loss")
    )
    assert balanced([y[names.index("electrical_power")]], [stator, rotor, core, friction, u[3] * x[4], magnetic, kinetic], 1e-9)
    assert min(stator, rotor, core, friction) >= 0.0
    check_heat_balance(motor, dx, x, u[4], (stator, rotor + core, friction), first_temperature=5)
