"""Pump curve invariants (Hypothesis): monotone head, power and NPSH3; wear never helps; affinity laws."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from physics_twin.components.centrifugal_pump import GRAVITY, CentrifugalPump
from physics_twin.components.daigle_goebel_pump import DaigleGoebelPump
from physics_twin.components.wearing_centrifugal_pump import WearingCentrifugalPump

RATED = 2900 * 2 * math.pi / 60
speeds = st.floats(0.2 * RATED, 1.2 * RATED)
flows = st.floats(0.0, 3.0e-3)
conditions = st.tuples(st.floats(0.6, 1.0), st.floats(0.0, 1e-5), st.floats(0.0, 1e-3))
CURVE = CentrifugalPump("curve")
WEARING = WearingCentrifugalPump("wearing")


def curve(speed: float, flow: float) -> np.ndarray:
    return CURVE.output_values(0.0, np.empty(0), np.array([speed, flow]), CURVE.parameter_values)


def wearing(state, speed: float, flow: float, suction: float = 1e5) -> np.ndarray:
    return WEARING.output_values(0.0, np.asarray(state, float), np.array([speed, flow, suction]), WEARING.parameter_values)


@given(speeds, flows, flows)
def test_head_falls_and_power_rises_with_flow(speed, q1, q2):
    low, high = sorted((q1, q2))
    a, b = curve(speed, low), curve(speed, high)
    assert b[0] <= a[0]  # pressure rise
    assert b[2] >= a[2]  # shaft power


@given(speeds, flows, flows, conditions)
def test_worn_pump_curves_stay_monotone(speed, q1, q2, state):
    low, high = sorted((q1, q2))
    a, b = wearing(state, speed, low), wearing(state, speed, high)
    assert b[0] <= a[0] + 1e-12 * abs(a[0]) + 1e-9
    assert b[8] >= a[8]  # NPSH3 rises with flow
    assert b[7] >= a[7]  # NPSH available: the velocity head rises with flow


@given(speeds, flows, conditions, st.floats(0.0, 0.3), st.floats(0.0, 5e-6))
def test_more_wear_never_raises_the_head_of_a_pumping_pump(speed, flow, state, impeller_loss, more_gap):
    worn = (state[0] * (1.0 - impeller_loss), state[1] + more_gap, state[2])
    reference = wearing(state, speed, flow)[0]
    assume(reference > 0.0)  # pumping; in the braking regime (H < 0) a wider gap relieves the pressure instead
    assert wearing(worn, speed, flow)[0] <= reference + 1e-12 * abs(reference) + 1e-9


@given(st.floats(0.3, 1.0), st.floats(0.0, 2.5e-3))
def test_affinity_laws(ratio, flow):
    # H(rQ, r w) = r² H(Q, w), P(rQ, r w) = r³ P(Q, w); NPSH3(rQ, r w) = r² NPSH3(Q, w)
    full = curve(RATED, flow)
    scaled = curve(ratio * RATED, ratio * flow)
    assert math.isclose(scaled[0], ratio**2 * full[0], rel_tol=1e-10, abs_tol=1e-6)
    assert math.isclose(scaled[2], ratio**3 * full[2], rel_tol=1e-10, abs_tol=1e-6)
    new = (1.0, 0.0, 0.0)
    assert math.isclose(wearing(new, ratio * RATED, ratio * flow)[8], ratio**2 * wearing(new, RATED, flow)[8], rel_tol=1e-10)


@given(speeds, flows)
def test_power_balance_efficiency_below_one(speed, flow):
    y = curve(speed, flow)
    assert y[3] <= y[2] * (1 + 1e-12)
    assert math.isclose(y[3], y[0] * flow, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(
        y[0], 998.2 * GRAVITY * (20.0 * (speed / RATED) ** 2 - 5.0 / 2e-3**2 * flow**2), rel_tol=1e-9, abs_tol=1e-6
    )


@given(st.floats(-2e6, 2e6), st.floats(-2e6, 2e6))
def test_daigle_goebel_flow_target_rises_with_the_pressure_difference(dp1, dp2):
    # dQ/dt at Q = 0 is c sqrt|dp| sign(dp) / tau: monotone in the suction pressure (dp = pp + ps - pd)
    pump = DaigleGoebelPump("p")
    x = np.array([s.start for s in DaigleGoebelPump.STATES])
    x[0], x[1] = 0.0, 0.0  # no impeller pressure: dp = ps - pd
    low, high = sorted((dp1, dp2))
    u_low = np.array([290.0, 0.0, 1e6, 1e6 + low, 376.99])
    u_high = np.array([290.0, 0.0, 1e6, 1e6 + high, 376.99])
    p = pump.parameter_values
    assert DaigleGoebelPump.derivative(0.0, x, u_high, p)[1] >= DaigleGoebelPump.derivative(0.0, x, u_low, p)[1]
