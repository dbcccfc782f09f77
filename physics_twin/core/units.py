"""Units: SI inside, conversion only at the boundary (readers, configs, FMU start values).

Declared units are strings that pint parses (``"V"``, ``"ohm"``, ``"rad/s"``, ``"m^3/s"``,
``"K"``, ``"1"`` for dimensionless). :func:`same_unit` is the exact check used when connecting
signals and loading parameter sets; :func:`converter` gives the affine map ``si = scale * value +
offset`` used once at the data boundary (for example L/min -> m³/s, °C -> K, g -> m/s²).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from physics_twin.errors import ParameterError, ShapeError, UnitError

__all__ = ["check_unit", "converter", "same_unit", "sample_times", "unit_registry"]


@functools.lru_cache(maxsize=1)
def unit_registry():
    """The project's pint registry (created once, on first use)."""
    import pint

    registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    registry.define("percent = 0.01 = %")
    return registry


@functools.lru_cache(maxsize=1024)
def _parse(unit: str):
    registry = unit_registry()
    try:
        return registry.Unit(unit if unit.strip() else "1")
    except Exception as exc:  # pint raises several unrelated types for unparsable strings
        raise UnitError(f"unit {unit!r} cannot be parsed ({exc}). Use pint syntax, e.g. 'm^3/s', 'degC', 'L/min'.") from None


def check_unit(unit: str, what: str) -> None:
    """Raise :class:`UnitError` naming ``what`` when ``unit`` is not a parsable unit string."""
    try:
        _parse(unit)
    except UnitError as exc:
        raise UnitError(f"{what}: {exc}") from None


@functools.lru_cache(maxsize=1024)
def converter(from_unit: str, to_unit: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` so that ``value_in_to_unit = scale * value_in_from_unit + offset``.

    Raises
    ------
    UnitError
        When the two units have different dimensions.
    """
    source, target = _parse(from_unit), _parse(to_unit)
    if source.dimensionality != target.dimensionality:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: dimensions differ "
            f"({source.dimensionality} vs {target.dimensionality})."
        )
    try:  # exact rational factors, rounded once: 1 L/min -> 1/60000 m³/s to the last bit
        exact = _exact_registry()
        exact_source, exact_target = exact.Unit(from_unit.strip() or "1"), exact.Unit(to_unit.strip() or "1")
        at_zero = exact.Quantity(Fraction(0), exact_source).to(exact_target).magnitude
        at_one = exact.Quantity(Fraction(1), exact_source).to(exact_target).magnitude
    except Exception:  # a unit the rational registry cannot express: fall back to float arithmetic
        registry = unit_registry()
        at_zero = registry.Quantity(0.0, source).to(target).magnitude
        at_one = registry.Quantity(1.0, source).to(target).magnitude
    return float(at_one - at_zero), float(at_zero)


@functools.lru_cache(maxsize=1)
def _exact_registry():
    """A pint registry on rational numbers, used only to derive conversion factors.

    pint's float registry builds factors from float products (a litre is 0.1**3 m³), which leaves
    1 L/min one ulp away from 1/60000 m³/s; with Fractions the factor is exact until the final rounding.
    """
    import pint

    registry = pint.UnitRegistry(non_int_type=Fraction, autoconvert_offset_to_baseunit=True)
    registry.define("percent = 0.01 = %")
    return registry


def same_unit(first: str, second: str) -> bool:
    """True when both strings denote exactly the same unit (same dimension, factor 1, offset 0).

    pint treats angles as dimensionless, which would make ``Hz`` equal to ``rad/s`` (a silent factor
    2π) and ``N*m/rad`` equal to ``N*m``. Here the power of the radian must agree as well: angular and
    cyclic quantities never match.
    """
    if first == second:
        return True
    try:
        scale, offset = converter(first, second)
    except UnitError:
        return False
    if _radian_power(first) != _radian_power(second):
        return False
    return math.isclose(scale, 1.0, rel_tol=1e-12) and offset == 0.0


@functools.lru_cache(maxsize=1024)
def _radian_power(unit: str) -> float:
    """Exponent of the radian in ``unit`` expressed in base units (``rad/s`` -> 1, ``Hz`` -> 0)."""
    base = unit_registry().Quantity(1.0, _parse(unit)).to_base_units().units
    return float(dict(base._units).get("radian", 0.0))


def sample_times(values, argument: str):
    """``values`` as a 1-D float numpy array of sample times in seconds: non-empty, finite and non-decreasing.

    Datetimes and durations (numpy ``datetime64``/``timedelta64``, pandas timestamps, ``datetime`` objects) are
    refused rather than read as their integer ticks, which would turn 0.1 s into 1e8 "seconds" (nanosecond ticks).
    ``argument`` is how messages name the values.

    Raises
    ------
    UnitError
        Datetime or duration values; the message says how to convert them.
    ShapeError
        Not a non-empty 1-D array.
    ParameterError
        Values that are not numbers, not finite or not in time order.
    """
    import datetime

    import numpy as np

    array = np.asarray(values)
    first = array.flat[0] if array.size else None
    if array.dtype.kind in "mM" or isinstance(first, (datetime.date, datetime.timedelta, np.datetime64, np.timedelta64)):
        raise UnitError(
            f"`{argument}` must be seconds (numbers); got {'durations' if array.dtype.kind == 'm' else 'datetimes'} "
            f"({array.dtype}), whose integer ticks would be taken for seconds. Convert them: physics_twin.io readers give "
            "SensorData.times in seconds, or compute (t - t[0]) / numpy.timedelta64(1, 's')."
        )
    if array.dtype.kind not in "iuf":
        raise ParameterError(f"`{argument}` must be numbers [s]; got values of type {array.dtype} (e.g. {first!r}).")
    if array.ndim != 1 or array.size == 0:
        raise ShapeError(f"`{argument}` must be a non-empty 1-D array [s]; got shape {array.shape}.")
    times = array.astype(float)
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        raise ParameterError(
            f"`{argument}` must be finite and non-decreasing [s]; sort the data and resolve duplicates first "
            "(physics_twin.io does)."
        )
    return times
