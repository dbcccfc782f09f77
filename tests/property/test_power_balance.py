"""Energy bookkeeping of the kernels at arbitrary states: power in = losses + power out + d(stored energy)/dt."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from physics_twin.components import BearingDegradation, DCMotor, PipeLoop

GRAVITY = 9.80665  # standard gravity [m/s²]


def positive(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def motor_case(draw):
    parameters = {
        "reference_resistance": draw(positive(1e-3, 20.0)),
        "reference_temperature": draw(positive(250.0, 320.0)),
        "resistance_temperature_coefficient": draw(positive(0.0, 0.01)),
        "inductance": draw(positive(1e-5, 0.5)),
        "torque_constant": draw(positive(1e-3, 2.0)),
        "rotor_inertia": draw(positive(1e-6, 1.0)),
        "viscous_friction": draw(positive(0.0, 0.1)),
        "thermal_capacitance": draw(positive(1.0, 1e4)),
        "thermal_resistance": draw(positive(0.01, 10.0)),
    }
    x = np.array([draw(st.floats(-100.0, 100.0)), draw(st.floats(-1000.0, 1000.0)), draw(positive(250.0, 450.0))])
    u = np.array([draw(st.floats(-400.0, 400.0)), draw(st.floats(-20.0, 20.0)), draw(positive(230.0, 330.0))])
    return DCMotor("m", **parameters), x, u


@given(motor_case())
def test_dc_motor_power_balance(case):
    # Multiply  L di/dt = V - R i - k w  by i  and  J dw/dt = k i - b w - tau_L  by w, and add:
    #   V i = R i² + b w² + tau_L w + d/dt(L i²/2 + J w²/2),
    # i.e. electrical power in = copper loss + viscous loss + mechanical power out + d(magnetic + kinetic energy)/dt.
    # Separately, the electromechanical conversion k w i appears in both (converted power):
    #   V i = R i² + L i di/dt + k w i,   k w i = b w² + tau_L w + J w dw/dt.
    # The heat node stores what the copper loses minus what it rejects: C dT/dt = R i² - (T - T_a)/R_th.
    motor, x, u = case
    v = {p.name: motor.parameter(p.name) for p in DCMotor.PARAMETERS}
    i, w, temperature = x
    voltage, load, ambient = u
    di, dw, dtemperature = motor.derivative(0.0, x, u, motor.parameter_values)
    y = motor.output_values(0.0, x, u, motor.parameter_values)
    resistance = y[4]
    k, inductance, j, b = v["torque_constant"], v["inductance"], v["rotor_inertia"], v["viscous_friction"]
    converted = k * w * i
    copper = resistance * i**2

    def scale(*terms: float) -> float:
        return max(sum(abs(term) for term in terms), 1e-300)

    circuit = [voltage * i, copper, inductance * i * di, converted]
    assert abs(circuit[0] - circuit[1] - circuit[2] - circuit[3]) <= 1e-12 * scale(*circuit)
    rotor = [converted, b * w**2, load * w, j * w * dw]
    assert abs(rotor[0] - rotor[1] - rotor[2] - rotor[3]) <= 1e-12 * scale(*rotor)
    total = [y[5], copper, b * w**2, load * w, inductance * i * di + j * w * dw]
    assert abs(total[0] - sum(total[1:])) <= 1e-12 * scale(*total)
    heat = [v["thermal_capacitance"] * dtemperature, copper, (temperature - ambient) / v["thermal_resistance"]]
    assert abs(heat[0] - heat[1] + heat[2]) <= 1e-12 * scale(*heat)
    # electromagnetic torque times speed is the converted power (atol: products of tiny draws are subnormal)
    assert_allclose(y[3] * w, converted, rtol=1e-14, atol=1e-300)


@given(
    st.floats(1e5, 1e9),  # inertance
    st.floats(-30.0, 30.0),  # static head
    st.floats(1e7, 1e12),  # pipe resistance
    st.floats(1e7, 1e12),  # valve resistance
    st.floats(0.05, 1.0),  # valve opening
    st.floats(-0.05, 0.05),  # flow
    st.floats(-1e6, 1e6),  # pressure rise
)
def test_pipe_power_balance(inertance, static_head, pipe_resistance, valve_resistance, opening, flow, pressure_rise):
    # Multiply  I dQ/dt = dp - rho g H_st - K Q|Q|  by Q:
    #   dp Q = rho g H_st Q + K Q²|Q| + d/dt(I Q²/2)   (pump power = lift + friction loss + kinetic energy change),
    # and the valve's share of the loss is the valve pressure drop times the flow.
    pipe = PipeLoop(
        "pipe",
        fluid_inertance=inertance,
        static_head=static_head,
        pipe_resistance=pipe_resistance,
        valve_resistance=valve_resistance,
    )
    x, u = np.array([flow]), np.array([pressure_rise, opening])
    dq = pipe.derivative(0.0, x, u, pipe.parameter_values)[0]
    flow_out, resistance, valve_drop = pipe.output_values(0.0, x, u, pipe.parameter_values)
    lift = pipe.parameter("fluid_density") * GRAVITY * static_head * flow
    loss = resistance * flow**2 * abs(flow)
    terms = [pressure_rise * flow, lift, loss, inertance * flow * dq]
    assert abs(terms[0] - terms[1] - terms[2] - terms[3]) <= 1e-12 * max(sum(abs(t) for t in terms), 1e-300)
    assert loss >= 0.0
    assert_allclose(valve_drop * flow, valve_resistance / opening**2 * flow**2 * abs(flow), rtol=1e-13)
    assert flow_out == flow


@given(st.floats(0.0, 10.0), st.floats(0.0, 1000.0), st.floats(0.0, 1e5), st.floats(0.0, 5.0), st.floats(1.0, 10.0))
def test_bearing_damage_never_heals(damage, speed, load, growth_exponent, life_exponent):
    # dD/dt = c (n/n_ref) (P/P_ref)^p D^m >= 0 for non-negative speed and load: damage only accumulates
    bearing = BearingDegradation("b", growth_exponent=growth_exponent, life_exponent=life_exponent)
    rate = bearing.derivative(0.0, np.array([damage]), np.array([speed, load]), bearing.parameter_values)[0]
    assert rate >= 0.0
    assert np.isfinite(rate)
