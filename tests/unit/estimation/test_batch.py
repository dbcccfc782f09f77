"""Batch calibration: confidence-interval coverage, several experiments, missing data, identifiability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from physics_twin.core.declarations import Parameter
from physics_twin.errors import DataError, ParameterError, ShapeError, UnitError
from physics_twin.estimation import Experiment, fit_parameters

from .conftest import FirstOrderLag

TRUTH = {"time_constant": 0.5, "gain": 2.0}
NOISE = 0.05


def lag_response(times, inputs, time_constant, gain):
    """Closed form of y' = (gain u - y)/τ from y(0) = 0 with the input held between samples."""
    y = np.zeros(times.size)
    for k in range(1, times.size):
        target = gain * inputs[k - 1]
        y[k] = target + (y[k - 1] - target) * math.exp(-(times[k] - times[k - 1]) / time_constant)
    return y


def experiment(rng, n=40):
    times = np.arange(n) * 0.05
    inputs = np.where((times > 0.3) & (times < 1.2), 1.0, 0.2)
    clean = lag_response(times, inputs, **TRUTH)
    return Experiment(times, inputs[:, None], (clean + NOISE * rng.normal(size=n))[:, None], {"y": 0.0})


def test_confidence_intervals_cover_the_truth_at_their_level(rng):
    # Seeded Monte Carlo: the 95 % interval must contain the true value in 95 % of the runs. With N = 200 runs the count
    # is binomial(200, 0.95): mean 190, standard deviation sqrt(200 × 0.95 × 0.05) = 3.08; accept the 3σ band [181, 199].
    model = FirstOrderLag().model()
    runs = 200
    covered = {name: 0 for name in TRUTH}
    for _ in range(runs):
        fit = fit_parameters(
            model,
            [experiment(rng)],
            measured={"y": NOISE},
            estimate=list(TRUTH),
            initial={"time_constant": 0.3, "gain": 1.5},
            integrator="RK4",
            max_step=0.01,
        )
        for i, name in enumerate(fit.names):
            covered[name] += int(fit.lower[i] <= TRUTH[name] <= fit.upper[i])
    low, high = stats.binom.ppf([0.00135, 0.99865], runs, 0.95)
    for name, count in covered.items():
        assert low <= count <= high, f"{name}: {count} of {runs} intervals cover the truth (expected {low:.0f}..{high:.0f})"


def test_several_experiments_with_missing_values(rng):
    # Two experiments, NaN readings in both (they drop out of the residuals): the fit still finds the truth within its
    # intervals, and the identifiability report names nothing (τ and gain are separated by the step response).
    model = FirstOrderLag().model()
    first, second = experiment(rng), experiment(rng, n=60)
    first.measurements[[3, 7, 20]] = np.nan
    second.measurements[10:15] = np.nan
    fit = fit_parameters(
        model,
        [first, second],
        measured={"y": NOISE},
        estimate=["time_constant", "gain"],
        initial={"time_constant": 0.3, "gain": 1.5},
        integrator="RK4",
        max_step=0.01,
    )
    for i, name in enumerate(fit.names):
        assert fit.lower[i] < TRUTH[name] < fit.upper[i]
    assert fit.identifiability_warnings() == []
    assert fit.residual_rms["y"] == pytest.approx(NOISE, rel=0.3)
    assert fit.correlation.shape == (2, 2) and fit.singular_values.size == 2


def test_unidentifiable_pair_is_reported():
    # With the input constant at zero and y(0) = 0 the output is identically zero: neither parameter moves it, and the
    # sensitivity matrix is zero, so the report must say the matrix is (near-)singular.
    model = FirstOrderLag().model()
    times = np.arange(20) * 0.1
    flat = Experiment(times, np.zeros((20, 1)), np.zeros((20, 1)), {"y": 0.0})
    fit = fit_parameters(
        model, [flat], measured={"y": NOISE}, estimate=["time_constant", "gain"], integrator="RK4", max_step=0.01
    )
    warnings = fit.identifiability_warnings()
    assert any("near-singular (condition inf)" in w for w in warnings)
    assert "gain is not identifiable from these data: the fit is insensitive to it (unbounded interval)." in warnings
    # no information is not certainty: the intervals are unbounded, not of zero width
    # (the lower ends are the parameters' lower bounds: 1e-300 for the time constant, 0 for the gain)
    assert np.all(np.isinf(fit.std)) and np.all(fit.lower <= 1e-300) and np.all(np.isinf(fit.upper))


def test_readings_in_the_wrong_unit_are_reported_as_poorly_determined(rng):
    # The same experiment with the readings 1000 times too small (mL where L was configured): the response sinks into
    # the noise (signal ~0.002 against noise 0.05), so the data no longer pin the time constant, whose interval then
    # spans more than a factor 10, and the report says so. With the readings in the right unit it says nothing.
    model = FirstOrderLag().model()
    good = experiment(rng)
    wrong = Experiment(good.times, good.inputs, good.measurements / 1000.0, good.initial_state)
    options = dict(measured={"y": NOISE}, estimate=["time_constant", "gain"], integrator="RK4", max_step=0.01)
    assert fit_parameters(model, [good], **options).identifiability_warnings() == []
    fit = fit_parameters(model, [wrong], **options)
    i = fit.names.index("time_constant")
    assert fit.upper[i] / fit.lower[i] > 10
    warnings = fit.identifiability_warnings()
    assert any(w.startswith("time_constant is poorly determined: its 95 % interval") and "units" in w for w in warnings)


