"""Wearing centrifugal pump: reduces to CentrifugalPump when new, NPSH margin, wear-ring leak, wear laws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components.centrifugal_pump import GRAVITY, CentrifugalPump
from physics_twin.components.wearing_centrifugal_pump import WearingCentrifugalPump
from physics_twin.errors import ParameterError

NEW = np.array([1.0, 0.0, 0.0])  # impeller condition 1, no leak gap, no bearing friction
RATED = 2900 * 2 * math.pi / 60


def test_a_new_pump_without_leak_and_friction_is_the_curve_pump():
    pump, curve = WearingCentrifugalPump("w"), CentrifugalPump("c")
    for speed, flow in [(RATED, 0.0), (RATED, 1.5e-3), (0.8 * RATED, 2.5e-3), (RATED, -1e-3), (0.0, 0.0)]:
        y = pump.output_values(0.0, NEW, np.array([speed, flow, 1e5]), pump.parameter_values)
        reference = curve.output_values(0.0, np.empty(0), np.array([speed, flow]), curve.parameter_values)
        assert_allclose(y[[0, 2, 3, 4, 5]], reference, rtol=1e-14, atol=1e-12)
        assert y[1] == pytest.approx(1e5 + reference[0], rel=1e-14)


def test_npsh_available_and_required_and_the_margin():
    pump = WearingCentrifugalPump("w")
    p = pump.parameter_values
    density, area = 998.2, 1.26e-3
    flow, suction = 2.0e-3, 50000.0
    y = pump.output_values(0.0, NEW, np.array([0.9 * RATED, flow, suction]), p)
    # NPSHa = (ps - pv)/(rho g) + v²/(2g), v = Q/A
    available = (suction - 2339.0) / (density * GRAVITY) + (flow / area) ** 2 / (2 * GRAVITY)
    # NPSH3 = r² (N0 + (Nb - N0) (Q/(r Qb))²) with r = 0.9, N0 = 1 m, Nb = 2.5 m, Qb = 2e-3 m³/s
    required = 0.81 * (1.0 + 1.5 * (flow / (0.9 * 2.0e-3)) ** 2)
    assert y[7] == pytest.approx(available, rel=1e-13)
    assert y[8] == pytest.approx(required, rel=1e-13)
    assert y[9] == pytest.approx(available - required, rel=1e-12)
    # a suction pressure near the vapour pressure leaves no margin: cavitation
    assert pump.output_values(0.0, NEW, np.array([RATED, flow, 10000.0]), p)[9] < 0.0


def test_wear_ring_leak_satisfies_the_orifice_law_at_the_pump_head():
    pump = WearingCentrifugalPump("w")
    p = pump.parameter_values
    area = 5e-6
    y = pump.output_values(0.0, np.array([1.0, area, 0.0]), np.array([RATED, 1.5e-3, 1e5]), p)
    head = y[0] / (998.2 * GRAVITY)
    leak = y[6]
    # Q_l = C_d A_l sqrt(2 g H), and the head is the curve's head at the impeller flow Q + Q_l
    assert leak == pytest.approx(0.6 * area * math.sqrt(2 * GRAVITY * head), rel=1e-12)
    a = (20.0 - 15.0) / 2.0e-3**2
    assert head == pytest.approx(20.0 - a * (1.5e-3 + leak) ** 2, rel=1e-12)
    # leakage costs head and efficiency at the same delivered flow
    new = pump.output_values(0.0, NEW, np.array([RATED, 1.5e-3, 1e5]), p)
    assert y[0] < new[0] and y[5] < new[5]


def test_wear_laws_have_their_closed_forms_at_constant_operation():
    # dk/dt = -w_k Q_i² (Q_i constant when the leak is zero and k only changes H0) -> linear in t;
    # dr/dt = w_b r w² -> r0 exp(w_b w² t)
    pump = WearingCentrifugalPump("w", impeller_wear_rate=1e-2, bearing_wear_rate=1e-9)
    flow, t_end = 1.5e-3, 3600.0
    result = pump.simulate(
        [0.0, t_end], x0={"leak_area": 0.0}, inputs={"shaft_speed": RATED, "flow_rate": flow}, rtol=1e-11, atol=1e-15
    )
    assert_allclose(result["impeller_condition"].values[-1], 1.0 - 1e-2 * flow**2 * t_end, rtol=1e-12)
    assert_allclose(result["bearing_friction"].values[-1], 1e-4 * math.exp(1e-9 * RATED**2 * t_end), rtol=1e-8)
    # a worn impeller gives less pressure rise at the same flow
    assert result["pressure_rise"].values[-1] < result["pressure_rise"].values[0]


def test_the_leak_gap_erodes_with_the_leak_flow():
    pump = WearingCentrifugalPump("w", leak_wear_rate=1e3)
    result = pump.simulate(np.linspace(0.0, 3600.0, 5), inputs={"shaft_speed": RATED, "flow_rate": 1.5e-3})
    assert np.all(np.diff(result["leak_area"].values) > 0)
    assert np.all(np.diff(result["leak_flow"].values) > 0)


def test_parameter_problems_are_listed_together():
    with pytest.raises(ParameterError, match=r"(?s)`bep_head` must be below `shutoff_head`.*`npsh_required_bep` must be >="):
        WearingCentrifugalPump("w", bep_head=25.0, npsh_required_bep=0.5)
