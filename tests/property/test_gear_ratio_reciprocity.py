"""Gearbox invariants: gear-ratio reciprocity in steady state (w_out = w_in / i, T_out = i eta T_in), driving and
back-driven, and the power balance at arbitrary states."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from physics_twin.components import Gearbox


def real(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def signed(low: float, high: float) -> st.SearchStrategy[float]:
    return st.tuples(st.sampled_from([-1.0, 1.0]), real(low, high)).map(lambda pair: pair[0] * pair[1])


@st.composite
def stage(draw):
    return {
        "gear_ratio": draw(real(0.2, 50.0)),
        "forward_mesh_loss": draw(real(0.0, 0.2)),
        "backward_mesh_loss": draw(real(0.0, 0.4)),
        "reference_speed": draw(real(10.0, 500.0)),
        "loss_speed_exponent": draw(real(0.0, 0.5)),
        "bearing_drag_torque": draw(real(0.0, 1.0)),
        "bearing_viscous_coefficient": draw(real(0.0, 1e-2)),
        "torsional_stiffness": draw(real(1e3, 1e6)),
        "torsional_damping": draw(real(0.0, 50.0)),
        "backlash": draw(real(0.0, 1e-2)),
        "output_inertia": draw(real(1e-3, 1.0)),
    }


def independent_efficiency(parameters: dict[str, float], input_speed: float, driving: bool) -> float:
    # the documented law: lambda = lambda_ref (w_ref / max(|w|, 1e-3 w_ref))^a, capped at 0.95
    reference = parameters["reference_speed"]
    factor = (reference / max(abs(input_speed), 1e-3 * reference)) ** parameters["loss_speed_exponent"]
    loss = (parameters["forward_mesh_loss"] if driving else parameters["backward_mesh_loss"]) * factor
    return 1.0 - min(loss, 0.95)


def bearing_torque(parameters: dict[str, float], input_speed: float) -> float:
    return (
        parameters["bearing_drag_torque"] * math.tanh(input_speed / 0.1) + parameters["bearing_viscous_coefficient"] * input_speed
    )


@given(stage(), signed(1.0, 500.0), signed(0.1, 500.0))
def test_reciprocity_at_the_steady_state(parameters, input_speed, load):
    # Steady state: no relative motion (w_out = w_in / i) and no acceleration (shaft torque = load), so the twist is
    # load / k beyond the half clearance on the loaded side.  Then T_out = i eta (T_in - T_bearing) when the input
    # drives (load * w >= 0) and T_in - T_bearing = T_out eta_b / i when the load drives the input.
    gearbox = Gearbox("g", **parameters)
    ratio = parameters["gear_ratio"]
    twist = load / parameters["torsional_stiffness"] + math.copysign(0.5 * parameters["backlash"], load)
    x = np.array([twist, input_speed / ratio, 0.0])
    u = np.array([input_speed, load])
    dx = gearbox.derivative(0.0, x, u, gearbox.parameter_values)
    assert_allclose(dx[:2], 0.0, atol=1e-9 * max(1.0, abs(load)))
    y = dict(zip([o.name for o in Gearbox.OUTPUTS], gearbox.output_values(0.0, x, u, gearbox.parameter_values), strict=True))
    assert_allclose(y["output_speed"], input_speed / ratio, rtol=1e-14)
    assert_allclose(y["shaft_torque"], load, rtol=1e-9)
    driving = load * input_speed >= 0.0
    eta = independent_efficiency(parameters, input_speed, driving)
    mesh_input_torque = y["input_torque"] - bearing_torque(parameters, input_speed)
    if driving:
        assert_allclose(load, ratio * eta * mesh_input_torque, rtol=1e-9)
    else:
        assert_allclose(mesh_input_torque, load * eta / ratio, rtol=1e-9)
    assert_allclose(y["mesh_efficiency"], eta, rtol=1e-14)
    assert y["power_loss"] >= -1e-12 * abs(load * input_speed)


@settings(max_examples=12)
@given(real(1.0, 20.0), signed(20.0, 300.0), signed(1.0, 200.0), real(0.3, 2.0))
def test_reciprocity_reached_by_simulation(ratio, input_speed, load, damping_ratio):
    # From rest on the output side with a constant input speed and load, the stage must settle at w_out = w_in / i
    # and T_out = i eta T_in (bearing drag off).  Shaft: k = 1e4 N m/rad, J = 0.01 kg m² -> w_n = 1000 rad/s;
    # with zeta >= 0.3 the transient decays as exp(-zeta w_n t), below 1e-12 in 0.1 s; 0.5 s is ample.
    k, j = 1e4, 0.01
    parameters = {
        "gear_ratio": ratio,
        "forward_mesh_loss": 0.02,
        "backward_mesh_loss": 0.04,
        "bearing_drag_torque": 0.0,
        "bearing_viscous_coefficient": 0.0,
        "torsional_stiffness": k,
        "output_inertia": j,
        "torsional_damping": 2 * damping_ratio * math.sqrt(k * j),
        "reference_speed": abs(input_speed),
    }
    gearbox = Gearbox("g", **parameters)
    result = gearbox.simulate(
        [0.0, 0.5], inputs={"input_speed": input_speed, "load_torque": load}, method="LSODA", rtol=1e-10, atol=1e-10
    )
    last = result.isel(time=-1)
    assert_allclose(float(last["output_speed"]), input_speed / ratio, rtol=1e-7)
    eta = 0.98 if load * input_speed > 0 else 0.96
    if load * input_speed > 0:
        assert_allclose(load, ratio * eta * float(last["input_torque"]), rtol=1e-7)
    else:
        assert_allclose(float(last["input_torque"]), load * eta / ratio, rtol=1e-7)


@given(stage(), real(-0.02, 0.02), signed(0.0, 300.0), signed(0.0, 500.0), signed(0.0, 300.0))
def test_power_balance_at_arbitrary_states(parameters, twist, output_speed, input_speed, load):
    # T_in w_in = T_L w_out + P_loss + d/dt(J w_out²/2 + k delta²/2), with d/dt(k delta²/2) = k delta d(twist)/dt
    # (delta = twist beyond the half clearance, 0 inside it).
    gearbox = Gearbox("g", **parameters)
    x = np.array([twist, output_speed, 0.0])
    u = np.array([input_speed, load])
    dx = gearbox.derivative(0.0, x, u, gearbox.parameter_values)
    y = dict(zip([o.name for o in Gearbox.OUTPUTS], gearbox.output_values(0.0, x, u, gearbox.parameter_values), strict=True))
    half = 0.5 * parameters["backlash"]
    delta = twist - half if twist > half else (twist + half if twist < -half else 0.0)
    terms = [
        load * output_speed,
        y["power_loss"],
        parameters["output_inertia"] * output_speed * dx[1],
        parameters["torsional_stiffness"] * delta * dx[0],
    ]
    power_in = y["input_torque"] * input_speed
    assert abs(power_in - sum(terms)) <= 1e-9 * max(abs(power_in) + sum(abs(t) for t in terms), 1e-300)
    assert y["power_loss"] >= -1e-9 * max(abs(power_in), 1e-300)
