"""Readers: CSV files and in-memory tables (data frames, column dicts, JSON records) -> :class:`SensorData`.

Every reader does the same, once: map columns to signals, convert units to the signal units, parse
times to UTC, sort by time (stable; a :class:`DataQualityWarning` says how many rows moved), merge
duplicated timestamps by the chosen policy (a warning gives the count), and record gaps and missing
values. Bad input raises one :class:`~physics_twin.errors.DataError` listing every problem with row
numbers (data rows counted from 1; in a CSV file with one header line, row r is line r + 1).
"""

from __future__ import annotations

import bisect
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from physics_twin.errors import DataError, ParameterError, closest_names, join_problems
from physics_twin.io._times import NAT, check_timezone, describe_rows, parse_times, to_instant_ns
from physics_twin.io.channels import Channel, ChannelMap
from physics_twin.io.sensor_data import DataQuality, DataQualityWarning, SensorData, default_gap_threshold

__all__ = ["DUPLICATE_POLICIES", "check_data_file", "from_dataframe", "read_sensor_csv"]

#: Accepted values of ``duplicates``.
DUPLICATE_POLICIES = ("mean", "first", "last", "error")


def read_sensor_csv(
    path: str | Path,
    channels: ChannelMap | Sequence[Channel],
    *,
    time_column: str | int,
    separator: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8-sig",
    time_format: str | None = None,
    timezone: str | None = None,
    duplicates: str = "mean",
    gap_threshold: float | None = None,
    origin: Any = None,
) -> SensorData:
    """Read a delimited text file of sensor data.

    Parameters
    ----------
    path : str or Path
        The file.
    channels : ChannelMap or sequence of Channel
        Which column feeds which signal, with both units.
    time_column : str or int
        Name of the time column, or its position (0 = first column, for files whose time column
        has no header, such as the IMS bearing data).
    separator : str
        Field separator (``";"`` for SKAB).
    decimal : str
        Decimal mark of the numbers.
    encoding : str
        Text encoding; the default also strips a UTF-8 byte-order mark.
    time_format : str, optional
        ``strftime`` format of the timestamps; default ISO 8601 (``"2020-03-09 10:14:33"``,
        ``"2021-03-28T01:30:00.000001+01:00"``).
    timezone : str, optional
        IANA zone of naive timestamps (``"Europe/London"``); default UTC. Timestamps with UTC
        offsets ignore it.
    duplicates : {"mean", "first", "last", "error"}
        Rows with the same instant: average them per channel ignoring NaN (default), keep the
        first or last in file order, or raise :class:`DataError`.
    gap_threshold : float, optional
        Intervals longer than this are gaps [s]; default 3 × the median interval.
    origin : instant, optional
        Zero of ``times`` (naive means UTC); default the first sample. Give the twin's epoch to
        put several batches on one time axis.

    Returns
    -------
    SensorData
        Sorted, merged, converted data.

    Raises
    ------
    DataError
        Missing file, empty file, missing columns (with the available ones and the closest
        match), unparsable timestamps, non-numeric or infinite values, unresolvable local times,
        duplicates under ``duplicates="error"`` — every problem of the file at once.
    ParameterError
        Invalid options (unknown policy, time zone, threshold).

    Warns
    -----
    DataQualityWarning
        When rows were re-ordered or duplicates merged.

    Examples
    --------
    >>> channels = ChannelMap([Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s"),
    ...                        Channel("motor.voltage", "Voltage", "V", "V")])
    >>> data = read_sensor_csv("skab/valve1/0.csv", channels, time_column="datetime", separator=";")  # doctest: +SKIP
    """
    channels = _check_options(channels, timezone, duplicates, gap_threshold, time_column)
    file = check_data_file(path)
    try:
        header = list(pd.read_csv(file, sep=separator, nrows=0, encoding=encoding).columns)
    except pd.errors.EmptyDataError:
        raise DataError(f"cannot read {str(file)!r}: the file is empty (expected a header line and data rows).") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(_unreadable(file, exc, encoding, separator)) from None
    problems: list[str] = []
    time_name = _resolve_time_column(time_column, header, problems)
    wanted = [c for c in dict.fromkeys([time_name, *channels.columns]) if c in header]
    _missing_columns(channels, header, problems)
    if len(header) == 1 and any(mark in header[0] for mark in ";,\t|" if mark != separator):
        problems.append(f"the header has a single column {header[0]!r}; is `separator` ({separator!r}) right?")
        raise DataError(join_problems(f"cannot read {str(file)!r}:", problems))  # parsing rows would only echo them
    if not wanted:
        raise DataError(join_problems(f"cannot read {str(file)!r}:", problems))
    try:
        frame = pd.read_csv(
            file,
            sep=separator,
            decimal=decimal,
            encoding=encoding,
            usecols=wanted,
            low_memory=False,
            dtype={time_name: object} if time_name in header else None,
        )
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise DataError(_unreadable(file, exc, encoding, separator)) from None
    data = _from_frame(
        frame, channels, time_name, problems, f"{str(file)!r}", decimal, time_format, timezone, duplicates, gap_threshold, origin
    )
    data.source = str(file)
    return data


