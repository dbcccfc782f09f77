"""Monte-Carlo and unscented RUL against closed forms of the bearing damage law.

For the bearing model with growth exponent m = 1 at constant speed n and load P the damage grows
exponentially, D(t) = D0 exp(c' t) with c' = c (n / n_ref) (P / P_ref)^p, and the vibration
a0 (1 + D) reaches a_th when D = D_th = a_th / a0 - 1, at

    T = ln(D_th / D0) / c'.                                                        (1)

With a0 = 0.1 m/s², a_th = 0.3 m/s² and D0 = 0.01: D_th = 2, ln(D_th / D0) = ln 200.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from physics_twin.components.bearing_degradation import BearingDegradation
from physics_twin.errors import ParameterError, ShapeError
from physics_twin.estimation import EstimatedParameter, UnscentedKalmanFilter
from physics_twin.prognostics import (
    Augmentation,
    FailureThreshold,
    LoadScenario,
    Posterior,
    PosteriorSamples,
    predict_rul,
    predict_rul_unscented,
)

RATE = 1e-5  # c [1/s]
D0 = 0.01
D_TH = 2.0
LOG_RATIO = math.log(D_TH / D0)  # ln(D_th / D0)
T_CLOSED = LOG_RATIO / RATE  # (1) at the reference speed and load: 529 831.7 s


@pytest.fixture(scope="module")
def model():
    return BearingDegradation(baseline_vibration=0.1, growth_rate=RATE).model()


@pytest.fixture(scope="module")
def augmentation(model):
    """Augmented layout of a filter estimating the growth rate (damage and growth_rate both log-carried)."""
    estimator = UnscentedKalmanFilter(
        model,
        measured={"vibration_level": 0.01},
        estimate=[EstimatedParameter("growth_rate", initial_std=3e-6)],
        initial_state={"damage": D0},
    )
    return Augmentation.from_filter(estimator)


FAILURE = FailureThreshold("vibration_level", 0.3, ">=", "outer-race spall")


def _posterior(augmentation, log_rate_mean=None, log_rate_std=0.0, d0=D0):
    log_rate_mean = math.log(RATE) if log_rate_mean is None else log_rate_mean
    return Posterior(np.array([math.log(d0), log_rate_mean]), np.diag([0.0, log_rate_std**2]), augmentation)


def test_zero_covariance_matches_closed_form(model, augmentation, rng):
    rul = predict_rul(model, _posterior(augmentation), FAILURE, LoadScenario.constant(), horizon=2e6, rng=rng, samples=5)
    # every draw is the mean; RK4 at c h = 0.036 and the Illinois refinement leave ~1e-8 relative error
    assert_allclose(rul.time_to_failure, T_CLOSED, rtol=1e-7)
    assert not rul.censored.any() and not rul.failed_at_start.any()
    assert_allclose(rul.p50.value, T_CLOSED, rtol=1e-7)
    # the final signal is taken at the end of the crossing step t_b = ceil(T / h) h: a0 (1 + D0 e^(c t_b))
    t_b = math.ceil(T_CLOSED / 3600.0) * 3600.0
    assert_allclose(rul.final_signal, 0.1 * (1 + D0 * math.exp(RATE * t_b)), rtol=1e-7)
    assert_allclose(rul.initial_signal, 0.1 * (1 + D0), rtol=1e-12)


def test_explicit_samples_and_load_factor(model):
    # heavier load: c' = c (P / P_ref)^p with p = 10/3 (ISO 281 roller bearings); speed 1.5 n_ref: factor 1.5
    load_ratio, speed_ratio = 1.2, 1.5
    speed = speed_ratio * model.default_inputs()[0]
    load = load_ratio * model.default_inputs()[1]
    rate = RATE * speed_ratio * load_ratio ** (10.0 / 3.0)
    d0 = np.array([0.005, 0.01, 0.05, 0.5])
    samples = PosteriorSamples(d0[:, None], np.tile(model.parameter_values, (d0.size, 1)))
    scenario = LoadScenario.constant({"shaft_speed": speed, "radial_load": load}, "1.2 x load, 1.5 x speed")
    rul = predict_rul(model, samples, FAILURE, scenario, horizon=2e6, step=1800.0)
    assert_allclose(rul.time_to_failure, np.log(D_TH / d0) / rate, rtol=1e-7)


def test_piecewise_constant_load(model):
    # rate c1 until t1, then c2 = c (1.3)^(10/3): D(t1) = D0 exp(c1 t1), so T = t1 + (ln(D_th / D0) - c1 t1) / c2
    t1 = 2.0e5
    c2 = RATE * 1.3 ** (10.0 / 3.0)
    expected = t1 + (LOG_RATIO - RATE * t1) / c2
    nominal = model.default_inputs()[1]
    scenario = LoadScenario({"radial_load": [nominal, 1.3 * nominal]}, (0.0, t1), "step up in load")
    samples = PosteriorSamples(np.array([[D0]]), model.parameter_values[None, :])
    # t1 is not a multiple of the evaluation step; integration sub-steps of 1000 s keep RK4's error in ln D near 1e-9
    rul = predict_rul(model, samples, FAILURE, scenario, horizon=2e6, step=7000.0, max_step=1000.0)
    assert_allclose(rul.time_to_failure, expected, rtol=1e-7)
    segments = rul.future_load["segments"]
    assert [s["start_operating_hours"] for s in segments] == [0.0, t1 / 3600.0]
    assert segments[1]["inputs"]["radial_load"] == {"value": 1.3 * nominal, "unit": "N"}


def test_linear_interpolation_without_refinement(model):
    # crossing in the step [t_a, t_a + h] with D_a = D0 e^(c t_a), D_b = D_a e^(c h); the vibration is linear in D, so
    # linear interpolation of the signal gives T_lin = t_a + h (D_th - D_a) / (D_b - D_a), earlier than (1) (convexity)
    h = 3600.0
    t_a = math.floor(T_CLOSED / h) * h
    d_a, d_b = D0 * math.exp(RATE * t_a), D0 * math.exp(RATE * (t_a + h))
    expected = t_a + h * (D_TH - d_a) / (d_b - d_a)
    samples = PosteriorSamples(np.array([[D0]]), model.parameter_values[None, :])
    rul = predict_rul(model, samples, FAILURE, LoadScenario.constant(), horizon=2e6, step=h, refine=False)
    assert_allclose(rul.time_to_failure, expected, rtol=1e-7)  # RK4 error, as above
    assert rul.time_to_failure[0] < T_CLOSED - 1.0
    assert rul.method["crossing"] == "linear"


def test_lognormal_rate_quantiles(model, augmentation, rng):
    # ln c ~ N(mu, s²) and (1): ln T = ln ln(D_th/D0) - ln c ~ N(ln ln(D_th/D0) - mu, s²).
    # Standard error of the empirical q-quantile of ln T from N draws: s sqrt(q (1 - q) / N) / phi(z_q)
    # (asymptotic normality of sample quantiles); we allow 4 of them.
    mu, s, n = math.log(RATE), 0.3, 4000
    rul = predict_rul(model, _posterior(augmentation, mu, s), FAILURE, LoadScenario.constant(), horizon=1e8, rng=rng, samples=n)
    assert not rul.censored.any()
    for q in (0.05, 0.5, 0.95):
        z = stats.norm.ppf(q)
        analytic = math.log(LOG_RATIO) - mu + s * z
        tolerance = 4 * s * math.sqrt(q * (1 - q) / n) / stats.norm.pdf(z)
        assert abs(math.log(rul.quantile(q).value) - analytic) < tolerance, q


def test_same_seed_same_result(model, augmentation):
    posterior = _posterior(augmentation, log_rate_std=0.3)
    first = predict_rul(model, posterior, FAILURE, LoadScenario.constant(), horizon=1e8, rng=np.random.default_rng(7), samples=50)
    second = predict_rul(
        model, posterior, FAILURE, LoadScenario.constant(), horizon=1e8, rng=np.random.default_rng(7), samples=50
    )
    assert np.array_equal(first.time_to_failure, second.time_to_failure)


def test_censored_quantile_beyond_horizon(model, augmentation, rng):
    # ln T ~ N(ln T_closed, 0.3²): p50 = T_closed, p95 = T_closed e^(0.3 * 1.645) = 1.64 T_closed; horizon 1.3 T_closed
    # lies between them, so p95 is censored and the fraction failed by the horizon is Phi(ln(1.3) / 0.3) = 0.809
    horizon = 1.3 * T_CLOSED
    n = 4000
    rul = predict_rul(
        model, _posterior(augmentation, log_rate_std=0.3), FAILURE, LoadScenario.constant(), horizon=horizon, rng=rng, samples=n
    )
    p5, p50, p95 = rul.quantiles((0.05, 0.5, 0.95))
    assert not p5.censored and not p50.censored
    assert p95.censored and p95.value is None and p95.bound == pytest.approx(horizon)
    assert str(p95).startswith("p95: > ")
    assert p95.to_dict() == {"probability": 0.95, "censored": True, "greater_than": pytest.approx(horizon)}
    assert np.all(rul.time_to_failure[rul.censored] == pytest.approx(horizon))
    expected = stats.norm.cdf(math.log(1.3) / 0.3)
    assert rul.failure_probability(horizon) == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / n))
    assert rul.censored_fraction == pytest.approx(1 - rul.failure_probability(horizon))


def test_already_past_threshold(model):
    samples = PosteriorSamples(np.array([[2.5], [3.0]]), np.tile(model.parameter_values, (2, 1)))  # D0 > D_th = 2
    rul = predict_rul(model, samples, FAILURE, LoadScenario.constant(), horizon=1e6)
    assert rul.already_failed and rul.fraction_failed_at_start == 1.0
    assert np.all(rul.time_to_failure == 0.0)
    assert rul.p50.value == 0.0 and not rul.p50.censored
    assert rul.failure_probability([0.0, 3600.0]).tolist() == [1.0, 1.0]


def test_falling_direction_on_a_state(model):
    # a state signal with "<=": D <= 0.5 is already true at D0 = 0.01; D >= 2 (state) is the same condition as the vibration
    samples = PosteriorSamples(np.array([[D0]]), model.parameter_values[None, :])
    falling = predict_rul(model, samples, FailureThreshold("damage", 0.5, "<="), LoadScenario.constant(), horizon=1e6)
    assert falling.already_failed
    # "damage" is both an output and a state; outputs are searched first, with the same value
    rising = predict_rul(model, samples, FailureThreshold("damage", D_TH), LoadScenario.constant(), horizon=2e6)
    assert_allclose(rising.time_to_failure, T_CLOSED, rtol=1e-7)


def test_calendar_clock_and_end_of_life(model):
    samples = PosteriorSamples(np.array([[D0]]), model.parameter_values[None, :])
    rul = predict_rul(model, samples, FAILURE, LoadScenario.constant(), horizon=2e6)
    # calendar time = operating time / utilisation
    operating_hours = rul.quantile(0.5, unit="h").value
    calendar_hours = rul.quantile(0.5, unit="h", clock="calendar", utilisation=0.25).value
    assert_allclose(operating_hours, T_CLOSED / 3600.0, rtol=1e-7)
    assert_allclose(calendar_hours, 4 * T_CLOSED / 3600.0, rtol=1e-7)
    start = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    (eol,) = rul.end_of_life(start, 0.25, (0.5,))
    assert eol.time is not None and eol.time.tzinfo == UTC
    assert_allclose((eol.time - start).total_seconds(), 4 * T_CLOSED, rtol=1e-7)
    assert eol.to_dict()["time"].endswith("Z")
    # horizon in calendar time is 4 x 2e6 s
    assert rul.failure_probability(8e6, clock="calendar", utilisation=0.25) == 1.0
    with pytest.raises(ParameterError, match="`horizons` must lie in"):
        rul.failure_probability(8.1e6, clock="calendar", utilisation=0.25)
    with pytest.raises(ParameterError, match="`utilisation` is required"):
        rul.quantile(0.5, clock="calendar")
    with pytest.raises(ParameterError, match=r"`utilisation` must be in \(0, 1\]"):
        rul.quantile(0.5, clock="calendar", utilisation=1.5)
    with pytest.raises(ParameterError, match="`estimate_time` must be a timezone-aware datetime"):
        rul.end_of_life(datetime(2026, 3, 1), 0.5)


def test_process_noise_first_passage(model, rng):
    # With log-space noise the log-damage is a Brownian motion with drift: ln D(t) = ln D0 + c t + sigma W(t). Its first
    # passage through ln D_th is inverse Gaussian with mean a / c and shape a² / sigma², a = ln(D_th / D0).
    # Noise enters at step ends, so the barrier is monitored discretely: Broadie, Glasserman & Kou (1997) shift it by
    # 0.5826 sigma sqrt(h). Tolerance: 4 standard errors of the sample quantile, sqrt(q (1 - q) / N) / f(x_q).
    sigma, h, n = 2e-3, 300.0, 1500
    a = LOG_RATIO + 0.5826 * sigma * math.sqrt(h)
    mean, shape = a / RATE, a**2 / sigma**2
    law = stats.invgauss(mean / shape, scale=shape)
    samples = PosteriorSamples(np.full((n, 1), D0), np.tile(model.parameter_values, (n, 1)))
    rul = predict_rul(
        model, samples, FAILURE, LoadScenario.constant(), horizon=4e6, step=h, rng=rng, process_noise={"damage": sigma}
    )
    assert not rul.censored.any() and rul.method["process_noise"]
    for q in (0.05, 0.5, 0.95):
        x = law.ppf(q)
        tolerance = 4 * math.sqrt(q * (1 - q) / n) / law.pdf(x) + h
        assert abs(rul.quantile(q).value - x) < tolerance, q


def test_unscented_log_space_is_exact_for_lognormal_rate(model, augmentation):
    # ln T is linear in ln c, so the sigma points reproduce mean and std of ln T exactly:
    # median e^(ln ln(D_th/D0) - mu), log-std s, mean e^(m + s²/2)
    s = 0.3
    result = predict_rul_unscented(model, _posterior(augmentation, log_rate_std=s), FAILURE, LoadScenario.constant(), horizon=1e8)
    assert result.reliable and result.space == "log"
    assert_allclose(result.median, T_CLOSED, rtol=1e-7)
    assert_allclose(result.log_std, s, rtol=1e-6)
    assert_allclose(result.mean, T_CLOSED * math.exp(s * s / 2), rtol=1e-6)
    assert_allclose(result.quantile(0.95), T_CLOSED * math.exp(s * stats.norm.ppf(0.95)), rtol=1e-6)


def test_unscented_linear_space_sigma_points(model, augmentation):
    # nz = 2, alpha = 1, beta = 2, kappa = 0: lambda = 0, spread sqrt(2), weights wm = (0, 1/4 x 4), wc = (2, 1/4 x 4).
    # The damage variance is 0, so two sigma points equal the mean (T0); the rate points give T0 e^(-/+ sqrt(2) s).
    s = 0.3
    t0 = T_CLOSED
    times = np.array([t0, t0, t0 * math.exp(-math.sqrt(2) * s), t0, t0 * math.exp(math.sqrt(2) * s)])
    wm = np.array([0.0, 0.25, 0.25, 0.25, 0.25])
    wc = np.array([2.0, 0.25, 0.25, 0.25, 0.25])
    mean = wm @ times  # = t0 (1 + cosh(sqrt(2) s)) / 2
    std = math.sqrt(wc @ (times - mean) ** 2)
    result = predict_rul_unscented(
        model, _posterior(augmentation, log_rate_std=s), FAILURE, LoadScenario.constant(), horizon=1e8, space="linear"
    )
    assert_allclose(np.sort(result.sigma_times), np.sort(times), rtol=1e-7)
    assert_allclose(result.mean, mean, rtol=1e-7)
    assert_allclose(mean, t0 * (1 + math.cosh(math.sqrt(2) * s)) / 2, rtol=1e-12)
    assert_allclose(result.std, std, rtol=1e-6)


def test_unscented_flags_censoring(model, augmentation):
    # the slow sigma point needs T0 e^(sqrt(2) 0.3) = 1.53 T0 > horizon
    result = predict_rul_unscented(
        model, _posterior(augmentation, log_rate_std=0.3), FAILURE, LoadScenario.constant(), horizon=1.2 * T_CLOSED
    )
    assert not result.reliable and result.censored_points == 1


def test_posterior_from_filter_state(model, rng):
    # the filter's prior: growth_rate carried in log space with std initial_std / initial (delta method)
    estimator = UnscentedKalmanFilter(
        model,
        measured={"vibration_level": 0.01},
        estimate=[EstimatedParameter("growth_rate", initial_std=2e-6)],
        initial_state={"damage": D0},
    )
    posterior = Posterior.from_filter(estimator, estimator.initial_state(0.0))
    drawn = posterior.sample(20000, rng)
    log_rate = np.log(drawn.parameters[:, model.parameter_names.index("growth_rate")])
    # mean ln(1e-5), std 0.2; standard errors 0.2 / sqrt(N) and 0.2 / sqrt(2N)
    assert abs(log_rate.mean() - math.log(RATE)) < 4 * 0.2 / math.sqrt(20000)
    assert abs(log_rate.std() - 0.2) < 4 * 0.2 / math.sqrt(2 * 20000)
    assert np.all(drawn.states > 0)


def test_dataset_has_sample_dimension(model):
    samples = PosteriorSamples(np.array([[D0], [0.02]]), np.tile(model.parameter_values, (2, 1)))
    dataset = predict_rul(model, samples, FAILURE, LoadScenario.constant(), horizon=2e6).to_dataset()
    assert dataset["time_to_failure"].dims == ("sample",)
    assert dataset["time_to_failure"].attrs["units"] == "s"
    assert dataset["initial_signal"].attrs["units"] == "m/s^2"
    assert dataset.attrs["signal"] == "vibration_level"


def test_input_errors_name_the_argument(model, augmentation):
    samples = PosteriorSamples(np.array([[D0]]), model.parameter_values[None, :])
    constant = LoadScenario.constant()
    with pytest.raises(ParameterError, match=r"unknown output or state 'vibration'.*Did you mean 'vibration_level'"):
        predict_rul(model, samples, FailureThreshold("vibration", 0.3), constant, horizon=1e6)
    with pytest.raises(ParameterError, match=r"`direction` must be '>=' or '<='"):
        predict_rul(model, samples, FailureThreshold("vibration_level", 0.3, ">"), constant, horizon=1e6)
    with pytest.raises(ParameterError, match=r"`start_times` must be finite(.|\n)*unknown input 'load'"):
        predict_rul(model, samples, FAILURE, LoadScenario({"load": 1.0}, (1.0, 2.0)), horizon=1e6)
    with pytest.raises(ParameterError, match=r"input `radial_load` must be one value or 2 values"):
        predict_rul(model, samples, FAILURE, LoadScenario({"radial_load": [1.0, 2.0, 3.0]}, (0.0, 5.0)), horizon=1e6)
    with pytest.raises(ParameterError, match=r"`horizon` must be a finite number > 0(.|\n)*`step` must be"):
        predict_rul(model, samples, FAILURE, constant, horizon=-1.0, step=0.0)
    with pytest.raises(ParameterError, match=r"`rng` must be a seeded numpy\.random\.Generator"):
        predict_rul(model, _posterior(augmentation), FAILURE, constant, horizon=1e6)
    with pytest.raises(ParameterError, match="unknown state in `process_noise` 'dmg'"):
        predict_rul(model, samples, FAILURE, constant, horizon=1e6, rng=np.random.default_rng(1), process_noise={"dmg": 1e-3})
    with pytest.raises(ShapeError, match=r"`states` must have shape \(n, 1\)"):
        predict_rul(
            model, PosteriorSamples(np.ones((2, 2)), np.tile(model.parameter_values, (2, 1))), FAILURE, constant, horizon=1e6
        )
    with pytest.raises(ParameterError, match="`covariance` must be positive semi-definite"):
        Posterior(np.zeros(2), np.diag([1.0, -1.0]), augmentation).sample(3, np.random.default_rng(1))
    with pytest.raises(ParameterError, match=r"`probability` must be in \(0, 1\)"):
        predict_rul(model, samples, FAILURE, constant, horizon=1e6).quantile(1.0)
