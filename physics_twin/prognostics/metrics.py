r"""Prognostic performance metrics for offline evaluation on run-to-failure data.

Following Saxena, Celaya, Saha, Saha, Goebel (2010) and Saxena et al. (2008). One unit under
test fails at :math:`t_{EOL}`; predictions :math:`r_i` of the remaining useful life are made at
times :math:`t_i` (:math:`t_P = t_0` the first, unless ``start_time`` is given); the true RUL is
:math:`r^*_i = t_{EOL} - t_i`. All times share one origin: the start of the unit's life (the
prognostic-horizon bounds scale with :math:`t_{EOL}` itself).

Metrics
-------
Prognostic horizon (:func:`prognostic_horizon`)
    Bounds :math:`r^*_i \pm \alpha\, t_{EOL}` (constant width). A prediction is *within* when its
    point value lies inside; with predicted quantiles, when the probability mass inside is at
    least :math:`\beta`. :math:`PH = t_{EOL} - t_{i_\alpha}`. With ``require_stay=True`` (default)
    :math:`i_\alpha` is the first prediction **after which every prediction stays within** the
    bounds — stricter than the paper's literal definition (the first prediction within, whatever
    follows), which ``require_stay=False`` gives. No such prediction: ``horizon = 0``, ``found = False``.
:math:`\alpha`-:math:`\lambda` accuracy (:func:`alpha_lambda_accuracy`)
    At :math:`t_\lambda = t_P + \lambda (t_{EOL} - t_P)`, the prediction is accurate when
    :math:`(1-\alpha) r^* \le r \le (1+\alpha) r^*` (a cone that narrows towards EOL), or with
    quantiles when the mass inside is at least :math:`\beta`. The prediction used at
    :math:`t_\lambda` is the latest one made at or before it, compared with the true RUL at its
    own time.
Relative accuracy (:func:`relative_accuracy`, :func:`cumulative_relative_accuracy`)
    :math:`RA = 1 - |r^* - r| / r^*` at the :math:`\lambda` points; the cumulative relative accuracy
    is the weighted mean :math:`CRA = \sum_i w_i RA_i / \sum_i w_i` over the predictions made in
    :math:`[t_P, t_\lambda]` (uniform weights by default).
Convergence (:func:`convergence`)
    The error :math:`M_i = |r_i - r^*_i|` is held constant from each prediction to the next
    (:math:`t_0 \ldots t_{n-1}`; the last prediction closes the curve). The centroid of the area
    under it is :math:`x_c = \sum (t_{i+1}^2 - t_i^2) M_i / (2 \sum (t_{i+1} - t_i) M_i)`,
    :math:`y_c = \sum (t_{i+1} - t_i) M_i^2 / (2 \sum (t_{i+1} - t_i) M_i)`, and the convergence is
    the distance :math:`C_M = \sqrt{(x_c - t_P)^2 + y_c^2}` (smaller: faster convergence). Zero
    error everywhere gives :math:`C_M = 0`.

Censored predictions
--------------------
A prediction that lies beyond its own prediction horizon (censored) is passed as ``numpy.inf``
(in ``predicted_rul`` or in ``predicted_quantiles``). It never counts as within any bound
(prognostic horizon, :math:`\alpha`-:math:`\lambda`). For relative accuracy its error is only
known to exceed ``censoring_bound - r*`` (``censoring_bound``: the prediction horizon, required
when any prediction is censored), so its RA is replaced by the upper bound
:math:`1 - \max(b - r^*, 0) / r^*`, flagged per point, and a CRA that uses one is flagged an upper
bound. Convergence uses the error's lower bound :math:`\max(b - r^*, 0)` and is flagged.

Probability mass from quantiles: the predicted CDF is taken as linear between the given
quantiles; below the lowest and above the highest (or next to a censored one) only bounds are
known, and the mass inside the bounds is the lower bound these imply.

References
----------
Saxena, A., Celaya, J., Saha, B., Saha, S., Goebel, K. (2010). Metrics for offline evaluation of
prognostic performance. *Int. J. Prognostics and Health Management* 1(1), 4–23.
doi:10.36001/ijphm.2010.v1i1.1336.
Saxena, A., Celaya, J., Balaban, E., Goebel, K., Saha, B., Saha, S., Schwabacher, M. (2008).
Metrics for evaluating performance of prognostic techniques. *Int. Conf. Prognostics and Health
Management*, 1–17. doi:10.1109/PHM.2008.4711436.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physics_twin.errors import ParameterError, ShapeError, join_problems

__all__ = [
    "AlphaLambdaAccuracy",
    "Convergence",
    "CumulativeRelativeAccuracy",
    "PrognosticHorizon",
    "RelativeAccuracy",
    "alpha_lambda_accuracy",
    "convergence",
    "cumulative_relative_accuracy",
    "prognostic_horizon",
    "prognostic_summary",
    "relative_accuracy",
]


@dataclass(frozen=True)
class _Run:
    times: np.ndarray
    true_rul: np.ndarray
    predicted: np.ndarray
    censored: np.ndarray
    bound: np.ndarray | None
    end_of_life: float
    start_time: float
    quantiles: np.ndarray | None
    levels: np.ndarray | None


def _prepare(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    end_of_life: float | None = None,
    start_time: float | None = None,
    censoring_bound: Any = None,
    predicted_quantiles: Any = None,
    quantile_levels: Any = None,
) -> _Run:
    times = np.asarray(prediction_times, dtype=float)
    truth = np.asarray(true_rul, dtype=float)
    predicted = np.asarray(predicted_rul, dtype=float)
    n = times.size
    if times.ndim != 1 or n == 0 or truth.shape != times.shape or predicted.shape != times.shape:
        raise ShapeError(
            "`prediction_times`, `true_rul` and `predicted_rul` must be 1-D of equal, non-zero length; "
            f"got {times.shape}, {truth.shape}, {predicted.shape}."
        )
    problems = []
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        problems.append("`prediction_times` must be finite and strictly increasing [s].")
    if not np.all(np.isfinite(truth)) or np.any(truth <= 0):
        problems.append(
            "`true_rul` must be finite and > 0 (predictions before the end of life) [s]; "
            f"got {truth[~(np.isfinite(truth) & (truth > 0))].tolist()}."
        )
    if np.any(np.isnan(predicted)) or np.any(predicted < 0):
        problems.append("`predicted_rul` must be >= 0, or numpy.inf where censored [s]; got NaN or negative values.")
    censored = np.isinf(predicted)
    bound = None
    if censoring_bound is not None:
        bound = np.broadcast_to(np.asarray(censoring_bound, dtype=float), times.shape).copy()
        if not np.all(np.isfinite(bound)) or np.any(bound < 0):
            problems.append("`censoring_bound` must be finite and >= 0 [s].")
    if end_of_life is None:
        implied = times + truth
        if n and np.all(np.isfinite(implied)) and np.ptp(implied) > 1e-9 * max(1.0, float(np.max(np.abs(implied)))):
            problems.append(
                "`prediction_times + true_rul` must be constant (one end of life); pass `end_of_life` explicitly otherwise."
            )
        end = float(implied[0]) if n else math.nan
    else:
        end = float(end_of_life)
        if not (math.isfinite(end) and end > times[-1]):
            problems.append(f"`end_of_life` must be finite and after the last prediction [s]; got {end_of_life!r}.")
    start = float(times[0]) if start_time is None else float(start_time)
    if start_time is not None and not (math.isfinite(start) and start <= times[0]):
        problems.append(f"`start_time` must be finite and not after the first prediction [s]; got {start_time!r}.")
    quantiles = levels = None
    if (predicted_quantiles is None) != (quantile_levels is None):
        problems.append("`predicted_quantiles` and `quantile_levels` must be given together.")
    elif predicted_quantiles is not None:
        quantiles = np.asarray(predicted_quantiles, dtype=float)
        levels = np.asarray(quantile_levels, dtype=float)
        if levels.ndim != 1 or levels.size == 0 or np.any(np.diff(levels) <= 0) or levels[0] <= 0 or levels[-1] >= 1:
            problems.append("`quantile_levels` must be strictly increasing levels in (0, 1).")
        elif quantiles.shape != (n, levels.size):
            problems.append(f"`predicted_quantiles` must have shape ({n}, {levels.size}); got {quantiles.shape}.")
        elif np.any(np.isnan(quantiles)) or np.any(quantiles[:, 1:] < quantiles[:, :-1]):  # inf - inf safe
            problems.append(
                "`predicted_quantiles` must be non-decreasing along each row (numpy.inf where censored), without NaN."
            )
    if problems:
        raise ParameterError(join_problems("invalid prognostic-metric inputs:", problems))
    return _Run(times, truth, predicted, censored, bound, end, start, quantiles, levels)


def _check_level(name: str, value: float, closed_upper: bool = False) -> float:
    ok = isinstance(value, (int, float)) and (0 < value <= 1 if closed_upper else 0 < value < 1)
    if not ok:
        raise ParameterError(f"`{name}` must be in (0, 1{']' if closed_upper else ')'}; got {value!r}.")
    return float(value)


def _cdf_bounds(x: float, levels: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Lower and upper bound of the predicted CDF at ``x`` from quantiles (linear between known ones)."""
    below = np.flatnonzero(values <= x)
    if below.size == 0:
        return 0.0, float(levels[0])
    j = int(below[-1])
    if j == values.size - 1:
        return float(levels[j]), 1.0
    if math.isinf(values[j + 1]):
        return float(levels[j]), float(levels[j + 1])
    fraction = (x - values[j]) / (values[j + 1] - values[j])
    value = float(levels[j] + fraction * (levels[j + 1] - levels[j]))
    return value, value


