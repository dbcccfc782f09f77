"""The flat compiled model: the one object simulators, filters and predictors work on.

A :class:`Model` is what a component or a whole :class:`~physics_twin.core.system.System` becomes:
declarations with qualified names (``"motor.current"``), one ``rhs(t, x, u, p)`` and one
``output(t, x, u, p)`` kernel over float64 vectors, and the packed default parameter vector.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.errors import ParameterError, ShapeError, join_problems, unknown_name_message

__all__ = ["Model", "check_parameter_values"]


def check_parameter_values(declarations: tuple[Parameter, ...], values: Mapping[str, float], owner: str) -> np.ndarray:
    """Pack ``values`` (SI) into a vector in declaration order, checking every entry.

    Unknown names (with the closest matches), missing required values, non-numeric or non-finite
    values and values outside the declared bounds are collected and raised together.

    Raises
    ------
    ParameterError
        Listing every problem at once.
    """
    known = {d.name for d in declarations}
    problems: list[str] = []
    for name in values:
        if name not in known:
            problems.append(unknown_name_message("parameter", name, [d.name for d in declarations], owner))
    vector = np.empty(len(declarations))
    for index, declaration in enumerate(declarations):
        raw = values.get(declaration.name, declaration.default)
        if raw is None:
            problems.append(f"`{declaration.name}` has no default and must be given [{declaration.unit}].")
            vector[index] = math.nan
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
            problems.append(f"`{declaration.name}` must be a real number [{declaration.unit}]; got {raw!r}.")
            vector[index] = math.nan
            continue
        value = float(raw)
        lower, upper = declaration.bounds
        if not math.isfinite(value):
            problems.append(f"`{declaration.name}` must be finite [{declaration.unit}]; got {value!r}.")
        elif not lower <= value <= upper:
            # a lower bound of the smallest normal float declares "strictly positive" (the value divides)
            opening = "(0" if 0.0 < lower <= sys.float_info.min else f"[{lower:g}"
            problems.append(f"`{declaration.name}` must be within {opening}, {upper:g}] {declaration.unit}; got {value!r}.")
        vector[index] = value
    if problems:
        raise ParameterError(join_problems(f"invalid parameters for {owner}:", problems))
    return vector


@dataclass(frozen=True, eq=False)
class Model:
    """A flat model with compiled kernels.

    Attributes
    ----------
    name : str
        Model name (component or system name).
    states, inputs, outputs, parameters : tuple
        Declarations with qualified names; their order is the vector index.
    rhs : callable
        ``rhs(t, x, u, p) -> dx/dt``, compiled. [state units per second]
    output : callable
        ``output(t, x, u, p) -> y``, compiled. [output units]
    parameter_values : numpy.ndarray
        Packed parameter vector in SI units.
    feedthrough : numpy.ndarray of bool, shape (n_outputs, n_inputs)
        True where an output depends directly (algebraically) on an input.
    parameter_check : callable, optional
        ``check(vector) -> list of problems`` for constraints between parameters (the components'
        ``parameter_problems``); run by :meth:`parameter_vector` on every override.
    """

    name: str
    states: tuple[State, ...]
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    parameters: tuple[Parameter, ...]
    rhs: Callable[..., Any]
    output: Callable[..., Any]
    parameter_values: np.ndarray
    feedthrough: np.ndarray = field(repr=False)
    parameter_check: Callable[[np.ndarray], list[str]] | None = field(default=None, repr=False)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.outputs)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.parameters)

    def initial_state(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """State vector from the declared start values, with ``overrides`` by name. [SI]"""
        return self._vector(self.states, [s.start for s in self.states], overrides, "state")

    def default_inputs(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Input vector from the declared defaults, with ``overrides`` by name. [SI]"""
        return self._vector(self.inputs, [s.default for s in self.inputs], overrides, "input")

    def parameter_vector(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """The packed parameter vector with ``overrides`` by name, checked against the bounds. [SI]"""
        values = dict(zip(self.parameter_names, self.parameter_values.tolist(), strict=True))
        problems = [
            unknown_name_message("parameter", name, self.parameter_names, f"model {self.name!r}")
            for name in (overrides or {})
            if name not in values
        ]
        if problems:
            raise ParameterError(join_problems(f"invalid parameters for model {self.name!r}:", problems))
        values.update(overrides or {})
        vector = check_parameter_values(self.parameters, values, f"model {self.name!r}")
        problems = self.parameter_check(vector) if self.parameter_check is not None and overrides else []
        if problems:
            raise ParameterError(join_problems(f"invalid parameters for model {self.name!r}:", problems))
        return vector

    def _vector(self, declarations, defaults, overrides, kind) -> np.ndarray:
        vector = np.array(defaults, dtype=float)
        names = [d.name for d in declarations]
        problems = []
        for name, value in (overrides or {}).items():
            if name not in names:
                problems.append(unknown_name_message(kind, name, names, f"model {self.name!r}"))
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                problems.append(f"{kind} `{name}` must be a real number; got {value!r}.")
                continue
            if not math.isfinite(value):
                problems.append(f"{kind} `{name}` must be finite; got {value!r}.")
            vector[names.index(name)] = value
        if problems:
            raise ParameterError(join_problems(f"invalid {kind} values for model {self.name!r}:", problems))
        return vector

    def check_vector(self, vector: Any, kind: str, argument: str) -> np.ndarray:
        """Return ``vector`` as float64 after checking its length against the declaration."""
        expected = {"state": len(self.states), "input": len(self.inputs), "parameter": len(self.parameters)}[kind]
        array = np.asarray(vector, dtype=float)
        if array.shape != (expected,):
            raise ShapeError(f"`{argument}` must have shape ({expected},) ({kind}s of {self.name!r}); got {array.shape}.")
        return array
