"""The SKAB pump-motor twin end to end on the shipped excerpt, and its behaviour on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from physics_twin.cli import main
from physics_twin.errors import ConfigError, DataError, ParameterError, UnitError
from physics_twin.io import DataQualityWarning
from physics_twin.twin import Twin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFIG = EXAMPLES / "skab_pump_motor.toml"
VALVE2 = EXAMPLES / "skab" / "valve2_3.csv"


@pytest.fixture(scope="module")
def twin() -> Twin:
    return Twin.from_file(CONFIG)


@pytest.fixture(scope="module")
def result(twin):
    return twin.run(twin.read(VALVE2))


def test_flags_the_valve_closure_inside_the_labelled_period(result):
    # The labels of the file itself say where the valve was closed; the flag must start inside that period
    # and there must be exactly one flagged period (no false alarm in the healthy part).
    frame = pd.read_csv(VALVE2, sep=";")
    labelled = np.flatnonzero(frame["anomaly"].to_numpy() > 0)
    times = result.dataset["time"].to_numpy()
    assert len(result.events) == 1
    event = result.events[0]
    assert times[labelled[0]] <= event.start <= times[labelled[-1]]
    assert event.direction == "increase"


def test_flow_drop_is_explained_by_the_resistance_change(result):
    # Independent check from the affinity of the system curve: at fixed pump speed and with the pump's own
    # head coefficient small against the system's, Q ~ 1/sqrt(K). The measured mean flow before and during the
    # flagged period therefore bounds the resistance ratio the filter should report (within 30 %, the pump's own
    # curve and the speed change take the rest).
    ds = result.dataset
    flow = ds["pipe.flow_rate_measured"].to_numpy()
    flag = ds["pipe.pipe_resistance_deviation_flag"].to_numpy().astype(bool)
    before = np.nanmean(flow[:400])
    during = np.nanmean(flow[flag])
    expected_ratio = (before / during) ** 2
    resistance = ds["pipe.pipe_resistance"].to_numpy()
    observed_ratio = np.median(resistance[flag]) / np.median(resistance[100:400])
    assert observed_ratio == pytest.approx(expected_ratio, rel=0.3)


def test_result_carries_units_uncertainty_and_consistency(result):
    ds = result.dataset
    assert ds["pipe.pipe_resistance"].attrs["units"] == "Pa*s^2/m^6"
    assert np.all(ds["pipe.pipe_resistance_std"].to_numpy() > 0)
    assert ds["nis_upper"].to_numpy()[5] > ds["nis_lower"].to_numpy()[5]
    assert {"nis_mean", "nis_band_lower", "nis_band_upper"} <= set(ds.attrs)
    assert ds["timestamp"].dtype.kind == "M"
    assert result.calibration.lower[0] < result.calibration.values[0] < result.calibration.upper[0]


def test_rows_in_any_order_give_the_same_result(twin, result, tmp_path):
    frame = pd.read_csv(VALVE2, sep=";")
    shuffled = frame.sample(frac=1.0, random_state=7)
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, sep=";", index=False)
    with pytest.warns(DataQualityWarning, match="sort"):
        data = twin.read(path)
    again = twin.run(data)
    np.testing.assert_array_equal(
        again.dataset["pipe.pipe_resistance"].to_numpy(), result.dataset["pipe.pipe_resistance"].to_numpy()
    )


def test_duplicated_timestamps_are_averaged_with_a_warning(twin, tmp_path):
    frame = pd.read_csv(VALVE2, sep=";")
    doubled = pd.concat([frame, frame.iloc[40:50]]).sort_index(kind="stable")  # each of rows 40-49 twice, in time order
    path = tmp_path / "duplicates.csv"
    doubled.to_csv(path, sep=";", index=False)
    with pytest.warns(DataQualityWarning, match="duplicate"):
        data = twin.read(path)
    assert len(data) == len(frame)


def test_a_run_of_missing_flow_values_drops_that_channel_only(twin, tmp_path):
    frame = pd.read_csv(VALVE2, sep=";")
    frame.loc[500:560, "Volume Flow RateRMS"] = np.nan
    path = tmp_path / "gap.csv"
    frame.to_csv(path, sep=";", index=False)
    ds = twin.run(twin.read(path)).dataset
    innovation = ds["pipe.flow_rate_innovation"].to_numpy()
    assert np.all(np.isnan(innovation[500:561]))
    assert np.all(np.isfinite(ds["motor.current_innovation"].to_numpy()[500:561]))
    assert np.all(ds["nis_dof"].to_numpy()[500:561] == 2)
    assert np.all(np.isfinite(ds["pipe.pipe_resistance"].to_numpy()))


def test_data_shorter_than_the_windows_are_reported_with_what_they_cover(twin, tmp_path):
    # The first 31 samples (about 30 s) of the file against a calibration window of [0, 400) s: the fit runs on what
    # there is, with a warning saying how little that is; the full run then fails on the deviation baseline
    # [100, 400) s, naming the span the data cover.
    frame = pd.read_csv(VALVE2, sep=";").iloc[:31]
    path = tmp_path / "short.csv"
    frame.to_csv(path, sep=";", index=False)
    data = twin.read(path)
    end = f"{data.times[-1]:g}"  # about 30 s (SKAB's clock is not exactly 1 Hz)
    with pytest.warns(DataQualityWarning, match=rf"calibration window \[0.0, 400.0\] s: the data cover only \[0, {end}\] s"):
        twin.calibrate(data)
    with pytest.warns(DataQualityWarning), pytest.raises(ParameterError, match=rf"the estimates cover \[0, {end}\] s"):
        twin.run(data)


def test_missing_column_names_it_and_the_closest(twin, tmp_path):
    frame = pd.read_csv(VALVE2, sep=";").rename(columns={"Current": "Curent"})
    path = tmp_path / "renamed.csv"
    frame.to_csv(path, sep=";", index=False)
    with pytest.raises(DataError, match="Current") as caught:
        twin.read(path)
    assert "Curent" in str(caught.value)


def test_unit_with_wrong_dimension_is_rejected(tmp_path):
    text = CONFIG.read_text().replace('unit = "L/min"', 'unit = "bar"')
    path = tmp_path / "bad_unit.toml"
    path.write_text(text)
    with pytest.raises(UnitError, match="bar"):
        Twin.from_file(path).channel_map()


def test_config_errors_are_listed_together_with_suggestions(tmp_path):
    text = (
        CONFIG.read_text()
        .replace('type = "PipeLoop"', 'type = "PipeLop"')
        .replace("reference_resistance = {", "reference_resistence = {")
    )
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Twin.from_file(path)
    message = str(caught.value)
    assert "PipeLop" in message and "PipeLoop" in message
    assert "reference_resistence" in message and "reference_resistance" in message


def test_parameter_unit_must_match_exactly(tmp_path):
    text = CONFIG.read_text().replace('unit = "ohm"', 'unit = "kohm"')
    path = tmp_path / "kohm.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="kohm"):
        Twin.from_file(path)


def test_cli_run_writes_netcdf_and_summary(tmp_path, capsys):
    out = tmp_path / "result.nc"
    status = main(["run", str(CONFIG), "--data", str(VALVE2), "--out", str(out), "--quiet"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "deviation: pipe.pipe_resistance increase" in printed
    with xr.open_dataset(out) as ds:
        assert ds["pipe.flow_rate_measured"].attrs["units"] == "m^3/s"
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_bad_data_exits_2_and_writes_nothing(tmp_path, capsys):
    frame = pd.read_csv(VALVE2, sep=";").drop(columns=["Voltage"])
    data = tmp_path / "no_voltage.csv"
    frame.to_csv(data, sep=";", index=False)
    out = tmp_path / "result.nc"
    status = main(["run", str(CONFIG), "--data", str(data), "--out", str(out), "--quiet"])
    assert status == 2
    assert "Voltage" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [data]


def test_cli_missing_output_folder_exits_2(tmp_path, capsys):
    status = main(["run", str(CONFIG), "--data", str(VALVE2), "--out", str(tmp_path / "nowhere" / "r.nc"), "--quiet"])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_interrupt_inside_compiled_code_exits_130_and_writes_nothing(tmp_path, capsys, monkeypatch):
    # Ctrl-C while numba code runs surfaces as SystemError("... returned a result with an exception set") chained to
    # the KeyboardInterrupt: the CLI must treat it as the interrupt it is; any other SystemError stays an error.
    def interrupted(self, data, progress=None):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher(<function time_to_failure>) returned a result with an exception set") from exc

    monkeypatch.setattr(Twin, "run", interrupted)
    out = tmp_path / "result.nc"
    assert main(["run", str(CONFIG), "--data", str(VALVE2), "--out", str(out), "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []

    def broken(self, data, progress=None):
        raise SystemError("a genuine interpreter error")

    monkeypatch.setattr(Twin, "run", broken)
    with pytest.raises(SystemError, match="genuine"):
        main(["run", str(CONFIG), "--data", str(VALVE2), "--out", str(out), "--quiet"])


def test_shipped_excerpt_is_the_upstream_file(shared):
    # the demo's data are byte-for-byte copies of the shared dataset (provenance in examples/skab/README.md)
    upstream = shared("data", "skab", "valve2", "3.csv")
    assert VALVE2.read_bytes() == upstream.read_bytes()
    assert "GNU GENERAL PUBLIC LICENSE" in (EXAMPLES / "skab" / "LICENSE").read_text()
