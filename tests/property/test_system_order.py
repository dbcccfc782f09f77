"""System evaluation order over random acyclic wirings: the flat output equals a direct recursive evaluation.

Each ``Mixer`` has a constant output ``level`` (no feedthrough, so it may feed anything, itself included) and a
feedthrough output ``mix = a u0 + b u1``. A random hidden order decides which ``mix`` may feed which input (only
earlier ones, so there is no algebraic loop); the components are then declared in a random order. The expected
outputs come from a plain recursive evaluation of that wiring, independent of System's scheduling.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from physics_twin.core import Component, Input, Output, Parameter, connect
from physics_twin.core._jit import jit, python_function
from physics_twin.core.component import no_derivatives
from physics_twin.core.model import evaluate_kernel


@jit
def _mixer_output(t, x, u, p, y):
    y[0] = p[0]
    y[1] = p[1] * u[0] + p[2] * u[1]


class Mixer(Component):
    INPUTS = (Input("u0", "1", "first input"), Input("u1", "1", "second input"))
    OUTPUTS = (Output("level", "1", "constant level"), Output("mix", "1", "a u0 + b u1"))
    PARAMETERS = (
        Parameter("level", "1", "the constant", 1.0, source="test"),
        Parameter("a", "1", "weight of u0", 1.0, source="test"),
        Parameter("b", "1", "weight of u1", 1.0, source="test"),
    )
    FEEDTHROUGH: ClassVar = {"mix": ("u0", "u1")}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(_mixer_output)


@st.composite
def wirings(draw):
    n = draw(st.integers(1, 6))
    # a source is ("external", j), ("level", component) or ("mix", earlier component in the hidden order)
    sources = {}
    for k in range(n):
        for port in ("u0", "u1"):
            options = [("external", 0), ("external", 1)] + [("level", m) for m in range(n)] + [("mix", m) for m in range(k)]
            sources[(k, port)] = draw(st.sampled_from(options))
    values = {k: [draw(st.floats(-3.0, 3.0)) for _ in range(3)] for k in range(n)}
    declaration_order = draw(st.permutations(range(n)))
    external = [draw(st.floats(-5.0, 5.0)), draw(st.floats(-5.0, 5.0))]
    return n, sources, values, declaration_order, external


@given(wirings())
def test_flat_outputs_match_a_recursive_evaluation(wiring):
    _, sources, values, order, external = wiring

    def signal(source) -> float:
        kind, index = source
        if kind == "external":
            return external[index]
        if kind == "level":
            return values[index][0]
        return mix(index)

    def mix(k: int) -> float:
        return values[k][1] * signal(sources[(k, "u0")]) + values[k][2] * signal(sources[(k, "u1")])

    components = [Mixer(f"c{k}", level=values[k][0], a=values[k][1], b=values[k][2]) for k in order]
    connections, exposed = [], {"e0": [], "e1": []}
    for (k, port), (kind, index) in sources.items():
        if kind == "external":
            exposed[f"e{index}"].append(f"c{k}.{port}")
        else:
            connections.append((f"c{index}.{kind}", f"c{k}.{port}"))
    model = connect("random", components, connections, inputs={name: targets for name, targets in exposed.items() if targets})
    u = np.array([external[int(name[1])] for name in model.input_names])
    # the generated Python source of the flat kernel (the compiled one is the same code; see test_jit_equivalence):
    # compiling a new System per example would take a second each
    y = evaluate_kernel(python_function(model.output), len(model.outputs), 0.0, np.empty(0), u, model.parameter_values)
    expected = []
    for k in order:
        expected += [values[k][0], mix(k)]
    assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
