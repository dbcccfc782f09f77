"""System assembly: structure errors, evaluation order with feedthrough, algebraic loops, flattening."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components import CentrifugalPump, DCMotor, PipeLoop
from physics_twin.core import Component, Input, Output, Parameter, State, System, connect
from physics_twin.core._jit import jit
from physics_twin.core.component import no_derivatives
from physics_twin.errors import ModelStructureError, UnitError

# -- tiny components defined for these tests --------------------------------------------------------


@jit
def _gain_output(t, x, u, p, y):
    y[0] = p[0] * u[0]


class Gain(Component):
    """y = k u, algebraic (feedthrough from u to y)."""

    INPUTS = (Input("u", "1", "input"),)
    OUTPUTS = (Output("y", "1", "k times the input"),)
    PARAMETERS = (Parameter("k", "1", "gain", 2.0, source="test"),)
    FEEDTHROUGH: ClassVar = {"y": ("u",)}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(_gain_output)


@jit
def _split_output(t, x, u, p, y):
    y[0] = p[0]
    y[1] = 3.0 * u[0]


class ConstantAndTriple(Component):
    """Output ``a`` = c (no feedthrough), output ``b`` = 3 u (feedthrough from u)."""

    INPUTS = (Input("u", "1", "input"),)
    OUTPUTS = (Output("a", "1", "the constant c"), Output("b", "1", "three times the input"))
    PARAMETERS = (Parameter("c", "1", "constant", 5.0, source="test"),)
    FEEDTHROUGH: ClassVar = {"b": ("u",)}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(_split_output)


@jit
def _integrator_rhs(t, x, u, p, dx):
    dx[0] = u[0]


@jit
def _integrator_output(t, x, u, p, y):
    y[0] = x[0]


class Integrator(Component):
    """x' = u, y = x (no feedthrough): breaks algebraic loops."""

    STATES = (State("x", "1", "integral of the input", 0.0),)
    INPUTS = (Input("u", "1", "input"),)
    OUTPUTS = (Output("y", "1", "the state"),)
    FEEDTHROUGH: ClassVar = {}
    rhs = staticmethod(_integrator_rhs)
    output = staticmethod(_integrator_output)


def _motor_pump_pipe(**names) -> System:
    motor, pump, pipe = DCMotor(names.get("motor", "motor")), CentrifugalPump("pump"), PipeLoop("pipe")
    return System(
        "drive",
        [motor, pump, pipe],
        [
            ("motor.shaft_speed", "pump.shaft_speed"),
            ("pump.shaft_torque", "motor.load_torque"),
            ("pipe.flow_rate", "pump.flow_rate"),
            ("pump.pressure_rise", "pipe.pressure_rise"),
        ],
        inputs=["motor.voltage", "motor.ambient_temperature", "pipe.valve_opening"],
    )


# -- structure errors -------------------------------------------------------------------------------


def test_a_complete_system_assembles_with_qualified_names():
    model = _motor_pump_pipe().model()
    assert model.state_names == ("motor.current", "motor.shaft_speed", "motor.winding_temperature", "pipe.flow_rate")
    assert model.input_names == ("motor.voltage", "motor.ambient_temperature", "pipe.valve_opening")
    assert model.parameter_values.shape == (len(DCMotor.PARAMETERS) + len(CentrifugalPump.PARAMETERS) + len(PipeLoop.PARAMETERS),)
    assert "pump.shaft_torque" in model.output_names


def test_unconnected_inputs_are_all_listed_with_their_units():
    with pytest.raises(ModelStructureError) as info:
        System("s", [DCMotor("m"), CentrifugalPump("p")], [("m.shaft_speed", "p.shaft_speed")])
    message = str(info.value)
    for name, unit in [
        ("m.voltage", "V"),
        ("m.load_torque", r"N\*m"),
        ("m.ambient_temperature", "K"),
        ("p.flow_rate", r"m\^3/s"),
    ]:
        assert re.search(rf"input '{name}' \[{unit}\] is not connected", message) is not None
    assert "p.shaft_speed" not in message


def test_unit_mismatch_names_both_ends_and_both_units():
    with pytest.raises(UnitError, match=r"'m\.current' -> 'p\.shaft_speed': output unit 'A' does not match input unit 'rad/s'"):
        System(
            "s",
            [DCMotor("m"), CentrifugalPump("p")],
            [("m.current", "p.shaft_speed"), ("p.shaft_torque", "m.load_torque")],
            inputs=["m.voltage", "m.ambient_temperature", "p.flow_rate"],
        )


