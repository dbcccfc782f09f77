"""FMUComponent: signals and units, typed values, arrays, errors with name and time, reuse without leaks, FMU state."""

from __future__ import annotations

import gc
import math
import os
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.core.simulate import InputTable
from physics_twin.errors import FMUError, ParameterError
from physics_twin.fmu import FMUComponent


def damped_oscillator(t, k=1.0, d=0.1, x0=1.0):
    """Closed form of x'' + d x' + k x = 0 (unit mass), x(0) = x0, x'(0) = 0, underdamped."""
    omega = math.sqrt(k)
    zeta = d / (2.0 * omega)
    omega_d = omega * math.sqrt(1.0 - zeta**2)
    t = np.asarray(t)
    return x0 * np.exp(-zeta * omega * t) * (np.cos(omega_d * t) + zeta / math.sqrt(1.0 - zeta**2) * np.sin(omega_d * t))


def lag(t, x0=1.0, u=0.0):
    """Closed form of x' = -x + u with constant u."""
    return u + (x0 - u) * np.exp(-np.asarray(t))


@pytest.fixture
def oscillator(oscillator_fmu):
    component = FMUComponent(oscillator_fmu, "osc")
    yield component
    component.close()


def test_signals_units_and_start_values(oscillator):
    assert oscillator.input_names == ("force", "mode")
    assert oscillator.output_names == ("position", "force_out", "last_step", "step_count", "moving")
    units = {v.name: v.unit for v in oscillator.PARAMETERS}
    assert units == {"k": "N/m", "d": "N*s/m", "max_step": "s", "enabled": "1"}
    assert oscillator.variable("enabled").default is True
    assert oscillator.STATES == ()
    feedthrough = oscillator.feedthrough_matrix()
    assert feedthrough[1].tolist() == [True, False]  # force_out depends on force only
    assert not feedthrough[0].any()


def test_cosimulation_matches_the_closed_form(oscillator):
    result = oscillator.simulate(5.0, 0.05)
    # the FMU integrates with RK4 sub-steps of 1 ms: global error ~ h^4 ~ 1e-12
    assert_allclose(result["position"].values, damped_oscillator(result.time.values), atol=1e-9)
    assert result["position"].attrs["units"] == "m"
    assert result.time.attrs["units"] == "s"


def test_booleans_stay_booleans_and_integers_integers(oscillator):
    result = oscillator.simulate(2.0, 0.1)
    assert result["moving"].dtype == bool
    assert result["step_count"].dtype == np.int64
    # moving = |v| > 0.5 with v = x' from the closed form (finite difference of the closed form is enough here)
    t = result.time.values
    velocity = (damped_oscillator(t + 1e-6) - damped_oscillator(t - 1e-6)) / 2e-6
    assert result["moving"].values.tolist() == (np.abs(velocity) > 0.5).tolist()


def test_boolean_parameter_false_switches_the_force_off(oscillator):
    pushed = oscillator.simulate(1.0, 0.1, inputs={"force": 1.0})
    ignored = oscillator.simulate(1.0, 0.1, inputs={"force": 1.0}, parameters={"enabled": False})
    assert_allclose(ignored["position"].values, damped_oscillator(ignored.time.values), atol=1e-9)
    assert pushed["position"].values[-1] > ignored["position"].values[-1]


def test_start_values_with_units_are_converted(oscillator):
    # 0.002 N/mm = 2 N/m
    result = oscillator.simulate(1.0, 0.1, parameters={"k": (0.002, "N/mm")})
    assert_allclose(result["position"].values, damped_oscillator(result.time.values, k=2.0), atol=1e-9)


def test_every_invalid_value_is_reported_at_once(oscillator):
    with pytest.raises(ParameterError) as info:
        oscillator.initialize(0.0, parameters={"stiffness": 1.0, "k": -1.0, "enabled": "yes", "mode": 1.5, "position": 1.0})
    message = str(info.value)
    assert "unknown variable 'stiffness'" in message
    assert "`k` must be within [0, inf] N/m; got -1.0" in message
    assert "`enabled` is Boolean" in message
    assert "`mode` is Integer: give an integer" in message
    assert "`position` cannot be set" in message


def test_fmi_error_names_component_function_and_time(oscillator):
    # mode 3 makes doStep return fmi2Error; the table switches it on at t = 0.3 s
    mode = InputTable(np.array([0.0, 0.3]), np.array([0.0, 3.0]))
    with pytest.raises(FMUError, match=r"FMU component 'osc' \(.*\): fmi2DoStep returned Error at t = 0\.3 s"):
        oscillator.simulate(1.0, 0.1, inputs={"mode": mode})


