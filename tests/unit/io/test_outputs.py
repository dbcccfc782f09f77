"""Output paths are checked before a run starts: no traceback, no destroyed input, no stale or half-written file."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from physics_twin.cli import main
from physics_twin.errors import OutputError
from physics_twin.io.outputs import check_output_paths, write_atomically, write_files_atomically
from physics_twin.twin import TwinResult

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
IMS_CONFIG = EXAMPLES / "ims_bearing.toml"
IMS_DATA = EXAMPLES / "ims" / "bearing_test_2.csv"


def test_an_output_that_is_an_input_is_refused(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("t,x\n0,1\n")
    with pytest.raises(OutputError, match=r"`--out` '.*data\.csv' is the input `--data`: writing would destroy it"):
        check_output_paths({"--out": data}, inputs={"--data": data})
    with pytest.raises(OutputError, match=r"`--out` .* is the input `--data`"):  # the same file by another spelling
        check_output_paths({"--out": tmp_path / "." / "data.csv"}, inputs={"--data": str(data)})


def test_every_problem_is_listed_at_once(tmp_path):
    with pytest.raises(OutputError) as caught:
        check_output_paths({"--out": tmp_path / "r.nc", "--rul-json": tmp_path / "r.nc", "--report": tmp_path, "--log": ""})
    message = str(caught.value)
    assert "`--rul-json` and `--out` are the same file" in message
    assert f"`--report` must be a file path; {str(tmp_path)!r} is a folder" in message
    assert "`--log` must be a file path; got an empty string" in message
    assert check_output_paths({"--out": tmp_path / "r.nc", "--rul-json": None}) == {"--out": tmp_path / "r.nc"}


def test_a_missing_or_unwritable_folder_is_refused_by_name(tmp_path):
    with pytest.raises(OutputError, match=r"`--out` must be in an existing folder; '.*nowhere' does not exist"):
        check_output_paths({"--out": tmp_path / "nowhere" / "r.nc"})
    if not sys.platform.startswith("linux"):
        pytest.skip("/proc (where not even root can create files) is Linux only")
    with pytest.raises(OutputError, match=r"`--out`: cannot write in folder '/proc' \("):
        check_output_paths({"--out": "/proc/physics_twin_result.nc"})


def test_write_atomically_leaves_nothing_on_failure_and_publishes_readable_files(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def fail(name):
        Path(name).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(OutputError, match=r"`path` '.*table\.csv' could not be written: disk full"):
        write_atomically(target, fail)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]
    write_atomically(target, lambda name: Path(name).write_text("new\n"))
    assert target.read_text() == "new\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 & ~umask  # not mkstemp's 0600


def _result(rul_status: str | None) -> TwinResult:
    dataset = xr.Dataset({"x": ("time", np.arange(3.0))}, coords={"time": np.arange(3.0)})
    if rul_status is not None:
        dataset.attrs["rul_status"] = rul_status
    return TwinResult(dataset=dataset, rul_document=None, rul=None, events=[], calibration=None)


def test_write_refuses_a_rul_path_without_a_rul_table_before_writing(tmp_path):
    with pytest.raises(OutputError, match=r"`rul_json_path` .* the twin's configuration has no \[rul\] table"):
        _result(None).write(tmp_path / "r.nc", tmp_path / "r.rul.json")
    assert list(tmp_path.iterdir()) == []


def test_write_removes_a_stale_rul_document_when_this_run_has_none(tmp_path):
    stale = tmp_path / "r.rul.json"
    stale.write_text('{"schema_version": "physics_twin.rul/1.0.0", "recommended_action": {"action": "stop"}}')
    with pytest.warns(UserWarning, match=r"removed .*r\.rul\.json.*earlier run's RUL estimate.*onset not reached"):
        written = _result("degradation onset not reached").write(tmp_path / "r.nc", stale)
    assert written == [tmp_path / "r.nc"]
    assert not stale.exists()
    assert xr.open_dataset(tmp_path / "r.nc")["x"].values.tolist() == [0.0, 1.0, 2.0]


def test_cli_run_refuses_to_overwrite_its_data_and_checks_rul_json_before_running(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_bytes(IMS_DATA.read_bytes())
    status = main(["run", str(IMS_CONFIG), "--data", str(data), "--out", str(data), "--quiet"])
    assert status == 2
    assert "`--out`" in (err := capsys.readouterr().err) and "is the input `--data`" in err
    assert data.read_bytes() == IMS_DATA.read_bytes()
    out = tmp_path / "ok.nc"
    status = main(["run", str(IMS_CONFIG), "--data", str(data), "--out", str(out), "--rul-json", str(tmp_path / "no" / "r.json")])
    assert status == 2
    assert "`--rul-json` must be in an existing folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]  # nothing written, not even the NetCDF


def test_outputs_must_carry_their_format_suffix(tmp_path, capsys):
    # A NetCDF file written under result.csv would mislead whoever opens it: refused before running, by the CLI and by
    # TwinResult.write alike, naming the argument, the suffixes allowed and the one given.
    status = main(["run", str(IMS_CONFIG), "--data", str(IMS_DATA), "--out", str(tmp_path / "result.csv"), "--quiet"])
    assert status == 2
    assert "`--out` '" in (err := capsys.readouterr().err) and "must end in .nc or .nc4 (the file's format); got '.csv'" in err
    status = main(
        ["run", str(IMS_CONFIG), "--data", str(IMS_DATA), "--out", str(tmp_path / "r.nc"), "--rul-json", str(tmp_path / "r")]
    )
    assert status == 2 and "`--rul-json` '" in capsys.readouterr().err
    with pytest.raises(
        OutputError, match=r"`netcdf_path` '.*result' must end in \.nc or \.nc4 \(the file's format\); got no suffix"
    ):
        _result(None).write(tmp_path / "result")
    assert list(tmp_path.iterdir()) == []


def test_cli_fmu_simulate_checks_its_output_before_loading(tmp_path, capsys):
    status = main(["fmu", "simulate", str(tmp_path / "missing.fmu"), "-o", str(tmp_path / "no" / "x.csv")])
    assert status == 2
    assert "`--output` must be in an existing folder" in capsys.readouterr().err


def test_cli_names_a_missing_data_file_by_its_option(tmp_path, capsys):
    for command in ("run", "calibrate"):
        extra = ["--out", str(tmp_path / "r.nc")] if command == "run" else []
        assert main([command, str(IMS_CONFIG), "--data", str(IMS_DATA.with_name("bearing_test_9.csv")), *extra]) == 2
        err = capsys.readouterr().err
        assert "`--data` must be an existing file" in err and "similar names there: bearing_test_2.csv" in err
    assert list(tmp_path.iterdir()) == []


def test_special_files_and_symbolic_links_are_refused_not_replaced(tmp_path):
    regular = tmp_path / "real.nc"
    regular.write_text("keep")
    link = tmp_path / "link.nc"
    link.symlink_to(regular)
    with pytest.raises(OutputError, match=r"`--out` '.*link\.nc' is a symbolic link: it would be replaced"):
        check_output_paths({"--out": link})
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.nc"
        os.mkfifo(fifo)
        with pytest.raises(OutputError, match=r"`--out` '.*pipe\.nc' is not a regular file \(a device, FIFO or socket\)"):
            check_output_paths({"--out": fifo})
    assert link.is_symlink() and regular.read_text() == "keep"


def test_several_files_are_written_all_or_nothing(tmp_path):
    first, second = tmp_path / "a.nc", tmp_path / "a.rul.json"
    first.write_text("old a")

    def full_disk(name):
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=r"`--rul-json` '.*a\.rul\.json' could not be written: \[Errno 28\] No space left"):
        write_files_atomically({"--out": (first, lambda name: Path(name).write_text("new a")), "--rul-json": (second, full_disk)})
    assert first.read_text() == "old a" and not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc"]  # no temporary file left


def test_a_file_that_is_not_a_rul_document_is_never_removed(tmp_path):
    notes = tmp_path / "notes.json"  # a JSON name (other suffixes are refused first), but not a RUL document
    notes.write_text("my notes")
    with pytest.warns(UserWarning, match=r"left .*notes\.json' untouched: .* not a RUL document"):
        _result("degradation onset not reached").write(tmp_path / "r.nc", notes)
    assert notes.read_text() == "my notes"


def test_write_refuses_to_replace_the_data_it_was_run_on(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("t,x\n")
    result = _result(None)
    result.dataset.attrs["data_source"] = str(data)
    with pytest.raises(OutputError, match=r"`netcdf_path` .* is the input `data`"):
        result.write(data)
    assert data.read_text() == "t,x\n"


def test_rul_documents_are_written_with_the_umask_like_every_output(tmp_path):
    from physics_twin.prognostics import write_rul_document

    previous = os.umask(0o077)
    try:
        path = write_rul_document(tmp_path / "r.rul.json", {"schema_version": "physics_twin.rul/1.0.0"}, validate=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_cli_rul_json_options_that_cannot_be_honoured_are_refused(tmp_path, capsys):
    skab = EXAMPLES / "skab_pump_motor.toml"
    skab_data = EXAMPLES / "skab" / "valve1_13.csv"
    assert main(["run", str(skab), "--data", str(skab_data), "--out", str(tmp_path / "s.nc"), "--rul-json", "x.json"]) == 2
    assert "`--rul-json` 'x.json' given, but configuration" in capsys.readouterr().err
    assert main(["run", str(IMS_CONFIG), "--data", str(IMS_DATA), "--out", str(tmp_path / "i.nc"), "--rul-json", ""]) == 2
    assert "`--rul-json` must be a file path; got an empty string" in capsys.readouterr().err
    assert main(["demo", "--out", ""]) == 2
    assert "`--out` must be a folder path; got an empty string" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_fmu_simulate_refuses_an_output_format_it_cannot_write(tmp_path, capsys):
    assert main(["fmu", "simulate", str(tmp_path / "missing.fmu"), "-o", str(tmp_path / "x.txt")]) == 2
    assert "`--output` must end in .nc (NetCDF) or .csv; got" in capsys.readouterr().err


def test_cli_write_errors_name_the_options(tmp_path, monkeypatch, capsys):
    # a full disk while the RUL document is written: the message names --rul-json, nothing is left behind
    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "r.nc"
    assert main(["run", str(IMS_CONFIG), "--data", str(IMS_DATA), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "`--rul-json` '" in err and "r.rul.json' could not be written: [Errno 28] No space left on device" in err
    assert list(tmp_path.iterdir()) == []
