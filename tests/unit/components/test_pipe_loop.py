"""PipeLoop alone and driven by a pump at fixed speed: steady flow, the tanh start-up, valve outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import CentrifugalPump, PipeLoop
from physics_twin.core import System

GRAVITY = 9.80665  # standard gravity [m/s²]
TIGHT = {"rtol": 1e-11, "atol": 1e-14}


def pump_and_pipe(static_head: float) -> tuple[System, CentrifugalPump, PipeLoop]:
    pump, pipe = CentrifugalPump("pump"), PipeLoop("pipe", static_head=static_head)
    system = System(
        "loop",
        [pump, pipe],
        [("pipe.flow_rate", "pump.flow_rate"), ("pump.pressure_rise", "pipe.pressure_rise")],
        inputs={"speed": "pump.shaft_speed", "opening": "pipe.valve_opening"},
    )
    return system, pump, pipe


def curve_constants(pump: CentrifugalPump, pipe: PipeLoop, ratio: float, opening: float) -> tuple[float, float, float]:
    """A = rho g (H0 r² - H_st), B = K + rho g a with K = K_pipe + K_valve / s² and a = (H0 - H_b) / Q_b²; inertance I."""
    rho_g = pipe.parameter("fluid_density") * GRAVITY
    h0, hb, qb = pump.parameter("shutoff_head"), pump.parameter("bep_head"), pump.parameter("bep_flow")
    a = (h0 - hb) / qb**2
    k = pipe.parameter("pipe_resistance") + pipe.parameter("valve_resistance") / opening**2
    return rho_g * (h0 * ratio**2 - pipe.parameter("static_head")), k + rho_g * a, pipe.parameter("fluid_inertance")


@pytest.mark.parametrize(("ratio", "opening", "static_head"), [(1.0, 1.0, 0.0), (0.9, 0.5, 3.0), (0.6, 0.8, 5.0)])
def test_steady_flow_is_the_intersection_of_pump_and_system_curves(ratio, opening, static_head):
    # rho g (H0 r² - a Q²) = rho g H_st + K Q²  ->  Q* = sqrt(rho g (H0 r² - H_st) / (K + rho g a))
    system, pump, pipe = pump_and_pipe(static_head)
    big_a, big_b, inertance = curve_constants(pump, pipe, ratio, opening)
    flow = math.sqrt(big_a / big_b)
    settle = 30.0 * inertance / math.sqrt(big_a * big_b)  # 30 time constants of the linearised loop
    result = system.simulate([0.0, settle], inputs={"speed": ratio * pump.parameter("rated_speed"), "opening": opening}, **TIGHT)
    assert_allclose(result["pipe.flow_rate"].values[-1], flow, rtol=1e-9)
    # at steady state the pump's pressure rise equals the system curve rho g H_st + K Q*²
    k = pipe.parameter("pipe_resistance") + pipe.parameter("valve_resistance") / opening**2
    system_curve = pipe.parameter("fluid_density") * GRAVITY * static_head + k * flow**2
    assert_allclose(result["pump.pressure_rise"].values[-1], system_curve, rtol=1e-9)
    assert_allclose(result["pipe.system_resistance"].values[-1], k, rtol=1e-14)


def test_start_up_from_rest_follows_tanh():
    # For Q >= 0:  I dQ/dt = rho g (H0 r² - a Q²) - rho g H_st - K Q² = A - B Q².
    # Separating variables, dQ / (A - B Q²) = dt / I, and with Q(0) = 0:
    #   artanh(Q sqrt(B/A)) / sqrt(A B) = t / I   ->   Q(t) = sqrt(A/B) tanh(sqrt(A B) t / I).
    # (Check: dQ/dt = sqrt(A/B) sqrt(A B)/I (1 - tanh²) = (A - B Q²)/I.)
    ratio, opening, static_head = 0.9, 0.7, 2.0
    system, pump, pipe = pump_and_pipe(static_head)
    big_a, big_b, inertance = curve_constants(pump, pipe, ratio, opening)
    times = np.linspace(0.0, 4.0 * inertance / math.sqrt(big_a * big_b), 41)
    expected = math.sqrt(big_a / big_b) * np.tanh(math.sqrt(big_a * big_b) * times / inertance)
    result = system.simulate(
        times, inputs={"speed": ratio * pump.parameter("rated_speed"), "opening": opening}, method="Radau", **TIGHT
    )
    assert_allclose(result["pipe.flow_rate"].values, expected, rtol=1e-8, atol=1e-13)


def test_pipe_alone_reverses_when_the_static_head_wins():
    # I dQ/dt = dp - rho g H_st - K Q|Q|: with dp < rho g H_st the steady flow is -sqrt((rho g H_st - dp) / K)
    pipe = PipeLoop("pipe", static_head=10.0)
    rho_g = pipe.parameter("fluid_density") * GRAVITY
    k = pipe.parameter("pipe_resistance") + pipe.parameter("valve_resistance")
    dp = 0.5 * rho_g * 10.0
    result = pipe.simulate([0.0, 200.0], inputs={"pressure_rise": dp}, **TIGHT)
    assert_allclose(result["flow_rate"].values[-1], -math.sqrt((rho_g * 10.0 - dp) / k), rtol=1e-9)


def test_valve_outputs():
    pipe = PipeLoop("pipe")
    k_pipe, k_valve = pipe.parameter("pipe_resistance"), pipe.parameter("valve_resistance")
    flow = 1.2e-3
    y = pipe.output_values(0.0, np.array([flow]), np.array([1.0e5, 0.4]), pipe.parameter_values)
    assert_allclose(y, [flow, k_pipe + k_valve / 0.16, k_valve / 0.16 * flow**2], rtol=1e-14)
    # reverse flow: the valve's pressure drop changes sign with the flow (Q |Q|)
    y = pipe.output_values(0.0, np.array([-flow]), np.array([1.0e5, 0.4]), pipe.parameter_values)
    assert_allclose(y[2], -k_valve / 0.16 * flow**2, rtol=1e-14)


def test_a_closed_valve_keeps_finite_resistance():
    # opening 0 (or below) is treated as 1e-6 open: K = K_pipe + K_valve * 1e12, finite
    pipe = PipeLoop("pipe")
    y = pipe.output_values(0.0, np.array([0.0]), np.array([0.0, 0.0]), pipe.parameter_values)
    assert_allclose(y[1], pipe.parameter("pipe_resistance") + pipe.parameter("valve_resistance") * 1e12, rtol=1e-12)
    y_negative = pipe.output_values(0.0, np.array([0.0]), np.array([0.0, -0.5]), pipe.parameter_values)
    assert y_negative[1] == y[1]
