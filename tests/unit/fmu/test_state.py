"""State save and restore: fresh instance, fresh process, identity checks, not-portable FMUs."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.errors import FMUError
from physics_twin.fmu import FMUComponent, IsolatedFMU, SavedState, read_state, restore_state, save_state, write_state


def _run(fmu, start, stop, step=0.1):
    rows = []
    for k in range(round((stop - start) / step)):
        fmu.write_inputs(np.array([0.2, 0.0]))
        fmu.do_step(start + k * step, step)
        rows.append(fmu.read_outputs().copy())
    return np.array(rows)


@pytest.mark.parametrize("fresh", ["instance", "process"])
def test_state_saved_at_10_s_continues_in_a_fresh_instance(oscillator_fmu, tmp_path, fresh):
    with FMUComponent(oscillator_fmu, "osc") as original:
        original.initialize(0.0)
        _run(original, 0.0, 10.0)
        path = write_state(save_state(original), tmp_path / "osc.state")
        uninterrupted = _run(original, 10.0, 20.0)
    saved = read_state(path)
    assert saved.time == pytest.approx(10.0)
    restored = FMUComponent(oscillator_fmu, "osc") if fresh == "instance" else IsolatedFMU(oscillator_fmu, "osc")
    with restored:
        restore_state(restored, saved)
        continued = _run(restored, 10.0, 20.0)
    # the test FMU's state is plain doubles: the continuation is bit-identical
    assert_allclose(continued, uninterrupted, rtol=0, atol=0)


def test_fmu_without_serialization_says_its_state_is_not_portable(stateless_fmu):
    with FMUComponent(stateless_fmu, "plain") as fmu:
        fmu.initialize(0.0)
        with pytest.raises(FMUError, match=r"state of FMU 'plain' .* is not portable"):
            save_state(fmu)


def test_state_of_another_fmu_is_refused(oscillator_fmu, array_fmu):
    with FMUComponent(oscillator_fmu, "osc") as fmu, FMUComponent(array_fmu, "lag") as other:
        fmu.initialize(0.0)
        saved = save_state(fmu)
        with pytest.raises(FMUError, match=r"saved from a different FMU file"):
            restore_state(other, saved)


def test_rejected_bytes_are_an_error_not_a_crash(oscillator_fmu):
    with FMUComponent(oscillator_fmu, "osc") as fmu:
        fmu.initialize(0.0)
        good = save_state(fmu)
        # the FMU checks a magic number in its bytes and returns fmi2Error for anything else
        broken = SavedState(
            b"\0" * len(good.data), good.time, good.model_name, good.guid, good.fmu_sha256, good.interface, good.fmi_version
        )
        with pytest.raises(FMUError, match=r"could not be restored; its state is not portable"):
            restore_state(fmu, broken)


def test_file_format_is_checked(tmp_path):
    with pytest.raises(FMUError, match=r"not a saved FMU state"):
        SavedState.from_bytes(b"garbage")
    saved = SavedState(b"abc", 1.0, "m", "g", "0" * 64, "CS", "2.0")
    assert SavedState.from_bytes(saved.to_bytes()) == saved
    with pytest.raises(FMUError, match=r"truncated"):
        SavedState.from_bytes(saved.to_bytes()[:-1])
