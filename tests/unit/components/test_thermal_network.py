"""MotorThermalNetwork against the matrix exponential, the chain's closed-form steady state, and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm

from physics_twin.components import MotorThermalNetwork
from physics_twin.components.thermal_network import thermal_steady_state
from physics_twin.errors import ParameterError

TIGHT = {"rtol": 1e-10, "atol": 1e-10}
NAMES = (
    "winding_thermal_capacitance",
    "iron_thermal_capacitance",
    "housing_thermal_capacitance",
    "winding_iron_thermal_resistance",
    "iron_housing_thermal_resistance",
    "housing_ambient_thermal_resistance",
)


def network_matrices(network: MotorThermalNetwork) -> tuple[np.ndarray, np.ndarray]:
    # Written out from the node balances C dT/dt = Q + sum of (T_neighbour - T)/R:
    #   A = C^-1 [[-g1, g1, 0], [g1, -g1-g2, g2], [0, g2, -g2-g3]],   B = C^-1 [[1,0,0,0], [0,1,0,0], [0,0,1,g3]]
    # acting on the inputs (Q_w, Q_i, Q_h, T_a), with g = 1/R.
    c_w, c_i, c_h, r_wi, r_ih, r_ha = (network.parameter(n) for n in NAMES)
    g1, g2, g3 = 1 / r_wi, 1 / r_ih, 1 / r_ha
    capacitance = np.diag([1 / c_w, 1 / c_i, 1 / c_h])
    a = capacitance @ np.array([[-g1, g1, 0.0], [g1, -g1 - g2, g2], [0.0, g2, -g2 - g3]])
    b = capacitance @ np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, g3]])
    return a, b


def test_step_response_matches_the_matrix_exponential():
    # Linear time-invariant: T(t) = e^{At} T0 + A^{-1}(e^{At} - I) B u for constant u.
    network = MotorThermalNetwork("thermal")
    a, b = network_matrices(network)
    u = np.array([250.0, 120.0, 30.0, 300.0])
    x0 = np.array([293.15, 293.15, 293.15])
    times = np.linspace(0.0, 7200.0, 25)
    expected = np.array([expm(a * t) @ x0 + np.linalg.solve(a, (expm(a * t) - np.eye(3)) @ (b @ u)) for t in times])
    inputs = dict(zip(("winding_loss", "iron_loss", "housing_loss", "ambient_temperature"), u, strict=True))
    result = network.simulate(times, inputs=inputs, method="Radau", **TIGHT)
    for column, name in enumerate(("winding_temperature", "iron_temperature", "housing_temperature")):
        assert_allclose(result[name].values, expected[:, column], rtol=1e-8)


def test_steady_state_is_the_chain_closed_form():
    # T_h = T_a + R_ha (Qw+Qi+Qh) = 300 + 0.15*400 = 360; T_i = T_h + R_ih (Qw+Qi) = 360 + 0.02*370 = 367.4;
    # T_w = T_i + R_wi Qw = 367.4 + 0.05*250 = 379.9  (the defaults: R_wi 0.05, R_ih 0.02, R_ha 0.15 K/W)
    network = MotorThermalNetwork("thermal")
    assert_allclose(thermal_steady_state(250.0, 120.0, 30.0, 300.0, 0.05, 0.02, 0.15), (379.9, 367.4, 360.0), rtol=1e-14)
    x = np.array([379.9, 367.4, 360.0])
    u = np.array([250.0, 120.0, 30.0, 300.0])
    assert_allclose(network.derivative(0.0, x, u, network.parameter_values), 0.0, atol=1e-12)
    # all heat leaves through the housing: heat_to_ambient = Qw + Qi + Qh = 400 W
    assert_allclose(network.output_values(0.0, x, u, network.parameter_values)[3], 400.0, rtol=1e-13)


def test_simulated_steady_state_reached_after_many_time_constants():
    network = MotorThermalNetwork(
        "thermal", winding_thermal_capacitance=10.0, iron_thermal_capacitance=20.0, housing_thermal_capacitance=30.0
    )
    a, _ = network_matrices(network)
    slowest = 1.0 / np.min(np.abs(np.linalg.eigvals(a)))
    result = network.simulate(
        [0.0, 40 * slowest], inputs={"winding_loss": 100.0, "ambient_temperature": 280.0}, method="BDF", **TIGHT
    )
    expected = thermal_steady_state(100.0, 0.0, 0.0, 280.0, 0.05, 0.02, 0.15)
    got = [result[n].values[-1] for n in ("winding_temperature", "iron_temperature", "housing_temperature")]
    assert_allclose(got, expected, rtol=1e-9)


def test_bad_parameters_are_listed_together():
    with pytest.raises(
        ParameterError,
        match=r"(?s)`winding_thermal_capacitance` must be within \(0, inf\] J/K; got -1\.0.*"
        r"`housing_ambient_thermal_resistance` must be finite \[K/W\]; got nan",
    ):
        MotorThermalNetwork("thermal", winding_thermal_capacitance=-1.0, housing_ambient_thermal_resistance=float("nan"))
    with pytest.raises(
        ParameterError, match=r"unknown parameter 'winding_capacitance'.*Did you mean 'winding_thermal_capacitance'"
    ):
        MotorThermalNetwork("thermal", winding_capacitance=100.0)