def test_batch_fit_input_errors(rng):
    model = FirstOrderLag().model()
    with pytest.raises(
        ParameterError, match=r"(?s)cannot set up the batch fit:.*unknown measured output 'x'.*unknown parameter 'gian'"
    ):
        fit_parameters(model, [experiment(rng)], measured={"x": 0.1}, estimate=["gian"])
    bad = Experiment(np.arange(5.0), np.zeros((5, 1)), np.zeros((4, 1)))
    with pytest.raises(
        ShapeError, match=r"experiment 0: `inputs` must be \(5, 1\) and `measurements` \(5, 1\); got \(5, 1\) and \(4, 1\)"
    ):
        fit_parameters(model, [bad], measured={"y": 0.1}, estimate=["gain"])


def test_relative_noise_weights_the_residuals(rng):
    # Readings with 10 % multiplicative noise (plus 0.001 absolute): weighted by sqrt(0.001² + (0.1 |y|)²) the residuals
    # are standard normal, so the reduced chi-square is chi2(n - 2)/(n - 2): 1 ± sqrt(2/198) = 1 ± 0.1; weighted by the
    # absolute part alone it is of the order (0.1 × mean y / 0.001)², far above 1.
    model = FirstOrderLag().model()
    times = np.arange(200) * 0.05
    inputs = np.where((times > 0.3) & (times < 5.0), 1.0, 0.2)
    clean = lag_response(times, inputs, **TRUTH)
    noisy = clean * (1 + 0.1 * rng.normal(size=200)) + 0.001 * rng.normal(size=200)
    data = Experiment(times, inputs[:, None], noisy[:, None], {"y": 0.0})
    options = dict(
        measured={"y": 0.001},
        estimate=["time_constant", "gain"],
        initial={"time_constant": 0.3, "gain": 1.5},
        integrator="RK4",
        max_step=0.01,
    )
    weighted = fit_parameters(model, [data], relative_noise={"y": 0.1}, **options)
    assert weighted.reduced_chi_square == pytest.approx(1.0, abs=0.3)
    for i, name in enumerate(weighted.names):
        assert weighted.lower[i] < TRUTH[name] < weighted.upper[i]
    assert fit_parameters(model, [data], **options).reduced_chi_square > 100
    with pytest.raises(ParameterError, match=r"`relative_noise` names 'x', which is not in `measured` \['y'\]"):
        fit_parameters(model, [data], relative_noise={"x": 0.1}, **options)


class BoundedLag(FirstOrderLag):
    """The lag with the gain bounded to [0.1, 1.5]: a true gain of 2 lies beyond the bound."""

    PARAMETERS = (FirstOrderLag.PARAMETERS[0], Parameter("gain", "1", "static gain", 1.0, (0.1, 1.5)))


def test_a_parameter_pushed_onto_its_bound_is_reported_and_its_interval_cut(rng):
    # Data made with gain 2 (TRUTH), fitted with the gain bounded at 1.5: the gain ends on the bound, its interval may
    # not cross it, and the report says the data pull it beyond.
    fit = fit_parameters(
        BoundedLag().model(),
        [experiment(rng)],
        measured={"y": NOISE},
        estimate=["time_constant", "gain"],
        initial={"time_constant": 0.3, "gain": 1.0},
        integrator="RK4",
        max_step=0.01,
    )
    i = fit.names.index("gain")
    assert fit.values[i] == pytest.approx(1.5) and fit.upper[i] <= 1.5
    assert fit.at_bound == {"gain": "upper"}
    assert any(
        w.startswith("gain ended at its upper bound (1.5): the data pull it beyond") for w in fit.identifiability_warnings()
    )


def test_bad_experiment_data_are_named(rng):
    model = FirstOrderLag().model()
    good = experiment(rng)
    options = dict(measured={"y": NOISE}, estimate=["time_constant", "gain"], integrator="RK4", max_step=0.01)

    def variant(**changes):
        fields = {"times": good.times, "inputs": good.inputs, "measurements": good.measurements} | changes
        return Experiment(**fields, initial_state=good.initial_state)

    stamps = np.datetime64("2024-01-01T00:00:00", "ns") + (good.times * 1e9).astype("timedelta64[ns]")
    infinite = good.measurements.copy()
    infinite[5] = np.inf
    gap_in_input = good.inputs.copy()
    gap_in_input[3] = np.nan
    cases = [
        (variant(times=good.times[::-1].copy()), ParameterError, r"`experiments\[0\]\.times` must be finite and non-decreasing"),
        (variant(times=stamps), UnitError, r"`experiments\[0\]\.times` must be seconds \(numbers\); got datetimes"),
        (variant(measurements=infinite), ParameterError, r"`experiments\[0\]\.measurements` must be finite or NaN"),
        (variant(inputs=gap_in_input), ParameterError, r"`experiments\[0\]\.inputs` must be finite"),
        (variant(measurements=np.full_like(infinite, np.nan)), DataError, r"hold 0 finite reading\(s\) of \['y'\]"),
        (variant(times=good.times[:1], inputs=good.inputs[:1], measurements=good.measurements[:1]), DataError, r"hold 1"),
    ]
    for data, error, message in cases:
        with pytest.raises(error, match=message):
            fit_parameters(model, [data], **options)
