"""Channel maps: which data column feeds which model signal, and in which unit.

A :class:`Channel` binds one model signal (``"pipe.flow_rate"``) to one column of the sensor data
(``"Volume Flow RateRMS"``) and states both units: the column's unit as recorded (``"L/min"``) and
the signal's SI unit (``"m^3/s"``). Units are checked once, when the map is built: every column
unit must have the dimension of its signal unit. Readers then convert each column exactly once
with the affine map from :func:`physics_twin.core.units.converter`.

Unit strings use pint syntax. Beware: in pint ``"g"`` is the gram; standard gravity is ``"g0"``
(9.80665 m/s²), and degrees Celsius are ``"degC"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from physics_twin.core.units import converter, unit_registry
from physics_twin.errors import ConfigError, UnitError, join_problems, unknown_name_message

__all__ = ["Channel", "ChannelMap"]


@dataclass(frozen=True)
class Channel:
    """One data column feeding one model signal.

    Parameters
    ----------
    signal : str
        Model signal name, qualified for systems (``"pipe.flow_rate"``).
    column : str
        Column name in the sensor data (``"Volume Flow RateRMS"``).
    unit : str
        Unit of the column values as recorded, pint syntax (``"L/min"``, ``"degC"``, ``"g0"``).
    signal_unit : str
        Unit of the model signal (SI, as declared by the model), pint syntax (``"m^3/s"``).
    """

    signal: str
    column: str
    unit: str
    signal_unit: str

    @property
    def conversion(self) -> tuple[float, float]:
        """``(scale, offset)`` with ``signal value = scale * column value + offset``."""
        return converter(self.unit, self.signal_unit)


def _unit_problem(channel: Channel) -> str | None:
    """Why the channel's units cannot be converted, or None when they can."""
    registry = unit_registry()
    parsed = {}
    for label, unit in (("column unit", channel.unit), ("signal unit", channel.signal_unit)):
        try:
            parsed[label] = registry.Unit(unit.strip() or "1")
        except Exception as exc:  # pint raises several unrelated types for unparsable strings
            return f"`{channel.signal}`: {label} {unit!r} cannot be parsed ({exc}); use pint syntax, e.g. 'm^3/s', 'degC', 'g0'."
    source, target = parsed["column unit"], parsed["signal unit"]
    if source.dimensionality != target.dimensionality:
        return (
            f"`{channel.signal}`: column {channel.column!r} is in {channel.unit!r} ({source.dimensionality}) but the signal is "
            f"in {channel.signal_unit!r} ({target.dimensionality}); the column unit must have the signal's dimension."
        )
    return None


class ChannelMap:
    """An ordered set of :class:`Channel` records; the order is the column order of the data arrays.

    Parameters
    ----------
    channels : iterable of Channel
        One record per model signal. Several signals may read the same column.

    Raises
    ------
    UnitError
        When a unit does not parse or a column unit's dimension differs from its signal unit's
        (every problem listed at once).
    ConfigError
        When a signal appears twice or a record is not a :class:`Channel`.

    Examples
    --------
    >>> channels = ChannelMap([Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s")])
    >>> channels.signals
    ('pipe.flow_rate',)
    >>> channels["pipe.flow_rate"].conversion
    (1.6666666666666667e-05, 0.0)
    """

    def __init__(self, channels: Iterable[Channel]) -> None:
        records = tuple(channels)
        problems: list[str] = []
        unit_problems = False
        seen: set[str] = set()
        for position, record in enumerate(records):
            if not isinstance(record, Channel):
                problems.append(f"entry {position} must be a Channel(signal, column, unit, signal_unit); got {record!r}.")
                continue
            if record.signal in seen:
                problems.append(f"signal `{record.signal}` appears more than once; each signal reads exactly one column.")
            seen.add(record.signal)
            problem = _unit_problem(record)
            if problem:
                problems.append(problem)
                unit_problems = True
        if not records:
            problems.append("`channels` must name at least one channel; got none.")
        if problems:
            error = UnitError if unit_problems else ConfigError
            raise error(join_problems("invalid channel map:", problems))
        self._channels = records

    @classmethod
    def from_model(cls, model: Any, columns: Mapping[str, Any]) -> ChannelMap:
        """Build a map whose signal units come from a model's declarations.

        Parameters
        ----------
        model : Model
            A flat model (``system.model()``); its ``outputs`` and ``inputs`` records supply each
            signal's unit (outputs are looked up first).
        columns : mapping
            Signal name -> ``(column, column_unit)`` or ``{"column": ..., "unit": ...}`` (the form a
            TOML config gives).

        Returns
        -------
        ChannelMap
            Channels in the order of ``columns``.

        Raises
        ------
        ConfigError
            Unknown signal names (with the closest matches) or malformed entries.
        UnitError
            Column units whose dimension differs from the signal's, listed together with any other problem.
        """
        declared = {record.name: record.unit for record in model.inputs}
        declared.update({record.name: record.unit for record in model.outputs})
        problems: list[str] = []
        channels: list[Channel] = []
        for signal, spec in columns.items():
            if signal not in declared:
                problems.append(unknown_name_message("signal", signal, list(declared), f"model {model.name!r}"))
                continue
            if isinstance(spec, Mapping) and set(spec) == {"column", "unit"}:
                column, unit = spec["column"], spec["unit"]
            elif isinstance(spec, (tuple, list)) and len(spec) == 2:
                column, unit = spec
            else:
                problems.append(f"`{signal}` must map to (column, unit) or {{'column': ..., 'unit': ...}}; got {spec!r}.")
                continue
            if not (isinstance(column, str) and isinstance(unit, str)):
                problems.append(f"`{signal}`: column and unit must be strings; got {column!r} and {unit!r}.")
                continue
            channels.append(Channel(signal, column, unit, declared[signal]))
        unit_problems = [p for p in map(_unit_problem, channels) if p]
        if problems or unit_problems:
            error = UnitError if unit_problems else ConfigError
            raise error(join_problems(f"invalid channel map for model {model.name!r}:", problems + unit_problems))
        return cls(channels)

    # -- container protocol ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels)

    def __len__(self) -> int:
        return len(self._channels)

    def __getitem__(self, signal: str) -> Channel:
        for record in self._channels:
            if record.signal == signal:
                return record
        raise KeyError(unknown_name_message("signal", signal, self.signals, "the channel map"))

    def __contains__(self, signal: object) -> bool:
        return any(record.signal == signal for record in self._channels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChannelMap) and self._channels == other._channels

    def __hash__(self) -> int:
        return hash(self._channels)

    def __repr__(self) -> str:
        return f"ChannelMap({list(self._channels)!r})"

    @property
    def signals(self) -> tuple[str, ...]:
        """Signal names in channel order."""
        return tuple(record.signal for record in self._channels)

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in channel order (may repeat)."""
        return tuple(record.column for record in self._channels)

    @property
    def units(self) -> tuple[str, ...]:
        """Signal units in channel order (the units of the converted data)."""
        return tuple(record.signal_unit for record in self._channels)
