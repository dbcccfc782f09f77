"""Pipes, valves and tanks against Hagen–Poiseuille, Colebrook–White, the IEC 60534 Kv definition and mass balance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from physics_twin.components.hydraulics import GRAVITY, Pipe, Tank, Valve, darcy_friction_factor
from physics_twin.errors import ParameterError


def colebrook(reynolds: float, relative_roughness: float) -> float:
    # 1/sqrt(f) = -2 log10(eps/(3.7 D) + 2.51/(Re sqrt(f))), solved for f
    def residual(f: float) -> float:
        return 1.0 / math.sqrt(f) + 2.0 * math.log10(relative_roughness / 3.7 + 2.51 / (reynolds * math.sqrt(f)))

    return brentq(residual, 1e-4, 1.0, xtol=1e-14)


@pytest.mark.parametrize("relative_roughness", [1e-6, 1e-4, 1e-3, 1e-2])
@pytest.mark.parametrize("reynolds", [5e3, 1e4, 1e5, 1e6, 1e8])
def test_swamee_jain_is_close_to_colebrook(reynolds, relative_roughness):
    # the explicit form deviates most at low Re and high roughness (2.8 % at Re = 5000, eps/D = 0.01)
    tolerance = 0.012 if reynolds >= 1e4 and relative_roughness <= 1e-3 else 0.03
    assert darcy_friction_factor(reynolds, relative_roughness) == pytest.approx(
        colebrook(reynolds, relative_roughness), rel=tolerance
    )


def test_friction_factor_is_laminar_below_2000_and_continuous_through_the_transition():
    assert darcy_friction_factor(1000.0, 1e-4) == pytest.approx(0.064, rel=1e-15)
    for edge in (2000.0, 4000.0):
        below = darcy_friction_factor(edge * (1 - 1e-9), 1e-4)
        above = darcy_friction_factor(edge * (1 + 1e-9), 1e-4)
        assert above == pytest.approx(below, rel=1e-6)


def test_laminar_pipe_settles_at_the_hagen_poiseuille_flow():
    # Q = pi D^4 dp / (128 mu L) for a viscous oil (Re ~ 1), no minor losses
    pipe = Pipe("oil", length=10.0, diameter=0.01, minor_loss_coefficient=0.0, fluid_density=900.0, dynamic_viscosity=0.5)
    result = pipe.simulate([0.0, 0.5], inputs={"inlet_pressure": 2e5, "outlet_pressure": 1e5}, rtol=1e-10, atol=1e-16)
    expected = math.pi * 0.01**4 * 1e5 / (128 * 0.5 * 10.0)
    assert_allclose(result["flow_rate"].values[-1], expected, rtol=1e-8)
    assert result["reynolds_number"].values[-1] < 2000.0


def test_turbulent_pipe_settles_where_friction_and_lift_balance_the_pressure():
    pipe = Pipe("water", elevation_rise=3.0)
    result = pipe.simulate([0.0, 60.0], inputs={"inlet_pressure": 3e5, "outlet_pressure": 1e5}, rtol=1e-10, atol=1e-14)
    flow = result["flow_rate"].values[-1]
    v = flow / (math.pi * 0.04**2 / 4)
    reynolds = 998.2 * v * 0.04 / 1.002e-3
    friction = (darcy_friction_factor(reynolds, 4.5e-5 / 0.04) * 10.0 / 0.04 + 2.0) * 0.5 * 998.2 * v * v
    assert friction + 998.2 * GRAVITY * 3.0 == pytest.approx(2e5, rel=1e-7)


def test_fluid_inertia_sets_the_initial_acceleration():
    pipe = Pipe("p")
    dq = Pipe.derivative(0.0, np.zeros(1), np.array([2e5, 1e5]), pipe.parameter_values)[0]
    area = math.pi * 0.04**2 / 4
    assert dq == pytest.approx(1e5 * area / (998.2 * 10.0), rel=1e-14)


def test_valve_flow_coefficient_definition_and_characteristics():
    kv = 10.0 / 3600.0
    linear = Valve("v", fluid_density=1000.0)
    # Kv is the flow of water at a 1 bar drop through the open valve
    y = Valve.output_values(0.0, np.empty(0), np.array([kv, 1.0, 2e5]), linear.parameter_values)
    assert y[1] == pytest.approx(1e5, rel=1e-14) and y[0] == pytest.approx(3e5, rel=1e-14)
    # linear: half open passes half the flow at the same drop -> 4x the drop at the same flow
    assert Valve.output_values(0.0, np.empty(0), np.array([kv, 0.5, 0.0]), linear.parameter_values)[1] == pytest.approx(
        4e5, rel=1e-14
    )
    # equal percentage: phi = R^(s-1); reverse flow gives a negative drop
    percent = Valve("e", equal_percentage=1.0, rangeability=50.0)
    y = Valve.output_values(0.0, np.empty(0), np.array([-kv, 0.5, 0.0]), percent.parameter_values)
    assert y[2] == pytest.approx(50.0**-0.5, rel=1e-14)
    assert y[1] == pytest.approx(-1e5 * 998.2 / 1000.0 / 50.0**-1.0, rel=1e-12)
    with pytest.raises(ParameterError, match=r"`equal_percentage` must be 0 or 1; got 0\.5"):
        Valve("v", equal_percentage=0.5)


def test_tank_level_integrates_the_net_inflow_and_gives_hydrostatic_pressure():
    tank = Tank("t", cross_section=2.0)
    result = tank.simulate([0.0, 100.0], inputs={"inflow_rate": 0.03, "outflow_rate": 0.01, "surface_pressure": 1e5})
    assert result["level"].values[-1] == pytest.approx(1.0 + 0.02 * 100.0 / 2.0, rel=1e-9)
    assert result["bottom_pressure"].values[-1] == pytest.approx(1e5 + 998.2 * GRAVITY * 2.0, rel=1e-9)
    assert result["volume"].values[-1] == pytest.approx(4.0, rel=1e-9)


def test_pipe_roughness_must_be_below_the_diameter():
    with pytest.raises(ParameterError, match="`roughness` must be below `diameter`"):
        Pipe("p", roughness=0.05, diameter=0.04)
