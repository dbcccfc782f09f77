"""Batch calibration: weighted least squares over one or several experiments.

Each experiment is simulated with the same process model the filters use (inputs held from one
sample to the next, compiled fixed-step integration), so a batch fit is the natural starting point
of online calibration. Positive parameters are fitted in log space. The result carries
per-parameter confidence intervals from the Gauss–Newton covariance
:math:`\\mathrm{Cov} = s^2 (J^T J)^{-1}` (with :math:`s^2` the reduced chi-square when it exceeds 1,
so an under-stated noise does not shrink the intervals), the parameter correlation matrix and the
singular values of the weighted sensitivity matrix (an identifiability report: a near-zero singular
value means a combination of parameters the data cannot distinguish).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from physics_twin.core._jit import contiguous
from physics_twin.core.integrators import method_code, simulate_samples
from physics_twin.core.model import Model, require_compiled
from physics_twin.core.units import sample_times
from physics_twin.errors import DataError, EstimationError, ParameterError, ShapeError, join_problems, unknown_name_message

__all__ = ["Experiment", "FitResult", "fit_parameters"]


@dataclass(frozen=True)
class Experiment:
    """One experiment for batch calibration.

    Attributes
    ----------
    times : numpy.ndarray, shape (n,)
        Sample times, non-decreasing. [s]
    inputs : numpy.ndarray, shape (n, n_inputs)
        Model inputs, held from each sample to the next. [SI]
    measurements : numpy.ndarray, shape (n, n_measured)
        Measured outputs (NaN where missing), in the order of ``measured``. [SI]
    initial_state : mapping of str to float, optional
        Initial state by name (others from the declared start values). [SI]
    warmup : float
        Time the first input is held before ``times[0]``, to settle fast states. [s]
    """

    times: np.ndarray
    inputs: np.ndarray
    measurements: np.ndarray
    initial_state: Mapping[str, float] | None = None
    warmup: float = 0.0


@dataclass(frozen=True)
class FitResult:
    """Outcome of :func:`fit_parameters`.

    Attributes
    ----------
    names : tuple of str
        Fitted parameter names.
    values : numpy.ndarray
        Best-fit values. [parameter units]
    std : numpy.ndarray
        Standard deviations (delta method from the log-space covariance); inf for a parameter the data do not
        resolve (zero sensitivity), whose interval is then unbounded. [parameter units]
    lower, upper : numpy.ndarray
        Confidence interval bounds at ``confidence``. [parameter units]
    confidence : float
        Confidence level of the intervals.
    correlation : numpy.ndarray
        Parameter correlation matrix (fitted space); NaN in the rows of parameters the data do not resolve.
    singular_values : numpy.ndarray
        Singular values of the weighted sensitivity matrix (identifiability).
    reduced_chi_square : float
        Sum of squared weighted residuals over the degrees of freedom.
    residual_rms : dict
        Root-mean-square residual per measured output. [output units]
    parameter_values : numpy.ndarray
        The full model parameter vector with the fitted values in place. [SI]
    at_bound : dict of str to str
        Fitted parameters that ended on a bound (``"lower"`` or ``"upper"``): the data pull them beyond it, their
        intervals are cut at the bound, and the other values may be biased.
    """

    names: tuple[str, ...]
    values: np.ndarray
    std: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    confidence: float
    correlation: np.ndarray
    singular_values: np.ndarray
    reduced_chi_square: float
    residual_rms: dict[str, float]
    parameter_values: np.ndarray
    at_bound: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        """Fitted values by name. [parameter units]"""
        return dict(zip(self.names, self.values.tolist(), strict=True))

    def identifiability_warnings(
        self, correlation_limit: float = 0.95, condition_limit: float = 1e8, spread_limit: float = 10.0
    ) -> list[str]:
        """Plain-language warnings about what the data do not determine.

        A parameter the fit is insensitive to (unbounded interval); a parameter whose interval spans more than a
        factor ``spread_limit`` (or, where the interval reaches zero or below, a half-width above the value itself),
        which the data hardly constrain, the typical sign of readings in another unit than configured or of a window
        without excitation; pairs correlated above ``correlation_limit``; a sensitivity matrix with condition number
        above ``condition_limit``.
        """
        warnings = [
            f"{name} is not identifiable from these data: the fit is insensitive to it (unbounded interval)."
            for name, std in zip(self.names, self.std, strict=True)
            if not np.isfinite(std)
        ]
        for name, value, low, high, std in zip(self.names, self.values, self.lower, self.upper, self.std, strict=True):
            if not np.isfinite(std):
                continue
            if low > 0 and high / low > spread_limit:
                spread = f"spans a factor {high / low:.3g}"
            elif low <= 0 and high - low > 2 * abs(value):
                spread = f"is wider than twice the value {value:.3g}"
            else:
                continue
            warnings.append(
                f"{name} is poorly determined: its {100 * self.confidence:g} % interval [{low:.3g}, {high:.3g}] {spread} "
                "(check the readings' units, the calibration window and its excitation)."
            )
        warnings += [
            f"{name} ended at its {side} bound ({value:.3g}): the data pull it beyond, its interval is cut at the bound "
            "and the other parameters may be biased (check the bounds, the readings' units and the model)."
            for name, value in zip(self.names, self.values, strict=True)
            if (side := self.at_bound.get(name))
        ]
        for i in range(len(self.names)):
            for j in range(i + 1, len(self.names)):
                if abs(self.correlation[i, j]) > correlation_limit:
                    warnings.append(
                        f"{self.names[i]} and {self.names[j]} are correlated ({self.correlation[i, j]:+.3f}): the "
                        "data hardly separate them."
                    )
        values = self.singular_values
        if values.size and values[-1] <= values[0] / condition_limit:
            condition = values[0] / values[-1] if values[-1] > 0 else math.inf
            warnings.append(f"the sensitivity matrix is near-singular (condition {condition:.3g}).")
        elif values.size and values[0] == 0:
            warnings.append("the data are insensitive to every fitted parameter (zero sensitivity matrix).")
        return warnings


def fit_parameters(
    model: Model,
    experiments: Sequence[Experiment],
    *,
    measured: Mapping[str, float],
    estimate: Sequence[str],
    relative_noise: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    parameters: Mapping[str, float] | None = None,
    integrator: str = "RK4",
    max_step: float = 0.01,
    confidence: float = 0.95,
) -> FitResult:
    """Fit ``estimate`` parameters to one or several experiments by weighted least squares.

    Parameters
    ----------
    model : Model
        The model.
    experiments : sequence of Experiment
        Data to fit.
    measured : mapping of str to float
        Measured output name -> noise standard deviation (the residual weight). [output unit]
    estimate : sequence of str
        Names of the parameters to fit (log space when the lower bound is >= 0).
    relative_noise : mapping of str to float, optional
        Measured output -> noise standard deviation as a fraction of the reading, added in variance:
        each residual is weighted by ``1 / sqrt(noise² + (fraction × |prediction|)²)``, the prediction
        being that of the previous pass (iteratively reweighted least squares, up to six passes; the
        confidence intervals come from the last pass with its weights held fixed). [1]
    initial : mapping, optional
        Starting values of the fitted parameters (default: the model's values). [SI]
    parameters : mapping, optional
        Overrides of the fixed parameters. [SI]
    integrator, max_step :
        As for the filters, with the same defaults (``"RK4"`` or ``"ROS2"``; longest sub-step [s]), so that a
        batch fit and the filter it starts simulate the model alike.
    confidence : float
        Level of the confidence intervals.

    Raises
    ------
    ParameterError
        Unknown names, non-positive noise, a fitted parameter not strictly inside its bounds; an experiment's
        times not finite or not non-decreasing, infinite readings, non-finite inputs.
    UnitError
        An experiment's times given as datetimes instead of seconds.
    ShapeError
        Arrays of an experiment whose shapes do not match.
    DataError
        No more finite readings than fitted parameters.
    EstimationError
        When the optimiser fails or the model cannot be simulated at the starting point.
    """
    problems = []
    for name in measured:
        if name not in model.output_names:
            problems.append(unknown_name_message("measured output", name, model.output_names, f"model {model.name!r}"))
        elif not (math.isfinite(measured[name]) and measured[name] > 0):
            problems.append(f"noise of `{name}` must be finite and > 0; got {measured[name]!r}.")
    for name in estimate:
        if name not in model.parameter_names:
            problems.append(unknown_name_message("parameter", name, model.parameter_names, f"model {model.name!r}"))
    for name, fraction in (relative_noise or {}).items():
        if name not in measured:
            problems.append(f"`relative_noise` names {name!r}, which is not in `measured` {list(measured)}.")
        elif not (isinstance(fraction, (int, float)) and math.isfinite(fraction) and fraction >= 0):
            problems.append(f"relative noise of `{name}` must be a finite fraction >= 0; got {fraction!r}.")
    if not experiments:
        problems.append("`experiments` must hold at least one Experiment.")
    if problems:
        raise ParameterError(join_problems("cannot set up the batch fit:", problems))
    model.check_kernels()
    for label in ("rhs", "output"):
        require_compiled(getattr(model, label), label, f"model {model.name!r}", "fit_parameters")
    base = model.parameter_vector({**(parameters or {}), **(initial or {})})
    index = np.array([model.parameter_names.index(n) for n in estimate], dtype=np.int64)
    bounds = np.array([model.parameters[i].bounds for i in index], float).reshape(-1, 2)
    use_log = bounds[:, 0] >= 0
    start = base[index]
    if np.any(use_log & (start <= 0)):
        raise ParameterError(
            f"starting values of log-fitted parameters must be > 0; got {dict(zip(estimate, start.tolist(), strict=True))}."
        )
    to_fit = np.where(use_log, np.log(np.where(use_log, start, 1.0)), start)
    lower = np.where(use_log, np.log(np.maximum(bounds[:, 0], 1e-300)), bounds[:, 0])
    upper = np.where(use_log, np.log(bounds[:, 1]), bounds[:, 1])
    lower = np.where(np.isfinite(lower), lower, -np.inf)
    out_index = np.array([model.output_names.index(n) for n in measured], dtype=np.int64)
    sigma = np.array([measured[n] for n in measured], float)
    fraction = np.array([(relative_noise or {}).get(n, 0.0) for n in measured], float)
    method = method_code(integrator)
    prepared = []
    for number, experiment in enumerate(experiments):
        times = contiguous(sample_times(experiment.times, f"experiments[{number}].times"))
        inputs = contiguous(np.reshape(experiment.inputs, (times.size, -1)))
        data = contiguous(experiment.measurements)
        if data.shape != (times.size, len(measured)) or inputs.shape != (times.size, len(model.inputs)):
            raise ShapeError(
                f"experiment {number}: `inputs` must be ({times.size}, {len(model.inputs)}) and `measurements` "
                f"({times.size}, {len(measured)}); got {inputs.shape} and {data.shape}."
            )
        if not np.all(np.isfinite(inputs)):
            raise ParameterError(f"`experiments[{number}].inputs` must be finite; fill or drop the missing input samples.")
        if np.any(np.isinf(data)):
            raise ParameterError(f"`experiments[{number}].measurements` must be finite or NaN (missing); got infinite values.")
        x0 = contiguous(model.initial_state(experiment.initial_state))
        prepared.append([times, inputs, data, x0, float(experiment.warmup), np.sqrt(sigma**2 + (fraction * np.abs(data)) ** 2)])

    def parameters_at(theta: np.ndarray) -> np.ndarray:
        p = base.copy()
        p[index] = np.where(use_log, np.exp(theta), theta)
        return p

    def residuals(theta: np.ndarray) -> np.ndarray:
        p = parameters_at(theta)
        parts = []
        for times, inputs, data, x0, warmup, weight_std in prepared:
            predicted = simulate_samples(
                model.rhs, model.output, times, inputs, x0, p, len(model.outputs), out_index, warmup, max_step, method
            )
            weighted = (predicted - data) / weight_std
            weighted = weighted[~np.isnan(data)]
            parts.append(np.clip(np.where(np.isfinite(weighted), weighted, 1e6), -1e100, 1e100))  # squares must not overflow
        return np.concatenate(parts)

    def solve(start: np.ndarray):
        # Central differences at the default relative step eps^(1/3): forward differences at sqrt(eps) amplify the
        # simulation's rounding noise, so that a start moved by 1e-7 changed the SKAB intervals by 1 % and the values
        # in their fifth digit; with central differences both reproduce to about six digits.
        return optimize.least_squares(residuals, start, jac="3-point", bounds=(lower, upper), x_scale="jac", method="trf")

    readings = sum(int(np.isfinite(entry[2]).sum()) for entry in prepared)
    if readings <= len(index):
        raise DataError(
            f"the experiments hold {readings} finite reading(s) of {list(measured)}; fitting {len(index)} parameter(s) "
            "needs more."
        )
    first = residuals(to_fit)
    if np.any(first == 1e6):
        raise EstimationError("the model cannot be simulated at the starting parameters (non-finite outputs); check `initial`.")
    # With relative noise the weights follow the prediction of the previous pass (iteratively reweighted least squares:
    # weights from the readings themselves would favour readings with negative noise and bias the fit by ~fraction²).
    passes = 6 if np.any(fraction > 0) else 1
    for _ in range(passes):
        solution = solve(to_fit)
        if not solution.success:
            raise EstimationError(f"batch fit did not converge: {solution.message}")
        if passes == 1:
            break
        moved = np.max(np.abs(solution.x - to_fit))
        to_fit = solution.x
        for entry in prepared:
            times, inputs, data, x0, warmup, _ = entry
            predicted = simulate_samples(
                model.rhs,
                model.output,
                times,
                inputs,
                x0,
                parameters_at(to_fit),
                len(model.outputs),
                out_index,
                warmup,
                max_step,
                method,
            )
            entry[5] = np.sqrt(sigma**2 + (fraction * np.abs(np.where(np.isfinite(predicted), predicted, data))) ** 2)
        if moved < 1e-8:
            break
    if passes > 1:
        solution = solve(to_fit)
    jac = solution.jac
    dof = max(solution.fun.size - len(index), 1)
    reduced = float(np.sum(solution.fun**2) / dof)
    _, singular, right = np.linalg.svd(jac, full_matrices=False)
    # directions the data do not resolve (singular values at rounding level) have unbounded variance: a pseudo-inverse
    # would report zero variance there, i.e. a zero-width interval for a parameter the data say nothing about
    resolved = singular > max(jac.shape) * np.finfo(float).eps * (singular[0] if singular.size else 0.0)
    covariance = (right[resolved].T / singular[resolved] ** 2) @ right[resolved] * max(reduced, 1.0)
    unresolved = np.any(np.abs(right[~resolved]) > 1e-8, axis=0)
    std_fit = np.sqrt(np.clip(np.diag(covariance), 0, None))
    std_fit[unresolved] = np.inf
    denominator = np.outer(std_fit, std_fit)
    finite = np.isfinite(denominator) & (denominator > 0)
    correlation = np.divide(covariance, denominator, out=np.zeros_like(covariance), where=finite)
    correlation[unresolved, :] = np.nan
    correlation[:, unresolved] = np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    theta = solution.x
    values = np.where(use_log, np.exp(theta), theta)
    with np.errstate(invalid="ignore", over="ignore"):
        low = np.where(use_log, np.exp(theta - z * std_fit), theta - z * std_fit)
        high = np.where(use_log, np.exp(theta + z * std_fit), theta + z * std_fit)
        std = np.where(use_log, values * std_fit, std_fit)
    low, high = np.maximum(low, bounds[:, 0]), np.minimum(high, bounds[:, 1])
    at_bound = {estimate[i]: "lower" if solution.active_mask[i] < 0 else "upper" for i in np.flatnonzero(solution.active_mask)}
    p_best = parameters_at(theta)
    rms: dict[str, float] = {}
    errors = [[] for _ in measured]
    for times, inputs, data, x0, warmup, _ in prepared:
        predicted = simulate_samples(
            model.rhs, model.output, times, inputs, x0, p_best, len(model.outputs), out_index, warmup, max_step, method
        )
        for c in range(len(measured)):
            e = predicted[:, c] - data[:, c]
            errors[c].append(e[~np.isnan(e)])
    for c, name in enumerate(measured):
        joined = np.concatenate(errors[c])
        rms[name] = float(np.sqrt(np.mean(joined**2))) if joined.size else math.nan
    return FitResult(tuple(estimate), values, std, low, high, confidence, correlation, singular, reduced, rms, p_best, at_bound)
