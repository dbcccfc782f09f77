"""Exceptions raised by physics_twin.

Every exception subclasses :class:`PhysicsTwinError` and a built-in exception, so callers can catch
either ``physics_twin.errors.UnitError`` or the plain ``ValueError`` it derives from.

Message rule: name the argument (in backticks), say what it must be, say what arrived, and where it
helps, say where to look. Validation collects every problem and raises once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataError",
    "EstimationError",
    "FMUError",
    "MissingExtraError",
    "ModelStructureError",
    "OutputError",
    "ParameterError",
    "PhysicsTwinError",
    "ShapeError",
    "SimulationError",
    "UnitError",
    "closest_names",
    "join_problems",
]


class PhysicsTwinError(Exception):
    """Base class of every error raised by physics_twin."""


class ParameterError(PhysicsTwinError, ValueError):
    """A parameter value, name or bound is invalid."""


class UnitError(ParameterError):
    """A unit does not match the declared one, or cannot be converted."""


class ShapeError(PhysicsTwinError, ValueError):
    """An array has the wrong shape."""


class ModelStructureError(PhysicsTwinError, ValueError):
    """A system cannot be assembled: unconnected inputs, duplicate names, algebraic loops."""


class ConfigError(PhysicsTwinError, ValueError):
    """A configuration file or dictionary is invalid."""


class DataError(PhysicsTwinError, ValueError):
    """Sensor data cannot be used as given: missing columns, bad timestamps, unusable values."""


class SimulationError(PhysicsTwinError, RuntimeError):
    """The numerical integration failed."""


class EstimationError(PhysicsTwinError, RuntimeError):
    """A filter or calibration cannot continue (for example a covariance lost positive definiteness)."""


class FMUError(PhysicsTwinError, RuntimeError):
    """An FMU failed to load, validate or step."""


class OutputError(PhysicsTwinError, OSError):
    """An output path cannot be written: no folder, no permission, a folder, or one of the run's inputs."""


class MissingExtraError(PhysicsTwinError, ImportError):
    """An optional dependency is not installed."""


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` names from ``candidates`` that are spelled closest to ``name``."""
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.5)


def unknown_name_message(kind: str, name: str, candidates: Iterable[str], where: str = "", catalogue: str = "") -> str:
    """Message for an unknown name, with the closest matches and where to look for the full list.

    ``catalogue`` says where a long list can be read in full (e.g. a CLI command); it follows the count.
    """
    candidates = list(dict.fromkeys(candidates))
    close = closest_names(name, candidates)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    place = f" of {where}" if where else ""
    if len(candidates) <= 12:
        listing = ", ".join(candidates)
    else:
        listing = f"{len(candidates)} names" + (f"; {catalogue}" if catalogue else "")
    return f"unknown {kind} {name!r}{place}.{hint} Known: {listing}."


def join_problems(header: str, problems: list[str]) -> str:
    """Format a list of problems as one message: a header line then one bullet per problem."""
    return header + "\n" + "\n".join(f"  - {p}" for p in problems)
