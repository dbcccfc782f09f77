"""`physics-twin fmu info|validate|simulate` through add_fmu_commands."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest
import xarray as xr

from physics_twin.fmu import testing
from physics_twin.fmu.cli import add_fmu_commands


def run(argv):
    parser = argparse.ArgumentParser(prog="physics-twin")
    add_fmu_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_info_lists_signals_and_capabilities(array_fmu, capsys):
    assert run(["fmu", "info", str(array_fmu)]) == 0
    out = capsys.readouterr().out
    assert "FMI 3.0" in out
    assert "gains    Float64[3]" in out
    assert "get/set state, serialize state, variable step" in out
    assert run(["fmu", "info", str(array_fmu), "--json", "--all"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {v["name"]: v["start"] for v in payload["variables"]}["gains"] == [1.0, 2.0, 3.0]


def test_validate_sets_the_exit_status(oscillator_fmu, fmu_dir, capsys):
    bad = testing.build_oscillator_fmu(fmu_dir, enabled_start="False", name="cli_bad")
    assert run(["fmu", "validate", str(oscillator_fmu)]) == 0
    assert run(["fmu", "validate", str(oscillator_fmu), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "cli_bad.fmu: INVALID" in out
    assert "`enabled`" in out


def test_simulate_writes_csv_and_netcdf(array_fmu, tmp_path):
    csv = tmp_path / "result.csv"
    assert (
        run(
            [
                "fmu",
                "simulate",
                str(array_fmu),
                "--stop-time",
                "1",
                "--step",
                "0.5",
                "--set",
                "gains=[2,2,2]",
                "--input",
                "u=1",
                "-o",
                str(csv),
            ]
        )
        == 0
    )
    table = pd.read_csv(csv, index_col="time")
    assert list(table.index) == [0.0, 0.5, 1.0]
    assert table["pt_array.y[0]"].iloc[0] == 2.0  # y = gains * x, x(0) = 1
    netcdf = tmp_path / "result.nc"
    assert run(["fmu", "simulate", str(array_fmu), "--stop-time", "1", "--step", "0.5", "-o", str(netcdf)]) == 0
    with xr.open_dataset(netcdf) as data:
        assert data["pt_array.y"].dims == ("time", "pt_array.y_index")


def test_bad_pair_is_reported(array_fmu):
    from physics_twin.errors import ParameterError

    with pytest.raises(ParameterError, match=r"`--set` takes NAME=VALUE; got 'gains'"):
        run(["fmu", "simulate", str(array_fmu), "--set", "gains"])
