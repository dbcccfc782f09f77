"""Isolation: a vendor binary that aborts or hangs becomes an FMUError; the host survives and can restart it."""

from __future__ import annotations

import time

import pytest
from numpy.testing import assert_allclose

from physics_twin.core.simulate import InputTable
from physics_twin.errors import FMUError
from physics_twin.fmu import CoSimulation, FMUComponent, IsolatedFMU


@pytest.fixture
def isolated(oscillator_fmu):
    fmu = IsolatedFMU(oscillator_fmu, "osc", timeout=2.0)
    yield fmu
    fmu.close()


def _simulate(fmu, mode_after=None, mode=0.0):
    inputs = {}
    if mode_after is not None:
        inputs["osc.mode"] = InputTable([0.0, mode_after], [0.0, mode])
    return CoSimulation([fmu], inputs=["osc.mode"]).simulate(1.0, 0.1, inputs=inputs)


def test_isolated_run_equals_the_in_process_run(isolated, oscillator_fmu):
    with FMUComponent(oscillator_fmu, "osc") as local:
        expected = _simulate(local)["osc.position"].values
    assert_allclose(_simulate(isolated)["osc.position"].values, expected, rtol=0, atol=0)


def test_a_crashing_binary_becomes_an_fmu_error(isolated):
    # mode 1 makes doStep call abort() (SIGABRT) at t = 0.5 s
    with pytest.raises(FMUError, match=r"isolated FMU 'osc' .* crashed .*t = 0.5 s.*killed by signal SIGABRT"):
        _simulate(isolated, 0.5, 1.0)
    assert not isolated.alive
    with pytest.raises(FMUError, match=r"has no running process"):
        isolated.initialize(0.0)
    isolated.restart()
    assert _simulate(isolated)["osc.step_count"].values[-1] == 10


def test_a_hanging_binary_is_killed_after_the_timeout(isolated):
    # mode 2 makes doStep never return
    started = time.monotonic()
    with pytest.raises(FMUError, match=r"did not answer within 2 s .* it hangs"):
        _simulate(isolated, 0.2, 2.0)
    assert time.monotonic() - started < 10.0
    assert not isolated.alive
    isolated.restart()
    assert isolated.alive


def test_errors_keep_their_type_across_the_pipe(isolated):
    with pytest.raises(FMUError, match=r"fmi2DoStep returned Error at t = 0.3 s"):
        _simulate(isolated, 0.3, 3.0)
    assert isolated.alive  # an FMI error status is not a crash


def test_state_handles_live_in_the_child(isolated):
    isolated.initialize(0.0)
    isolated.do_step(0.0, 0.1)
    saved = isolated.get_state()
    isolated.do_step(0.1, 0.1)
    after = isolated.read_outputs().copy()
    isolated.set_state(saved)
    isolated.do_step(0.1, 0.1)
    assert_allclose(isolated.read_outputs(), after, rtol=0, atol=0)
    saved.free()
    with pytest.raises(FMUError, match=r"`state` must be a live state"):
        isolated.set_state(saved)
