"""Unscented Kalman filter for joint state and parameter estimation over a compiled model.

The filter's process model integrates the model's ``rhs`` over each sample interval (RK4 or the
stiff ROS2 method, sub-stepped); its measurement model is the model's ``output``. Chosen
parameters join the state vector as random walks in a transformed space — log for positive
parameters, logit for parameters bounded on both sides — so they stay physical; states declared
``nonnegative`` (damage, wear) are carried in log space for the same reason. The whole loop over
samples runs compiled (:func:`physics_twin.estimation._kernels.ukf_run`).

Data handling: a NaN channel drops out of that sample's update; sample intervals may be
irregular (each is integrated over its true length); intervals longer than ``gap_threshold`` are
flagged; with ``gate_probability`` an innovation whose NIS exceeds the chi-square quantile is
rejected (the sample becomes a prediction only) and counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

from physics_twin.core._jit import contiguous
from physics_twin.core.integrators import method_code
from physics_twin.core.model import Model
from physics_twin.errors import EstimationError, ParameterError, ShapeError, join_problems, unknown_name_message
from physics_twin.estimation import _kernels as kernels

__all__ = ["EstimatedParameter", "FilterState", "UnscentedKalmanFilter", "consistency_summary", "nis_summary"]

_TRANSFORMS = {"none": kernels.IDENTITY, "log": kernels.LOG, "logit": kernels.LOGIT}


@dataclass(frozen=True)
class EstimatedParameter:
    """A model parameter estimated as a random-walk state.

    Parameters
    ----------
    name : str
        Parameter name in the model (qualified for systems, e.g. ``"pipe.pipe_resistance"``).
    initial_std : float
        Standard deviation of the initial guess. [parameter unit]
    random_walk : float
        Random-walk intensity: standard deviation of the change over one second. [unit/√s]
    transform : {"auto", "log", "logit", "none"}
        Space in which the filter carries it; ``"auto"`` takes log for a lower bound >= 0 with no
        finite upper bound, logit for two finite bounds, none otherwise.
    initial : float, optional
        Initial guess; defaults to the model's current value. [parameter unit]
    """

    name: str
    initial_std: float
    random_walk: float = 0.0
    transform: str = "auto"
    initial: float | None = None


@dataclass
class FilterState:
    """The filter's posterior at one time: what a twin persists between batches.

    Attributes
    ----------
    time : float
        Time of the posterior. [s]
    mean : numpy.ndarray
        Augmented mean in the transformed space.
    covariance : numpy.ndarray
        Augmented covariance in the transformed space.
    names : tuple of str
        Names of the augmented coordinates (states, then estimated parameters).
    last_input : numpy.ndarray
        The input held until the next sample. [SI]
    """

    time: float
    mean: np.ndarray
    covariance: np.ndarray
    names: tuple[str, ...]
    last_input: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {
            "time": self.time,
            "mean": self.mean.tolist(),
            "covariance": self.covariance.tolist(),
            "names": list(self.names),
            "last_input": self.last_input.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FilterState:
        """Inverse of :meth:`to_dict`."""
        return cls(
            time=float(data["time"]),
            mean=np.asarray(data["mean"], float),
            covariance=np.asarray(data["covariance"], float),
            names=tuple(data["names"]),
            last_input=np.asarray(data["last_input"], float),
        )


@dataclass
class _Augmented:
    names: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    transforms: list[int] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)


def _derivative(value: float, transform: int, lower: float, upper: float) -> float:
    """d(transformed)/d(physical) at ``value``: converts physical standard deviations."""
    if transform == kernels.LOG:
        return 1.0 / max(abs(value), 1e-300)
    if transform == kernels.LOGIT:
        return (upper - lower) / max((value - lower) * (upper - value), 1e-300)
    return 1.0


class UnscentedKalmanFilter:
    """Joint state and parameter UKF over a compiled :class:`~physics_twin.core.model.Model`.

    Parameters
    ----------
    model : Model
        The model (``system.model()``).
    measured : mapping of str to float
        Measured output name -> measurement-noise standard deviation. [output unit]
    relative_noise : mapping of str to float, optional
        Measured output name -> noise standard deviation as a fraction of the predicted value
        (sensors whose error scales with the reading); added in variance to ``measured``. [1]
    estimate : sequence of EstimatedParameter
        Parameters to estimate jointly with the states.
    initial_state : mapping, optional
        Initial state by name (others from the declared start values). [SI]
    initial_std : mapping of str to float
        Initial standard deviation per state name. [state unit]; default 1e-6 × max(1, |x0|).
    process_noise : mapping of str to float
        Process-noise intensity per state name: standard deviation of the change over one
        second. [state unit/√s]; default 0.
    parameters : mapping, optional
        Overrides of fixed parameter values. [SI]
    integrator : {"RK4", "ROS2"}
        Fixed-step method between samples; ROS2 for stiff models.
    max_step : float
        Longest integration sub-step. [s]
    alpha, beta, kappa : float
        Merwe scaled sigma-point parameters.
    gate_probability : float, optional
        Reject a sample whose NIS exceeds this chi-square quantile (e.g. 0.9999); None: no gating.
    gate_patience : int
        After this many consecutive rejected samples the next one is accepted: a jump that persists
        is a change of the asset (or a model error), not an outlier, and must not freeze the filter.
    gap_threshold : float
        Sample intervals longer than this are flagged as gaps. [s]

    Notes
    -----
    Standard deviations of log- or logit-transformed coordinates are converted into the
    transformed space at the initial value (delta method), so a log-carried quantity keeps the
    *relative* uncertainty ``std / initial`` throughout.
    """

    def __init__(
        self,
        model: Model,
        *,
        measured: Mapping[str, float],
        relative_noise: Mapping[str, float] | None = None,
        estimate: Sequence[EstimatedParameter] = (),
        initial_state: Mapping[str, float] | None = None,
        initial_std: Mapping[str, float] | None = None,
        process_noise: Mapping[str, float] | None = None,
        parameters: Mapping[str, float] | None = None,
        integrator: str = "RK4",
        max_step: float = 0.01,
        alpha: float = 1.0,
        beta: float = 2.0,
        kappa: float = 0.0,
        gate_probability: float | None = None,
        gate_patience: int = 3,
        gap_threshold: float = math.inf,
    ) -> None:
        self.model = model
        problems: list[str] = []
        output_names = model.output_names
        for name in measured:
            if name not in output_names:
                problems.append(unknown_name_message("measured output", name, output_names, f"model {model.name!r}"))
        for name, std in measured.items():
            if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
                problems.append(f"measurement noise of `{name}` must be a finite number > 0 [{self._unit_of(name)}]; got {std!r}.")
        for name, fraction in (relative_noise or {}).items():
            if name not in measured:
                problems.append(f"`relative_noise` names {name!r}, which is not in `measured` {list(measured)}.")
            elif not (isinstance(fraction, (int, float)) and math.isfinite(fraction) and fraction >= 0):
                problems.append(f"relative noise of `{name}` must be a finite fraction >= 0; got {fraction!r}.")
        self.measured = tuple(measured)
        self.parameter_values = model.parameter_vector(parameters)
        self.x0 = model.initial_state(initial_state)
        augmented = _Augmented()
        for index, state in enumerate(model.states):
            transform = kernels.LOG if state.nonnegative else kernels.IDENTITY
            if transform == kernels.LOG and not self.x0[index] > 0:
                problems.append(f"state `{state.name}` is non-negative and carried in log space: its initial value must be > 0; got {self.x0[index]!r}.")
            augmented.names.append(state.name)
            augmented.units.append(state.unit)
            augmented.transforms.append(transform)
            augmented.lower.append(0.0)
            augmented.upper.append(math.inf)
        parameter_names = model.parameter_names
        self.estimated = tuple(estimate)
        estimated_index: list[int] = []
        for spec in self.estimated:
            if spec.name not in parameter_names:
                problems.append(unknown_name_message("parameter", spec.name, parameter_names, f"model {model.name!r}"))
                continue
            index = parameter_names.index(spec.name)
            declaration = model.parameters[index]
            lower, upper = declaration.bounds
            transform_name = spec.transform
            if transform_name == "auto":
                transform_name = "logit" if math.isfinite(lower) and math.isfinite(upper) else "log" if lower >= 0 else "none"
            if transform_name not in _TRANSFORMS:
                problems.append(f"`transform` of {spec.name!r} must be one of 'auto', 'log', 'logit', 'none'; got {spec.transform!r}.")
                continue
            if transform_name == "logit" and not (math.isfinite(lower) and math.isfinite(upper)):
                problems.append(f"{spec.name!r} cannot use a logit transform: its bounds {declaration.bounds} are not both finite.")
                continue
            if transform_name == "log" and lower < 0:
                problems.append(f"{spec.name!r} cannot use a log transform: its lower bound {lower} is negative.")
                continue
            if spec.initial is not None:
                self.parameter_values[index] = float(spec.initial)
            value = self.parameter_values[index]
            if transform_name == "log" and not value > 0:
                problems.append(f"initial value of {spec.name!r} must be > 0 for a log transform; got {value!r}.")
            if transform_name == "logit" and not lower < value < upper:
                problems.append(f"initial value of {spec.name!r} must lie strictly inside {declaration.bounds} for a logit transform; got {value!r}.")
            if not (math.isfinite(spec.initial_std) and spec.initial_std > 0):
                problems.append(f"`initial_std` of {spec.name!r} must be finite and > 0 [{declaration.unit}]; got {spec.initial_std!r}.")
            if not (math.isfinite(spec.random_walk) and spec.random_walk >= 0):
                problems.append(f"`random_walk` of {spec.name!r} must be finite and >= 0 [{declaration.unit}/√s]; got {spec.random_walk!r}.")
            estimated_index.append(index)
            augmented.names.append(spec.name)
            augmented.units.append(declaration.unit)
            augmented.transforms.append(_TRANSFORMS[transform_name])
            augmented.lower.append(lower)
            augmented.upper.append(upper)
        for label, mapping in (("initial_std", initial_std), ("process_noise", process_noise)):
            for name, value in (mapping or {}).items():
                if name not in model.state_names:
                    problems.append(unknown_name_message(f"state in `{label}`", name, model.state_names, f"model {model.name!r}"))
                elif not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                    problems.append(f"`{label}` of {name!r} must be finite and >= 0; got {value!r}.")
        if not (isinstance(max_step, (int, float)) and max_step > 0):
            problems.append(f"`max_step` must be > 0 [s]; got {max_step!r}.")
        if gate_probability is not None and not 0 < gate_probability < 1:
            problems.append(f"`gate_probability` must be in (0, 1) or None; got {gate_probability!r}.")
        if isinstance(gate_patience, bool) or not isinstance(gate_patience, int) or gate_patience < 1:
            problems.append(f"`gate_patience` must be an integer >= 1; got {gate_patience!r}.")
        if problems:
            raise ParameterError(join_problems(f"cannot set up the filter on model {model.name!r}:", problems))

        self._augmented = augmented
        self.names = tuple(augmented.names)
        self._transforms = np.asarray(augmented.transforms, dtype=np.int64)
        self._lower = np.asarray(augmented.lower, float)
        self._upper = np.asarray(augmented.upper, float)
        self._parameter_index = np.asarray(estimated_index, dtype=np.int64)
        self._output_index = np.asarray([output_names.index(n) for n in self.measured], dtype=np.int64)
        self._r_diag = np.asarray([measured[n] for n in self.measured], float) ** 2
        self._r_relative = np.asarray([(relative_noise or {}).get(n, 0.0) for n in self.measured], float) ** 2
        self.integrator = method_code(integrator)
        self.max_step = float(max_step)
        self.alpha, self.beta, self.kappa = float(alpha), float(beta), float(kappa)
        self.gap_threshold = float(gap_threshold)
        self.gate_probability = gate_probability
        self.gate_patience = gate_patience

        n_states = len(model.states)
        physical0 = np.concatenate([self.x0, self.parameter_values[self._parameter_index]])
        derivative = np.array([
            _derivative(v, t, lo, hi) for v, t, lo, hi in zip(physical0, self._transforms, self._lower, self._upper, strict=True)
        ])
        std0 = np.empty(len(self.names))
        q_std = np.zeros(len(self.names))
        for i, name in enumerate(model.state_names):
            std0[i] = (initial_std or {}).get(name, 1e-6 * max(1.0, abs(self.x0[i])))
            q_std[i] = (process_noise or {}).get(name, 0.0)
        for j, spec in enumerate(self.estimated):
            std0[n_states + j] = spec.initial_std
            q_std[n_states + j] = spec.random_walk
        self._z0 = np.array([
            kernels.to_transformed(v, int(t), lo, hi)
            for v, t, lo, hi in zip(physical0, self._transforms, self._lower, self._upper, strict=True)
        ])
        self._p0 = np.diag(np.maximum(std0 * derivative, 1e-300) ** 2)
        self._q_rate = (q_std * derivative) ** 2

    def _unit_of(self, name: str) -> str:
        return next((o.unit for o in self.model.outputs if o.name == name), "?")

    # -- public ------------------------------------------------------------------------------------
    def initial_state(self, time: float, first_input: np.ndarray | None = None) -> FilterState:
        """The prior at ``time`` [s] built from the initial values and standard deviations."""
        last_input = self.model.default_inputs() if first_input is None else np.asarray(first_input, float)
        return FilterState(float(time), self._z0.copy(), self._p0.copy(), self.names, last_input)

    def run(
        self,
        times: np.ndarray,
        inputs: np.ndarray | None,
        measurements: np.ndarray,
        state: FilterState | None = None,
        freeze_parameters: np.ndarray | None = None,
    ) -> tuple[xr.Dataset, FilterState]:
        """Filter a batch of samples.

        Parameters
        ----------
        times : array_like, shape (n,)
            Sample times, non-decreasing. [s]
        inputs : array_like, shape (n, n_inputs), optional
            Model inputs at each sample (held until the next one); None uses the declared defaults. [SI]
        measurements : array_like, shape (n, n_measured)
            Measured outputs in the order of ``measured``; NaN where a channel did not report. [SI]
        state : FilterState, optional
            Posterior to continue from; by default the prior at ``times[0]``.
        freeze_parameters : array_like of bool, shape (n,), optional
            True where parameter updates are frozen (poor excitation).

        Returns
        -------
        result : xarray.Dataset
            Estimates with standard deviations, predictions, innovations, NIS with its chi-square band.
        state : FilterState
            The posterior after the last sample (continue the next batch from it).
        """
        times = np.asarray(times, dtype=float)
        n = times.shape[0]
        if times.ndim != 1 or n == 0:
            raise ShapeError(f"`times` must be a non-empty 1-D array [s]; got shape {times.shape}.")
        if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
            raise ParameterError("`times` must be finite and non-decreasing; sort the data and resolve duplicates first (physics_twin.io does).")
        n_inputs = len(self.model.inputs)
        if inputs is None:
            inputs = np.tile(self.model.default_inputs(), (n, 1))
        inputs = np.asarray(inputs, dtype=float).reshape(n, -1) if n_inputs else np.zeros((n, 0))
        if inputs.shape != (n, n_inputs):
            raise ShapeError(f"`inputs` must have shape ({n}, {n_inputs}) (inputs {list(self.model.input_names)}); got {inputs.shape}.")
        if not np.all(np.isfinite(inputs)):
            raise ParameterError("`inputs` must be finite; fill or drop missing input samples before filtering (physics_twin.io does).")
        measurements = np.asarray(measurements, dtype=float)
        if measurements.shape != (n, len(self.measured)):
            raise ShapeError(f"`measurements` must have shape ({n}, {len(self.measured)}) (outputs {list(self.measured)}); got {measurements.shape}.")
        if np.any(np.isinf(measurements)):
            raise ParameterError("`measurements` must be finite or NaN (missing); got infinite values.")
        if state is None:
            state = self.initial_state(times[0], inputs[0])
        if state.names != self.names:
            raise ParameterError(f"`state` belongs to a filter over {list(state.names)}, not {list(self.names)}.")
        if times[0] < state.time:
            raise ParameterError(f"`times` must start at or after the state's time {state.time!r} s; got {times[0]!r} s.")
        freeze = np.zeros(n, dtype=np.bool_) if freeze_parameters is None else np.asarray(freeze_parameters, dtype=np.bool_)
        m = len(self.measured)
        gate = np.full(m + 1, np.inf)
        if self.gate_probability is not None:
            gate[1:] = stats.chi2.ppf(self.gate_probability, np.arange(1, m + 1))
        c = contiguous
        result = kernels.ukf_run(
            self.model.rhs, self.model.output, c(times), c(inputs), c(measurements), c(state.mean),
            c(state.covariance), float(state.time),
            self._q_rate, self._r_diag, self._r_relative, len(self.model.states), self.parameter_values, self._parameter_index,
            self._transforms, self._lower, self._upper, self._output_index, self.max_step, self.integrator,
            self.alpha, self.beta, self.kappa, gate, int(self.gate_patience), c(freeze, np.bool_),
        )
        z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, status, failed_at = result
        if status != kernels.OK:
            reason = (
                "the covariance lost positive definiteness" if status == kernels.NOT_POSITIVE_DEFINITE
                else "a sigma point or its prediction became non-finite (the model diverged within the uncertainty)"
            )
            raise EstimationError(
                f"filter stopped at sample {failed_at} (t = {times[failed_at]:.6g} s): {reason}. Check the noise settings "
                "(process noise too small or measurement noise too small for the data) and the input data there."
            )
        gaps = np.diff(np.concatenate([[state.time], times])) > self.gap_threshold
        dataset = self._dataset(times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, gaps)
        final = FilterState(float(times[-1]), z_post[-1].copy(), p_post[-1].copy(), self.names, inputs[-1].copy())
        return dataset, final

    def physical(self, mean: np.ndarray) -> np.ndarray:
        """Physical values of an augmented mean (rows may be stacked). [SI]"""
        z = np.atleast_2d(mean)
        out = np.empty_like(z)
        for i in range(z.shape[1]):
            out[:, i] = [kernels.to_physical(v, int(self._transforms[i]), self._lower[i], self._upper[i]) for v in z[:, i]]
        return out.reshape(np.shape(mean))

    # -- results -----------------------------------------------------------------------------------
    def _dataset(self, times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, gaps) -> xr.Dataset:
        std_z = np.sqrt(np.clip(np.einsum("nii->ni", p_post), 0.0, None))
        estimate = self.physical(z_post)
        lower = self.physical(z_post - 1.6448536269514722 * std_z)
        upper = self.physical(z_post + 1.6448536269514722 * std_z)
        derivative = np.array([
            [_derivative(v, int(t), lo, hi) for v, t, lo, hi in zip(row, self._transforms, self._lower, self._upper, strict=True)]
            for row in estimate
        ]) if len(times) else np.zeros((0, len(self.names)))
        std_x = std_z / np.where(derivative > 0, derivative, 1.0)
        variables: dict[str, xr.DataArray] = {}
        for i, name in enumerate(self.names):
            unit = self._augmented.units[i]
            kind = "state" if i < len(self.model.states) else "parameter"
            variables[name] = xr.DataArray(estimate[:, i], dims="time", attrs={"units": unit, "description": f"posterior estimate ({kind}; median for log/logit-carried)", "kind": kind})
            variables[f"{name}_std"] = xr.DataArray(std_x[:, i], dims="time", attrs={"units": unit, "description": "posterior standard deviation (delta method)"})
            variables[f"{name}_p05"] = xr.DataArray(lower[:, i], dims="time", attrs={"units": unit, "description": "posterior 5 % quantile"})
            variables[f"{name}_p95"] = xr.DataArray(upper[:, i], dims="time", attrs={"units": unit, "description": "posterior 95 % quantile"})
        for c, name in enumerate(self.measured):
            unit = self._unit_of(name)
            variables[f"{name}_measured"] = xr.DataArray(measurements[:, c], dims="time", attrs={"units": unit, "description": "measured value"})
            variables[f"{name}_predicted"] = xr.DataArray(y_pred[:, c], dims="time", attrs={"units": unit, "description": "one-step-ahead prediction"})
            variables[f"{name}_innovation"] = xr.DataArray(innovation[:, c], dims="time", attrs={"units": unit, "description": "measured minus predicted (NaN where missing)"})
            variables[f"{name}_innovation_std"] = xr.DataArray(np.sqrt(innovation_var[:, c]), dims="time", attrs={"units": unit, "description": "predicted innovation standard deviation"})
        nis_lower = np.where(dof > 0, stats.chi2.ppf(0.025, np.maximum(dof, 1)), np.nan)
        nis_upper = np.where(dof > 0, stats.chi2.ppf(0.975, np.maximum(dof, 1)), np.nan)
        variables["nis"] = xr.DataArray(nis, dims="time", attrs={"units": "1", "description": "normalised innovation squared"})
        variables["nis_dof"] = xr.DataArray(dof, dims="time", attrs={"units": "1", "description": "number of channels in the update (chi-square degrees of freedom)"})
        variables["nis_lower"] = xr.DataArray(nis_lower, dims="time", attrs={"units": "1", "description": "2.5 % chi-square quantile for this step"})
        variables["nis_upper"] = xr.DataArray(nis_upper, dims="time", attrs={"units": "1", "description": "97.5 % chi-square quantile for this step"})
        variables["gated"] = xr.DataArray(gated.astype(np.int8), dims="time", attrs={"units": "1", "description": "1 where the sample was rejected by the innovation gate"})
        variables["gap"] = xr.DataArray(gaps.astype(np.int8), dims="time", attrs={"units": "1", "description": "1 where the interval before the sample exceeded gap_threshold"})
        variables["mean_transformed"] = xr.DataArray(z_post, dims=("time", "augmented"), attrs={"units": "transformed", "description": "posterior mean in the filter's transformed space (log/logit/identity per coordinate)"})
        variables["covariance"] = xr.DataArray(p_post, dims=("time", "augmented", "augmented_"), attrs={"units": "transformed", "description": "posterior covariance in the filter's transformed space"})
        dataset = xr.Dataset(variables, coords={
            "time": ("time", times, {"units": "s", "description": "time since start"}),
            "augmented": ("augmented", list(self.names)),
            "augmented_": ("augmented_", list(self.names)),
        })
        dataset.attrs.update({"model": self.model.name, "filter": "UKF"})
        dataset.attrs.update(consistency_summary(dataset, self.measured))
        return dataset


def nis_summary(nis: np.ndarray, dof: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean NIS over the updated samples and its two-sided chi-square band.

    The sum of N independent NIS values with d_k degrees of freedom is chi-square with sum(d_k)
    degrees of freedom, so the band of the mean is ``chi2.ppf((1 ± confidence)/2, sum d) / N``.
    """
    used = dof > 0
    count = int(used.sum())
    if count == 0:
        return {"nis_mean": math.nan, "nis_expected": math.nan, "nis_band_lower": math.nan, "nis_band_upper": math.nan, "nis_samples": 0}
    total = int(dof[used].sum())
    return {
        "nis_mean": float(np.mean(nis[used])),
        "nis_expected": total / count,
        "nis_band_lower": float(stats.chi2.ppf((1 - confidence) / 2, total) / count),
        "nis_band_upper": float(stats.chi2.ppf((1 + confidence) / 2, total) / count),
        "nis_samples": count,
    }


def consistency_summary(result: xr.Dataset, measured: Sequence[str]) -> dict[str, float]:
    """The run's health from a filter result: NIS summary, mean normalised squared innovation per
    channel (1 for a consistent filter), and the counts of gated samples and flagged gaps."""
    summary: dict[str, float] = dict(nis_summary(result["nis"].values, result["nis_dof"].values))
    for name in measured:
        normalised = (result[f"{name}_innovation"].values / result[f"{name}_innovation_std"].values) ** 2
        finite = np.isfinite(normalised)
        summary[f"{name}_normalised_innovation_mean"] = float(np.mean(normalised[finite])) if finite.any() else math.nan
    summary["samples_gated"] = int(result["gated"].sum())
    summary["gaps_flagged"] = int(result["gap"].sum())
    return summary
