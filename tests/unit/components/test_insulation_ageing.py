"""InsulationAgeing: the halving-interval law at constant and stepped temperature, class temperatures, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import InsulationAgeing
from physics_twin.components.insulation_ageing import CLASS_TEMPERATURES, ageing_factor
from physics_twin.core.simulate import InputTable
from physics_twin.errors import ParameterError

HOUR = 3600.0
RATED_LIFE = 20000.0 * HOUR  # IEC 60216-1: temperature index at 20 000 h


def test_life_at_the_class_temperature_is_the_rated_life():
    # hot spot = winding + 10 K allowance = 155 °C = class F: one hour consumes 1/20000 of the life
    ageing = InsulationAgeing("insulation")
    result = ageing.simulate([0.0, HOUR], inputs={"winding_temperature": 418.15}, rtol=1e-12, atol=1e-16)
    assert_allclose(result["insulation_life_consumed"].values[-1], 1.0 / 20000.0, rtol=1e-10)
    assert_allclose(result["insulation_ageing_factor"].values[-1], 1.0, rtol=1e-14)
    assert_allclose(result["hot_spot_temperature"].values[-1], 428.15, rtol=1e-14)


@pytest.mark.parametrize(("rise", "factor"), [(-20.0, 0.25), (-10.0, 0.5), (0.0, 1.0), (10.0, 2.0), (25.0, 2.0**2.5)])
def test_ten_kelvin_rule(rise, factor):
    # the 10 K rule, HIC = 10 K: each 10 K above the class temperature halves the life, i.e. doubles the rate
    assert_allclose(ageing_factor(428.15 + rise, 428.15, 10.0), factor, rtol=1e-14)


def test_time_to_end_of_life_at_constant_temperature():
    # At a hot spot 20 K above class H (180 °C), with HIC = 8 K: life = 20000 h * 2^(-20/8) = 3535.53 h.
    ageing = InsulationAgeing(
        "insulation",
        insulation_class_temperature=CLASS_TEMPERATURES["H"],
        insulation_halving_interval=8.0,
        hot_spot_allowance=0.0,
    )
    life_hours = 20000.0 * 2.0 ** (-20.0 / 8.0)
    result = ageing.simulate([0.0, life_hours * HOUR], inputs={"winding_temperature": 453.15 + 20.0}, rtol=1e-12, atol=1e-14)
    assert_allclose(result["insulation_life_consumed"].values[-1], 1.0, rtol=1e-9)


def test_stepped_temperature_adds_up_as_miners_rule():
    # Piecewise-constant hot spot: L = sum_k dt_k 2^((T_k - T_c)/HIC) / t_c (exact for a zero-order-hold input)
    ageing = InsulationAgeing("insulation", hot_spot_allowance=5.0)
    times = np.array([0.0, 100.0, 250.0, 400.0]) * HOUR
    windings = np.array([400.0, 440.0, 380.0, 430.0])
    end = 500.0 * HOUR
    durations = np.diff(np.append(times, end))
    expected = np.sum(durations * 2.0 ** ((windings + 5.0 - 428.15) / 10.0)) / RATED_LIFE
    result = ageing.simulate([0.0, end], inputs={"winding_temperature": InputTable(times, windings)}, rtol=1e-12, atol=1e-16)
    assert_allclose(result["insulation_life_consumed"].values[-1], expected, rtol=1e-9)


def test_class_temperatures_follow_iec_60085():
    # IEC 60085:2007 class designations in °C
    celsius = {"A": 105, "E": 120, "B": 130, "F": 155, "H": 180, "N": 200, "R": 220}
    assert {k: round(v - 273.15, 10) for k, v in CLASS_TEMPERATURES.items()} == celsius


def test_absurd_temperatures_stay_finite():
    # a solver may try wild temperatures; the exponent is capped at 100 so the rate stays finite
    ageing = InsulationAgeing("insulation")
    rate = ageing.derivative(0.0, np.array([0.0]), np.array([1.0e5]), ageing.parameter_values)[0]
    assert math.isfinite(rate)
    assert_allclose(rate, 2.0**100 / RATED_LIFE, rtol=1e-14)


def test_bad_parameters():
    with pytest.raises(
        ParameterError,
        match=r"(?s)`insulation_halving_interval` must be within \[1, 50\] K; got 0\.0.*"
        r"`insulation_rated_life` must be within \(0, inf\] s; got -5\.0",
    ):
        InsulationAgeing("insulation", insulation_halving_interval=0.0, insulation_rated_life=-5.0)


@pytest.mark.parametrize(
    ("name", "celsius", "allowance"),
    [("iec60085_class_b", 130, 10.0), ("iec60085_class_f", 155, 10.0), ("iec60085_class_h", 180, 15.0)],
)
def test_class_parameter_sets(name, celsius, allowance):
    # IEC 60034-1 temperature-rise limits by resistance over 40 °C coolant: B 80 K, F 105 K, H 125 K; the allowance
    # is what remains to the class temperature.  At that limit the insulation ages at exactly the rated pace.
    from physics_twin.parameter_sets import load_parameter_set

    values = load_parameter_set("InsulationAgeing", name)
    assert_allclose(values["insulation_class_temperature"], celsius + 273.15, rtol=1e-15)
    assert values["hot_spot_allowance"] == allowance
    ageing = InsulationAgeing("insulation", **values)
    limit = 273.15 + 40.0 + {130: 80.0, 155: 105.0, 180: 125.0}[celsius]
    y = ageing.output_values(0.0, np.array([0.0]), np.array([limit]), ageing.parameter_values)
    assert_allclose(y[1], 1.0, rtol=1e-13)
