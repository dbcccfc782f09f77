"""The IMS bearing twin on the shipped excerpt (test 2): onset, RUL contract, artefact rows."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from physics_twin.config import load_config
from physics_twin.errors import ConfigError, DataError, OutputError, UnitError
from physics_twin.io import DataQualityWarning
from physics_twin.prognostics import validate_rul_document
from physics_twin.twin import Twin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = EXAMPLES / "ims" / "bearing_test_2.csv"


@pytest.fixture(scope="module")
def run():
    config = load_config(EXAMPLES / "ims_bearing.toml")
    rul = dataclasses.replace(config.rul, every=math.inf, samples=500)  # one prediction, at the last sample
    twin = Twin(dataclasses.replace(config, rul=rul))
    data = twin.read(DATA)
    return twin, data, twin.run(data)


def test_onset_is_after_the_healthy_period_and_before_failure(run):
    _twin, data, result = run
    baseline = result.calibration.values[0]
    onset = result.dataset.attrs["filter_start_s"]
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    # independent check of the rule: the 1 h trailing median first exceeds 1.5 x baseline at the onset
    before = (data.times > onset - 3600.0) & (data.times <= onset)
    assert np.median(indicator[before]) > 1.5 * baseline
    earlier = data.times <= onset - 600.0
    medians = [np.median(indicator[(data.times > t - 3600.0) & (data.times <= t)]) for t in data.times[earlier][-30:]]
    assert max(medians) <= 1.5 * baseline
    assert 10 * 3600 < onset < data.times[-1]


def test_sensor_dropout_rows_drop_out_as_implausible(run):
    _twin, data, result = run
    # the README of the data: the last rows (~0.001 g) are sensor/stop artefacts, below the configured plausible
    # range of the sensor (0.01 g); they must become missing readings, counted and flagged, not believed
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    artefacts = int(np.sum(indicator < 0.01 * 9.80665))
    assert artefacts == 2
    measured = result.dataset["bearing.vibration_level_measured"]
    assert measured.attrs["out_of_range_readings"] == artefacts
    assert np.isnan(measured.to_numpy()[-2:]).all()
    assert "out_of_range_readings" in result.rul_document["data_quality"]["flags"]


def test_failed_bearing_is_reported_failed_and_the_contract_validates(run, tmp_path):
    _twin, data, result = run
    baseline = result.calibration.values[0]
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    valid = indicator > 0.5 * baseline
    # at the end of the test the measured indicator is beyond the failure threshold (3 x baseline)
    assert np.median(indicator[valid][-6:]) > 3 * baseline
    document = result.rul_document
    validate_rul_document(document)
    assert document["censoring"]["already_failed"] is True
    assert document["recommended_action"]["action"] == "stop"
    paths = result.write(tmp_path / "r.nc", tmp_path / "r.json")
    assert json.loads(paths[1].read_text())["asset_id"] == "ims-test2-bearing1"


def test_healthy_period_never_starts_the_prediction(tmp_path):
    # the first 100 h of test 2 are healthy for bearing 1 (its 1-h median stays below 1.5 x baseline there,
    # checked in the data below): on that excerpt no RUL may be claimed
    lines = DATA.read_text().splitlines()
    excerpt = tmp_path / "healthy.csv"
    excerpt.write_text("\n".join(lines[: 1 + 600]) + "\n")  # header + 600 snapshots of 10 min = 100 h
    twin = Twin.from_file(EXAMPLES / "ims_bearing.toml")
    data = twin.read(excerpt)
    indicator = data.array(["bearing.vibration_level"])[:, 0]
    assert indicator.max() < 1.5 * np.median(indicator[data.times < 36000])
    result = twin.run(data)
    assert result.rul is None and result.rul_document is None
    assert "onset not reached" in result.dataset.attrs["rul_status"]
    # the result knows the file it was computed from and never writes over it
    assert data.source == str(excerpt) and result.dataset.attrs["data_source"] == str(excerpt)
    before = excerpt.read_bytes()
    with pytest.raises(OutputError, match=r"`netcdf_path` '.*healthy\.csv' is the input `data`"):
        result.write(excerpt)
    assert excerpt.read_bytes() == before


def config_error(tmp_path, *replacements: tuple[str, str]) -> str:
    """The ConfigError message of the example config with each (old, new) text replaced (each must occur)."""
    text = (EXAMPLES / "ims_bearing.toml").read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Twin.from_file(config)
    return str(caught.value)


def test_degenerate_rul_settings_are_refused_in_the_users_units(tmp_path):
    message = config_error(
        tmp_path,
        ('every = { value = 2, unit = "h" }', 'every = { value = 0, unit = "h" }'),
        ('{ value = 24, unit = "h" }', '{ value = -1, unit = "h" }'),
    )
    assert "`rul.every` must be a duration > 0; got 0 h" in message
    assert "`rul.probability_horizons[0]` must be a duration > 0; got -1 h" in message
    message = config_error(tmp_path, ("threshold = 2.0", "threshold = -2.0"))
    assert "`rul.threshold` must be > 0 for the non-negative state 'bearing.damage'" in message


def test_a_measurement_unit_of_the_wrong_dimension_names_the_signal(tmp_path):
    config = tmp_path / "metres.toml"
    config.write_text((EXAMPLES / "ims_bearing.toml").read_text().replace('unit = "g0"', 'unit = "m"'))
    with pytest.raises(
        UnitError, match=r"`bearing.vibration_level`: column 'Bearing 1' is in 'm' .* but the signal is in 'm/s\^2'"
    ):
        Twin.from_file(config)


def test_rul_seed_and_horizons_are_checked_against_each_other(tmp_path):
    message = config_error(
        tmp_path,
        ("seed = 2004", "seed = -1"),
        ("step = 3600.0", "step = 3600000.0"),
        ('{ value = 7, unit = "d" }', '{ value = 30, unit = "d" }'),
    )
    assert "`rul.seed` must be an integer >= 0 (numpy's seed); got -1" in message
    assert "`rul.step` (3600000.0 s) must not exceed `rul.horizon` (500 h)" in message
    assert "`rul.probability_horizons[1]` (30 d) must not exceed `rul.horizon` (500 h)" in message


def test_calibration_without_usable_readings_is_an_error_not_a_certain_fit(tmp_path):
    # every reading 0.001 g: below the sensor's valid_range [0.01, 50] g, so none is usable
    lines = DATA.read_text().splitlines()
    rows = [line.split(",") for line in lines[1:200]]
    excerpt = tmp_path / "stopped.csv"
    excerpt.write_text("\n".join([lines[0], *(",".join([r[0], "0.001", *r[2:]]) for r in rows)]) + "\n")
    twin = Twin.from_file(EXAMPLES / "ims_bearing.toml")
    data = twin.read(excerpt)
    with (
        pytest.warns(DataQualityWarning, match=r"every reading of column 'Bearing 1' .* lies outside its valid_range"),
        pytest.raises(DataError, match=r"calibration window \[0.0, 36000.0\] s holds 0 finite reading\(s\) of bearing"),
    ):
        twin.calibrate(data)
