"""Sensor data at the boundary: read, map columns to model signals, convert units once, clean time.

The io stage turns sensor files and streams into :class:`SensorData`: UTC instants on an integer
nanosecond base, values in the signals' SI units in channel order, and a record of what was done
(rows re-ordered, duplicates merged, gaps, missing values). Policies are described in ``docs/io.md``.

>>> from physics_twin.io import Channel, ChannelMap, read_sensor_csv
>>> channels = ChannelMap([Channel("pipe.flow_rate", "Volume Flow RateRMS", "L/min", "m^3/s")])
>>> data = read_sensor_csv("valve1/0.csv", channels, time_column="datetime", separator=";")  # doctest: +SKIP
>>> ukf.run(data.times, data.model_inputs(model), data.array(ukf.measured))  # doctest: +SKIP
"""

from physics_twin.io.channels import Channel, ChannelMap
from physics_twin.io.readers import DUPLICATE_POLICIES, from_dataframe, read_sensor_csv
from physics_twin.io.sensor_data import DataQuality, DataQualityWarning, SensorData, fill_missing

__all__ = [
    "DUPLICATE_POLICIES",
    "Channel",
    "ChannelMap",
    "DataQuality",
    "DataQualityWarning",
    "SensorData",
    "fill_missing",
    "from_dataframe",
    "read_sensor_csv",
]