def from_dataframe(
    table: Any,
    channels: ChannelMap | Sequence[Channel],
    *,
    time_column: str | int,
    time_format: str | None = None,
    timezone: str | None = None,
    duplicates: str = "mean",
    gap_threshold: float | None = None,
    origin: Any = None,
) -> SensorData:
    """Build :class:`SensorData` from an in-memory table.

    Parameters
    ----------
    table : pandas.DataFrame, mapping or sequence of mappings
        A data frame, a mapping of column name -> values, or records (one mapping per row, e.g.
        JSON from a live stream; absent keys become NaN). The time column may be the frame's
        named index.
    channels, time_column, time_format, timezone, duplicates, gap_threshold, origin
        As for :func:`read_sensor_csv`. The time column may also hold datetimes (timezone-aware
        ones ignore ``timezone``).

    Returns
    -------
    SensorData

    Examples
    --------
    >>> channels = ChannelMap([Channel("motor.voltage", "Voltage", "V", "V")])
    >>> records = [{"time": "2021-03-28T00:30:00+00:00", "Voltage": 230.0},
    ...            {"time": "2021-03-28T02:30:00+01:00", "Voltage": 231.0}]
    >>> from_dataframe(records, channels, time_column="time").times
    array([   0., 3600.])
    """
    channels = _check_options(channels, timezone, duplicates, gap_threshold, time_column)
    if isinstance(table, pd.DataFrame):
        frame = table
    else:
        try:
            frame = pd.DataFrame(list(table) if not isinstance(table, Mapping) else table)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"`table` must be a DataFrame, a mapping of columns or a sequence of records; got {type(table).__name__} ({exc})."
            ) from None
    if isinstance(time_column, str) and time_column not in frame.columns and frame.index.name == time_column:
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    frame = frame.set_axis(header, axis=1)
    problems: list[str] = []
    time_name = _resolve_time_column(time_column, header, problems)
    _missing_columns(channels, header, problems)
    return _from_frame(
        frame, channels, time_name, problems, "the table", ".", time_format, timezone, duplicates, gap_threshold, origin
    )


# -- shared steps ----------------------------------------------------------------------------------
def _check_options(channels: Any, timezone: Any, duplicates: Any, gap_threshold: Any, time_column: Any) -> ChannelMap:
    problems: list[str] = []
    if duplicates not in DUPLICATE_POLICIES:
        problems.append(f"`duplicates` must be one of {', '.join(map(repr, DUPLICATE_POLICIES))}; got {duplicates!r}.")
    real = isinstance(gap_threshold, (int, float)) and not isinstance(gap_threshold, bool)
    if gap_threshold is not None and not (real and gap_threshold > 0 and not math.isnan(gap_threshold)):
        problems.append(f"`gap_threshold` must be a number > 0 [s] or None (3 × the median interval); got {gap_threshold!r}.")
    if isinstance(time_column, bool) or not isinstance(time_column, (str, int)):
        problems.append(f"`time_column` must be a column name or a position (int); got {time_column!r}.")
    try:
        check_timezone(timezone)
    except ParameterError as exc:
        problems.append(str(exc))
    if problems:
        raise ParameterError(join_problems("invalid reader options:", problems))
    return channels if isinstance(channels, ChannelMap) else ChannelMap(channels)


