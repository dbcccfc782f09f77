"""Prognostic metrics on small cases computed by hand (arithmetic in the comments).

The case: end of life t_EOL = 100, predictions at t = 0, 20, 40, 60, 80, so the true RUL is
r* = 100, 80, 60, 40, 20, and the predicted RUL is r = 130, 90, 66, 38, 30.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.errors import ParameterError, ShapeError
from physics_twin.prognostics.metrics import (
    alpha_lambda_accuracy,
    convergence,
    cumulative_relative_accuracy,
    prognostic_horizon,
    relative_accuracy,
)

TIMES = np.array([0.0, 20.0, 40.0, 60.0, 80.0])
TRUE = 100.0 - TIMES
PREDICTED = np.array([130.0, 90.0, 66.0, 38.0, 30.0])


def test_alpha_lambda_point_predictions():
    # t_P = 0, t_lambda = lambda * 100; the prediction used is the latest at or before t_lambda.
    # lambda 0    -> t = 0:  r* = 100, cone [80, 120],  r = 130 -> outside
    # lambda 0.25 -> t = 20: r* = 80,  cone [64, 96],   r = 90  -> inside
    # lambda 0.5  -> t_lambda = 50, prediction at 40: r* = 60, cone [48, 72], r = 66 -> inside
    # lambda 0.8  -> t = 80: r* = 20,  cone [16, 24],   r = 30  -> outside
    result = alpha_lambda_accuracy(TIMES, TRUE, PREDICTED, lambdas=(0.0, 0.25, 0.5, 0.8), alpha=0.2)
    assert result.accurate.tolist() == [False, True, True, False]
    assert_allclose(result.times, [0.0, 25.0, 50.0, 80.0])
    assert_allclose(result.prediction_times, [0.0, 20.0, 40.0, 80.0])
    assert_allclose(result.lower, [80.0, 64.0, 48.0, 16.0])
    assert_allclose(result.upper, [120.0, 96.0, 72.0, 24.0])
    assert result.probability_mass is None and not result.all_accurate


def test_alpha_lambda_with_quantiles():
    # At lambda = 0.5 (prediction at 40, cone [48, 72]) the quantiles (5 %, 50 %, 95 %) = (50, 66, 80):
    # F(72) = 0.5 + (72 - 66) / (80 - 66) * 0.45 = 0.692857...; 48 lies below the 5 % quantile, so F(48) <= 0.05;
    # mass >= 0.692857 - 0.05 = 0.642857 -> accurate for beta = 0.5, not for beta = 0.7.
    quantiles = np.tile([50.0, 66.0, 80.0], (5, 1))
    levels = [0.05, 0.5, 0.95]
    kept = alpha_lambda_accuracy(
        TIMES, TRUE, PREDICTED, lambdas=(0.5,), predicted_quantiles=quantiles, quantile_levels=levels, beta=0.5
    )
    assert_allclose(kept.probability_mass, [0.5 + 6 / 14 * 0.45 - 0.05], rtol=1e-12)
    assert kept.accurate.tolist() == [True]
    strict = alpha_lambda_accuracy(
        TIMES, TRUE, PREDICTED, lambdas=(0.5,), predicted_quantiles=quantiles, quantile_levels=levels, beta=0.7
    )
    assert strict.accurate.tolist() == [False]
    # a censored 95 % quantile (inf): above 66 only F in [0.5, 0.95] is known, so the mass >= 0.5 - 0.05 = 0.45
    censored = quantiles.copy()
    censored[:, 2] = np.inf
    partial = alpha_lambda_accuracy(TIMES, TRUE, PREDICTED, lambdas=(0.5,), predicted_quantiles=censored, quantile_levels=levels)
    assert_allclose(partial.probability_mass, [0.45], rtol=1e-12)
    assert partial.accurate.tolist() == [False]


def test_relative_accuracy_and_cra():
    # RA = 1 - |r* - r| / r*: t=0: 1 - 30/100 = 0.7; t=20: 1 - 10/80 = 0.875; t=40: 1 - 6/60 = 0.9;
    # t=60: 1 - 2/40 = 0.95; t=80: 1 - 10/20 = 0.5
    at = relative_accuracy(TIMES, TRUE, PREDICTED, lambdas=(0.25, 0.5))
    assert_allclose(at.values, [0.875, 0.9])
    assert not at.upper_bound_only.any()
    # CRA over all: (0.7 + 0.875 + 0.9 + 0.95 + 0.5) / 5 = 3.925 / 5 = 0.785
    cra = cumulative_relative_accuracy(TIMES, TRUE, PREDICTED)
    assert cra.value == pytest.approx(0.785, rel=1e-12) and cra.count == 5 and not cra.upper_bound_only
    # up to lambda = 0.5 (t <= 50): (0.7 + 0.875 + 0.9) / 3 = 0.825
    assert cumulative_relative_accuracy(TIMES, TRUE, PREDICTED, until=0.5).value == pytest.approx(0.825, rel=1e-12)
    # weights 1, 1, 1, 1, 4: (0.7 + 0.875 + 0.9 + 0.95 + 4 * 0.5) / 8 = 5.425 / 8 = 0.678125
    weighted = cumulative_relative_accuracy(TIMES, TRUE, PREDICTED, weights=[1, 1, 1, 1, 4])
    assert weighted.value == pytest.approx(0.678125, rel=1e-12)


def test_prognostic_horizon_definitions():
    # bounds r* +/- alpha t_EOL = r* +/- 20: t=0 [80, 120] 130 out; t=20 [60, 100] 90 in; t=40 [40, 80] 66 in;
    # t=60 [20, 60] 38 in; t=80 [0, 40] 30 in. First prediction after which all stay in: t=20, PH = 100 - 20 = 80.
    result = prognostic_horizon(TIMES, TRUE, PREDICTED, alpha=0.2)
    assert result.within.tolist() == [False, True, True, True, True]
    assert result.found and result.index == 1 and result.horizon == 80.0
    # a prediction leaving the band at t=60 (70 > 60): staying-in starts at t=80 (PH = 20), first entry stays t=20 (PH = 80)
    wandering = PREDICTED.copy()
    wandering[3] = 70.0
    assert prognostic_horizon(TIMES, TRUE, wandering).horizon == 20.0
    assert prognostic_horizon(TIMES, TRUE, wandering, require_stay=False).horizon == 80.0


def test_convergence_centroid():
    # errors M = 30, 10, 6, 2 on [0,20), [20,40), [40,60), [60,80) (the last prediction closes the curve)
    # area = 20 (30 + 10 + 6 + 2) = 960
    # x_c = (400*30 + 1200*10 + 2000*6 + 2800*2) / (2*960) = 41600 / 1920 = 21.666...
    # y_c = 20 (900 + 100 + 36 + 4) / (2*960) = 20800 / 1920 = 10.833...
    # C = sqrt(x_c² + y_c²) (t_P = 0)
    result = convergence(TIMES, TRUE, PREDICTED)
    assert result.centroid_time == pytest.approx(41600 / 1920, rel=1e-12)
    assert result.centroid_error == pytest.approx(20800 / 1920, rel=1e-12)
    assert result.value == pytest.approx(math.hypot(41600 / 1920, 20800 / 1920), rel=1e-12)
    # perfect predictions: no area, convergence 0
    assert convergence(TIMES, TRUE, TRUE).value == 0.0


def test_censored_predictions():
    # the prediction at t=80 is censored beyond a horizon of 25: it never counts as within a bound;
    # its RA is at most 1 - max(25 - 20, 0) / 20 = 0.75; CRA with it is an upper bound:
    # (0.7 + 0.875 + 0.9 + 0.95 + 0.75) / 5 = 4.175 / 5 = 0.835
    censored = PREDICTED.copy()
    censored[4] = np.inf
    assert alpha_lambda_accuracy(TIMES, TRUE, censored, lambdas=(0.8,), alpha=0.5).accurate.tolist() == [False]
    horizon = prognostic_horizon(TIMES, TRUE, censored)
    assert horizon.within.tolist() == [False, True, True, True, False]
    assert not horizon.found and horizon.horizon == 0.0 and horizon.index is None
    ra = relative_accuracy(TIMES, TRUE, censored, lambdas=(0.8,), censoring_bound=25.0)
    assert_allclose(ra.values, [0.75])
    assert ra.upper_bound_only.tolist() == [True]
    cra = cumulative_relative_accuracy(TIMES, TRUE, censored, censoring_bound=25.0)
    assert cra.value == pytest.approx(0.835, rel=1e-12) and cra.upper_bound_only
    # convergence: censored at t=60 with horizon 50: error >= 50 - 40 = 10 (instead of 2)
    # x_c = (400*30 + 1200*10 + 2000*6 + 2800*10) / (2 * 20 * 56) = 64000 / 2240; y_c = 20 (900+100+36+100) / 2240
    early = PREDICTED.copy()
    early[3] = np.inf
    result = convergence(TIMES, TRUE, early, censoring_bound=50.0)
    assert result.uses_censored_bound
    assert result.centroid_time == pytest.approx(64000 / 2240, rel=1e-12)
    assert result.centroid_error == pytest.approx(20 * 1136 / 2240, rel=1e-12)


def test_metric_input_errors():
    with pytest.raises(ParameterError, match="`prediction_times` must be finite and strictly increasing"):
        prognostic_horizon(TIMES[::-1], TRUE, PREDICTED)
    with pytest.raises(ParameterError, match=r"`prediction_times \+ true_rul` must be constant"):
        prognostic_horizon(TIMES, TRUE + np.arange(5), PREDICTED)
    with pytest.raises(ParameterError, match="`censoring_bound`"):
        relative_accuracy(TIMES, TRUE, np.full(5, np.inf))
    with pytest.raises(ParameterError, match=r"`lambdas` must be fractions in \[0, 1\)"):
        alpha_lambda_accuracy(TIMES, TRUE, PREDICTED, lambdas=(1.0,))
    with pytest.raises(ParameterError, match=r"`alpha` must be in \(0, 1\)"):
        alpha_lambda_accuracy(TIMES, TRUE, PREDICTED, alpha=0.0)
    with pytest.raises(ShapeError, match="must be 1-D of equal, non-zero length"):
        convergence(TIMES, TRUE, PREDICTED[:3])
    with pytest.raises(ParameterError, match="`true_rul` must be finite and > 0"):
        relative_accuracy(TIMES, 80.0 - TIMES, PREDICTED)
    with pytest.raises(ParameterError, match="`predicted_quantiles` and `quantile_levels` must be given together"):
        alpha_lambda_accuracy(TIMES, TRUE, PREDICTED, predicted_quantiles=np.ones((5, 3)))
