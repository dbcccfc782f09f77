"""Timestamps -> UTC instants as int64 nanoseconds since 1970-01-01T00:00Z.

Rules (documented in ``docs/io.md``):

- Strings with an explicit UTC offset (``...+01:00``, ``...Z``) are exact instants; a ``timezone``
  argument is then not used. A column mixing strings with and without offsets is rejected.
- Naive strings and naive datetimes are local wall-clock times in ``timezone`` (an IANA name);
  without a zone they are UTC.
- Local times skipped by a spring-forward change do not exist and are rejected.
- Local times repeated by a fall-back change are resolved by their order: inside each run of
  consecutive rows in the repeated hour, the wall time must increase, step back (or repeat) exactly
  once where the clock went back, and increase again; rows before the step are the first occurrence
  (daylight time), rows from the step on the second. The result must be increasing in real time
  with the neighbouring rows too. Otherwise the rows are reported as unresolvable.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from physics_twin.errors import ParameterError, closest_names

NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9
_OFFSET = re.compile(r":\d{2}(?:[.,]\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_OFFSET_TEXT = re.compile(r"([zZ]|[+-]\d{2}(?::?\d{2})?)$")
_ISO_EXAMPLE = "ISO 8601 such as '2020-03-09 10:14:33' or '2021-03-28T01:30:00+00:00'"


def describe_rows(positions: Sequence[int] | np.ndarray, values: Sequence[Any] | None = None, limit: int = 8) -> str:
    """``"rows 3, 7 ('x', 'y')"`` with 1-based data-row numbers, the first ``limit`` of them."""
    positions = [int(p) for p in positions]
    shown = ", ".join(str(p + 1) for p in positions[:limit])
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    examples = ""
    if values is not None:
        shown_values = ", ".join(repr(v) for v in list(values)[: min(limit, 3)])
        examples = f" ({shown_values}{', ...' if len(positions) > 3 else ''})"
    return f"row{'s' if len(positions) > 1 else ''} {shown}{more}{examples}"


def check_timezone(timezone: str | None) -> str | None:
    """Return ``timezone`` after checking it names an IANA zone; raise :class:`ParameterError` otherwise."""
    if timezone is None:
        return None
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        close = closest_names(str(timezone), sorted(zoneinfo.available_timezones())) if isinstance(timezone, str) else []
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ParameterError(
            f"`timezone` must be an IANA time-zone name such as 'Europe/London' or 'UTC'; got {timezone!r}.{hint}"
        ) from None
    return timezone


def to_instant_ns(value: Any, argument: str) -> int:
    """One instant (string, datetime, numpy/pandas timestamp; naive = UTC) as int64 ns since the epoch."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"`{argument}` must be an instant (ISO 8601 string, datetime or numpy.datetime64); got {value!r} ({exc})."
        ) from None
    if stamp is pd.NaT:
        raise ParameterError(f"`{argument}` must be an instant; got {value!r}.")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.as_unit("ns").value)


def parse_times(column: pd.Series, *, time_format: str | None, timezone: str | None) -> tuple[np.ndarray, str, list[str]]:
    """Parse a time column to UTC.

    Returns
    -------
    instants : numpy.ndarray of int64
        Nanoseconds since 1970-01-01T00:00Z; :data:`NAT` where a row could not be parsed.
    source_timezone : str
        How the times were given: the zone name, ``"UTC"`` for naive times without a zone, or the
        offsets found in the data.
    problems : list of str
        Every problem found (empty when all rows parsed).
    """
    name = column.name
    n = len(column)
    missing = column.isna().to_numpy()
    problems: list[str] = []
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        instants = _nanoseconds(column)
        source = str(column.dtype.tz)
    elif pd.api.types.is_datetime64_dtype(column.dtype):
        naive = _nanoseconds(column)
        instants, problems = localize(naive, timezone)
        source = timezone or "UTC"
    elif pd.api.types.is_numeric_dtype(column.dtype):
        problems.append(
            f"time column {name!r} must hold timestamps (ISO 8601 strings such as '2020-03-09 10:14:33', or datetimes); "
            f"got numbers ({column.dtype})."
        )
        return np.full(n, NAT, dtype=np.int64), "UTC", problems
    else:
        text = column.map(_as_text, na_action="ignore").astype(object)
        given = ~missing
        if time_format is not None:
            with_offset = np.full(n, "%z" in time_format or "%Z" in time_format)
        else:
            with_offset = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool)
        if with_offset[given].any() and not with_offset[given].all():
            naive_rows = np.flatnonzero(given & ~with_offset)
            problems.append(
                f"time column {name!r} mixes timestamps with and without a UTC offset: no offset in "
                f"{describe_rows(naive_rows, text.iloc[naive_rows])}; give every row an offset or none."
            )
            return np.full(n, NAT, dtype=np.int64), "UTC", problems
        formatting = time_format or "ISO8601"
        if with_offset[given].any():
            parsed = pd.to_datetime(text, format=formatting, utc=True, errors="coerce")
            instants = _nanoseconds(parsed)
            offsets = sorted(set(text[given].str.extract(_OFFSET_TEXT, expand=False).dropna().map(_normal_offset)))
            listed = ", ".join(offsets[:6]) + (", ..." if len(offsets) > 6 else "")
            source = f"UTC offsets in the data: {listed}" if offsets else "UTC offsets in the data"
        else:
            parsed = pd.to_datetime(text, format=formatting, errors="coerce")
            naive = _nanoseconds(parsed)
            instants, problems = localize(naive, timezone)
            source = timezone or "UTC"
        unparsable = np.flatnonzero(given & (parsed.isna().to_numpy()))
        if unparsable.size:
            expected = f"format {time_format!r}" if time_format else _ISO_EXAMPLE
            where = describe_rows(unparsable, text.iloc[unparsable])
            problems.insert(0, f"time column {name!r}: cannot parse {where}; expected {expected}.")
    if missing.any():
        problems.insert(0, f"time column {name!r} has no timestamp in {describe_rows(np.flatnonzero(missing))}.")
    return instants, source, problems


