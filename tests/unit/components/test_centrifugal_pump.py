"""CentrifugalPump: the curves through their defining points, the affinity laws, power consistency, parameter checks."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import CentrifugalPump
from physics_twin.errors import ParameterError

GRAVITY = 9.80665  # standard gravity [m/s²] (CGPM 1901), not imported from the module under test
PUMP = CentrifugalPump("p", shutoff_head=32.0, bep_flow=4.0e-3, bep_head=25.0, bep_efficiency=0.62, shutoff_power=400.0)
VALUES = {p.name: PUMP.parameter(p.name) for p in CentrifugalPump.PARAMETERS}
RATED = VALUES["rated_speed"]
RHO_G = VALUES["fluid_density"] * GRAVITY
OUT = {o.name: k for k, o in enumerate(CentrifugalPump.OUTPUTS)}


def evaluate(speed: float, flow: float) -> dict[str, float]:
    y = PUMP.output_values(0.0, np.empty(0), np.array([speed, flow]), PUMP.parameter_values)
    return {name: float(y[k]) for name, k in OUT.items()}


def test_head_curve_passes_through_shutoff_and_bep_at_rated_speed():
    assert_allclose(evaluate(RATED, 0.0)["pressure_rise"], RHO_G * 32.0, rtol=1e-14)
    assert_allclose(evaluate(RATED, 4.0e-3)["pressure_rise"], RHO_G * 25.0, rtol=1e-14)


def test_efficiency_and_power_at_the_bep():
    # shaft power at the BEP: P_b = rho g H_b Q_b / eta_b, so the efficiency there is eta_b
    bep = evaluate(RATED, 4.0e-3)
    assert_allclose(bep["shaft_power"], RHO_G * 25.0 * 4.0e-3 / 0.62, rtol=1e-14)
    assert_allclose(bep["efficiency"], 0.62, rtol=1e-14)
    assert_allclose(evaluate(RATED, 0.0)["shaft_power"], 400.0, rtol=1e-14)


@pytest.mark.parametrize("flow", [0.0, 1.0e-3, 4.0e-3, 5.5e-3])
@pytest.mark.parametrize("ratio", [0.3, 0.8, 1.0, 1.2])
def test_affinity_laws(ratio, flow):
    # similar operating points: (r w_r, r Q) against (w_r, Q): head x r², shaft power x r³, torque x r²
    rated, scaled = evaluate(RATED, flow), evaluate(ratio * RATED, ratio * flow)
    assert_allclose(scaled["pressure_rise"], ratio**2 * rated["pressure_rise"], rtol=1e-13)
    assert_allclose(scaled["shaft_power"], ratio**3 * rated["shaft_power"], rtol=1e-13)
    assert_allclose(scaled["shaft_torque"], ratio**2 * rated["shaft_torque"], rtol=1e-13)
    assert_allclose(scaled["hydraulic_power"], ratio**3 * rated["hydraulic_power"], rtol=1e-13, atol=1e-12)
    assert_allclose(scaled["efficiency"], rated["efficiency"], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("speed", [10.0, 150.0, RATED, 1.3 * RATED])
def test_torque_times_speed_is_shaft_power_and_efficiency_is_their_ratio(speed):
    for flow in np.linspace(0.0, 6.0e-3, 7):
        y = evaluate(speed, flow)
        assert_allclose(y["shaft_torque"] * speed, y["shaft_power"], rtol=1e-13)
        assert_allclose(y["hydraulic_power"], y["pressure_rise"] * flow, rtol=1e-14)
        assert_allclose(y["efficiency"], y["hydraulic_power"] / y["shaft_power"], rtol=1e-14)


def test_standstill_has_no_torque_and_no_division_by_zero():
    y = evaluate(0.0, 0.0)
    assert y == {"pressure_rise": 0.0, "shaft_torque": 0.0, "shaft_power": 0.0, "hydraulic_power": 0.0, "efficiency": 0.0}


def test_head_falls_monotonically_with_forward_flow():
    flows = np.linspace(0.0, 1.5 * 4.0e-3, 301)
    for speed in (0.5 * RATED, RATED):
        heads = np.array([evaluate(speed, q)["pressure_rise"] for q in flows])
        assert np.all(np.diff(heads) < 0.0)
        # H(Q) = H0 r² - a Q², a = (H0 - H_b)/Q_b²
        ratio = speed / RATED
        assert_allclose(heads / RHO_G, 32.0 * ratio**2 - (32.0 - 25.0) / 4.0e-3**2 * flows**2, rtol=1e-12, atol=1e-12)


def test_pump_has_no_states():
    assert CentrifugalPump.STATES == ()
    assert PUMP.derivative(0.0, np.empty(0), np.array([RATED, 1e-3]), PUMP.parameter_values).shape == (0,)


def test_cross_parameter_checks_are_listed_together():
    # BEP power with these values: 998.2 * 9.80665 * 15 * 2e-3 / 0.5 = 587.3 W
    bep_power = 998.2 * GRAVITY * 15.0 * 2.0e-3 / 0.5
    with pytest.raises(ParameterError) as info:
        CentrifugalPump("p", shutoff_head=15.0, bep_head=15.0, shutoff_power=600.0)
    message = str(info.value)
    assert message.startswith("invalid parameters for component 'p' (CentrifugalPump):")
    assert "`bep_head` must be below `shutoff_head` (a stable, falling head curve); got 15.0 m >= 15.0 m." in message
    assert f"`shutoff_power` must be below the BEP shaft power {bep_power:.6g} W" in message
    assert "got 600.0 W." in message


def test_single_value_problems_come_before_cross_checks():
    with pytest.raises(ParameterError, match=r"`bep_efficiency` must be within \[0\.001, 1\] 1; got 1\.5\."):
        CentrifugalPump("p", bep_efficiency=1.5)


def test_curves_that_create_energy_are_rejected():
    # H0 = 20, H_b = 10, eta_b = 0.9, P0 = 0: near zero flow eta -> rho g H0 Q_b / P_b = eta_b H0 / H_b = 1.8
    with pytest.raises(ParameterError, match=r"the curves give an efficiency of 1\.8 > 1 at 0 m\^3/s .*got 0\.0 W\) or lower"):
        CentrifugalPump("p", shutoff_head=20.0, bep_head=10.0, bep_efficiency=0.9, shutoff_power=0.0)


def test_the_bep_is_the_efficiency_peak_for_the_shutoff_power_the_message_names():
    # d eta/dQ = 0 at Q_b when P0 = 2 P_b (H0 - H_b) / H_b (differentiate eta = rho g (H0 - a Q²) Q / (P0 + c Q)).
    # H0 = 20, H_b = 16, eta_b = 0.95: P_b = rho g 16 Q_b / 0.95, P0* = 0.5 P_b; with P0 = 0 the peak is 1.19 > 1.
    bep_power = 998.2 * GRAVITY * 16.0 * 2.0e-3 / 0.95
    peak_at_bep = 2.0 * bep_power * (20.0 - 16.0) / 16.0
    with pytest.raises(ParameterError, match=rf"the BEP is the efficiency peak at {peak_at_bep:.6g} W"):
        CentrifugalPump("p", shutoff_head=20.0, bep_head=16.0, bep_efficiency=0.95, shutoff_power=0.0)
    pump = CentrifugalPump("p", shutoff_head=20.0, bep_head=16.0, bep_efficiency=0.95, shutoff_power=peak_at_bep)
    flows = np.linspace(1e-6, 3e-3, 3000)
    efficiency = np.array([pump.output_values(0.0, np.empty(0), np.array([RATED, q]), pump.parameter_values)[4] for q in flows])
    assert flows[int(np.argmax(efficiency))] == pytest.approx(2.0e-3, abs=1e-6)
    assert efficiency.max() == pytest.approx(0.95, rel=1e-6)