def _mass_inside(lower: float, upper: float, levels: np.ndarray, values: np.ndarray) -> float:
    """Lower bound of the predicted probability mass in [lower, upper]."""
    high, _ = _cdf_bounds(upper, levels, values)
    _, low = _cdf_bounds(lower, levels, values)
    return max(0.0, high - low)


def _within(
    run: _Run, index: np.ndarray, lower: np.ndarray, upper: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray | None]:
    if run.quantiles is None:
        value = run.predicted[index]
        return (~run.censored[index]) & (value >= lower) & (value <= upper), None
    mass = np.array([_mass_inside(lo, hi, run.levels, run.quantiles[i]) for i, lo, hi in zip(index, lower, upper, strict=True)])  # type: ignore[arg-type]
    return mass >= beta, mass


def _lambda_index(run: _Run, lambdas: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.atleast_1d(np.asarray(lambdas, dtype=float))
    if values.ndim != 1 or values.size == 0 or np.any(~np.isfinite(values)) or np.any(values < 0) or np.any(values >= 1):
        raise ParameterError(
            "`lambdas` must be fractions in [0, 1) (at 1, the end of life, the true RUL is 0); "
            f"got {np.asarray(lambdas).tolist()}."
        )
    moments = run.start_time + values * (run.end_of_life - run.start_time)
    slack = 1e-9 * max(1.0, abs(run.end_of_life))
    index = np.searchsorted(run.times, moments + slack, side="right") - 1
    if np.any(index < 0):
        early = values[index < 0].tolist()
        raise ParameterError(
            f"no prediction at or before t_lambda for `lambdas` {early}; the first prediction is at {run.times[0]!r} s."
        )
    return values, moments, index


@dataclass(frozen=True)
class AlphaLambdaAccuracy:
    """Result of :func:`alpha_lambda_accuracy` (arrays over the lambda points).

    Attributes
    ----------
    lambdas : numpy.ndarray
        Fractions of the interval [t_P, t_EOL].
    times : numpy.ndarray
        t_lambda. [s]
    prediction_times : numpy.ndarray
        Time of the prediction used at each point (latest at or before t_lambda). [s]
    true_rul, predicted_rul : numpy.ndarray
        True and predicted RUL of that prediction (inf where censored). [s]
    lower, upper : numpy.ndarray
        Cone bounds (1 ∓ alpha) r*. [s]
    probability_mass : numpy.ndarray or None
        Lower bound of the predicted mass inside the bounds (with quantiles).
    accurate : numpy.ndarray of bool
        The alpha-lambda criterion at each point.
    """

    lambdas: np.ndarray
    times: np.ndarray
    prediction_times: np.ndarray
    true_rul: np.ndarray
    predicted_rul: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    probability_mass: np.ndarray | None
    accurate: np.ndarray

    @property
    def all_accurate(self) -> bool:
        """True when every lambda point is accurate."""
        return bool(np.all(self.accurate))


def alpha_lambda_accuracy(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    lambdas: Sequence[float] = (0.5,),
    alpha: float = 0.2,
    beta: float = 0.5,
    predicted_quantiles: Any = None,
    quantile_levels: Any = None,
    start_time: float | None = None,
    end_of_life: float | None = None,
) -> AlphaLambdaAccuracy:
    """Alpha-lambda accuracy (Saxena et al. 2010); see the module docstring.

    Parameters
    ----------
    prediction_times : array_like, shape (n,)
        Times of the predictions, strictly increasing. [s]
    true_rul : array_like, shape (n,)
        True RUL at each prediction time, > 0. [s]
    predicted_rul : array_like, shape (n,)
        Predicted RUL (median or point value), numpy.inf where censored. [s]
    lambdas : sequence of float
        Fractions of [t_P, t_EOL) at which to evaluate, in [0, 1).
    alpha : float
        Relative half-width of the cone, in (0, 1).
    beta : float
        Minimum probability mass inside the cone, in (0, 1] (with quantiles only).
    predicted_quantiles : array_like, shape (n, k), optional
        Predicted RUL quantiles at ``quantile_levels`` (numpy.inf where censored). [s]
    quantile_levels : array_like, shape (k,), optional
        Increasing levels in (0, 1).
    start_time : float, optional
        t_P; default the first prediction time. [s]
    end_of_life : float, optional
        t_EOL; default ``prediction_times + true_rul`` (must be constant). [s]
    """
    _check_level("alpha", alpha)
    _check_level("beta", beta, closed_upper=True)
    run = _prepare(
        prediction_times,
        true_rul,
        predicted_rul,
        end_of_life=end_of_life,
        start_time=start_time,
        predicted_quantiles=predicted_quantiles,
        quantile_levels=quantile_levels,
    )
    values, moments, index = _lambda_index(run, lambdas)
    truth = run.true_rul[index]
    lower, upper = (1 - alpha) * truth, (1 + alpha) * truth
    accurate, mass = _within(run, index, lower, upper, beta)
    return AlphaLambdaAccuracy(values, moments, run.times[index], truth, run.predicted[index], lower, upper, mass, accurate)


@dataclass(frozen=True)
class PrognosticHorizon:
    """Result of :func:`prognostic_horizon`.

    Attributes
    ----------
    horizon : float
        t_EOL − t_i_alpha; 0 when no prediction qualifies. [s]
    found : bool
        True when a prediction qualifies.
    index : int or None
        Index of the qualifying prediction.
    time : float or None
        Its time t_i_alpha. [s]
    within : numpy.ndarray of bool
        Whether each prediction lies within r* ± alpha t_EOL (or has mass >= beta there).
    lower, upper : numpy.ndarray
        The bounds at each prediction. [s]
    probability_mass : numpy.ndarray or None
        Lower bound of the predicted mass inside the bounds (with quantiles).
    require_stay : bool
        Which definition was used (see the module docstring).
    """

    horizon: float
    found: bool
    index: int | None
    time: float | None
    within: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    probability_mass: np.ndarray | None
    require_stay: bool


def prognostic_horizon(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    alpha: float = 0.2,
    beta: float = 0.5,
    predicted_quantiles: Any = None,
    quantile_levels: Any = None,
    end_of_life: float | None = None,
    require_stay: bool = True,
) -> PrognosticHorizon:
    """Prognostic horizon with bounds r* ± alpha·t_EOL; see the module docstring for the definition.

    Parameters are as for :func:`alpha_lambda_accuracy`; ``alpha`` here scales the end-of-life
    time (a fixed-width band), and ``require_stay`` chooses "first prediction after which all stay
    within" (True) or "first prediction within" (False, the paper's literal wording).
    """
    _check_level("alpha", alpha)
    _check_level("beta", beta, closed_upper=True)
    run = _prepare(
        prediction_times,
        true_rul,
        predicted_rul,
        end_of_life=end_of_life,
        predicted_quantiles=predicted_quantiles,
        quantile_levels=quantile_levels,
    )
    half = alpha * run.end_of_life
    lower, upper = run.true_rul - half, run.true_rul + half
    within, mass = _within(run, np.arange(run.times.size), lower, upper, beta)
    if require_stay:
        # suffix test: within[j:] all True
        stays = np.flip(np.cumprod(np.flip(within).astype(np.int64))).astype(bool)
        candidates = np.flatnonzero(stays)
    else:
        candidates = np.flatnonzero(within)
    if candidates.size == 0:
        return PrognosticHorizon(0.0, False, None, None, within, lower, upper, mass, bool(require_stay))
    index = int(candidates[0])
    return PrognosticHorizon(
        run.end_of_life - float(run.times[index]),
        True,
        index,
        float(run.times[index]),
        within,
        lower,
        upper,
        mass,
        bool(require_stay),
    )


def _relative_accuracy(run: _Run, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    truth = run.true_rul[index]
    censored = run.censored[index]
    if np.any(censored) and run.bound is None:
        raise ParameterError(
            "`censoring_bound` (the prediction horizon of each prediction) is required when predictions are censored (inf) [s]."
        )
    values = np.empty(index.size)
    known = ~censored
    values[known] = 1.0 - np.abs(truth[known] - run.predicted[index][known]) / truth[known]
    if np.any(censored):
        bound = run.bound[index][censored]  # type: ignore[index]
        values[censored] = 1.0 - np.maximum(bound - truth[censored], 0.0) / truth[censored]
    return values, censored


@dataclass(frozen=True)
class RelativeAccuracy:
    """Result of :func:`relative_accuracy` (arrays over the lambda points).

    Attributes
    ----------
    lambdas, times, prediction_times : numpy.ndarray
        As in :class:`AlphaLambdaAccuracy`. [-, s, s]
    values : numpy.ndarray
        RA at each point (its upper bound where ``upper_bound_only``).
    upper_bound_only : numpy.ndarray of bool
        True where the prediction was censored.
    """

    lambdas: np.ndarray
    times: np.ndarray
    prediction_times: np.ndarray
    values: np.ndarray
    upper_bound_only: np.ndarray


def relative_accuracy(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    lambdas: Sequence[float] = (0.5,),
    censoring_bound: Any = None,
    start_time: float | None = None,
    end_of_life: float | None = None,
) -> RelativeAccuracy:
    """Relative accuracy RA = 1 − |r* − r| / r* at the lambda points; see the module docstring.

    ``censoring_bound`` (scalar or per prediction) is the prediction horizon, required when a
    prediction is censored (inf). [s]
    """
    run = _prepare(
        prediction_times, true_rul, predicted_rul, end_of_life=end_of_life, start_time=start_time, censoring_bound=censoring_bound
    )
    values, moments, index = _lambda_index(run, lambdas)
    ra, censored = _relative_accuracy(run, index)
    return RelativeAccuracy(values, moments, run.times[index], ra, censored)


@dataclass(frozen=True)
class CumulativeRelativeAccuracy:
    """Result of :func:`cumulative_relative_accuracy`.

    Attributes
    ----------
    value : float
        Weighted mean RA over the predictions used.
    count : int
        Number of predictions used (those in [t_P, t_lambda]).
    upper_bound_only : bool
        True when a censored prediction contributed its RA upper bound.
    values : numpy.ndarray
        RA of each prediction used.
    """

    value: float
    count: int
    upper_bound_only: bool
    values: np.ndarray


def cumulative_relative_accuracy(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    until: float = 1.0,
    weights: Any = None,
    censoring_bound: Any = None,
    start_time: float | None = None,
    end_of_life: float | None = None,
) -> CumulativeRelativeAccuracy:
    """Cumulative relative accuracy: weighted mean RA of the predictions made in [t_P, t_lambda].

    Parameters
    ----------
    until : float
        lambda of the last prediction time included, in (0, 1] (1: all predictions).
    weights : array_like, shape (n,), optional
        Non-negative weight of each prediction (uniform by default); normalised over those used.
    censoring_bound : float or array_like, optional
        The prediction horizon, required when a prediction is censored. [s]
    """
    if not (isinstance(until, (int, float)) and 0 < until <= 1):
        raise ParameterError(f"`until` must be in (0, 1]; got {until!r}.")
    run = _prepare(
        prediction_times, true_rul, predicted_rul, end_of_life=end_of_life, start_time=start_time, censoring_bound=censoring_bound
    )
    moment = run.start_time + until * (run.end_of_life - run.start_time)
    index = np.flatnonzero((run.times >= run.start_time) & (run.times <= moment + 1e-9 * max(1.0, abs(run.end_of_life))))
    if index.size == 0:
        raise ParameterError(f"no prediction lies in [t_P, t_lambda] = [{run.start_time!r}, {moment!r}] s.")
    w = np.ones(run.times.size) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != run.times.shape or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.sum(w[index]) > 0:
        raise ParameterError(f"`weights` must be {run.times.size} finite values >= 0, not all 0 over the predictions used.")
    ra, censored = _relative_accuracy(run, index)
    value = float(np.sum(w[index] * ra) / np.sum(w[index]))
    return CumulativeRelativeAccuracy(value, int(index.size), bool(np.any(censored & (w[index] > 0))), ra)


@dataclass(frozen=True)
class Convergence:
    """Result of :func:`convergence`.

    Attributes
    ----------
    value : float
        Distance from (t_P, 0) to the centroid of the area under the error curve. [s]
    centroid_time, centroid_error : float
        The centroid (x_c, y_c). [s]
    uses_censored_bound : bool
        True when a censored prediction entered with its error's lower bound.
    """

    value: float
    centroid_time: float
    centroid_error: float
    uses_censored_bound: bool


def convergence(
    prediction_times: Any,
    true_rul: Any,
    predicted_rul: Any,
    *,
    censoring_bound: Any = None,
    start_time: float | None = None,
    end_of_life: float | None = None,
) -> Convergence:
    """Convergence of the absolute error |r − r*| (centroid distance); see the module docstring.

    Needs at least two predictions (the last one closes the error curve).
    """
    run = _prepare(
        prediction_times, true_rul, predicted_rul, end_of_life=end_of_life, start_time=start_time, censoring_bound=censoring_bound
    )
    if run.times.size < 2:
        raise ParameterError(f"`prediction_times` must hold at least 2 predictions for the convergence; got {run.times.size}.")
    if np.any(run.censored) and run.bound is None:
        raise ParameterError(
            "`censoring_bound` (the prediction horizon of each prediction) is required when predictions are censored (inf) [s]."
        )
    error = np.where(run.censored, 0.0, np.abs(np.where(run.censored, 0.0, run.predicted) - run.true_rul))
    if np.any(run.censored):
        error[run.censored] = np.maximum(run.bound[run.censored] - run.true_rul[run.censored], 0.0)  # type: ignore[index]
    t, m = run.times, error[:-1]
    width = np.diff(t)
    area = float(np.sum(width * m))
    if area == 0.0:
        return Convergence(0.0, float(run.start_time), 0.0, bool(np.any(run.censored[:-1])))
    x_c = float(np.sum((t[1:] ** 2 - t[:-1] ** 2) * m) / (2.0 * area))
    y_c = float(np.sum(width * m**2) / (2.0 * area))
    return Convergence(float(math.hypot(x_c - run.start_time, y_c)), x_c, y_c, bool(np.any(run.censored[:-1])))


def prognostic_summary(
    prediction_times: Any,
    predicted_rul: Any,
    end_of_life: float,
    *,
    censoring_bound: float | None = None,
    alpha: float = 0.2,
    lambdas: Sequence[float] = (0.25, 0.5, 0.75),
    predicted_quantiles: Any = None,
    quantile_levels: Any = None,
) -> dict[str, Any]:
    """All the metrics of one run-to-failure unit in one JSON-ready dictionary.

    Predictions made at or after ``end_of_life`` are dropped (their true RUL is not positive).
    Times share the unit's life origin. [s]; RUL values in the result are in hours.

    Returns
    -------
    dict
        ``alpha_lambda`` (per lambda: accurate, predicted and true RUL), ``relative_accuracy`` (per
        lambda), ``cumulative_relative_accuracy``, ``prognostic_horizon_h`` (whether one was found, and
        the half-width alpha·t_EOL of its bounds, ``prognostic_horizon_bound_h``), ``convergence_h``,
        ``fraction_within_alpha`` (share of all predictions inside the alpha cone), and ``predictions``.
    """
    times = np.asarray(prediction_times, dtype=float)
    predicted = np.asarray(predicted_rul, dtype=float)
    keep = times < end_of_life
    times, predicted = times[keep], predicted[keep]
    quantiles = None if predicted_quantiles is None else np.asarray(predicted_quantiles, dtype=float)[keep]
    if times.size < 2:
        raise ParameterError(f"at least 2 predictions before the end of life are needed; got {times.size}.")
    true = end_of_life - times
    shared = {"end_of_life": end_of_life}
    accuracy = alpha_lambda_accuracy(
        times,
        true,
        predicted,
        lambdas=lambdas,
        alpha=alpha,
        predicted_quantiles=quantiles,
        quantile_levels=quantile_levels,
        **shared,
    )
    relative = relative_accuracy(times, true, predicted, lambdas=lambdas, censoring_bound=censoring_bound, **shared)
    cumulative = cumulative_relative_accuracy(times, true, predicted, censoring_bound=censoring_bound, **shared)
    horizon = prognostic_horizon(times, true, predicted, alpha=alpha, **shared)
    converge = convergence(times, true, predicted, censoring_bound=censoring_bound, **shared)
    within = np.isfinite(predicted) & (np.abs(predicted - true) <= alpha * true)
    return {
        "predictions": int(times.size),
        "alpha": alpha,
        "alpha_lambda": [
            {"lambda": float(lam), "accurate": bool(ok), "predicted_rul_h": float(p / 3600.0), "true_rul_h": float(r / 3600.0)}
            for lam, ok, p, r in zip(accuracy.lambdas, accuracy.accurate, accuracy.predicted_rul, accuracy.true_rul, strict=True)
        ],
        "relative_accuracy": {f"{lam:g}": float(v) for lam, v in zip(relative.lambdas, relative.values, strict=True)},
        "cumulative_relative_accuracy": float(cumulative.value),
        "prognostic_horizon_h": float(horizon.horizon / 3600.0),
        "prognostic_horizon_found": bool(horizon.found),
        # the horizon's fixed-width bounds r* ± alpha t_EOL: wide when the life includes a long healthy period
        "prognostic_horizon_bound_h": float(alpha * end_of_life / 3600.0),
        "convergence_h": float(converge.value / 3600.0),
        "fraction_within_alpha": float(np.mean(within)),
    }