def test_unit_spelled_differently_but_identical_connects():
    # N*m and m*N are the same unit (factor 1, offset 0): no UnitError.
    class TorqueSource(Gain):
        OUTPUTS = (Output("y", "m*N", "torque"),)

    source = TorqueSource("src")
    system = System(
        "s", [source, DCMotor("m")], [("src.y", "m.load_torque")], inputs=["src.u", "m.voltage", "m.ambient_temperature"]
    )
    assert system.model().input_names == ("src.u", "m.voltage", "m.ambient_temperature")


def test_system_input_feeding_inputs_of_different_units_is_rejected():
    with pytest.raises(UnitError, match=r"system input 'shared' feeds inputs with different units"):
        System("s", [DCMotor("m")], [], inputs={"shared": ["m.voltage", "m.load_torque"], "ambient": "m.ambient_temperature"})


def test_duplicate_component_names():
    with pytest.raises(ModelStructureError, match=r"component name 'g' is used more than once; names must be unique"):
        System("s", [Gain("g"), Gain("g")], [], inputs=["g.u"])


def test_unknown_component_suggests_the_closest_name():
    with pytest.raises(
        ModelStructureError, match=r"unknown component 'motr' of output 'motr\.shaft_speed'\. Did you mean 'motor'\?"
    ):
        System("s", [DCMotor("motor"), CentrifugalPump("pump")], [("motr.shaft_speed", "pump.shaft_speed")])


def test_unknown_signal_suggests_the_closest_name():
    with pytest.raises(
        ModelStructureError, match=r"unknown output 'shaft_sped' of component 'motor'\. Did you mean 'shaft_speed'\?"
    ):
        System("s", [DCMotor("motor"), CentrifugalPump("pump")], [("motor.shaft_sped", "pump.shaft_speed")])
    with pytest.raises(
        ModelStructureError, match=r"unknown input 'shaft_sped' of component 'pump'\. Did you mean 'shaft_speed'\?"
    ):
        System("s", [DCMotor("motor"), CentrifugalPump("pump")], [("motor.shaft_speed", "pump.shaft_sped")])


def test_input_connected_twice():
    with pytest.raises(ModelStructureError, match=r"input 'b\.u' is connected more than once"):
        System("s", [Gain("a"), Gain("c"), Gain("b")], [("a.y", "b.u"), ("c.y", "b.u")], inputs=["a.u", "c.u"])


def test_input_both_connected_and_exposed():
    with pytest.raises(ModelStructureError, match=r"input 'b\.u' is both connected and exposed as system input 'b\.u'"):
        System("s", [Gain("a"), Gain("b")], [("a.y", "b.u")], inputs=["a.u", "b.u"])


def test_all_structure_problems_are_reported_together():
    with pytest.raises(ModelStructureError) as info:
        System("s", [Gain("a"), Gain("a"), Gain("b")], [("x.y", "b.u")])
    message = str(info.value)
    assert "component name 'a' is used more than once" in message
    assert "unknown component 'x'" in message
    assert "input 'b.u' [1] is not connected" in message


# -- algebraic loops ---------------------------------------------------------------------------------


def test_algebraic_loop_is_reported_with_the_signals_on_it():
    with pytest.raises(ModelStructureError, match=r"algebraic loop: (a\.y -> b\.y -> a\.y|b\.y -> a\.y -> b\.y)\."):
        System("loop", [Gain("a"), Gain("b")], [("a.y", "b.u"), ("b.y", "a.u")])


def test_algebraic_loop_lists_the_signals_in_signal_flow_order():
    # a.y feeds b.u, b.y feeds c.u, c.y feeds a.u: each listed output feeds the next one.
    with pytest.raises(
        ModelStructureError,
        match=r"algebraic loop: (a\.y -> b\.y -> c\.y -> a\.y|b\.y -> c\.y -> a\.y -> b\.y|"
        r"c\.y -> a\.y -> b\.y -> c\.y)\. Each of these outputs feeds the next one",
    ):
        System("loop", [Gain("a"), Gain("b"), Gain("c")], [("a.y", "b.u"), ("b.y", "c.u"), ("c.y", "a.u")])


