"""Clean sensor data: sorted UTC instants, SI values in channel order, and what was done to get there.

:class:`SensorData` is what the readers in :mod:`physics_twin.io.readers` return and what the
twin and the filters consume. Time is kept as integer nanoseconds since 1970-01-01T00:00Z (UTC), so
microsecond spacing survives any span; :attr:`SensorData.times` gives float seconds since the
``origin`` (the first sample unless chosen otherwise) for the filters.

Missing readings stay NaN (a filter drops a NaN channel from that step's update). Only model
*inputs* need filling: :func:`fill_missing` and :meth:`SensorData.model_inputs` do that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from physics_twin.core.units import same_unit
from physics_twin.errors import DataError, ParameterError, ShapeError, UnitError, join_problems, unknown_name_message
from physics_twin.io._times import to_instant_ns
from physics_twin.io.channels import ChannelMap

__all__ = ["DataQuality", "DataQualityWarning", "SensorData", "fill_missing"]

_NS = 1_000_000_000


class DataQualityWarning(UserWarning):
    """The data were changed on reading (rows re-ordered or duplicates merged); the message says how many."""


@dataclass(frozen=True)
class DataQuality:
    """What the reader found and did, for the data-quality flags of results and RUL reports.

    Attributes
    ----------
    rows_read : int
        Data rows in the source.
    rows_moved : int
        Rows that were out of time order: the fewest rows that must move to sort the source
        (rows minus the longest non-decreasing run of times, in source order).
    duplicate_rows : int
        Rows removed by merging rows with the same timestamp (``rows_read - len(data)``).
    duplicate_times : int
        Distinct timestamps that occurred more than once.
    duplicate_policy : str
        How duplicates were merged: ``"mean"``, ``"first"``, ``"last"`` (``"error"`` never gets here with duplicates).
    gap_threshold : float
        Sample intervals longer than this are gaps. [s]
    """

    rows_read: int
    rows_moved: int = 0
    duplicate_rows: int = 0
    duplicate_times: int = 0
    duplicate_policy: str = "mean"
    gap_threshold: float = float("inf")


def default_gap_threshold(instants: np.ndarray, factor: float = 3.0) -> float:
    """``factor`` times the median sample interval [s]; infinite for fewer than two samples."""
    if instants.size < 2:
        return float("inf")
    return factor * float(np.median(np.diff(instants))) / _NS


class SensorData:
    """Sorted, unit-converted sensor data on one time base.

    Parameters
    ----------
    instants : array_like of int64 or datetime64, shape (n,)
        Sample instants, strictly increasing: integers are nanoseconds since 1970-01-01T00:00Z. [ns]
    values : array_like, shape (n, k)
        Values in the signal units of ``channels``, in channel order; NaN where missing. [signal units]
    channels : ChannelMap
        What each column is.
    origin : instant, optional
        Zero of :attr:`times` (string, datetime, numpy.datetime64; naive means UTC). Default: the first sample.
    source_timezone : str
        How the source gave its times (zone name, ``"UTC"``, or the UTC offsets found). Metadata only.
    quality : DataQuality, optional
        Reader's record; by default nothing changed and ``gap_threshold`` is 3 × the median interval.
    source : str, optional
        Where the data came from (the file a reader read); outputs may never replace it.

    Examples
    --------
    >>> from physics_twin.io import Channel, ChannelMap
    >>> channels = ChannelMap([Channel("motor.voltage", "U", "V", "V")])
    >>> data = SensorData(np.array(["2020-03-09T10:14:33", "2020-03-09T10:14:34"], "M8[ns]"), [[230.0], [231.0]], channels)
    >>> data.times
    array([0., 1.])
    >>> str(data.start)
    '2020-03-09 10:14:33+00:00'
    """

    def __init__(
        self,
        instants: Any,
        values: Any,
        channels: ChannelMap,
        *,
        origin: Any = None,
        source_timezone: str = "UTC",
        quality: DataQuality | None = None,
        source: str | None = None,
    ) -> None:
        raw = np.asarray(instants)
        if np.issubdtype(raw.dtype, np.datetime64):
            raw = raw.astype("M8[ns]").view(np.int64)
        if raw.ndim != 1 or raw.size == 0 or not np.issubdtype(raw.dtype, np.integer):
            raise ShapeError(
                "`instants` must be a non-empty 1-D array of int64 nanoseconds or datetime64; "
                f"got {raw.dtype} with shape {raw.shape}."
            )
        if not isinstance(channels, ChannelMap):
            raise ParameterError(f"`channels` must be a ChannelMap; got {type(channels).__name__}.")
        stamps = raw.astype(np.int64)
        array = np.array(values, dtype=float, ndmin=2)
        if array.shape != (stamps.size, len(channels)):
            expected = f"({stamps.size}, {len(channels)})"
            raise ShapeError(f"`values` must have shape {expected} (signals {list(channels.signals)}); got {array.shape}.")
        if np.any(np.diff(stamps) <= 0):
            raise DataError(
                "`instants` must be strictly increasing; read data through the physics_twin.io readers, "
                "which sort and merge duplicates."
            )
        if np.any(np.isinf(array)):
            raise DataError("`values` must be finite or NaN (missing); got infinite values.")
        stamps.flags.writeable = False
        array.flags.writeable = False
        self._instants = stamps
        self._values = array
        self.channels = channels
        self._origin = int(stamps[0]) if origin is None else to_instant_ns(origin, "origin")
        self.source_timezone = str(source_timezone)
        self.source = source
        if quality is None:
            quality = DataQuality(rows_read=stamps.size, gap_threshold=default_gap_threshold(stamps))
        self.quality = quality

    # -- time --------------------------------------------------------------------------------------
    @property
    def instants(self) -> np.ndarray:
        """Sample instants in integer nanoseconds since 1970-01-01T00:00Z (exact). [ns]"""
        return self._instants

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds since :attr:`origin` (what filters and simulators take). [s]"""
        return (self._instants - self._origin) / _NS

    @property
    def timestamps(self) -> np.ndarray:
        """Sample instants as ``datetime64[ns]`` in UTC."""
        return self._instants.view("M8[ns]")

    @property
    def origin(self) -> pd.Timestamp:
        """The instant where :attr:`times` is zero (UTC)."""
        return pd.Timestamp(self._origin, unit="ns", tz="UTC")

    @property
    def start(self) -> pd.Timestamp:
        """The first sample's instant (UTC)."""
        return pd.Timestamp(int(self._instants[0]), unit="ns", tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        """The last sample's instant (UTC)."""
        return pd.Timestamp(int(self._instants[-1]), unit="ns", tz="UTC")

    # -- values ------------------------------------------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        """Values, shape (n, k), in :attr:`units`, channel order, NaN where missing (read-only). [signal units]"""
        return self._values

    @property
    def signals(self) -> tuple[str, ...]:
        """Signal names in column order of :attr:`values`."""
        return self.channels.signals

    @property
    def units(self) -> tuple[str, ...]:
        """Unit of each column of :attr:`values`."""
        return self.channels.units

    def __len__(self) -> int:
        return int(self._instants.size)

    def __repr__(self) -> str:
        return f"<SensorData {len(self)} samples x {list(self.signals)}, {self.start} .. {self.end} UTC>"

    # -- quality -----------------------------------------------------------------------------------
    @property
    def nan_counts(self) -> dict[str, int]:
        """Missing (NaN) samples per signal."""
        return {signal: int(count) for signal, count in zip(self.signals, np.isnan(self._values).sum(axis=0), strict=True)}

    @property
    def gaps(self) -> np.ndarray:
        """Intervals longer than ``quality.gap_threshold``, shape (g, 2): times of the samples either side. [s]"""
        intervals = np.diff(self._instants)
        after = np.flatnonzero(intervals > self.quality.gap_threshold * _NS)
        times = self.times
        return np.column_stack([times[after], times[after + 1]]) if after.size else np.zeros((0, 2))

    # -- selection ---------------------------------------------------------------------------------
    def select(self, start: Any = None, stop: Any = None) -> SensorData:
        """Samples with ``start <= time <= stop`` (both inclusive, as in xarray and pandas label slicing).

        Parameters
        ----------
        start, stop : float or instant, optional
            Seconds since :attr:`origin` [s], or an instant (ISO string, datetime, numpy.datetime64;
            naive means UTC). None leaves that side open.

        Returns
        -------
        SensorData
            Same origin, channels and reader record.

        Raises
        ------
        DataError
            When no sample lies in the range.
        """
        lower = self._bound(start, "start", np.iinfo(np.int64).min)
        upper = self._bound(stop, "stop", np.iinfo(np.int64).max)
        if lower > upper:
            raise ParameterError(f"`start` must not be after `stop`; got {start!r} and {stop!r}.")
        keep = (self._instants >= lower) & (self._instants <= upper)
        if not keep.any():
            raise DataError(
                f"no samples between {start!r} and {stop!r}; the data cover {self.start} .. {self.end} "
                f"(times {self.times[0]:.9g} .. {self.times[-1]:.9g} s since {self.origin})."
            )
        return SensorData(
            self._instants[keep],
            self._values[keep],
            self.channels,
            origin=self.origin,
            source_timezone=self.source_timezone,
            quality=self.quality,
            source=self.source,
        )

    def _bound(self, value: Any, argument: str, open_end: int) -> int:
        if value is None:
            return open_end
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            if not np.isfinite(value):
                raise ParameterError(f"`{argument}` must be finite seconds since the origin or an instant; got {value!r}.")
            return self._origin + round(float(value) * _NS)
        return to_instant_ns(value, argument)

    # -- arrays for the filters --------------------------------------------------------------------
    def array(self, signals: Sequence[str]) -> np.ndarray:
        """Columns of :attr:`values` for ``signals``, in that order, NaN kept (measurements for a filter).

        Returns
        -------
        numpy.ndarray, shape (n, len(signals))
            C-contiguous float64. [signal units]

        Raises
        ------
        DataError
            Naming every signal the data do not have.
        """
        missing = [unknown_name_message("signal", s, self.signals, "the sensor data") for s in signals if s not in self.channels]
        if missing:
            raise DataError(join_problems("the sensor data lack requested signals:", missing))
        index = [self.signals.index(s) for s in signals]
        return np.ascontiguousarray(self._values[:, index])

    def model_inputs(self, model: Any, *, method: str = "linear") -> np.ndarray:
        """The model's input matrix: measured inputs with gaps filled, the others at their declared defaults.

        Parameters
        ----------
        model : Model
            Supplies the input names, units and defaults.
        method : {"linear", "previous"}
            How missing input samples are filled (see :func:`fill_missing`).

        Returns
        -------
        numpy.ndarray, shape (n, n_inputs)
            C-contiguous float64, no NaN. [input units]

        Raises
        ------
        UnitError
            When a channel's signal unit differs from the model's declared input unit.
        DataError
            When a measured input has no valid sample at all.
        """
        matrix = np.tile(model.default_inputs(), (len(self), 1))
        problems: list[str] = []
        unit_problem = False
        for column, record in enumerate(model.inputs):
            if record.name not in self.channels:
                continue
            channel = self.channels[record.name]
            if not same_unit(channel.signal_unit, record.unit):
                problems.append(
                    f"input `{record.name}` is declared in {record.unit!r} but the channel delivers {channel.signal_unit!r}."
                )
                unit_problem = True
                continue
            series = self._values[:, self.signals.index(record.name)]
            if np.isnan(series).all():
                problems.append(f"input `{record.name}` (column {channel.column!r}) has no valid sample to fill from.")
                continue
            matrix[:, column] = fill_missing(self._instants, series, method=method)
        if problems:
            error = UnitError if unit_problem else DataError
            raise error(join_problems(f"cannot build the inputs of model {model.name!r}:", problems))
        return np.ascontiguousarray(matrix)

    # -- results -----------------------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        """The data as an :class:`xarray.Dataset`.

        Dimension ``time`` in seconds since the origin, coordinate ``timestamp`` (UTC
        ``datetime64[ns]``), one variable per signal with ``units``, ``source_column``,
        ``source_unit`` and ``missing_count`` attrs; the reader's record, the origin, the source
        time zone and the gaps (``gap_count``, ``gap_starts``, ``gap_ends`` [s]) in the dataset attrs.
        """
        nan_counts = self.nan_counts
        variables = {
            channel.signal: xr.DataArray(
                np.array(self._values[:, column]),
                dims="time",
                attrs={
                    "units": channel.signal_unit,
                    "description": f"column {channel.column!r} converted from {channel.unit!r}",
                    "source_column": channel.column,
                    "source_unit": channel.unit,
                    "missing_count": nan_counts[channel.signal],
                },
            )
            for column, channel in enumerate(self.channels)
        }
        gaps = self.gaps
        attrs: dict[str, Any] = {
            "producer": "physics_twin.io",
            "origin": self.origin.isoformat(),
            "source_timezone": self.source_timezone,
            "gap_count": int(gaps.shape[0]),
            "gap_starts": gaps[:, 0].copy(),
            "gap_ends": gaps[:, 1].copy(),
        }
        attrs.update({key: value for key, value in asdict(self.quality).items()})
        coords = {
            "time": ("time", self.times, {"units": "s", "description": "time since origin"}),
            "timestamp": ("time", np.array(self.timestamps), {"description": "sample instant, UTC"}),
        }
        return xr.Dataset(variables, coords=coords, attrs=attrs)


def fill_missing(times: Any, values: Any, *, method: str = "linear") -> np.ndarray:
    """Fill NaN samples of a model input from its valid neighbours.

    Only inputs need this: a filter drops missing *measurements* per step, so leave those NaN.

    Parameters
    ----------
    times : array_like, shape (n,)
        Increasing sample times: int64 nanoseconds or datetime64 (exact), or float seconds. [ns or s]
    values : array_like, shape (n,) or (n, k)
        Samples with NaN where missing. [any unit]
    method : {"linear", "previous"}
        ``"linear"``: linear in time between the valid neighbours; ``"previous"``: hold the last
        valid value (zero-order hold). Before the first and after the last valid sample the
        nearest valid value is held. A column without any valid sample stays NaN.

    Returns
    -------
    numpy.ndarray
        Same shape as ``values``, float64. [unit of values]

    Notes
    -----
    The interpolation weight is ``(t - t_a) / (t_b - t_a)`` with the differences taken in integer
    nanoseconds, so microsecond-spaced samples far from 1970 interpolate exactly: values 0, NaN, 1
    at t0, t0 + 1 µs, t0 + 3 µs give exactly 1/3.

    Examples
    --------
    >>> fill_missing(np.array([0, 1_000, 3_000]), np.array([0.0, np.nan, 1.0])) == 1 / 3
    array([False,  True, False])
    """
    if method not in ("linear", "previous"):
        raise ParameterError(f"`method` must be 'linear' or 'previous'; got {method!r}.")
    stamps = np.asarray(times)
    if np.issubdtype(stamps.dtype, np.datetime64):
        stamps = stamps.astype("M8[ns]").view(np.int64)
    array = np.array(values, dtype=float)
    if stamps.ndim != 1 or array.shape[:1] != stamps.shape or array.ndim > 2:
        raise ShapeError(f"`values` must have shape (n,) or (n, k) with n = len(times) = {stamps.shape}; got {array.shape}.")
    columns = array.reshape(stamps.size, -1)
    for column in columns.T:
        missing = np.isnan(column)
        if not missing.any() or missing.all():
            continue
        known = np.flatnonzero(~missing)
        holes = np.flatnonzero(missing)
        right = np.clip(np.searchsorted(known, holes), 1, known.size - 1) if known.size > 1 else np.zeros_like(holes)
        left = right - 1 if known.size > 1 else right
        a, b = known[left], known[right]
        if method == "previous":
            before = known[np.clip(np.searchsorted(known, holes) - 1, 0, None)]
            column[holes] = column[before]
            continue
        span = (stamps[b] - stamps[a]).astype(float)
        weight = np.where(span > 0, (stamps[holes] - stamps[a]).astype(float) / np.where(span > 0, span, 1.0), 0.0)
        weight = np.clip(weight, 0.0, 1.0)
        column[holes] = column[a] + (column[b] - column[a]) * weight
    return columns.reshape(array.shape)
