"""Bad input to the filters: wrongly shaped inputs and measurements, mappings, and invalid saved states.

Each case must raise a typed physics_twin error that names the argument, the expected shape or property and
what arrived, before anything runs: a rejected call leaves the filter and the given state unchanged.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from physics_twin.errors import ParameterError, ShapeError
from physics_twin.estimation import EstimatedParameter, FilterState, create_filter

from .conftest import FirstOrderLag, SmallMotor

N = 601
MOTOR_OPTIONS = dict(
    measured={"current": 0.05, "shaft_speed": 0.5},
    initial_std={"current": 0.1, "shaft_speed": 1.0},
    process_noise={"current": 0.1, "shaft_speed": 1.0},
    max_step=1e-3,
    estimate=[EstimatedParameter("resistance", 0.3, 0.01)],
)


@pytest.fixture
def motor():
    """An SR-UKF on the small motor with N samples of data (inputs (N, 2), measurements (N, 2))."""
    model = SmallMotor().model()
    times = np.arange(N) * 1e-3
    inputs = np.column_stack([np.full(N, 12.0), np.zeros(N)])
    measurements = np.zeros((N, 2))
    return create_filter("sr-ukf", model, **MOTOR_OPTIONS), times, inputs, measurements


def snapshot(flt):
    return {key: copy.deepcopy(value) for key, value in vars(flt).items() if isinstance(value, np.ndarray)}


def assert_unchanged(flt, before):
    after = snapshot(flt)
    assert after.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


# -- inputs and measurements ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sr-ukf", "ukf", "ekf", "dual-ukf"])
def test_transposed_inputs_are_rejected_by_every_filter(kind, motor):
    _, times, inputs, measurements = motor
    flt = create_filter(kind, SmallMotor().model(), **MOTOR_OPTIONS)
    with pytest.raises(
        ShapeError,
        match=r"`inputs` must have shape \(601, 2\) \(inputs \['voltage', 'load_torque'\]\); got \(2, 601\)\. "
        r"It looks transposed",
    ):
        flt.run(times, inputs.T, measurements)


def test_flattened_inputs_are_rejected(motor):
    flt, times, inputs, measurements = motor
    with pytest.raises(
        ShapeError,
        match=r"`inputs` must have shape \(601, 2\) \(inputs \['voltage', 'load_torque'\]\); got \(1202,\)\. "
        r"A 1-D array is accepted only for a single column: reshape it to \(601, 2\)",
    ):
        flt.run(times, inputs.ravel(), measurements)
    with pytest.raises(ShapeError, match=r"`inputs` must have shape \(601, 2\) .*; got \(601, 2, 1\)\.$"):
        flt.run(times, inputs[:, :, None], measurements)


def test_wrongly_shaped_measurements_are_rejected(motor):
    flt, times, inputs, measurements = motor
    with pytest.raises(
        ShapeError,
        match=r"`measurements` must have shape \(601, 2\) \(channels \['current', 'shaft_speed'\]\); got \(2, 601\)\. "
        r"It looks transposed",
    ):
        flt.run(times, inputs, measurements.T)
    with pytest.raises(ShapeError, match=r"`measurements` must have shape \(601, 2\) .*; got \(1202,\)\. A 1-D array"):
        flt.run(times, inputs, measurements.ravel())


def test_non_numeric_inputs_name_the_argument(motor):
    flt, times, _, measurements = motor
    with pytest.raises(ParameterError, match=r"`inputs` must have shape \(601, 2\) .* of numbers; got list \[\['a', 'b'\]"):
        flt.run(times, [["a", "b"]] * N, measurements)


def test_one_dimensional_arrays_stay_accepted_for_one_column():
    # The documented convenience: a 1-D array for a model with one input or a filter with one channel.
    model = FirstOrderLag().model()
    flt = create_filter("sr-ukf", model, measured={"y": 0.1}, initial_std={"y": 0.1}, process_noise={"y": 0.1})
    times = np.arange(20) * 0.1
    u = np.where(times > 0.5, 1.0, 0.0)
    y = np.linspace(0.0, 1.0, 20)
    column, _ = flt.run(times, u[:, None], y[:, None])
    flat, _ = flt.run(times, u, y)
    np.testing.assert_array_equal(flat["mean_transformed"].values, column["mean_transformed"].values)


def test_mapping_inputs_are_stacked_in_declared_order(motor):
    flt, times, inputs, measurements = motor
    voltage = np.linspace(0.0, 12.0, N)
    array_inputs = np.column_stack([voltage, np.zeros(N)])  # load_torque at its declared default 0
    reference, _ = flt.run(times, array_inputs, measurements)
    mapped, _ = flt.run(times, {"voltage": voltage}, {"shaft_speed": measurements[:, 1], "current": measurements[:, 0]})
    np.testing.assert_array_equal(mapped["mean_transformed"].values, reference["mean_transformed"].values)
    constant, _ = flt.run(times, {"voltage": 12.0, "load_torque": 0.0}, measurements)
    np.testing.assert_array_equal(
        constant["mean_transformed"].values, flt.run(times, inputs, measurements)[0]["mean_transformed"].values
    )


def test_data_frames_are_matched_by_column_name_not_position(motor):
    flt, times, inputs, measurements = motor
    reference, _ = flt.run(times, inputs, measurements)
    swapped = pd.DataFrame({"shaft_speed": measurements[:, 1], "current": measurements[:, 0]})  # not the channel order
    by_name, _ = flt.run(times, pd.DataFrame({"voltage": inputs[:, 0], "load_torque": inputs[:, 1]}), swapped)
    np.testing.assert_array_equal(by_name["mean_transformed"].values, reference["mean_transformed"].values)
    with pytest.raises(ParameterError, match=r"unknown channel 'speed'"):
        flt.run(times, inputs, pd.DataFrame({"speed": measurements[:, 1], "current": measurements[:, 0]}))


def test_bad_mappings_are_rejected_with_the_names(motor):
    flt, times, _, measurements = motor
    with pytest.raises(ParameterError, match=r"unknown input 'voltag' of `inputs`\. Did you mean 'voltage'\?"):
        flt.run(times, {"voltag": np.ones(N)}, measurements)
    with pytest.raises(
        ShapeError,
        match=r"`inputs` must have shape \(601, 2\) \(inputs \['voltage', 'load_torque'\]\), or be a mapping of input name "
        r"to 601 samples \(or a constant\):\n  - `inputs\['voltage'\]` must be a number or have shape \(601,\) "
        r"\(one per time\); got \(600,\)",
    ):
        flt.run(times, {"voltage": np.ones(N - 1)}, measurements)
    with pytest.raises(ParameterError, match=r"`inputs\['voltage'\]` must be numbers; got dict"):
        flt.run(times, {"voltage": {"a": 1}}, measurements)
    with pytest.raises(
        ParameterError,
        match=r"`measurements` has no samples for \['shaft_speed'\]; give every one of \['current', 'shaft_speed'\]",
    ):
        flt.run(times, None, {"current": measurements[:, 0]})


# -- saved states -----------------------------------------------------------------------------------------------------
@pytest.fixture
def saved(motor):
    """A filter, its data and the state after 100 samples, as saved by to_dict()."""
    flt, times, inputs, measurements = motor
    _, state = flt.run(times[:100], inputs[:100], measurements[:100])
    return flt, times, inputs, measurements, state.to_dict()


def test_a_round_trip_passes_the_checks(saved):
    flt, _, _, _, data = saved
    state = FilterState.from_dict(data, flt)
    assert state.names == flt.names
    np.testing.assert_array_equal(state.covariance, np.asarray(data["covariance"]))


def test_a_missing_key_is_named(saved):
    data = saved[-1]
    del data["covariance"]
    with pytest.raises(
        ParameterError,
        match=r"cannot restore the filter state from `data`:\n  - missing key\(s\) \['covariance'\]; a saved state holds "
        r"\['time', 'mean', 'covariance', 'names', 'last_input'\]",
    ):
        FilterState.from_dict(data)
    with pytest.raises(ParameterError, match=r"`data` must be a mapping with the keys .*; got list"):
        FilterState.from_dict([1, 2, 3])


def test_a_truncated_mean_is_rejected(saved):
    flt, *_, data = saved
    data["mean"] = data["mean"][:2]
    message = r"`mean` must have shape \(3,\) \(one value per coordinate \['current', 'shaft_speed', 'resistance'\]\); got \(2,\)"
    with pytest.raises(ParameterError, match=message):
        FilterState.from_dict(data)
    with pytest.raises(ParameterError, match=message):
        FilterState.from_dict(data, flt)


def test_a_nan_mean_is_rejected(saved):
    data = saved[-1]
    data["mean"][0] = float("nan")
    with pytest.raises(ParameterError, match=r"`mean` must be finite; got NaN or inf for \['current'\]"):
        FilterState.from_dict(data)


def test_a_negative_variance_is_rejected(saved):
    data = saved[-1]
    data["covariance"][1][1] = -0.5
    with pytest.raises(
        ParameterError, match=r"`covariance` must have variances >= 0 on its diagonal; got \{'shaft_speed': -0.5\}"
    ):
        FilterState.from_dict(data)


def test_an_asymmetric_or_indefinite_covariance_is_rejected(saved):
    data = saved[-1]
    data["covariance"] = [[1.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]
    with pytest.raises(ParameterError, match=r"`covariance` must be symmetric; the largest \|P - Pᵀ\| is 0\.5"):
        FilterState.from_dict(data)
    data["covariance"] = [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]  # eigenvalues -1, 1, 3
    with pytest.raises(
        ParameterError, match=r"`covariance` must be positive semi-definite; its smallest eigenvalue is -1 \(largest 3\)"
    ):
        FilterState.from_dict(data)


def test_every_problem_is_listed_at_once(saved):
    data = saved[-1]
    data["time"] = "yesterday"
    data["mean"] = [0.0, float("inf"), 1.0]
    data["covariance"] = [[1.0, 0.0], [0.0, 1.0]]
    data["last_input"] = [[0.0, 0.0]]
    with pytest.raises(ParameterError) as info:
        FilterState.from_dict(data)
    message = str(info.value)
    assert message.count("\n  - ") == 4
    for pattern in (
        r"`time` must be a number \[s\]; got str 'yesterday'",
        r"`mean` must be finite; got NaN or inf for \['shaft_speed'\]",
        r"`covariance` must have shape \(3, 3\) \(coordinates \['current', 'shaft_speed', 'resistance'\]\); got \(2, 2\)",
        r"`last_input` must be 1-D \(one value per model input\); got shape \(1, 2\)",
    ):
        assert re.search(pattern, message), (pattern, message)


def test_a_state_of_another_filter_is_rejected_against_the_estimator(saved):
    *_, data = saved
    other = create_filter("sr-ukf", SmallMotor().model(), measured={"current": 0.05})
    with pytest.raises(
        ParameterError,
        match=r"`state` belongs to a filter over \['current', 'shaft_speed', 'resistance'\], not \['current', 'shaft_speed'\]\."
        r"\n  - `mean` must have shape \(2,\)",
    ):
        FilterState.from_dict(data, other)


def test_run_rejects_an_invalid_state_and_changes_nothing(saved):
    flt, times, inputs, measurements, data = saved
    good = FilterState.from_dict(data, flt)
    expected, _ = flt.run(times[100:200], inputs[100:200], measurements[100:200], state=good)
    before = snapshot(flt)
    covariance = good.covariance.copy()
    covariance[0, 0] = -1.0
    bad = FilterState(good.time, good.mean.copy(), covariance, good.names, good.last_input.copy())
    kept = copy.deepcopy(bad)
    with pytest.raises(
        ParameterError,
        match=r"cannot continue from `state`:\n  - `covariance` must have variances >= 0 on its diagonal; "
        r"got \{'current': -1\.0\}",
    ):
        flt.run(times[100:200], inputs[100:200], measurements[100:200], state=bad)
    truncated = FilterState(good.time, good.mean[:2], good.covariance, good.names, good.last_input)
    with pytest.raises(ParameterError, match=r"`mean` must have shape \(3,\)"):
        flt.run(times[100:200], inputs[100:200], measurements[100:200], state=truncated)
    nan_mean = FilterState(good.time, np.full(3, np.nan), good.covariance, good.names, good.last_input)
    with pytest.raises(
        ParameterError, match=r"`mean` must be finite; got NaN or inf for \['current', 'shaft_speed', 'resistance'\]"
    ):
        flt.run(times[100:200], inputs[100:200], measurements[100:200], state=nan_mean)
    with pytest.raises(
        ParameterError,
        match=r"`state` must be a FilterState or None \(a saved state: restore it with FilterState\.from_dict\); got dict",
    ):
        flt.run(times[100:200], inputs[100:200], measurements[100:200], state=data)
    with pytest.raises(ShapeError, match=r"`inputs` must have shape \(100, 2\)"):
        flt.run(times[100:200], inputs[100:200].T, measurements[100:200], state=good)
    assert_unchanged(flt, before)
    for name in ("mean", "covariance", "last_input"):
        np.testing.assert_array_equal(getattr(bad, name), getattr(kept, name))
    again, _ = flt.run(times[100:200], inputs[100:200], measurements[100:200], state=good)
    np.testing.assert_array_equal(again["mean_transformed"].values, expected["mean_transformed"].values)
