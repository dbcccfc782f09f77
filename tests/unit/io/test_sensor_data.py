"""SensorData: selection, arrays for the filters, filling inputs, the xarray form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from physics_twin.core.declarations import Input, Output
from physics_twin.core.model import Model
from physics_twin.errors import DataError, ParameterError, ShapeError, UnitError
from physics_twin.io import Channel, ChannelMap, DataQuality, DataQualityWarning, SensorData, fill_missing, from_dataframe

CHANNELS = ChannelMap(
    [
        Channel("motor.voltage", "Voltage", "V", "V"),
        Channel("pipe.flow_rate", "Flow", "L/min", "m^3/s"),
    ]
)
START = np.datetime64("2020-03-09T10:00:00", "ns")


def make(values, offsets_s=None, **options) -> SensorData:
    values = np.asarray(values, float)
    offsets = np.arange(len(values)) if offsets_s is None else np.asarray(offsets_s)
    stamps = [str(START + np.timedelta64(int(s * 1e9), "ns")) for s in offsets]
    return from_dataframe({"t": stamps, "Voltage": values[:, 0], "Flow": values[:, 1]}, CHANNELS, time_column="t", **options)


def model_with_inputs() -> Model:
    return Model(
        name="loop",
        states=(),
        inputs=(Input("motor.voltage", "V", "terminal voltage", 230.0), Input("pipe.valve_opening", "1", "opening", 1.0)),
        outputs=(Output("pipe.flow_rate", "m^3/s", "flow"),),
        parameters=(),
        rhs=None,
        output=None,
        parameter_values=np.zeros(0),
        feedthrough=np.zeros((1, 2), dtype=bool),
    )


def test_select_by_seconds_and_by_instants_is_inclusive_and_keeps_the_origin():
    data = make(np.column_stack([np.arange(6.0), np.arange(6.0)]))
    part = data.select(2.0, 4.0)
    np.testing.assert_array_equal(part.times, [2.0, 3.0, 4.0])  # still seconds since the original origin
    assert part.origin == data.origin and part.start == pd.Timestamp("2020-03-09T10:00:02Z")
    same = data.select("2020-03-09T10:00:02", np.datetime64("2020-03-09T10:00:04"))
    np.testing.assert_array_equal(same.values, part.values)
    np.testing.assert_array_equal(data.select(stop=1).times, [0.0, 1.0])
    with pytest.raises(DataError, match=r"no samples between 10\.5 and 11; the data cover 2020-03-09 10:00:00\+00:00"):
        data.select(10.5, 11)
    with pytest.raises(ParameterError, match="`start` must not be after `stop`"):
        data.select(4.0, 2.0)
    with pytest.raises(ParameterError, match="`start` must be an instant"):
        data.select("soon")


def test_array_keeps_nan_and_order():
    data = make([[230.0, 60.0], [np.nan, 120.0]])
    # 60 L/min = 1e-3 m³/s, 120 L/min = 2e-3 m³/s
    np.testing.assert_array_equal(data.array(["pipe.flow_rate", "motor.voltage"]), [[60 / 60000, 230.0], [120 / 60000, np.nan]])
    with pytest.raises(DataError, match=r"unknown signal 'pipe.flow' of the sensor data\. Did you mean 'pipe.flow_rate'"):
        data.array(["pipe.flow"])


def test_model_inputs_fill_measured_inputs_and_default_the_rest():
    # voltage 230, NaN, NaN, 236 at 0, 1, 2, 3 s: linear fill gives 232 and 234
    data = make([[230.0, 1.0], [np.nan, 1.0], [np.nan, 1.0], [236.0, 1.0]])
    model = model_with_inputs()
    inputs = data.model_inputs(model)
    np.testing.assert_array_equal(inputs, [[230.0, 1.0], [232.0, 1.0], [234.0, 1.0], [236.0, 1.0]])
    np.testing.assert_array_equal(data.model_inputs(model, method="previous")[:, 0], [230.0, 230.0, 230.0, 236.0])
    assert data.nan_counts["motor.voltage"] == 2  # the data are not changed


def test_model_inputs_errors():
    model = model_with_inputs()
    with pytest.warns(DataQualityWarning, match="no finite reading in column 'Voltage'"):
        empty = make([[np.nan, 1.0], [np.nan, 1.0]])
    with pytest.raises(DataError, match=r"input `motor.voltage` \(column 'Voltage'\) has no valid sample"):
        empty.model_inputs(model)
    kilovolts = ChannelMap([Channel("motor.voltage", "Voltage", "V", "kV")])
    data = from_dataframe({"t": ["2020-03-09T10:00:00"], "Voltage": [230.0]}, kilovolts, time_column="t")
    with pytest.raises(UnitError, match=r"input `motor.voltage` is declared in 'V' but the channel delivers 'kV'"):
        data.model_inputs(model)


def test_fill_missing_edges_and_methods():
    times = np.array([0.0, 1.0, 2.0, 4.0, 5.0])
    values = np.array([np.nan, 1.0, np.nan, 4.0, np.nan])
    # inside: 1 + (4 - 1) * (2 - 1) / (4 - 1) = 2; edges hold the nearest valid value
    np.testing.assert_array_equal(fill_missing(times, values), [1.0, 1.0, 2.0, 4.0, 4.0])
    np.testing.assert_array_equal(fill_missing(times, values, method="previous"), [1.0, 1.0, 1.0, 4.0, 4.0])
    np.testing.assert_array_equal(fill_missing(times, [np.nan, np.nan, 3.0, np.nan, np.nan]), [3.0] * 5)
    assert np.isnan(fill_missing(times, [np.nan] * 5)).all()
    two = fill_missing(times, np.column_stack([values, np.arange(5.0)]))
    np.testing.assert_array_equal(two[:, 1], np.arange(5.0))
    with pytest.raises(ParameterError, match="`method` must be 'linear' or 'previous'; got 'cubic'"):
        fill_missing(times, values, method="cubic")
    with pytest.raises(ShapeError, match="`values` must have shape"):
        fill_missing(times, values[:3])


def test_to_dataset_carries_units_timestamps_and_flags(tmp_path):
    data = make([[230.0, 60.0], [231.0, np.nan], [232.0, 60.0], [233.0, 60.0], [234.0, 60.0]], [0, 1, 2, 3, 10])
    dataset = data.to_dataset()
    assert dataset["pipe.flow_rate"].attrs["units"] == "m^3/s"
    assert dataset["pipe.flow_rate"].attrs["source_unit"] == "L/min"
    assert dataset["pipe.flow_rate"].attrs["missing_count"] == 1
    assert dataset["time"].attrs["units"] == "s"
    assert dataset["timestamp"].values[0] == START
    assert dataset.attrs["origin"] == "2020-03-09T10:00:00+00:00"
    # intervals 1 1 1 7: median 1 s, threshold 3 s, one gap 3 -> 10 s
    assert dataset.attrs["gap_count"] == 1 and dataset.attrs["gap_threshold"] == 3.0
    np.testing.assert_array_equal(dataset.attrs["gap_starts"], [3.0])
    path = tmp_path / "data.nc"
    dataset.to_netcdf(path)
    with xr.open_dataset(path) as back:
        np.testing.assert_array_equal(back["motor.voltage"].values, data.values[:, 0])
        assert back.attrs["duplicate_policy"] == "mean"


def test_origin_moves_the_time_axis_only():
    data = make([[230.0, 60.0], [231.0, 60.0]], origin="2020-03-09T09:59:00Z")
    np.testing.assert_array_equal(data.times, [60.0, 61.0])
    assert data.start == pd.Timestamp("2020-03-09T10:00:00Z")


def test_constructor_checks():
    with pytest.raises(DataError, match="`instants` must be strictly increasing"):
        SensorData(np.array([2, 1]), [[1.0, 2.0], [3.0, 4.0]], CHANNELS)
    with pytest.raises(ShapeError, match=r"`values` must have shape \(2, 2\)"):
        SensorData(np.array([1, 2]), [[1.0], [3.0]], CHANNELS)
    with pytest.raises(DataError, match="`values` must be finite or NaN"):
        SensorData(np.array([1, 2]), [[1.0, np.inf], [3.0, 4.0]], CHANNELS)
    with pytest.raises(ParameterError, match="`channels` must be a ChannelMap"):
        SensorData(np.array([1, 2]), [[1.0, 2.0], [3.0, 4.0]], list(CHANNELS))
    data = SensorData(np.array([0, 10**9]), [[1.0, 2.0], [3.0, 4.0]], CHANNELS)
    assert data.quality == DataQuality(rows_read=2, gap_threshold=3.0)
    assert data.start == pd.Timestamp("1970-01-01T00:00:00Z")