def _normal_offset(text: str) -> str:
    """``"Z"``, ``"+01"``, ``"+0100"``, ``"+01:00"`` -> ``"+00:00"`` / ``"+01:00"``."""
    if text in ("Z", "z"):
        return "+00:00"
    digits = text[1:].replace(":", "")
    return f"{text[0]}{digits[:2]}:{digits[2:4] or '00'}"


def _nanoseconds(series: pd.Series) -> np.ndarray:
    """Datetimes (naive or aware) as int64 ns since the epoch (UTC for aware ones), :data:`NAT` for NaT."""
    return np.array(pd.DatetimeIndex(series).as_unit("ns").asi8, dtype=np.int64)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (_dt.datetime, np.datetime64, pd.Timestamp)):
        return pd.Timestamp(value).isoformat()
    return str(value)


def localize(naive: np.ndarray, timezone: str | None) -> tuple[np.ndarray, list[str]]:
    """Local wall-clock times (int64 ns, :data:`NAT` for missing) in ``timezone`` -> UTC instants."""
    if timezone is None or timezone == "UTC":
        return naive.copy(), []
    valid = naive != NAT
    wall = naive[valid]
    index = pd.DatetimeIndex(wall.view("M8[ns]"))
    first = index.tz_localize(timezone, ambiguous=np.ones(wall.size, dtype=bool), nonexistent="NaT").asi8
    second = index.tz_localize(timezone, ambiguous=np.zeros(wall.size, dtype=bool), nonexistent="NaT").asi8
    earlier, later = np.minimum(first, second), np.maximum(first, second)
    problems: list[str] = []
    rows = np.flatnonzero(valid)
    skipped = first == NAT
    if skipped.any():
        where = describe_rows(rows[skipped], [str(t) for t in index[skipped]])
        problems.append(
            f"local times that do not exist in {timezone} (the clock jumped forward over them) in {where}; "
            "check the time zone, or give timestamps with UTC offsets."
        )
    chosen = earlier.copy()
    repeated = np.flatnonzero((earlier != later) & ~skipped)
    if repeated.size:
        cuts = np.flatnonzero((np.diff(repeated) != 1) | (np.abs(np.diff(wall[repeated])) > _DAY_NS)) + 1
        for run in np.split(repeated, cuts):
            resolved = _resolve_run(run, wall, earlier, later, skipped)
            if resolved is None:
                where = describe_rows(rows[run], [str(t) for t in index[run]])
                problems.append(
                    f"local times that occur twice in {timezone} (the clock went back on {index[run[0]].date()}) in {where}, "
                    "and their order does not show which occurrence each is. Rule: inside the repeated hour the times must "
                    "increase in real time, so the wall clock steps back exactly once; give timestamps with UTC offsets "
                    "(or in UTC) to remove the ambiguity."
                )
                continue
            chosen[run] = resolved
    instants = np.full(naive.shape, NAT, dtype=np.int64)
    instants[valid] = chosen
    return instants, problems


def _resolve_run(
    run: np.ndarray, wall: np.ndarray, earlier: np.ndarray, later: np.ndarray, skipped: np.ndarray
) -> np.ndarray | None:
    """UTC instants of one run of consecutive repeated-hour rows, or None when the order does not tell."""
    steps_back = np.flatnonzero(wall[run][1:] <= wall[run][:-1]) + 1
    if steps_back.size != 1:
        return None
    split = int(steps_back[0])
    resolved = np.concatenate([earlier[run[:split]], later[run[split:]]])
    before, after = run[0] - 1, run[-1] + 1
    if before >= 0 and not skipped[before] and earlier[before] == later[before] and earlier[before] > resolved[0]:
        return None
    if after < wall.size and not skipped[after] and earlier[after] == later[after] and earlier[after] < resolved[-1]:
        return None
    return resolved
