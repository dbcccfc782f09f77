"""CentrifugalPump invariants over random valid pumps: falling head, rising power, efficiency never above 1."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from physics_twin.components import CentrifugalPump
from physics_twin.errors import ParameterError

GRAVITY = 9.80665  # standard gravity [m/s²]


@st.composite
def pump_values(draw) -> dict[str, float]:
    """Pump data of a plausible shape; shut-off power is drawn as a fraction of the BEP power so it stays below it."""
    shutoff_head = draw(st.floats(2.0, 200.0))
    bep_head = shutoff_head * draw(st.floats(0.3, 0.97))
    bep_flow = draw(st.floats(1e-4, 0.5))
    bep_efficiency = draw(st.floats(0.1, 0.92))
    density = draw(st.floats(600.0, 1600.0))
    bep_power = density * GRAVITY * bep_head * bep_flow / bep_efficiency
    return {
        "rated_speed": draw(st.floats(30.0, 800.0)),
        "shutoff_head": shutoff_head,
        "bep_flow": bep_flow,
        "bep_head": bep_head,
        "bep_efficiency": bep_efficiency,
        "shutoff_power": bep_power * draw(st.floats(0.0, 0.98)),
        "fluid_density": density,
    }


def outputs(pump: CentrifugalPump, speed: float, flows: np.ndarray) -> np.ndarray:
    return np.array([pump.output_values(0.0, np.empty(0), np.array([speed, q]), pump.parameter_values) for q in flows])


def sampled_peak_efficiency(values: dict[str, float]) -> float:
    """Efficiency on a dense grid of forward flows up to zero head, from the docstring's formulas (not the kernel)."""
    h0, hb, qb, p0 = values["shutoff_head"], values["bep_head"], values["bep_flow"], values["shutoff_power"]
    rho_g = values["fluid_density"] * GRAVITY
    bep_power = rho_g * hb * qb / values["bep_efficiency"]
    s = np.concatenate([np.geomspace(1e-9, 1e-2, 200), np.linspace(1e-2, math.sqrt(h0 / (h0 - hb)), 20_000)])
    eta = rho_g * (h0 - (h0 - hb) * s**2) * s * qb / (p0 + (bep_power - p0) * s)
    return float(eta.max())


@given(pump_values())
def test_the_constructor_rejects_exactly_the_pumps_that_create_energy(values):
    peak = sampled_peak_efficiency(values)
    assume(abs(peak - 1.0) > 1e-6)  # the grid cannot decide the knife edge
    if peak > 1.0:
        try:
            CentrifugalPump("p", **values)
        except ParameterError as error:
            assert "efficiency of" in str(error)
        else:
            raise AssertionError(f"accepted a pump with peak efficiency {peak}")
    else:
        CentrifugalPump("p", **values)


@given(pump_values(), st.floats(0.05, 1.5))
def test_accepted_pumps_have_falling_head_rising_power_and_efficiency_at_most_one(values, speed_ratio):
    try:
        pump = CentrifugalPump("p", **values)
    except ParameterError:
        assume(False)
    speed = speed_ratio * values["rated_speed"]
    flows = np.linspace(0.0, 1.5 * speed_ratio * values["bep_flow"], 200)
    y = outputs(pump, speed, flows)
    head, torque, power, hydraulic, efficiency = y.T
    assert np.all(np.diff(head) < 0.0)
    assert np.all(np.diff(power) > 0.0)
    assert torque[0] >= 0.0  # zero when the shut-off power is zero
    assert np.all(torque[1:] > 0.0)
    assert np.all(efficiency <= 1.0 + 1e-12)
    assert np.all(hydraulic[1:] <= power[1:] * (1.0 + 1e-12))
    assert_allclose(torque * speed, power, rtol=1e-12)


@given(pump_values(), st.floats(0.05, 2.0), st.floats(0.0, 1.5))
def test_affinity_laws_hold_for_any_pump(values, ratio, flow_fraction):
    try:
        pump = CentrifugalPump("p", **values)
    except ParameterError:
        assume(False)
    rated, flow = values["rated_speed"], flow_fraction * values["bep_flow"]
    base = outputs(pump, rated, np.array([flow]))[0]
    scaled = outputs(pump, ratio * rated, np.array([ratio * flow]))[0]
    assert_allclose(scaled[:3], base[:3] * np.array([ratio**2, ratio**2, ratio**3]), rtol=1e-11)
