"""Time parsing: UTC instants from naive local times (across DST changes), explicit offsets, microseconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from physics_twin.errors import DataError, ParameterError
from physics_twin.io import Channel, ChannelMap, fill_missing, from_dataframe, read_sensor_csv

CHANNELS = ChannelMap([Channel("x", "value", "1", "1")])


def utc(text: str) -> np.int64:
    """An instant written by hand in UTC, as int64 ns."""
    return np.datetime64(text, "ns").astype(np.int64)


def frame(times, values=None):
    return {"time": list(times), "value": list(range(len(times))) if values is None else list(values)}


def test_half_hourly_london_readings_across_the_october_2014_change(tmp_path):
    # Europe/London left BST (UTC+1) on 2014-10-26 at 02:00 BST = 01:00 UTC; the local hour 01:00-01:59 occurs twice.
    # A logger writing every 30 min of real time records the local times below. By hand:
    # 00:00 BST = 23:00Z (25th), 00:30 BST = 23:30Z, 01:00 BST = 00:00Z, 01:30 BST = 00:30Z,
    # 01:00 GMT = 01:00Z, 01:30 GMT = 01:30Z, 02:00 GMT = 02:00Z, 02:30 GMT = 02:30Z.
    local = ["00:00", "00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30"]
    path = tmp_path / "london.csv"
    path.write_text("time,value\n" + "".join(f"2014-10-26 {t}:00,{i}\n" for i, t in enumerate(local)))
    data = read_sensor_csv(path, CHANNELS, time_column="time", timezone="Europe/London")
    expected = [
        utc("2014-10-25T23:00"),
        utc("2014-10-25T23:30"),
        utc("2014-10-26T00:00"),
        utc("2014-10-26T00:30"),
        utc("2014-10-26T01:00"),
        utc("2014-10-26T01:30"),
        utc("2014-10-26T02:00"),
        utc("2014-10-26T02:30"),
    ]
    np.testing.assert_array_equal(data.instants, expected)
    np.testing.assert_array_equal(data.times, np.arange(8) * 1800.0)  # evenly spaced in real time
    assert data.start == pd.Timestamp("2014-10-25T23:00Z")
    assert data.source_timezone == "Europe/London"
    assert data.quality.duplicate_rows == 0 and data.quality.rows_moved == 0


def test_hourly_readings_repeat_the_wall_time_once():
    # hourly logger: 00:00 BST = 23:00Z, 01:00 BST = 00:00Z, 01:00 GMT = 01:00Z, 02:00 GMT = 02:00Z
    times = ["2014-10-26 00:00", "2014-10-26 01:00", "2014-10-26 01:00", "2014-10-26 02:00"]
    data = from_dataframe(frame(times), CHANNELS, time_column="time", timezone="Europe/London")
    np.testing.assert_array_equal(data.times, [0.0, 3600.0, 7200.0, 10800.0])


def test_a_lone_reading_in_the_repeated_hour_cannot_be_resolved():
    # 01:30 on 2014-10-26 is either 00:30Z or 01:30Z; nothing in the order tells which
    times = ["2014-10-26 00:30", "2014-10-26 01:30", "2014-10-26 02:30"]
    with pytest.raises(
        DataError,
        match=r"occur twice in Europe/London \(the clock went back on 2014-10-26\) in row 2 "
        r"\('2014-10-26 01:30:00'\).*steps back exactly once",
    ):
        from_dataframe(frame(times), CHANNELS, time_column="time", timezone="Europe/London")


def test_shuffled_rows_in_the_repeated_hour_are_not_guessed():
    # rows 1-2 would resolve to 00:30Z and 01:00Z, but the next row (00:30 BST = 23:30Z) lies before them in real
    # time, so the file is not monotone around the change and the rule must refuse
    times = ["2014-10-26 01:30", "2014-10-26 01:00", "2014-10-26 00:30", "2014-10-26 02:00"]
    with pytest.raises(DataError, match=r"occur twice in Europe/London .* rows 1, 2"):
        from_dataframe(frame(times), CHANNELS, time_column="time", timezone="Europe/London")


def test_local_times_skipped_by_spring_forward_are_rejected_with_rows():
    # Europe/London jumped from 01:00 GMT to 02:00 BST on 2014-03-30: 01:30 that day never happened
    times = ["2014-03-30 00:30", "2014-03-30 01:30", "2014-03-30 02:30"]
    with pytest.raises(DataError, match=r"do not exist in Europe/London .* in row 2 \('2014-03-30 01:30:00'\)"):
        from_dataframe(frame(times), CHANNELS, time_column="time", timezone="Europe/London")


def test_iso_strings_with_mixed_offsets_across_2021_03_28():
    # Europe switched to summer time on 2021-03-28 at 01:00 UTC; a source writing local offsets gives
    # 00:30+00:00 = 00:30Z, 00:59:59Z, 02:00+01:00 = 01:00Z, 02:30+01:00 = 01:30Z, 03:00+0100 = 02:00Z
    times = [
        "2021-03-28T00:30:00+00:00",
        "2021-03-28T00:59:59Z",
        "2021-03-28T02:00:00+01:00",
        "2021-03-28T02:30:00+01:00",
        "2021-03-28T03:00:00+0100",
    ]
    data = from_dataframe(frame(times), CHANNELS, time_column="time", timezone="Europe/London")  # offsets win over the zone
    np.testing.assert_array_equal(
        data.instants,
        [
            utc("2021-03-28T00:30"),
            utc("2021-03-28T00:59:59"),
            utc("2021-03-28T01:00"),
            utc("2021-03-28T01:30"),
            utc("2021-03-28T02:00"),
        ],
    )
    assert data.source_timezone == "UTC offsets in the data: +00:00, +01:00"


def test_naive_times_without_a_zone_are_utc():
    data = from_dataframe(frame(["2020-03-09 10:14:33", "2020-03-09 10:14:34"]), CHANNELS, time_column="time")
    assert data.start == pd.Timestamp("2020-03-09T10:14:33", tz="UTC")
    assert data.source_timezone == "UTC"


def test_datetimes_in_a_frame_aware_or_naive():
    aware = pd.DataFrame(
        {"value": [1.0, 2.0]}, index=pd.DatetimeIndex(["2021-03-28 00:30", "2021-03-28 03:30"], tz="Europe/Berlin", name="time")
    )
    # Berlin: 00:30 CET (UTC+1) = 23:30Z on the 27th; 03:30 CEST (UTC+2) = 01:30Z
    data = from_dataframe(aware, CHANNELS, time_column="time")
    np.testing.assert_array_equal(data.instants, [utc("2021-03-27T23:30"), utc("2021-03-28T01:30")])
    naive = pd.DataFrame({"time": pd.to_datetime(["2021-03-28 00:30", "2021-03-28 03:30"]), "value": [1.0, 2.0]})
    data = from_dataframe(naive, CHANNELS, time_column="time", timezone="Europe/Berlin")
    np.testing.assert_array_equal(data.instants, [utc("2021-03-27T23:30"), utc("2021-03-28T01:30")])


def test_custom_time_format():
    data = from_dataframe(
        frame(["09.03.2020 10:14:33", "09.03.2020 10:14:35"]), CHANNELS, time_column="time", time_format="%d.%m.%Y %H:%M:%S"
    )
    assert data.start == pd.Timestamp("2020-03-09T10:14:33Z")
    np.testing.assert_array_equal(data.times, [0.0, 2.0])


def test_microseconds_survive_and_interpolate_to_exactly_one_third():
    # values 0, NaN, 1 at t0, t0 + 1 µs, t0 + 3 µs: linear interpolation gives 0 + (1 - 0) * (1 µs / 3 µs) = 1/3.
    # With float seconds since 1970 the weight would come out 0.3077 (t0 ≈ 1.7e9 s leaves ~0.24 µs of resolution).
    times = ["2024-06-01T12:00:00", "2024-06-01T12:00:00.000001", "2024-06-01T12:00:00.000003"]
    data = from_dataframe(frame(times, [0.0, np.nan, 1.0]), CHANNELS, time_column="time")
    np.testing.assert_array_equal(np.diff(data.instants), [1_000, 2_000])
    assert data.times.tolist() == [0.0, 1e-6, 3e-6]
    assert fill_missing(data.instants, data.values)[1, 0] == 1 / 3
    assert fill_missing(data.timestamps, data.values[:, 0])[1] == 1 / 3
    assert data.nan_counts == {"x": 1}  # the data themselves keep the NaN


def test_nanosecond_strings_keep_their_digits():
    data = from_dataframe(frame(["2024-06-01T12:00:00", "2024-06-01T12:00:00.000000001"]), CHANNELS, time_column="time")
    np.testing.assert_array_equal(np.diff(data.instants), [1])


def test_every_bad_timestamp_is_reported_with_its_row():
    times = ["2020-03-09 10:14:33", "not a time", None, "2020-13-09 10:14:36", "2020-03-09 10:14:37"]
    expected = r"(?s)has no timestamp in row 3\..*cannot parse rows 2, 4 \('not a time', '2020-13-09 10:14:36'\)"
    with pytest.raises(DataError, match=expected):
        from_dataframe(frame(times), CHANNELS, time_column="time")


def test_mixing_naive_and_offset_strings_is_rejected():
    times = ["2021-03-28T00:30:00+00:00", "2021-03-28 00:45:00", "2021-03-28T01:00:00Z"]
    with pytest.raises(DataError, match=r"mixes timestamps with and without a UTC offset: no offset in row 2"):
        from_dataframe(frame(times), CHANNELS, time_column="time")


def test_numeric_time_column_is_rejected():
    with pytest.raises(DataError, match=r"time column 'time' must hold timestamps .* got numbers \(int64\)"):
        from_dataframe({"time": [1, 2], "value": [1.0, 2.0]}, CHANNELS, time_column="time")


def test_unknown_time_zone_names_the_closest():
    expected = r"`timezone` must be an IANA time-zone name .* got 'Europe/Londn'\. Did you mean 'Europe/London'"
    with pytest.raises(ParameterError, match=expected):
        from_dataframe(frame(["2020-03-09 10:14:33"]), CHANNELS, time_column="time", timezone="Europe/Londn")
