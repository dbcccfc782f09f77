"""Channel maps: unit checks at construction, conversions, building from a model's declarations."""

from __future__ import annotations

import numpy as np
import pytest

from physics_twin.core.declarations import Input, Output
from physics_twin.core.model import Model
from physics_twin.errors import ConfigError, UnitError
from physics_twin.io import Channel, ChannelMap


def tiny_model() -> Model:
    """A model with two inputs and two outputs; kernels are never called here."""
    return Model(
        name="loop",
        states=(),
        inputs=(
            Input("motor.voltage", "V", "terminal voltage", 230.0),
            Input("motor.ambient_temperature", "K", "ambient", 293.15),
        ),
        outputs=(Output("pipe.flow_rate", "m^3/s", "flow"), Output("motor.current", "A", "current")),
        parameters=(),
        rhs=None,
        output=None,
        parameter_values=np.zeros(0),
        feedthrough=np.zeros((2, 2), dtype=bool),
    )


def test_conversions_are_the_textbook_factors():
    channels = ChannelMap(
        [
            Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s"),
            Channel("motor.temperature", "Temperature", "degC", "K"),
            Channel("bearing.acceleration", "Bearing 1", "g0", "m/s^2"),
            Channel("pump.pressure", "Pressure", "bar", "Pa"),
        ]
    )
    # 1 L = 1e-3 m³ and 1 min = 60 s, so 1 L/min = 1/60000 m³/s exactly (to the float's last bit)
    assert channels["pipe.flow_rate"].conversion == (1 / 60000, 0.0)
    # T[K] = T[°C] + 273.15 (SI brochure); standard gravity 9.80665 m/s² (CGPM 1901); 1 bar = 1e5 Pa
    assert channels["motor.temperature"].conversion == (1.0, 273.15)
    assert channels["bearing.acceleration"].conversion == (9.80665, 0.0)
    assert channels["pump.pressure"].conversion == (100000.0, 0.0)
    assert channels.signals == ("pipe.flow_rate", "motor.temperature", "bearing.acceleration", "pump.pressure")
    assert channels.units == ("m^3/s", "K", "m/s^2", "Pa")
    assert channels.columns[0] == "Volume Flow RateRMS"
    assert "motor.temperature" in channels and len(channels) == 4


def test_every_unit_problem_is_listed_at_once():
    expected = (
        r"(?s)`pipe.flow_rate`: column 'Pressure' is in 'bar'.*signal is in 'm\^3/s'"
        r".*`acc`: column unit 'wibbles' cannot be parsed"
    )
    with pytest.raises(UnitError, match=expected):
        ChannelMap([Channel("pipe.flow_rate", "Pressure", "bar", "m^3/s"), Channel("acc", "a", "wibbles", "m/s^2")])


def test_gram_is_not_standard_gravity():
    # pint reads "g" as the gram, a mass: the dimension check catches the classic mistake
    with pytest.raises(UnitError, match=r"column 'a' is in 'g' \(\[mass\]\)"):
        ChannelMap([Channel("acc", "a", "g", "m/s^2")])


def test_duplicate_signal_and_empty_map_are_rejected():
    with pytest.raises(ConfigError, match="signal `x` appears more than once"):
        ChannelMap([Channel("x", "a", "V", "V"), Channel("x", "b", "V", "V")])
    with pytest.raises(ConfigError, match="at least one channel"):
        ChannelMap([])
    with pytest.raises(ConfigError, match=r"entry 0 must be a Channel"):
        ChannelMap([("x", "a", "V", "V")])


def test_unknown_signal_lookup_names_the_closest():
    channels = ChannelMap([Channel("motor.voltage", "U", "V", "V")])
    with pytest.raises(KeyError, match=r"Did you mean 'motor\.voltage'"):
        channels["motor.voltag"]


def test_from_model_takes_the_declared_units():
    model = tiny_model()
    channels = ChannelMap.from_model(
        model,
        {
            "pipe.flow_rate": ("Volume Flow RateRMS", "L/min"),
            "motor.voltage": {"column": "Voltage", "unit": "V"},
            "motor.ambient_temperature": ("Thermocouple", "degC"),
        },
    )
    assert channels.units == ("m^3/s", "V", "K")
    assert channels["motor.ambient_temperature"] == Channel("motor.ambient_temperature", "Thermocouple", "degC", "K")


def test_from_model_lists_unknown_signals_malformed_entries_and_unit_mismatches_together():
    model = tiny_model()
    with pytest.raises(
        UnitError,
        match=r"(?s)unknown signal 'pipe.flowrate'.*Did you mean 'pipe.flow_rate'.*"
        r"`motor.current` must map to \(column, unit\).*column 'Pressure' is in 'bar'",
    ):
        ChannelMap.from_model(
            model,
            {
                "pipe.flowrate": ("Flow", "L/min"),
                "motor.current": "Current",
                "pipe.flow_rate": ("Pressure", "bar"),
            },
        )
    with pytest.raises(ConfigError, match="unknown signal 'nope'"):
        ChannelMap.from_model(model, {"nope": ("a", "V")})