def test_me_interface_integrated_by_our_solver(oscillator_fmu):
    with FMUComponent(oscillator_fmu, "osc_me", interface="ME") as component:
        assert [v.name for v in component.STATES] == ["x", "v"]
        result = component.simulate(3.0, 0.1, max_step=1e-3)
        assert_allclose(result["position"].values, damped_oscillator(result.time.values), atol=1e-9)
        assert_allclose(result["x"].values, result["position"].values)


def test_fmi3_array_parameter_and_array_output(array_fmu):
    with FMUComponent(array_fmu, "lag") as component:
        result = component.simulate(1.0, 0.1, parameters={"gains": [4.0, 5.0, 6.0]}, inputs={"u": 0.5})
        assert result["y"].dims == ("time", "y_index")
        assert not any("[" in str(name) for name in result.data_vars)
        expected = np.outer(lag(result.time.values, u=0.5), [4.0, 5.0, 6.0])
        assert_allclose(result["y"].values, expected, rtol=1e-12)
        assert result["positive"].dtype == bool


def test_fmi3_array_with_wrong_shape_fails_before_any_fmu_call(array_fmu, monkeypatch):
    with FMUComponent(array_fmu, "lag") as component:
        component.initialize(0.0)
        calls = []
        monkeypatch.setattr(component._fmu, "setFloat64", lambda *a: calls.append(a))
        with pytest.raises(
            ParameterError, match=r"`gains` has the wrong shape: expected \(3,\) \(3 values\), got \(1,\) \(1 value\)"
        ):
            component.set_values({"gains": [1.0]})
        assert calls == []
        monkeypatch.undo()
        component.set_values({"gains": [1.0, 1.0, 1.0]})
        assert component.get_values(["y"])["y"].tolist() == [1.0, 1.0, 1.0]


def test_fmi3_model_exchange(array_fmu):
    with FMUComponent(array_fmu, "lag_me", interface="ME") as component:
        result = component.simulate(2.0, 0.25, inputs={"u": -1.0}, max_step=1e-3)
        assert_allclose(result["y"].values[:, 2], 3.0 * lag(result.time.values, u=-1.0), atol=1e-10)


def test_state_rollback_reproduces_the_trajectory(oscillator):
    oscillator.initialize(0.0)
    for k in range(10):
        oscillator.do_step(0.1 * k, 0.1)
    saved = oscillator.get_state()
    for k in range(10, 20):
        oscillator.do_step(0.1 * k, 0.1)
    first = oscillator.read_outputs().copy()
    oscillator.set_state(saved)
    assert oscillator.time == pytest.approx(1.0)
    for k in range(10, 20):
        oscillator.do_step(0.1 * k, 0.1)
    assert_allclose(oscillator.read_outputs(), first, rtol=0, atol=0)
    saved.free()
    with pytest.raises(FMUError, match=r"`state` must be a live state"):
        oscillator.set_state(saved)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux) to count file handles")
def test_thousands_of_runs_reuse_one_instance_without_leaks(oscillator):
    for _ in range(200):  # warm-up: caches, allocator pools
        oscillator.simulate(0.05, 0.01)
    gc.collect()
    fds, rss = _open_fds(), _rss_kib()
    for _ in range(2000):
        result = oscillator.simulate(0.05, 0.01)
    gc.collect()
    assert _open_fds() == fds
    # a leak of even one FMU state or one ctypes buffer per run would add > 2000 * 92 bytes; allow allocator noise
    assert _rss_kib() - rss < 8 * 1024
    assert result["step_count"].values[-1] == 5  # reset between runs: the count restarts


def test_close_releases_the_instance_and_files(oscillator_fmu):
    component = FMUComponent(oscillator_fmu, "temporary")
    directory = component._unzip
    assert directory.exists()
    component.close()
    component.close()  # idempotent
    assert not directory.exists()
    with pytest.raises(FMUError, match=r"FMU component 'temporary' is closed"):
        component.initialize(0.0)


def test_bad_name_and_interface(oscillator_fmu, stateless_fmu):
    with pytest.raises(ParameterError, match=r"`name` must be a Python identifier"):
        FMUComponent(oscillator_fmu, "not valid")
    with pytest.raises(ParameterError, match=r"`interface` must be 'auto', 'CS' or 'ME'; got 'XX'"):
        FMUComponent(oscillator_fmu, interface="XX")
    with FMUComponent(stateless_fmu) as component:
        component.initialize(0.0)
        with pytest.raises(FMUError, match=r"cannot get and set its state"):
            component.get_state()
