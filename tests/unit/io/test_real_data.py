"""The readers on the real SKAB pump and IMS bearing files (row counts and periods from their READMEs)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from physics_twin.io import Channel, ChannelMap, read_sensor_csv


def raw_column(path, column: str, separator: str) -> np.ndarray:
    """The column straight from the text with the csv module, independent of the reader under test."""
    with open(path, newline="") as handle:
        return np.array([float(row[column]) for row in csv.DictReader(handle, delimiter=separator)])


def test_skab_valve1_file(shared):
    path = shared("data", "skab", "valve1", "0.csv")
    channels = ChannelMap(
        [
            Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s"),
            Channel("motor.voltage", "Voltage", "V", "V"),
            Channel("motor.current", "Current", "A", "A"),
            Channel("motor.temperature", "Temperature", "degC", "K"),
            Channel("loop.fluid_temperature", "Thermocouple", "degC", "K"),
            Channel("pump.pressure", "Pressure", "bar", "Pa"),
            Channel("pump.vibration", "Accelerometer1RMS", "g0", "m/s^2"),
        ]
    )
    data = read_sensor_csv(path, channels, time_column="datetime", separator=";")
    assert len(data) == 1147  # README: valve1/0.csv has 1147 rows, 1 Hz, no duplicates
    assert data.quality.rows_read == 1147 and data.quality.duplicate_rows == 0 and data.quality.rows_moved == 0
    assert data.start == pd.Timestamp("2020-03-09 10:14:33Z")  # first data line of the file
    assert np.median(np.diff(data.times)) == 1.0
    # 1 L/min = 1e-3 m³ / 60 s = 1/60000 m³/s: the conversion factor is that number to the last bit
    flow = raw_column(path, "Volume Flow RateRMS", ";")
    np.testing.assert_array_equal(data.array(["pipe.flow_rate"])[:, 0], flow * (1 / 60000))
    np.testing.assert_allclose(data.array(["pipe.flow_rate"])[:, 0], flow / 60000, rtol=2.3e-16, atol=0)
    np.testing.assert_allclose(data.array(["motor.temperature"])[:, 0], raw_column(path, "Temperature", ";") + 273.15, rtol=1e-15)
    np.testing.assert_allclose(data.array(["pump.pressure"])[:, 0], raw_column(path, "Pressure", ";") * 1e5, rtol=1e-15)
    assert all(count == 0 for count in data.nan_counts.values())
    assert data.gaps.shape == (0, 2)


def test_ims_bearing_test_2(shared):
    path = shared("data", "ims_bearing", "merged_dataset_BearingTest_2.csv")
    channels = ChannelMap([Channel(f"bearing{i}.vibration_level", f"Bearing {i}", "g0", "m/s^2") for i in range(1, 5)])
    data = read_sensor_csv(path, channels, time_column=0)  # the timestamp column has no name
    assert len(data) == 984  # README: 984 snapshots
    # README: 2004-02-12 10:32 -> 2004-02-19 06:22, snapshots every 10 min
    assert data.start == pd.Timestamp("2004-02-12 10:32:39Z") and data.end == pd.Timestamp("2004-02-19 06:22:39Z")
    assert np.median(np.diff(data.times)) == 600.0
    # mean |a| in standard gravities; g0 = 9.80665 m/s² exactly
    np.testing.assert_allclose(data.values[:, 0], raw_column(path, "Bearing 1", ",") * 9.80665, rtol=1e-15)
