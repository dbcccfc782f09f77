"""The component protocol: a declaration plus two pure kernels.

Subclasses set ``STATES``, ``INPUTS``, ``OUTPUTS``, ``PARAMETERS`` (tuples of declaration records),
``FEEDTHROUGH`` (which inputs each output depends on directly) and the kernels ``rhs(t, x, u, p, dx)`` and
``output(t, x, u, p, y)`` (module-level functions decorated with :func:`physics_twin.core.jit`, bound
with ``staticmethod``), which write their result into the last argument and return nothing. The class itself
stays thin: it checks parameters once and packs them; :meth:`Component.derivative` and
:meth:`Component.output_values` call the kernels from Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from physics_twin.core._jit import jit
from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.core.model import Model, check_parameter_values, evaluate_kernel
from physics_twin.core.units import check_unit
from physics_twin.errors import ModelStructureError, ParameterError, join_problems, unknown_name_message

__all__ = ["Component", "no_derivatives"]


@jit
def no_derivatives(t, x, u, p, dx):
    """The ``rhs`` kernel of a component without states: there is nothing to write."""


class Component:
    """Base class of native ODE components.

    Parameters
    ----------
    name : str
        Instance name; qualifies signal names inside a System (``"motor.current"``).
    **parameters : float
        Parameter values in the declared SI units; omitted ones take their defaults.

    Raises
    ------
    ParameterError
        Listing every unknown, missing, non-finite or out-of-bounds parameter at once.
    """

    STATES: ClassVar[tuple[State, ...]] = ()
    INPUTS: ClassVar[tuple[Input, ...]] = ()
    OUTPUTS: ClassVar[tuple[Output, ...]] = ()
    PARAMETERS: ClassVar[tuple[Parameter, ...]] = ()
    #: Output name -> names of the inputs it depends on algebraically. ``None`` means every output
    #: depends on every input (the conservative default); outputs missing from the dict depend on
    #: states and parameters only.
    FEEDTHROUGH: ClassVar[Mapping[str, tuple[str, ...]] | None] = None
    rhs: ClassVar[Callable[..., Any]]
    output: ClassVar[Callable[..., Any]]

    def __init__(self, name: str | None = None, **parameters: float) -> None:
        self.check_declaration()
        self.name = name if name is not None else type(self).__name__
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelStructureError(f"`name` must be a Python identifier (letters, digits, _); got {self.name!r}.")
        owner = f"component {self.name!r} ({type(self).__name__})"
        self.parameter_values = check_parameter_values(self.PARAMETERS, parameters, owner)
        problems = self.parameter_problems(
            dict(zip([d.name for d in self.PARAMETERS], self.parameter_values.tolist(), strict=True))
        )
        if problems:
            raise ParameterError(join_problems(f"invalid parameters for {owner}:", problems))

    @classmethod
    def vector_problems(cls, vector: np.ndarray) -> list[str]:
        """:meth:`parameter_problems` of a packed parameter vector (declaration order)."""
        return cls.parameter_problems(
            dict(zip([d.name for d in cls.PARAMETERS], np.asarray(vector, float).tolist(), strict=True))
        )

    @classmethod
    def parameter_problems(cls, values: Mapping[str, float]) -> list[str]:
        """Problems with combinations of parameter values (each value is already within its bounds).

        Override in components whose parameters constrain one another; return one message per problem.
        """
        return []

    @classmethod
    def check_declaration(cls) -> None:
        """Check the class declaration: unique names, parsable units, kernels present, feedthrough names known."""
        problems: list[str] = []
        groups = {"STATES": cls.STATES, "INPUTS": cls.INPUTS, "OUTPUTS": cls.OUTPUTS, "PARAMETERS": cls.PARAMETERS}
        for group, records in groups.items():
            names = [r.name for r in records]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                problems.append(f"{group} declares {duplicates} more than once.")
            for record in records:
                if not record.name.isidentifier():
                    problems.append(f"{group} name {record.name!r} is not an identifier.")
                try:
                    check_unit(record.unit, f"{group} {record.name!r}")
                except ValueError as exc:
                    problems.append(str(exc))
        for kernel in ("rhs", "output"):
            if not callable(getattr(cls, kernel, None)):
                problems.append(f"kernel `{kernel}(t, x, u, p, out)` is missing.")
        if cls.FEEDTHROUGH is not None:
            outputs = {o.name for o in cls.OUTPUTS}
            inputs = {i.name for i in cls.INPUTS}
            for out, ins in cls.FEEDTHROUGH.items():
                if out not in outputs:
                    problems.append(f"FEEDTHROUGH names unknown output {out!r}.")
                problems.extend(f"FEEDTHROUGH of {out!r} names unknown input {i!r}." for i in ins if i not in inputs)
        if problems:
            raise ModelStructureError(join_problems(f"component class {cls.__name__} is ill-declared:", problems))

    @classmethod
    def derivative(cls, t: float, x: Any, u: Any, p: Any) -> np.ndarray:
        """dx/dt of the ``rhs`` kernel at time ``t`` [s], state ``x``, inputs ``u``, parameter vector ``p``. [SI/s]"""
        return evaluate_kernel(cls.rhs, len(cls.STATES), t, x, u, p, label="rhs", owner=f"component class {cls.__name__}")

    @classmethod
    def output_values(cls, t: float, x: Any, u: Any, p: Any) -> np.ndarray:
        """The ``output`` kernel's values at time ``t`` [s], state ``x``, inputs ``u``, parameter vector ``p``. [SI]"""
        return evaluate_kernel(cls.output, len(cls.OUTPUTS), t, x, u, p, label="output", owner=f"component class {cls.__name__}")

    @classmethod
    def feedthrough_matrix(cls) -> np.ndarray:
        """Boolean matrix (n_outputs, n_inputs): True where an output depends directly on an input."""
        matrix = np.zeros((len(cls.OUTPUTS), len(cls.INPUTS)), dtype=bool)
        if cls.FEEDTHROUGH is None:
            matrix[:] = True
            return matrix
        input_index = {d.name: k for k, d in enumerate(cls.INPUTS)}
        for row, declaration in enumerate(cls.OUTPUTS):
            for name in cls.FEEDTHROUGH.get(declaration.name, ()):
                matrix[row, input_index[name]] = True
        return matrix

    def parameter(self, name: str) -> float:
        """Value of parameter ``name`` in SI units.

        Raises
        ------
        ParameterError
            When the component has no parameter of that name (with the closest names).
        """
        names = [p.name for p in self.PARAMETERS]
        if name not in names:
            owner = f"component {self.name!r} ({type(self).__name__})"
            raise ParameterError(unknown_name_message("parameter", name, names, owner))
        return float(self.parameter_values[names.index(name)])

    def model(self) -> Model:
        """This component alone as a flat :class:`Model` (signal names unqualified)."""
        return Model(
            name=self.name,
            states=self.STATES,
            inputs=self.INPUTS,
            outputs=self.OUTPUTS,
            parameters=self.PARAMETERS,
            rhs=type(self).rhs,
            output=type(self).output,
            parameter_values=self.parameter_values.copy(),
            feedthrough=self.feedthrough_matrix(),
            parameter_check=type(self).vector_problems,
        )

    def simulate(self, t_eval: Any, **options: Any):
        """Simulate this component alone; see :func:`physics_twin.core.simulate.simulate`."""
        from physics_twin.core.simulate import simulate

        return simulate(self.model(), t_eval, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
