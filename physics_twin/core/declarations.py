"""Declarations of a component's signals and parameters.

A component lists its ``STATES``, ``INPUTS``, ``OUTPUTS`` and ``PARAMETERS`` as tuples of these
frozen records. The position in the tuple is the index in the state, input, output and parameter
vectors; code derives index constants from the declaration and never types them by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Input", "Output", "Parameter", "State", "index_of"]


@dataclass(frozen=True)
class State:
    """A continuous state.

    Attributes
    ----------
    name : str
        Name from the nomenclature (``docs/nomenclature.md``).
    unit : str
        SI unit, pint syntax.
    description : str
        One line, what the state means physically.
    start : float
        Default initial value. [unit]
    nonnegative : bool
        True when the state is physically non-negative (damage, wear). Estimators then carry it in a
        transformed (log) space instead of clipping it inside the model.
    angle : bool
        True for an angle defined modulo 2π (shaft angle, electrical angle) [rad]. Estimators then
        average it circularly, wrap its residuals and keep it in (-π, π].
    """

    name: str
    unit: str
    description: str
    start: float = 0.0
    nonnegative: bool = False
    angle: bool = False


@dataclass(frozen=True)
class Input:
    """An input signal (connected from another component's output or fed from data)."""

    name: str
    unit: str
    description: str
    default: float = 0.0


@dataclass(frozen=True)
class Output:
    """An output signal computed by the component's ``output`` kernel.

    ``angle`` marks an angle defined modulo 2π [rad]: estimators wrap its innovations into (-π, π].
    """

    name: str
    unit: str
    description: str
    angle: bool = False


@dataclass(frozen=True)
class Parameter:
    """A physical parameter.

    Attributes
    ----------
    name, unit, description : str
        As for :class:`State`.
    default : float or None
        Default value in SI units; None when the user must give it.
    bounds : tuple of float
        Closed physical bounds ``(lower, upper)``; use ``math.inf`` for none. A parameter that divides in the
        kernels declares ``(sys.float_info.min, math.inf)``: strictly positive (error messages then say ``(0, ...]``).
    source : str
        Where the default comes from (datasheet, paper DOI, textbook).
    """

    name: str
    unit: str
    description: str
    default: float | None = None
    bounds: tuple[float, float] = (-math.inf, math.inf)
    source: str = ""

    @property
    def positive(self) -> bool:
        """True when the lower bound is >= 0 (estimators then use a log transform)."""
        return self.bounds[0] >= 0.0


def index_of(declarations: tuple, name: str) -> int:
    """Position of ``name`` in a declaration tuple (the vector index)."""
    for index, record in enumerate(declarations):
        if record.name == name:
            return index
    raise KeyError(name)
