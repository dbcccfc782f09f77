"""Component protocol: parameter checking (every problem at once), declaration checks, feedthrough, packing."""

from __future__ import annotations

import math
import re
from typing import ClassVar

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from physics_twin.components import CentrifugalPump, DCMotor
from physics_twin.core import Component, Input, Output, Parameter, State
from physics_twin.core._jit import jit
from physics_twin.errors import ModelStructureError, ParameterError


@jit
def _decay_rhs(t, x, u, p, dx):
    dx[0] = -x[0] / p[0] + u[0]


@jit
def _decay_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = p[1] * u[0]


class Decay(Component):
    """x' = -x / tau + u; outputs x and gain * u. ``tau`` is required (no default)."""

    STATES = (State("x", "m", "a level", 1.0),)
    INPUTS = (Input("u", "m/s", "an inflow"),)
    OUTPUTS = (Output("x", "m", "the level"), Output("scaled", "m/s", "gain times the inflow"))
    PARAMETERS = (
        Parameter("tau", "s", "time constant", None, (1e-9, math.inf), "test"),
        Parameter("gain", "1", "output gain", 1.0, (0.0, 10.0), "test"),
        Parameter("offset", "m", "an unused offset", 0.0, (-1.0, 1.0), "test"),
    )
    FEEDTHROUGH: ClassVar = {"scaled": ("u",)}
    rhs = staticmethod(_decay_rhs)
    output = staticmethod(_decay_output)


def test_parameter_values_are_packed_in_declaration_order():
    component = Decay("d", offset=0.5, tau=2.0)
    assert_array_equal(component.parameter_values, [2.0, 1.0, 0.5])
    assert component.parameter("offset") == 0.5
    assert component.name == "d"
    assert Decay(tau=1.0).name == "Decay"


def test_reading_an_unknown_parameter_suggests_the_closest_name():
    with pytest.raises(ParameterError, match=r"unknown parameter 'gian' of component 'd' \(Decay\)\. Did you mean 'gain'\?"):
        Decay("d", tau=1.0).parameter("gian")


def test_every_parameter_problem_is_listed_at_once():
    # missing required `tau`, unknown `gian` (suggest `gain`), negative gain, non-finite offset -> 4 problems
    with pytest.raises(ParameterError) as info:
        Decay("d", gian=1.0, gain=-1.0, offset=math.inf)
    message = str(info.value)
    assert message.startswith("invalid parameters for component 'd' (Decay):")
    assert "unknown parameter 'gian' of component 'd' (Decay). Did you mean 'gain'?" in message
    assert "`tau` has no default and must be given [s]." in message
    assert "`gain` must be within [0, 10] 1; got -1.0." in message
    assert "`offset` must be finite [m]; got inf." in message
    assert len(re.findall(r"^  - ", message, flags=re.MULTILINE)) == 4


def test_out_of_bounds_above_and_nan_and_non_numbers():
    with pytest.raises(ParameterError) as info:
        Decay("d", tau=math.nan, gain=11.0, offset="big")
    message = str(info.value)
    assert "`tau` must be finite [s]; got nan." in message
    assert "`gain` must be within [0, 10] 1; got 11.0." in message
    assert "`offset` must be a real number [m]; got 'big'." in message


def test_booleans_are_not_accepted_as_numbers():
    with pytest.raises(ParameterError, match=r"`gain` must be a real number \[1\]; got True\."):
        Decay("d", tau=1.0, gain=True)


def test_numpy_scalars_and_integers_are_accepted():
    component = Decay("d", tau=np.float32(2.0), gain=np.int64(3), offset=0)
    assert_array_equal(component.parameter_values, [2.0, 3.0, 0.0])


def test_zero_is_rejected_where_a_parameter_divides():
    with pytest.raises(ParameterError, match=r"`inductance` must be within \(0, inf\] H; got 0\.0\."):
        DCMotor("m", inductance=0.0)
    with pytest.raises(ParameterError, match=r"`rated_speed` must be within \(0, inf\] rad/s; got 0\.0\."):
        CentrifugalPump("p", rated_speed=0.0)


def test_the_component_name_must_be_an_identifier():
    with pytest.raises(ModelStructureError, match=r"`name` must be a Python identifier .*; got 'my motor'\."):
        DCMotor("my motor")
    with pytest.raises(ModelStructureError, match=r"`name` must be a Python identifier .*; got 'a\.b'\."):
        DCMotor("a.b")


def test_ill_declared_class_lists_every_problem():
    class Broken(Component):
        STATES = (State("x", "m", "a"), State("x", "m", "duplicate"))
        INPUTS = (Input("u", "bananas", "unparsable unit"),)
        OUTPUTS = (Output("bad name", "m", "not an identifier"),)
        FEEDTHROUGH: ClassVar = {"nope": ("u",), "bad name": ("v",)}

    with pytest.raises(ModelStructureError) as info:
        Broken("b")
    message = str(info.value)
    assert message.startswith("component class Broken is ill-declared:")
    assert "STATES declares ['x'] more than once." in message
    assert "INPUTS 'u'" in message and "cannot be parsed" in message
    assert "OUTPUTS name 'bad name' is not an identifier." in message
    assert "kernel `rhs(t, x, u, p, out)` is missing." in message
    assert "kernel `output(t, x, u, p, out)` is missing." in message
    assert "FEEDTHROUGH names unknown output 'nope'." in message
    assert "FEEDTHROUGH of 'bad name' names unknown input 'v'." in message


def test_feedthrough_matrix():
    assert Decay.feedthrough_matrix().tolist() == [[False], [True]]
    # the DC motor's only algebraic path is voltage -> electrical power
    matrix = DCMotor.feedthrough_matrix()
    assert matrix.shape == (len(DCMotor.OUTPUTS), len(DCMotor.INPUTS))
    assert np.argwhere(matrix).tolist() == [[5, 0]]

    class Conservative(Decay):
        FEEDTHROUGH: ClassVar = None

    assert Conservative.feedthrough_matrix().all()


def test_component_model_is_unqualified_and_owns_a_copy_of_the_parameters():
    component = Decay("d", tau=3.0)
    model = component.model()
    assert model.name == "d"
    assert model.state_names == ("x",)
    assert model.feedthrough.tolist() == [[False], [True]]
    model.parameter_values[0] = 99.0
    assert component.parameter("tau") == 3.0


def test_model_parameter_overrides_are_checked():
    model = Decay("d", tau=3.0).model()
    assert_array_equal(model.parameter_vector({"gain": 2.0}), [3.0, 2.0, 0.0])
    with pytest.raises(ParameterError, match=r"unknown parameter 'tua' of model 'd'\. Did you mean 'tau'\?"):
        model.parameter_vector({"tua": 1.0})
    with pytest.raises(ParameterError, match=r"`gain` must be within \[0, 10\] 1; got 20\.0\."):
        model.parameter_vector({"gain": 20.0})
