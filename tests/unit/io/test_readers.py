"""Readers: sorting, duplicate policies, gaps, missing values, and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest

from physics_twin.errors import DataError, ParameterError
from physics_twin.io import Channel, ChannelMap, DataQualityWarning, from_dataframe, read_sensor_csv

PUMP = ChannelMap(
    [
        Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s"),
        Channel("motor.voltage", "Voltage", "V", "V"),
        Channel("motor.temperature", "Temperature", "degC", "K"),
    ]
)
SKAB_HEADER = "datetime;Current;Temperature;Voltage;Volume Flow RateRMS\n"
TWO = ChannelMap([Channel("a", "a", "1", "1"), Channel("b", "b", "1", "1")])


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def seconds(*offsets: float) -> list[str]:
    """ISO strings at the given seconds after 2020-03-09 10:00:00 (UTC)."""
    base = np.datetime64("2020-03-09T10:00:00", "ns")
    return [str(base + np.timedelta64(round(s * 1e9), "ns")) for s in offsets]


def test_skab_style_file_is_mapped_and_converted(tmp_path):
    path = write(
        tmp_path,
        SKAB_HEADER + "2020-03-09 10:14:33;1.33;79.3366;233.062;32.0\n" + "2020-03-09 10:14:34;1.35;79.5158;236.04;30.0\n",
    )
    data = read_sensor_csv(path, PUMP, time_column="datetime", separator=";")
    # 32 L/min = 32/60000 m³/s; 79.3366 °C = 352.4866 K; volts unchanged
    np.testing.assert_allclose(
        data.values, [[32 / 60000, 233.062, 79.3366 + 273.15], [30 / 60000, 236.04, 79.5158 + 273.15]], rtol=1e-15, atol=0
    )
    assert data.signals == ("pipe.flow_rate", "motor.voltage", "motor.temperature")
    assert data.units == ("m^3/s", "V", "K")
    np.testing.assert_array_equal(data.times, [0.0, 1.0])
    assert data.values.flags.c_contiguous and not data.values.flags.writeable


def test_unsorted_rows_are_sorted_with_a_warning_counting_the_fewest_moves(tmp_path):
    # times 0 1 2 5 3 4: moving the single row at 5 s to the end sorts the file, so 1 row moved
    times = seconds(0, 1, 2, 5, 3, 4)
    with pytest.warns(DataQualityWarning, match=r"^1 of 6 rows were out of time order"):
        data = from_dataframe({"t": times, "a": [0, 1, 2, 5, 3, 4], "b": [0] * 6}, TWO, time_column="t")
    np.testing.assert_array_equal(data.times, [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(data.values[:, 0], [0, 1, 2, 3, 4, 5])
    assert data.quality.rows_moved == 1
    # reversed order: only one row can stay in place, so n - 1 move
    with pytest.warns(DataQualityWarning, match=r"^4 of 5 rows were out of time order"):
        from_dataframe({"t": seconds(4, 3, 2, 1, 0), "a": range(5), "b": range(5)}, TWO, time_column="t")


def test_result_does_not_depend_on_row_order(rng):
    # 30 instants, some repeated two or three times, some values missing
    instants = np.repeat(np.arange(30.0), rng.integers(1, 4, size=30))
    a = rng.normal(size=instants.size)
    b = rng.normal(size=instants.size)
    b[rng.random(instants.size) < 0.2] = np.nan
    table = {"t": seconds(*instants), "a": a, "b": b}
    with pytest.warns(DataQualityWarning, match="repeated the timestamp"):
        reference = from_dataframe(table, TWO, time_column="t")
    for _ in range(5):
        order = rng.permutation(instants.size)
        shuffled = {key: [values[i] for i in order] for key, values in table.items()}
        with pytest.warns(DataQualityWarning):
            data = from_dataframe(shuffled, TWO, time_column="t")
        np.testing.assert_array_equal(data.instants, reference.instants)
        np.testing.assert_array_equal(data.values, reference.values)  # exactly, NaN in the same places
    assert reference.quality.duplicate_rows == instants.size - 30
    assert len(reference) == 30


@pytest.mark.parametrize(
    ("policy", "expected_a", "expected_b"),
    [
        ("mean", 3.0, 3.0),  # a: (2 + 4) / 2; b: mean of the non-missing readings (3, NaN) is 3
        ("first", 2.0, 3.0),
        ("last", 4.0, np.nan),
    ],
)
def test_duplicate_policies(policy, expected_a, expected_b):
    table = {"t": seconds(0, 1, 1, 2), "a": [1.0, 2.0, 4.0, 8.0], "b": [np.nan, 3.0, np.nan, 5.0]}
    expected = rf"^1 row repeated the timestamp of an earlier row \(1 timestamp\); merged with duplicates='{policy}'"
    with pytest.warns(DataQualityWarning, match=expected):
        data = from_dataframe(table, TWO, time_column="t", duplicates=policy)
    np.testing.assert_array_equal(data.values, [[1.0, np.nan], [expected_a, expected_b], [8.0, 5.0]])
    assert (data.quality.duplicate_rows, data.quality.duplicate_times, data.quality.duplicate_policy) == (1, 1, policy)


def test_duplicates_error_policy_names_rows_and_instants():
    table = {"t": seconds(0, 1, 1, 2, 2, 2), "a": range(6), "b": range(6)}
    with pytest.raises(
        DataError,
        match=r"3 rows repeat the timestamp of an earlier row \(2 timestamps\): "
        r"2020-03-09 10:00:01\+00:00 in rows 2, 3; 2020-03-09 10:00:02\+00:00 in rows 4, 5, 6",
    ):
        from_dataframe(table, TWO, time_column="t", duplicates="error")


def test_gaps_default_to_three_median_intervals():
    # intervals 1 1 1 7 1: median 1 s, threshold 3 s, one gap from 3 s to 10 s
    table = {"t": seconds(0, 1, 2, 3, 10, 11), "a": range(6), "b": range(6)}
    data = from_dataframe(table, TWO, time_column="t")
    assert data.quality.gap_threshold == 3.0
    np.testing.assert_array_equal(data.gaps, [[3.0, 10.0]])
    assert from_dataframe(table, TWO, time_column="t", gap_threshold=7.0).gaps.shape == (0, 2)  # strictly longer
    assert from_dataframe(table, TWO, time_column="t", gap_threshold=0.5).gaps.shape == (5, 2)


def test_missing_values_stay_nan_and_are_counted(tmp_path):
    path = write(
        tmp_path,
        "t,a,b\n"
        + "".join(
            f"{t},{a},{b}\n"
            for t, a, b in zip(seconds(0, 1, 2, 3, 4), ["1", "", "", "", "5"], ["1", "2", "NaN", "4", "n/a"], strict=True)
        ),
    )
    data = read_sensor_csv(path, TWO, time_column="t")
    np.testing.assert_array_equal(data.values[:, 0], [1, np.nan, np.nan, np.nan, 5])
    assert data.nan_counts == {"a": 3, "b": 2}


def test_missing_columns_list_closest_and_available(tmp_path):
    path = write(tmp_path, SKAB_HEADER + "2020-03-09 10:14:33;1.33;79.3;233.0;32.0\n")
    channels = ChannelMap(
        [
            Channel("pipe.flow_rate", "Volume Flow Rate", "L/min", "m^3/s"),
            Channel("motor.voltage", "Volts", "V", "V"),
        ]
    )
    expected = (
        r"(?s)column 'Volume Flow Rate' for signal `pipe.flow_rate` is missing\. Did you mean 'Volume Flow RateRMS'\?"
        r".*column 'Volts' for signal `motor.voltage` is missing"
        r".*available columns: 'datetime', 'Current', 'Temperature', 'Voltage', 'Volume Flow RateRMS'"
    )
    with pytest.raises(DataError, match=expected):
        read_sensor_csv(path, channels, time_column="datetime", separator=";")


def test_all_problems_of_a_file_in_one_error(tmp_path):
    path = write(
        tmp_path,
        SKAB_HEADER
        + "2020-03-09 10:14:33;1.33;79.3;233.0;32.0\n"
        + "yesterday;1.33;79.3;233.0;32.0\n"
        + "2020-03-09 10:14:35;1.33;hot;233.0;lots\n"
        + "2020-03-09 10:14:36;1.33;79.3;inf;32.0\n",
    )
    expected = (
        r"(?s)cannot read .*data.csv.*cannot parse row 2 \('yesterday'\)"
        r".*column 'Volume Flow RateRMS' \(signal `pipe.flow_rate`\) must hold numbers in 'L/min'; cannot read row 3 \('lots'\)"
        r".*column 'Voltage' .* infinite values in row 4"
        r".*column 'Temperature' \(signal `motor.temperature`\) must hold numbers in 'degC'; cannot read row 3 \('hot'\)"
    )
    with pytest.raises(DataError, match=expected):
        read_sensor_csv(path, PUMP, time_column="datetime", separator=";")


def test_empty_file_header_only_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="the file is empty"):
        read_sensor_csv(write(tmp_path, ""), PUMP, time_column="datetime")
    with pytest.raises(DataError, match=r"there are no data rows \(only a header\)"):
        read_sensor_csv(write(tmp_path, SKAB_HEADER, "header.csv"), PUMP, time_column="datetime", separator=";")
    expected = r"`path` must be an existing file; got .*heade\.csv' \(no such file\)\. Files with similar names there: header"
    with pytest.raises(DataError, match=expected):
        read_sensor_csv(tmp_path / "heade.csv", PUMP, time_column="datetime")
    with pytest.raises(DataError, match=r"its directory .* does not exist"):
        read_sensor_csv(tmp_path / "nowhere" / "x.csv", PUMP, time_column="datetime")


def test_wrong_separator_gets_a_hint(tmp_path):
    path = write(tmp_path, SKAB_HEADER + "2020-03-09 10:14:33;1.33;79.3;233.0;32.0\n")
    with pytest.raises(DataError, match=r"the header has a single column .*; is `separator` \(','\) right\?$") as caught:
        read_sensor_csv(path, PUMP, time_column=0)  # by position, the one column a wrong separator leaves
    assert "1.33;79.3" not in str(caught.value)  # the rows are not parsed, so not echoed back as unreadable times


def test_unnamed_time_column_by_position_decimal_comma_and_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff;a;b\n2004-02-12 10:32:39;0,5;1,25\n2004-02-12 10:42:39;0,75;1\n".encode())
    data = read_sensor_csv(path, TWO, time_column=0, separator=";", decimal=",")
    np.testing.assert_array_equal(data.values, [[0.5, 1.25], [0.75, 1.0]])
    np.testing.assert_array_equal(data.times, [0.0, 600.0])


def test_invalid_options_are_listed_together():
    expected = (
        r"(?s)`duplicates` must be one of 'mean', 'first', 'last', 'error'; got 'median'"
        r".*`gap_threshold` must be a number > 0 \[s\].*got -1"
        r".*`time_column` must be a column name or a position"
    )
    with pytest.raises(ParameterError, match=expected):
        from_dataframe({"t": seconds(0), "a": [1], "b": [2]}, TWO, time_column=None, duplicates="median", gap_threshold=-1)


def test_records_from_a_stream_with_absent_keys():
    records = [{"t": "2021-03-28T00:30:00Z", "a": 1.0, "b": 2.0}, {"t": "2021-03-28T00:30:01Z", "a": 3.0}]
    data = from_dataframe(records, TWO, time_column="t", origin="2021-03-28T00:00:00Z")
    np.testing.assert_array_equal(data.values, [[1.0, 2.0], [3.0, np.nan]])
    np.testing.assert_array_equal(data.times, [1800.0, 1801.0])  # seconds since the given origin


def test_a_column_without_any_finite_reading_is_named_in_a_warning():
    with pytest.warns(DataQualityWarning, match=r"^no finite reading in column 'b' \(.*\) over 3 rows: those signals drop out"):
        data = from_dataframe({"t": seconds(0, 1, 2), "a": [1.0, 2.0, 3.0], "b": [np.nan] * 3}, TWO, time_column="t")
    assert np.isnan(data.values[:, 1]).all() and np.isfinite(data.values[:, 0]).all()