def _unreadable(file: Path, exc: Exception, encoding: str, separator: str) -> str:
    return f"cannot read {str(file)!r}: {exc}. Check `encoding` ({encoding!r}) and `separator` ({separator!r})."


def check_data_file(path: str | os.PathLike[str], argument: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` when it is an existing file, else a :class:`DataError` naming ``argument``
    (the missing folder, or files with similar names in the folder)."""
    file = Path(path)
    if file.is_file():
        return file
    parent = file.parent
    if not parent.is_dir():
        raise DataError(
            f"`{argument}` must be an existing file; got {str(file)!r} (its directory {str(parent)!r} does not exist)."
        )
    close = closest_names(file.name, [p.name for p in parent.iterdir() if p.is_file()])
    hint = f" Files with similar names there: {', '.join(close)}." if close else ""
    kind = "is a directory" if file.is_dir() else "no such file"
    raise DataError(f"`{argument}` must be an existing file; got {str(file)!r} ({kind}).{hint}")


def _resolve_time_column(time_column: str | int, header: list[str], problems: list[str]) -> str:
    if isinstance(time_column, int):
        if -len(header) <= time_column < len(header):
            return header[time_column]
        problems.append(f"`time_column` position {time_column} is outside the {len(header)} columns.")
        return ""
    if time_column not in header:
        close = closest_names(time_column, header)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        problems.append(f"time column {time_column!r} is missing.{hint}")
    return time_column


def _missing_columns(channels: ChannelMap, header: list[str], problems: list[str]) -> None:
    before = len(problems)
    for channel in channels:
        if channel.column not in header:
            close = closest_names(channel.column, header)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            problems.append(f"column {channel.column!r} for signal `{channel.signal}` is missing.{hint}")
    if len(problems) > before or any(p.startswith("time column") for p in problems):
        problems.append("available columns: " + ", ".join(map(repr, header)) + ".")


def _numeric_column(series: pd.Series, channel: Channel, decimal: str, problems: list[str]) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = series.astype(object)
        if decimal != ".":
            text = text.map(lambda v: v.replace(decimal, ".") if isinstance(v, str) else v)
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(numbers) & series.notna().to_numpy())
        if bad.size:
            problems.append(
                f"column {channel.column!r} (signal `{channel.signal}`) must hold numbers in {channel.unit!r}; "
                f"cannot read {describe_rows(bad, series.iloc[bad])}."
            )
    infinite = np.flatnonzero(np.isinf(numbers))
    if infinite.size:
        problems.append(
            f"column {channel.column!r} (signal `{channel.signal}`) must hold finite numbers or be empty where missing; "
            f"infinite values in {describe_rows(infinite, numbers[infinite])}."
        )
    return numbers


def _from_frame(
    frame: pd.DataFrame,
    channels: ChannelMap,
    time_name: str,
    problems: list[str],
    source: str,
    decimal: str,
    time_format: str | None,
    timezone: str | None,
    duplicates: str,
    gap_threshold: float | None,
    origin: Any,
) -> SensorData:
    n = len(frame)
    if n == 0:
        problems.append("there are no data rows (only a header).")
    instants = np.full(n, NAT, dtype=np.int64)
    source_timezone = timezone or "UTC"
    if time_name in frame.columns and n:
        instants, source_timezone, time_problems = parse_times(frame[time_name], time_format=time_format, timezone=timezone)
        problems.extend(time_problems)
    values = np.full((n, len(channels)), np.nan)
    for index, channel in enumerate(channels):
        if channel.column in frame.columns:
            column = frame[channel.column]
            if isinstance(column, pd.DataFrame):  # a repeated column name in a data frame
                problems.append(f"column {channel.column!r} appears more than once; column names must be unique.")
                continue
            scale, offset = channel.conversion
            values[:, index] = scale * _numeric_column(column, channel, decimal, problems) + offset
    if problems:
        raise DataError(join_problems(f"cannot read {source}:", problems))
    origin_ns = None if origin is None else to_instant_ns(origin, "origin")
    return _assemble(
        instants,
        values,
        channels,
        duplicates=duplicates,
        gap_threshold=gap_threshold,
        origin=origin_ns,
        source_timezone=source_timezone,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _rows_out_of_order(instants: np.ndarray) -> int:
    """Fewest rows to move to sort: rows minus the longest non-decreasing subsequence (patience sorting)."""
    tails: list[int] = []
    for instant in instants.tolist():
        position = bisect.bisect_right(tails, instant)
        if position == len(tails):
            tails.append(instant)
        else:
            tails[position] = instant
    return len(instants) - len(tails)


def _assemble(
    instants: np.ndarray,
    values: np.ndarray,
    channels: ChannelMap,
    *,
    duplicates: str = "mean",
    gap_threshold: float | None = None,
    origin: Any = None,
    source_timezone: str = "UTC",
) -> SensorData:
    """Sort rows by instant, merge duplicated instants by ``duplicates``, and record what was done.

    ``instants`` are int64 nanoseconds since 1970-01-01T00:00Z; ``values`` (n, k) are in the signal units.
    With ``"mean"`` the result does not depend on the row order of the input at all (rows sharing an
    instant are summed in a canonical order); ``"first"``/``"last"`` keep the source order among equals.
    """
    n = instants.size
    moved = 0
    if np.any(np.diff(instants) < 0):
        moved = _rows_out_of_order(instants)
        warnings.warn(
            f"{moved} of {n} rows were out of time order (the fewest rows that must move); sorted by time (stable sort).",
            DataQualityWarning,
            stacklevel=4,
        )
    if duplicates == "mean":  # canonical order inside equal instants: by the values themselves
        order = np.lexsort((*values.T[::-1], instants))
    else:
        order = np.argsort(instants, kind="stable")
    ordered_instants, ordered_values = instants[order], values[order]
    unique, first, counts = np.unique(ordered_instants, return_index=True, return_counts=True)
    repeated = int(np.count_nonzero(counts > 1))
    removed = n - unique.size
    merged = ordered_values
    if removed:
        if duplicates == "error":
            listing = []
            for group in np.flatnonzero(counts > 1)[:8]:
                rows = np.sort(order[first[group] : first[group] + counts[group]])
                listing.append(f"{pd.Timestamp(int(unique[group]), unit='ns', tz='UTC')} in {describe_rows(rows)}")
            more = f"; and {repeated - 8} more timestamps" if repeated > 8 else ""
            raise DataError(
                f"{_count(removed, 'row')} repeat the timestamp of an earlier row ({_count(repeated, 'timestamp')}): "
                + "; ".join(listing)
                + more
                + ". With `duplicates='error'` they are rejected; choose 'mean', 'first' or 'last' to merge them."
            )
        if duplicates == "mean":
            valid = ~np.isnan(ordered_values)
            sums = np.add.reduceat(np.where(valid, ordered_values, 0.0), first, axis=0)
            count = np.add.reduceat(valid.astype(np.int64), first, axis=0)
            merged = np.divide(sums, count, out=np.full_like(sums, np.nan), where=count > 0)
        elif duplicates == "first":
            merged = ordered_values[first]
        else:
            merged = ordered_values[first + counts - 1]
        warnings.warn(
            f"{_count(removed, 'row')} repeated the timestamp of an earlier row ({_count(repeated, 'timestamp')}); "
            f"merged with duplicates={duplicates!r}.",
            DataQualityWarning,
            stacklevel=4,
        )
    empty = [channel for index, channel in enumerate(channels) if merged.shape[0] and not np.isfinite(merged[:, index]).any()]
    if empty:
        warnings.warn(
            "no finite reading in "
            + ", ".join(f"column {c.column!r} ({c.signal})" for c in empty)
            + f" over {_count(merged.shape[0], 'row')}: those signals drop out of every update and fit.",
            DataQualityWarning,
            stacklevel=4,
        )
    threshold = default_gap_threshold(unique) if gap_threshold is None else float(gap_threshold)
    quality = DataQuality(
        rows_read=n,
        rows_moved=moved,
        duplicate_rows=removed,
        duplicate_times=repeated,
        duplicate_policy=duplicates,
        gap_threshold=threshold,
    )
    return SensorData(unique, merged, channels, origin=origin, source_timezone=source_timezone, quality=quality)