def test_algebraic_loop_behind_a_downstream_chain_names_only_the_loop():
    # c hangs off the loop (a <-> b) and d hangs off c: the message must still name the loop itself.
    with pytest.raises(ModelStructureError) as info:
        System(
            "loop", [Gain("d"), Gain("c"), Gain("a"), Gain("b")], [("a.y", "b.u"), ("b.y", "a.u"), ("b.y", "c.u"), ("c.y", "d.u")]
        )
    message = str(info.value)
    assert "algebraic loop" in message
    signals = message.split("algebraic loop: ")[1].split(". Each")[0].split(" -> ")
    assert signals[0] == signals[-1]
    assert set(signals) == {"a.y", "b.y"}


def test_a_loop_through_a_state_is_not_algebraic():
    # a.y = 2 * integ.y, integ' = a.y: x' = 2x with x(0)=1 -> x(t) = e^{2t}.
    system = System("lagged", [Gain("a"), Integrator("integ")], [("a.y", "integ.u"), ("integ.y", "a.u")])
    result = system.simulate([0.0, 0.5], x0={"integ.x": 1.0}, rtol=1e-10, atol=1e-12)
    assert_allclose(result["integ.x"].values[-1], np.exp(1.0), rtol=1e-8)


def test_self_loop_through_a_non_feedthrough_output_is_evaluated_after_its_source():
    # One component feeds its own input from an output with no feedthrough (a = c): output b = 3 u = 3 c must
    # see the current value of a, i.e. the kernel must be evaluated twice. c = 5 -> a = 5, b = 15.
    model = System("self", [ConstantAndTriple("s")], [("s.a", "s.u")]).model()
    assert_allclose(model.output_values(0.0, np.empty(0), np.empty(0), model.parameter_values), [5.0, 15.0])


# -- evaluation order ------------------------------------------------------------------------------


def test_chain_declared_in_reverse_order_computes_correctly():
    # u -> a -> b -> c with gains 2, 3, 5 (declared c, b, a): y_a = 2u, y_b = 6u, y_c = 30u.
    a, b, c = Gain("a", k=2.0), Gain("b", k=3.0), Gain("c", k=5.0)
    model = connect("chain", [c, b, a], [("a.y", "b.u"), ("b.y", "c.u")], inputs=["a.u"])
    y = model.output_values(0.0, np.empty(0), np.array([1.5]), model.parameter_values)
    assert model.output_names == ("c.y", "b.y", "a.y")
    assert_allclose(y, [45.0, 9.0, 3.0])


def test_feedthrough_matrix_of_the_flat_model_is_the_transitive_closure():
    a, b, c = Gain("a"), Gain("b"), Gain("c")
    model = connect("chain", [c, b, a], [("a.y", "b.u"), ("b.y", "c.u")], inputs=["a.u"])
    assert model.feedthrough.tolist() == [[True], [True], [True]]
    drive = _motor_pump_pipe().model()
    row = drive.output_names.index("motor.electrical_power")
    assert drive.feedthrough[row].tolist() == [True, False, False]
    row = drive.output_names.index("pump.pressure_rise")
    assert drive.feedthrough[row].tolist() == [False, False, False]
    row = drive.output_names.index("pipe.valve_pressure_drop")
    assert drive.feedthrough[row].tolist() == [False, False, True]


def test_system_input_mapping_feeds_several_components():
    # one external signal "x" feeds a and b; y_a = 2x, y_b = 3x.
    model = connect("fan", [Gain("a"), Gain("b", k=3.0)], [], inputs={"x": ["a.u", "b.u"]})
    assert model.input_names == ("x",)
    assert_allclose(model.output_values(0.0, np.empty(0), np.array([2.0]), model.parameter_values), [4.0, 6.0])


def test_system_rhs_uses_connected_outputs():
    # integ' = a.y = k * external: with k = 2 and external 3, the derivative is 6.
    model = connect("feed", [Integrator("integ"), Gain("a")], [("a.y", "integ.u")], inputs=["a.u"])
    assert_allclose(model.derivative(0.0, np.array([0.0]), np.array([3.0]), model.parameter_values), [6.0])


def test_model_is_built_once_and_cached():
    system = System("s", [Gain("a")], [], inputs=["a.u"])
    assert system.model() is system.model()
