"""The flat compiled model: the one object simulators, filters and predictors work on.

A :class:`Model` is what a component or a whole :class:`~physics_twin.core.system.System` becomes:
declarations with qualified names (``"motor.current"``), one ``rhs(t, x, u, p, dx)`` and one
``output(t, x, u, p, y)`` kernel over float64 vectors (each writes its result into the last argument), and
the packed default parameter vector. :meth:`Model.derivative` and :meth:`Model.output_values` call the kernels
from Python and return new arrays.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.errors import ModelStructureError, ParameterError, ShapeError, join_problems, unknown_name_message

__all__ = [
    "Model",
    "check_kernel_pair",
    "check_parameter_values",
    "checked_kernel_values",
    "evaluate_kernel",
    "require_compiled",
]


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


def evaluate_kernel(
    kernel: Callable[..., Any], size: int, t: float, x: Any, u: Any, p: Any, *, label: str = "kernel", owner: str = "the model"
) -> np.ndarray:
    """Call the in-place ``kernel(t, x, u, p, out)`` from Python and return ``out`` (a new array of ``size``).

    The vectors are passed as contiguous float64 arrays (the layout compiled kernels are declared for); ``out`` is
    the start of a longer buffer, so a kernel that writes past ``size`` is reported (``ModelStructureError``, naming
    ``label`` and ``owner``) instead of writing into memory it does not own.
    """
    return _call_into(kernel, label, size, _FILLS[0], t, x, u, p, owner)[:size].copy()


#: Extra entries past a kernel's result: writes beyond the result land there.
_GUARD = 8
#: Two fill values no kernel computes by chance: an entry holding the fill after both calls was never written.
_FILLS = (-1.2345678901234567e300, 9.876543210987654e299)
_MEANING = {"rhs": " (one per declared state)", "output": " (one per declared output)"}


def _call_into(kernel: Callable[..., Any], label: str, size: int, fill: float, t: float, x: Any, u: Any, p: Any, owner: str):
    """One call of ``kernel`` into ``out`` = the first ``size`` entries of a buffer filled with ``fill``; the buffer.

    Raises ``ModelStructureError`` for a wrong signature, a returned value or a write past ``size``.
    """
    buffer = np.full(size + _GUARD, fill)
    exact = f"kernel `{label}` of {owner} must write exactly {size} values into `out`{_MEANING.get(label, '')}"
    try:
        returned = kernel(float(t), _vector_argument(x), _vector_argument(u), _vector_argument(p), buffer[:size])
    except IndexError:  # plain Python (JIT disabled) checks bounds
        raise ModelStructureError(f"{exact}; it writes past the end of `out`.") from None
    except TypeError as exc:
        raise ModelStructureError(
            f"kernel `{label}` of {owner} must take (t, x, u, p, out) and write its {size} values into `out`; "
            f"calling it that way failed: {str(exc).splitlines()[0]}"
        ) from None
    if returned is not None:
        raise ModelStructureError(
            f"kernel `{label}` of {owner} must write its {size} values into its last argument `out` and return "
            f"nothing; it returned {type(returned).__name__} (the form f(t, x, u, p) -> array is not supported: drop "
            "the allocation and write into `out`)."
        )
    beyond = [i for i in range(size, size + _GUARD) if buffer[i] != fill]
    if beyond:
        raise ModelStructureError(f"{exact}; it writes past the end of `out` (index {beyond[0]} and up).")
    return buffer


def checked_kernel_values(
    kernel: Callable[..., Any], label: str, size: int, t: float, x: Any, u: Any, p: Any, owner: str
) -> np.ndarray:
    """The ``size`` values ``kernel(t, x, u, p, out)`` writes, after checking that it writes exactly those.

    The kernel runs twice, into ``out`` of length ``size`` that is the start of a longer buffer, pre-filled with two
    different values. Compiled kernels do not check bounds, so a kernel that writes past its declared size would
    corrupt memory inside the compiled loops, and one that skips an entry would leave whatever the buffer held:
    both are reported here. The check holds at this one point (t, x, u, p): a kernel whose writes depend on the
    values can pass it and still misbehave elsewhere (the contract suite checks the library's components at several
    points).

    Raises
    ------
    ModelStructureError
        When the kernel has the wrong signature, returns a value, skips entries or writes past ``size``.
    """
    first, second = (_call_into(kernel, label, size, fill, t, x, u, p, owner) for fill in _FILLS)
    skipped = [i for i in range(size) if first[i] == _FILLS[0] and second[i] == _FILLS[1]]
    if skipped:
        raise ModelStructureError(
            f"kernel `{label}` of {owner} must write exactly {size} values into `out`{_MEANING.get(label, '')}; it "
            f"leaves entries {skipped} of `out` unwritten."
        )
    return first[:size].copy()


def check_kernel_pair(
    rhs: Callable[..., Any], output: Callable[..., Any], n_x: int, n_y: int, x: Any, u: Any, p: Any, owner: str
) -> None:
    """:func:`checked_kernel_values` for ``rhs`` (``n_x`` values) and ``output`` (``n_y``) at (0, x, u, p).

    A kernel that raises something else at this point (a plain-Python kernel dividing by zero) is left for the run
    to report where it happens.
    """
    try:
        with np.errstate(all="ignore"):
            checked_kernel_values(rhs, "rhs", n_x, 0.0, x, u, p, owner)
            checked_kernel_values(output, "output", n_y, 0.0, x, u, p, owner)
    except ModelStructureError:
        raise
    except Exception:
        return


def require_compiled(kernel: Callable[..., Any], label: str, owner: str, purpose: str) -> None:
    """Raise ``ModelStructureError`` when JIT is on and ``kernel`` is a plain Python function (``purpose`` needs it compiled)."""
    from physics_twin.core._jit import JIT_ENABLED, is_compiled

    if JIT_ENABLED and not is_compiled(kernel):
        raise ModelStructureError(
            f"kernel `{label}` of {owner} is a plain Python function; {purpose} needs it compiled: decorate it with "
            "`physics_twin.core.jit`."
        )


def _vector_argument(values: Any) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=float)
    return array if array.flags.writeable else array.copy()


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
        ``rhs(t, x, u, p, dx)``, compiled: writes dx/dt into ``dx``. [state units per second]
    output : callable
        ``output(t, x, u, p, y)``, compiled: writes the outputs into ``y``. [output units]
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

    def derivative(self, t: float, x: Any, u: Any, p: Any = None) -> np.ndarray:
        """dx/dt at time ``t`` [s], state ``x``, inputs ``u`` and parameters ``p`` (default: the model's). [SI/s]"""
        p = self.parameter_values if p is None else p
        return evaluate_kernel(self.rhs, len(self.states), t, x, u, p, label="rhs", owner=f"model {self.name!r}")

    def output_values(self, t: float, x: Any, u: Any, p: Any = None) -> np.ndarray:
        """The outputs at time ``t`` [s], state ``x``, inputs ``u`` and parameters ``p`` (default: the model's). [SI]"""
        p = self.parameter_values if p is None else p
        return evaluate_kernel(self.output, len(self.outputs), t, x, u, p, label="output", owner=f"model {self.name!r}")

    def check_kernels(self) -> None:
        """Check once that ``rhs`` and ``output`` write exactly their declared sizes (see :func:`checked_kernel_values`).

        Run by the simulators, filters and predictors before their compiled loops; evaluated at the initial state
        with the default inputs and parameters.

        Raises
        ------
        ModelStructureError
            Naming the kernel and what it does wrong.
        """
        if self.__dict__.get("_kernels_checked"):
            return
        x, u, p = self.initial_state(), self.default_inputs(), self.parameter_values
        check_kernel_pair(self.rhs, self.output, len(self.states), len(self.outputs), x, u, p, f"model {self.name!r}")
        object.__setattr__(self, "_kernels_checked", True)

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
