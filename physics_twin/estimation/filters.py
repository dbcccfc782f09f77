"""Kalman filters for joint state and parameter estimation over a compiled model.

Three filters share one set-up and one compiled loop (:func:`physics_twin.estimation._compiled.filter_run`):

- :class:`UnscentedKalmanFilter` with ``square_root=True`` (the default): the square-root UKF, which
  propagates a Cholesky factor of the covariance and so keeps it symmetric and positive definite;
- :class:`UnscentedKalmanFilter` with ``square_root=False``: the classic UKF (filterpy's algorithm);
- :class:`ExtendedKalmanFilter`: linearisation by analytic Jacobians where given, central
  differences otherwise.

The process model integrates the model's ``rhs`` over each sample interval; the measurement model is
the model's ``output``. Chosen parameters join the state as random walks in a transformed space —
log for positive parameters, logit for parameters bounded on both sides — so they stay physical;
states declared ``nonnegative`` (damage, wear) are carried in log space for the same reason, and
states declared ``angle`` are averaged circularly with wrapped residuals.

Data handling: a NaN channel drops out of that sample's update; sensors (groups of channels) at
different rates update one after the other with their own channels (:class:`Sensor`,
:meth:`KalmanFilter.merge_streams`); sample intervals may be irregular (each is integrated over its
true length, in sub-steps no longer than ``max_step``); intervals longer than ``gap_threshold`` are
flagged; with ``gate_probability`` an innovation whose NIS exceeds the chi-square quantile is
rejected and counted; with ``excitation_threshold`` parameter updates freeze while the data carry
too little information about them. Models whose kernels are not compiled (FMUs, plain Python) run
on a generic path through filterpy (:mod:`physics_twin.estimation.kalman`).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

from physics_twin.core import _jit
from physics_twin.core._jit import contiguous
from physics_twin.core.integrators import method_code, substeps
from physics_twin.core.model import Model, checked_kernel_values
from physics_twin.core.units import sample_times
from physics_twin.errors import (
    EstimationError,
    ModelStructureError,
    ParameterError,
    ShapeError,
    join_problems,
    unknown_name_message,
)
from physics_twin.estimation import _compiled
from physics_twin.estimation import _kernels as kernels
from physics_twin.estimation.consistency import ConditioningWarning, condition_numbers, consistency_summary

__all__ = [
    "EstimatedParameter",
    "ExtendedKalmanFilter",
    "FilterState",
    "KalmanFilter",
    "Sensor",
    "UnscentedKalmanFilter",
    "create_filter",
]

_TRANSFORMS = {"none": kernels.IDENTITY, "log": kernels.LOG, "logit": kernels.LOGIT}
_Z90 = 1.6448536269514722  # standard normal 95 % quantile: the p05/p95 band
# names of the result Dataset: the filter's own variables, and the suffixes added to estimates, estimated parameters,
# channels and (with several sensors) sensors; KalmanFilter._dataset writes exactly these
_OWN_RESULT_NAMES = (
    "time",
    "augmented",
    "augmented_",
    "nis",
    "nis_dof",
    "nis_lower",
    "nis_upper",
    "gated",
    "gap",
    "covariance_condition",
    "mean_transformed",
    "covariance",
)
_ESTIMATE_SUFFIXES = ("", "_std", "_p05", "_p95")
_PARAMETER_SUFFIXES = ("_excitation", "_frozen")
_CHANNEL_SUFFIXES = ("_measured", "_predicted", "_innovation", "_innovation_std")
_SENSOR_SUFFIXES = ("_nis", "_nis_dof", "_gated")


def _result_name_clashes(
    estimates: Sequence[str], parameters: Sequence[str], channels: Sequence[str], sensors: Sequence[str]
) -> list[str]:
    """Result variables two things would write (a state named ``gap`` and the gap flags): one would be lost."""
    owners: dict[str, list[str]] = {}
    for name in _OWN_RESULT_NAMES:
        owners.setdefault(name, []).append("the filter's own result")
    for kind, names, suffixes in (
        ("estimate", estimates, _ESTIMATE_SUFFIXES),
        ("estimated parameter", parameters, _PARAMETER_SUFFIXES),
        ("channel", channels, _CHANNEL_SUFFIXES),
        ("sensor", sensors, _SENSOR_SUFFIXES),
    ):
        for name in names:
            for suffix in suffixes:
                owners.setdefault(name + suffix, []).append(f"{kind} {name!r}")
    return [
        f"result variable {variable!r} would hold both {' and '.join(who)}: rename one of them."
        for variable, who in owners.items()
        if len(who) > 1
    ]


#: Default central-difference step relative to the coordinate's scale: the cube root of machine epsilon.
FINITE_DIFFERENCE_STEP = float(np.finfo(float).eps ** (1.0 / 3.0))


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


@dataclass(frozen=True)
class Sensor:
    """A sensor: model outputs it measures together, at its own rate, with its own noise.

    Parameters
    ----------
    name : str
        Sensor name; its channels are called ``"<name>.<output>"`` in the results.
    noise : mapping of str to float
        Measured output -> measurement-noise standard deviation. [output unit]
    relative_noise : mapping of str to float, optional
        Measured output -> noise standard deviation as a fraction of the predicted value; added in
        variance to ``noise``. [1]
    """

    name: str
    noise: Mapping[str, float]
    relative_noise: Mapping[str, float] = field(default_factory=dict)


@dataclass
class FilterState:
    """The filter's posterior at one time: what a twin persists between batches.

    Attributes
    ----------
    time : float
        Time of the posterior. [s]
    mean : numpy.ndarray, shape (n,)
        Augmented mean in the transformed space.
    covariance : numpy.ndarray, shape (n, n)
        Augmented covariance in the transformed space: finite, symmetric, positive semi-definite.
    names : tuple of str
        Names of the augmented coordinates (states, then estimated parameters).
    last_input : numpy.ndarray, shape (n_inputs,)
        The input held until the next sample (empty: unknown, the next batch's first input is used). [SI]
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
    def from_dict(cls, data: Mapping[str, Any], estimator: KalmanFilter | None = None) -> FilterState:
        """Inverse of :meth:`to_dict`, with the saved state checked before it is used.

        Parameters
        ----------
        data : mapping
            The keys ``time``, ``mean``, ``covariance``, ``names`` and ``last_input`` as written by
            :meth:`to_dict`.
        estimator : KalmanFilter, optional
            The filter that will continue from the state: the names, the augmented dimension and the
            number of inputs are checked against it as well (:meth:`KalmanFilter.run` does so anyway).

        Returns
        -------
        FilterState

        Raises
        ------
        ParameterError
            Listing every problem at once: missing keys, values that are not numbers, a mean or
            covariance of the wrong shape, non-finite values, a covariance that is not symmetric or
            not positive semi-definite (negative variances), names that do not match ``estimator``.
        """
        if not isinstance(data, Mapping):
            raise ParameterError(
                f"`data` must be a mapping with the keys {list(_STATE_KEYS)} (FilterState.to_dict()); got {type(data).__name__}."
            )
        problems: list[str] = []
        missing = [key for key in _STATE_KEYS if key not in data]
        if missing:
            problems.append(f"missing key(s) {missing}; a saved state holds {list(_STATE_KEYS)}; got keys {list(data)}.")
        fields: dict[str, Any] = {}
        for key in _STATE_KEYS:
            if key not in data:
                continue
            value = data[key]
            try:
                if key == "time":
                    if isinstance(value, (bool, str, bytes)):
                        raise TypeError
                    fields[key] = float(value)
                elif key == "names":
                    if isinstance(value, (str, bytes)) or not all(isinstance(name, str) for name in value):
                        raise TypeError
                    fields[key] = tuple(value)
                else:
                    fields[key] = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                kind = {"time": "a number [s]", "names": "a list of str"}.get(key, "an array of numbers")
                problems.append(f"`{key}` must be {kind}; got {_describe(value)}.")
        problems.extend(_state_problems(fields, estimator))
        if problems:
            raise ParameterError(join_problems("cannot restore the filter state from `data`:", problems))
        return cls(**fields)


_STATE_KEYS = ("time", "mean", "covariance", "names", "last_input")
#: Relative tolerance of the covariance checks: asymmetry and negative eigenvalues up to this fraction of the
#: largest entry / eigenvalue are rounding (the filters symmetrise and factor with jitter).
_COVARIANCE_TOLERANCE = 1e-9


def _describe(value: Any) -> str:
    """Short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _state_problems(fields: Mapping[str, Any], estimator: KalmanFilter | None = None) -> list[str]:
    """Every problem of the state ``fields`` (those present), against ``estimator``'s coordinates and inputs if given."""
    problems: list[str] = []
    names = fields.get("names")
    if names is not None:
        names = tuple(names)
        if estimator is not None and names != estimator.names:
            problems.append(f"`state` belongs to a filter over {list(names)}, not {list(estimator.names)}.")
        if len(set(names)) != len(names):
            problems.append(f"`names` must be unique; got {list(names)}.")
    expected = estimator.names if estimator is not None else names
    if "time" in fields and not (_number(fields["time"]) and math.isfinite(fields["time"])):
        problems.append(f"`time` must be a finite number [s]; got {fields['time']!r}.")
    if "mean" in fields:
        mean = np.asarray(fields["mean"])
        if expected is None and mean.ndim == 1:
            expected = tuple(f"#{i}" for i in range(mean.size))
        if expected is not None and mean.shape != (len(expected),):
            problems.append(
                f"`mean` must have shape ({len(expected)},) (one value per coordinate {list(expected)}); got {mean.shape}."
            )
        elif expected is None:
            problems.append(f"`mean` must be 1-D (one value per coordinate); got shape {mean.shape}.")
        elif not np.all(np.isfinite(mean)):
            bad = [expected[i] for i in np.flatnonzero(~np.isfinite(mean))]
            problems.append(f"`mean` must be finite; got NaN or inf for {bad}.")
    if "covariance" in fields:
        covariance = np.asarray(fields["covariance"])
        if expected is None and covariance.ndim == 2:
            expected = tuple(f"#{i}" for i in range(covariance.shape[0]))
        if expected is None:
            problems.append(f"`covariance` must be a square 2-D array; got shape {covariance.shape}.")
        else:
            problems.extend(_covariance_problems(covariance, expected))
    if "last_input" in fields:
        last_input = np.asarray(fields["last_input"])
        if estimator is None:
            if last_input.ndim != 1:
                problems.append(f"`last_input` must be 1-D (one value per model input); got shape {last_input.shape}.")
        else:
            n_inputs = len(estimator.model.inputs)
            if last_input.shape not in ((n_inputs,), (0,)):
                problems.append(
                    f"`last_input` must have shape ({n_inputs},) (inputs {list(estimator.model.input_names)}) or be empty; "
                    f"got {last_input.shape}."
                )
        if last_input.ndim == 1 and not np.all(np.isfinite(last_input)):
            problems.append("`last_input` must be finite; got NaN or inf.")
    return problems


def _covariance_problems(covariance: np.ndarray, names: tuple[str, ...]) -> list[str]:
    """Shape, finiteness, symmetry and positive semi-definiteness of a covariance over ``names``."""
    n = len(names)
    if covariance.shape != (n, n):
        return [f"`covariance` must have shape ({n}, {n}) (coordinates {list(names)}); got {covariance.shape}."]
    if not np.all(np.isfinite(covariance)):
        return [f"`covariance` must be finite; got {int(np.sum(~np.isfinite(covariance)))} NaN or inf entries."]
    if n == 0:
        return []
    problems = []
    scale = float(np.max(np.abs(covariance)))
    asymmetry = float(np.max(np.abs(covariance - covariance.T)))
    if asymmetry > _COVARIANCE_TOLERANCE * scale:
        problems.append(f"`covariance` must be symmetric; the largest |P - Pᵀ| is {asymmetry:.3g} (largest |P| {scale:.3g}).")
    diagonal = np.diag(covariance)
    negative = {names[i]: float(diagonal[i]) for i in np.flatnonzero(diagonal < 0)}
    if negative:
        problems.append(f"`covariance` must have variances >= 0 on its diagonal; got {negative}.")
    else:
        eigenvalues = np.linalg.eigvalsh(0.5 * (covariance + covariance.T))
        if eigenvalues[0] < -_COVARIANCE_TOLERANCE * max(float(eigenvalues[-1]), 0.0):
            problems.append(
                f"`covariance` must be positive semi-definite; its smallest eigenvalue is {eigenvalues[0]:.3g} "
                f"(largest {eigenvalues[-1]:.3g})."
            )
    return problems


@dataclass(frozen=True)
class _Channel:
    name: str
    output: str
    sensor: str
    std: float
    relative: float


def _derivative(value: float, transform: int, lower: float, upper: float) -> float:
    """d(transformed)/d(physical) at ``value``: converts physical standard deviations."""
    if transform == kernels.LOG:
        return 1.0 / max(abs(value), 1e-300)
    if transform == kernels.LOGIT:
        return (upper - lower) / max((value - lower) * (upper - value), 1e-300)
    return 1.0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class KalmanFilter:
    """Shared set-up, run loop and results of the filters; use a subclass.

    Parameters
    ----------
    model : Model
        The model (``system.model()`` or ``component.model()``).
    measured : mapping of str to float, optional
        Measured output name -> measurement-noise standard deviation; all channels update together
        (one stacked update per sample). [output unit]
    relative_noise : mapping of str to float, optional
        With ``measured``: output -> noise standard deviation as a fraction of the predicted value;
        added in variance. [1]
    sensors : sequence of Sensor, optional
        Instead of ``measured``: sensors with their own channels and noise. Their channels are named
        ``"<sensor>.<output>"``; with ``sequential_updates`` each sensor that reported updates the
        estimate in turn (in the order given).
    sequential_updates : bool
        With ``sensors``: one update per sensor (True) or one stacked update of every channel that
        reported (False); the two agree exactly for linear models.
    estimate : sequence of EstimatedParameter
        Parameters to estimate jointly with the states.
    initial_state : mapping, optional
        Initial state by name (others from the declared start values). [SI]
    initial_std : mapping of str to float, optional
        Initial standard deviation per state name. [state unit]; default 1e-6 × max(1, |x0|).
    process_noise : mapping of str to float, optional
        Process-noise intensity per state name: standard deviation of the change over one second;
        each prediction over ``dt`` adds the variance ``intensity² × dt``. [state unit/√s]; default 0.
    parameters : mapping, optional
        Overrides of fixed parameter values. [SI]
    integrator : {"RK4", "ROS2"}
        Fixed-step method between samples; ROS2 for stiff models.
    max_step : float
        Longest integration sub-step: intervals and gaps are integrated in equal sub-steps no longer
        than this. [s]
    max_substeps : int
        Most sub-steps one interval may take (default 1e7, about a second of computing for a small model):
        a longer interval is refused before the run, as a timestamp error would otherwise stall it. [1]
    gate_probability : float, optional
        Reject an update whose NIS exceeds this chi-square quantile (e.g. 0.9999); None: no gating.
    gate_patience : int
        After this many consecutive rejected updates (per sensor) the next one is accepted: a jump that
        persists is a change of the asset (or a model error), not an outlier.
    gap_threshold : float
        Sample intervals longer than this are flagged as gaps. [s]
    excitation_threshold : float, optional
        Freeze a parameter's updates while its windowed information (see Notes) is below this; None:
        never freeze automatically. [1]
    excitation_window : float
        Time constant of the exponential window of the information. [s]
    condition_warning : float, optional
        Warn (:class:`~physics_twin.estimation.ConditioningWarning`) when the covariance condition
        number exceeds this; None: never. [1]

    Notes
    -----
    Standard deviations of log- or logit-transformed coordinates are converted into the transformed
    space at the initial value (delta method), so a log-carried quantity keeps the *relative*
    uncertainty ``std / initial``.

    Excitation: at each update the fraction of a parameter's variance the sample explains,
    :math:`e_k = P_{\\theta y} S^{-1} P_{y \\theta} / P_{\\theta\\theta}` — the Fisher information of the
    sample about the parameter times its current variance, for the statistically linearised model —
    is summed with the weight :math:`\\exp(-(t - t_k)/\\tau)` (``excitation_window`` τ). While the sum
    is below ``excitation_threshold`` the parameter's gain row is zero: its estimate holds and its
    variance grows with its random walk, and it learns again once the data excite it.
    """

    kind = ""
    _label = ""

    def __init__(
        self,
        model: Model,
        *,
        measured: Mapping[str, float] | None = None,
        relative_noise: Mapping[str, float] | None = None,
        sensors: Sequence[Sensor] | None = None,
        sequential_updates: bool = True,
        estimate: Sequence[EstimatedParameter] = (),
        initial_state: Mapping[str, float] | None = None,
        initial_std: Mapping[str, float] | None = None,
        process_noise: Mapping[str, float] | None = None,
        parameters: Mapping[str, float] | None = None,
        integrator: str = "RK4",
        max_step: float = 0.01,
        max_substeps: int = 10_000_000,
        gate_probability: float | None = None,
        gate_patience: int = 3,
        gap_threshold: float = math.inf,
        excitation_threshold: float | None = None,
        excitation_window: float = 60.0,
        condition_warning: float | None = 1e12,
    ) -> None:
        self.model = model
        problems: list[str] = []
        channels = self._channels(model, measured, relative_noise, sensors, problems)
        self._channel_records = channels
        self.measured = tuple(c.name for c in channels)
        self.sensors = tuple(dict.fromkeys(c.sensor for c in channels))
        self.sequential_updates = bool(sequential_updates)
        self.parameter_values = model.parameter_vector(parameters)
        self.x0 = model.initial_state(initial_state)
        names, units, transforms, lower, upper, angles = [], [], [], [], [], []
        for index, state in enumerate(model.states):
            is_angle = bool(getattr(state, "angle", False))
            transform = kernels.LOG if state.nonnegative else kernels.IDENTITY
            if is_angle and state.nonnegative:
                problems.append(f"state `{state.name}` cannot be both an angle and non-negative.")
            if transform == kernels.LOG and not self.x0[index] > 0:
                problems.append(
                    f"state `{state.name}` is non-negative and carried in log space: its initial value must be > 0; "
                    f"got {self.x0[index]!r}."
                )
            names.append(state.name)
            units.append(state.unit)
            transforms.append(transform)
            lower.append(0.0)
            upper.append(math.inf)
            angles.append(int(is_angle))
        parameter_names = model.parameter_names
        self.estimated = tuple(estimate)
        estimated_index: list[int] = []
        for name, count in Counter(spec.name for spec in self.estimated).items():
            if count > 1:
                problems.append(f"parameter {name!r} is listed {count} times in `estimate`; list each parameter once.")
        for spec in self.estimated:
            if spec.name not in parameter_names:
                problems.append(unknown_name_message("parameter", spec.name, parameter_names, f"model {model.name!r}"))
                continue
            index = parameter_names.index(spec.name)
            declaration = model.parameters[index]
            low, high = declaration.bounds
            transform_name = spec.transform
            if transform_name == "auto":
                transform_name = "logit" if math.isfinite(low) and math.isfinite(high) else "log" if low >= 0 else "none"
            if transform_name not in _TRANSFORMS:
                problems.append(
                    f"`transform` of {spec.name!r} must be one of 'auto', 'log', 'logit', 'none'; got {spec.transform!r}."
                )
                continue
            if transform_name == "logit" and not (math.isfinite(low) and math.isfinite(high)):
                problems.append(
                    f"{spec.name!r} cannot use a logit transform: its bounds {declaration.bounds} are not both finite."
                )
                continue
            if transform_name == "log" and low < 0:
                problems.append(f"{spec.name!r} cannot use a log transform: its lower bound {low} is negative.")
                continue
            if spec.initial is not None:
                self.parameter_values[index] = float(spec.initial)
            value = self.parameter_values[index]
            if transform_name == "log" and not value > 0:
                problems.append(f"initial value of {spec.name!r} must be > 0 for a log transform; got {value!r}.")
            if transform_name == "logit" and not low < value < high:
                problems.append(
                    f"initial value of {spec.name!r} must lie strictly inside {declaration.bounds} for a logit "
                    f"transform; got {value!r}."
                )
            if not (_number(spec.initial_std) and math.isfinite(spec.initial_std) and spec.initial_std > 0):
                problems.append(
                    f"`initial_std` of {spec.name!r} must be finite and > 0 [{declaration.unit}]; got {spec.initial_std!r}."
                )
            if not (_number(spec.random_walk) and math.isfinite(spec.random_walk) and spec.random_walk >= 0):
                problems.append(
                    f"`random_walk` of {spec.name!r} must be finite and >= 0 [{declaration.unit}/√s]; got {spec.random_walk!r}."
                )
            estimated_index.append(index)
            names.append(spec.name)
            units.append(declaration.unit)
            transforms.append(_TRANSFORMS[transform_name])
            lower.append(low)
            upper.append(high)
            angles.append(0)
        for label, mapping in (("initial_std", initial_std), ("process_noise", process_noise)):
            for name, value in (mapping or {}).items():
                if name not in model.state_names:
                    problems.append(unknown_name_message(f"state in `{label}`", name, model.state_names, f"model {model.name!r}"))
                elif not (_number(value) and math.isfinite(value) and value >= 0):
                    problems.append(f"`{label}` of {name!r} must be finite and >= 0; got {value!r}.")
        if not (_number(max_step) and max_step > 0 and math.isfinite(max_step)):
            problems.append(f"`max_step` must be a finite number > 0 [s]; got {max_step!r}.")
        if isinstance(max_substeps, bool) or not isinstance(max_substeps, (int, np.integer)) or max_substeps < 1:
            problems.append(f"`max_substeps` must be an integer >= 1; got {max_substeps!r}.")
        if gate_probability is not None and not (_number(gate_probability) and 0 < gate_probability < 1):
            problems.append(f"`gate_probability` must be in (0, 1) or None; got {gate_probability!r}.")
        if isinstance(gate_patience, bool) or not isinstance(gate_patience, (int, np.integer)) or gate_patience < 1:
            problems.append(f"`gate_patience` must be an integer >= 1; got {gate_patience!r}.")
        if not (_number(gap_threshold) and gap_threshold > 0):
            problems.append(f"`gap_threshold` must be > 0 [s] (inf: never flag); got {gap_threshold!r}.")
        if excitation_threshold is not None and not (_number(excitation_threshold) and 0 < excitation_threshold < math.inf):
            problems.append(f"`excitation_threshold` must be a finite number > 0 or None; got {excitation_threshold!r}.")
        if not (_number(excitation_window) and 0 < excitation_window <= math.inf):
            problems.append(f"`excitation_window` must be > 0 [s]; got {excitation_window!r}.")
        if condition_warning is not None and not (_number(condition_warning) and condition_warning > 1):
            problems.append(f"`condition_warning` must be a number > 1 or None; got {condition_warning!r}.")
        try:
            self.integrator = method_code(integrator)
        except ParameterError as exc:
            problems.append(str(exc))
        problems.extend(self._own_problems())
        if problems:
            raise ParameterError(join_problems(f"cannot set up the filter on model {model.name!r}:", problems))

        self.names = tuple(names)
        self._units = tuple(units)
        self._transforms = np.asarray(transforms, dtype=np.int64)
        self._lower = np.asarray(lower, float)
        self._upper = np.asarray(upper, float)
        self._angles = np.asarray(angles, dtype=np.int64)
        self._parameter_index = np.asarray(estimated_index, dtype=np.int64)
        output_names = model.output_names
        self._output_index = np.asarray([output_names.index(c.output) for c in channels], dtype=np.int64)
        angle_outputs = [int(bool(getattr(model.outputs[i], "angle", False))) for i in self._output_index]
        self._output_angles = np.asarray(angle_outputs, dtype=np.int64)
        self._r_diag = np.asarray([c.std for c in channels], float) ** 2
        self._r_relative = np.asarray([c.relative for c in channels], float) ** 2
        if self.sequential_updates and sensors is not None:
            groups = [[i for i, c in enumerate(channels) if c.sensor == s] for s in self.sensors]
        else:
            groups = [list(range(len(channels)))]
        self._group_names = self.sensors if len(groups) == len(self.sensors) and sensors is not None else ("all",)
        clashes = _result_name_clashes(
            self.names,
            [spec.name for spec in self.estimated],
            [c.name for c in channels],
            self._group_names if len(self._group_names) > 1 else (),
        )
        if clashes:
            raise ParameterError(join_problems(f"cannot set up the filter on model {model.name!r}:", clashes))
        self._group_start = np.cumsum([0] + [len(g) for g in groups]).astype(np.int64)
        self._group_channels = np.asarray([i for g in groups for i in g], dtype=np.int64)
        self.max_step = float(max_step)
        self.max_substeps = int(max_substeps)
        self.gap_threshold = float(gap_threshold)
        self.gate_probability = gate_probability
        self.gate_patience = int(gate_patience)
        self.excitation_threshold = excitation_threshold
        self.excitation_window = float(excitation_window)
        self.condition_warning = condition_warning
        self._generic = _jit.JIT_ENABLED and not (_jit.is_compiled(model.rhs) and _jit.is_compiled(model.output))

        n_states = len(model.states)
        physical0 = np.concatenate([self.x0, self.parameter_values[self._parameter_index]])
        derivative = np.array(
            [
                _derivative(v, t, lo, hi)
                for v, t, lo, hi in zip(physical0, self._transforms, self._lower, self._upper, strict=True)
            ]
        )
        std0 = np.empty(len(self.names))
        q_std = np.zeros(len(self.names))
        for i, name in enumerate(model.state_names):
            std0[i] = (initial_std or {}).get(name, 1e-6 * max(1.0, abs(self.x0[i])))
            q_std[i] = (process_noise or {}).get(name, 0.0)
        for j, spec in enumerate(self.estimated):
            std0[n_states + j] = spec.initial_std
            q_std[n_states + j] = spec.random_walk
        self._z0 = np.array(
            [
                kernels.to_transformed(v, int(t), lo, hi)
                for v, t, lo, hi in zip(physical0, self._transforms, self._lower, self._upper, strict=True)
            ]
        )
        self._p0 = np.diag(np.maximum(std0 * derivative, 1e-300) ** 2)
        self._q_rate = (q_std * derivative) ** 2
        self._check_deterministic()

    # -- set-up helpers ----------------------------------------------------------------------------
    @staticmethod
    def _channels(model, measured, relative_noise, sensors, problems) -> list[_Channel]:
        output_names = model.output_names
        unit_of = {o.name: o.unit for o in model.outputs}

        def check(owner: str, noise: Mapping[str, float], relative: Mapping[str, float]) -> list[tuple[str, float, float]]:
            found = []
            for name, std in noise.items():
                if name not in output_names:
                    where = f"model {model.name!r}"
                    problems.append(unknown_name_message(f"measured output in {owner}", name, output_names, where))
                    continue
                if not (_number(std) and math.isfinite(std) and std > 0):
                    problems.append(f"measurement noise of `{name}` must be a finite number > 0 [{unit_of[name]}]; got {std!r}.")
                    continue
                found.append((name, float(std), 0.0))
            for name, fraction in relative.items():
                if name not in noise:
                    problems.append(f"`relative_noise` of {owner} names {name!r}, which it does not measure {list(noise)}.")
                elif not (_number(fraction) and math.isfinite(fraction) and fraction >= 0):
                    problems.append(f"relative noise of `{name}` must be a finite fraction >= 0; got {fraction!r}.")
            return [(n, s, float(relative.get(n, 0.0)) if _number(relative.get(n, 0.0)) else 0.0) for n, s, _ in found]

        if sensors is not None and (measured or relative_noise):
            problems.append("give either `measured` (with `relative_noise`) or `sensors`, not both.")
            return []
        if sensors is not None:
            channels = []
            seen: set[str] = set()
            if not sensors:
                problems.append("`sensors` must hold at least one Sensor.")
            for sensor in sensors:
                if not isinstance(sensor, Sensor):
                    problems.append(f"`sensors` must hold Sensor records; got {type(sensor).__name__}.")
                    continue
                if sensor.name in seen:
                    problems.append(f"sensor name {sensor.name!r} is used twice.")
                seen.add(sensor.name)
                if not sensor.noise:
                    problems.append(f"sensor {sensor.name!r} measures nothing: give `noise` per measured output.")
                for output, std, relative in check(f"sensor {sensor.name!r}", sensor.noise, sensor.relative_noise or {}):
                    channels.append(_Channel(f"{sensor.name}.{output}", output, sensor.name, std, relative))
            return channels
        if not measured:
            problems.append("`measured` must map at least one model output to its noise standard deviation.")
            return []
        return [_Channel(o, o, "all", s, r) for o, s, r in check("`measured`", measured, relative_noise or {})]

    def _own_problems(self) -> list[str]:
        return []

    def _check_deterministic(self) -> None:
        """Reject kernels that do not write exactly their declared sizes, and models that return different results
        for the same input."""
        model = self.model
        x, p, u = self.x0.copy(), self.parameter_values.copy(), model.default_inputs()
        owner = f"model {model.name!r}"
        for kernel_name, size in (("rhs", len(model.states)), ("output", len(model.outputs))):
            kernel = getattr(model, kernel_name)
            try:
                with np.errstate(all="ignore"):
                    first = checked_kernel_values(kernel, kernel_name, size, 0.0, x, u, p, owner)
                    second = checked_kernel_values(kernel, kernel_name, size, 0.0, x, u, p, owner)
            except ModelStructureError:
                raise
            except Exception:  # the filter reports a failing model at run time, with the sample
                continue
            if not np.array_equal(first, second, equal_nan=True):
                raise ModelStructureError(
                    f"the model's `{kernel_name}` kernel returned different results for the same (t, x, u, p): it draws "
                    "random numbers or keeps hidden state. A Kalman filter needs deterministic models: take the noise out "
                    "of the kernel and declare it as process noise (Q, `process_noise` / `random_walk`) or measurement "
                    "noise (R, `measured` / `sensors`)."
                )

    # -- public ------------------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        """Number of model states (the first coordinates of the augmented vector)."""
        return len(self.model.states)

    def initial_state(self, time: float, first_input: np.ndarray | None = None) -> FilterState:
        """The prior at ``time`` [s] built from the initial values and standard deviations."""
        last_input = self.model.default_inputs() if first_input is None else np.asarray(first_input, float)
        return FilterState(float(time), self._z0.copy(), self._p0.copy(), self.names, last_input)

    def merge_streams(self, streams: Mapping[str, tuple[Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Sensor streams at their own times merged onto one time line for :meth:`run`.

        Parameters
        ----------
        streams : mapping of str to (times, values)
            Sensor name -> its sample times, shape (n_s,), and values, shape (n_s, channels of the
            sensor) (1-D for a one-channel sensor). [s], [output units]. Sensors may be missing.

        Returns
        -------
        times : numpy.ndarray, shape (n,)
            The sorted union of all sample times (coinciding times share a row). [s]
        measurements : numpy.ndarray, shape (n, len(measured))
            Each sensor's values in its channels' columns; NaN where it did not report.

        Raises
        ------
        ShapeError
            A sensor's values do not match its number of channels or its times.
        ParameterError
            Unknown sensor names, non-finite or repeated times within a sensor.
        """
        problems: list[str] = []
        shape_problems: list[str] = []
        prepared = {}
        for sensor, pair in streams.items():
            if sensor not in self.sensors or self.sensors == ("all",):
                known = [s for s in self.sensors if s != "all"]
                problems.append(unknown_name_message("sensor", str(sensor), known, "this filter"))
                continue
            columns = [i for i, c in enumerate(self._channel_records) if c.sensor == sensor]
            outputs = [self._channel_records[i].output for i in columns]
            try:
                times, values = pair
            except (TypeError, ValueError):
                problems.append(f"`streams[{sensor!r}]` must be a pair (times, values); got {type(pair).__name__}.")
                continue
            times = np.asarray(times, dtype=float)
            values = np.asarray(values, dtype=float)
            if values.ndim == 1 and len(columns) == 1:
                values = values[:, None]
            if times.ndim != 1 or values.ndim != 2 or values.shape != (times.size, len(columns)):
                shape_problems.append(
                    f"sensor {sensor!r} measures {len(columns)} value(s) per sample ({', '.join(outputs)}): its values must have "
                    f"shape ({times.size if times.ndim == 1 else 'n'}, {len(columns)}); got values {values.shape} for times "
                    f"{times.shape}."
                )
                continue
            if not np.all(np.isfinite(times)):
                problems.append(f"sensor {sensor!r}: times must be finite.")
                continue
            if np.unique(times).size != times.size:
                problems.append(
                    f"sensor {sensor!r} reports twice at the same time; resolve duplicates first (physics_twin.io does)."
                )
                continue
            prepared[sensor] = (times, values, columns)
        if shape_problems:
            raise ShapeError(join_problems("cannot merge the sensor streams:", shape_problems + problems))
        if problems:
            raise ParameterError(join_problems("cannot merge the sensor streams:", problems))
        if not prepared:
            raise ParameterError("`streams` must hold at least one sensor's samples.")
        union = np.unique(np.concatenate([t for t, _, _ in prepared.values()]))
        merged = np.full((union.size, len(self.measured)), np.nan)
        for times, values, columns in prepared.values():
            rows = np.searchsorted(union, times)
            merged[np.ix_(rows, columns)] = values
        return union, merged

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
        inputs : array_like, shape (n, n_inputs), or mapping of str to array_like, optional
            Model inputs at each sample (held until the next one), columns in the order of
            ``model.input_names``; 1-D only for a model with one input. A mapping gives input name ->
            samples, shape (n,), or a constant; inputs it omits take their declared defaults. None uses
            the declared defaults. [SI]
        measurements : array_like, shape (n, n_channels), or mapping of str to array_like
            Measured channels in the order of ``measured``; NaN where a channel did not report; 1-D only
            for one channel. A mapping gives channel name -> samples, shape (n,), for every channel. [SI]
        state : FilterState, optional
            Posterior to continue from (checked first: names, shapes, finite mean, symmetric positive
            semi-definite covariance); by default the prior at ``times[0]``.
        freeze_parameters : array_like of bool, shape (n,), optional
            True where every parameter update is frozen (poor excitation known in advance).

        Returns
        -------
        result : xarray.Dataset
            Estimates with standard deviations, predictions, innovations, NIS with its chi-square band,
            gating and gap flags, covariance condition numbers.
        state : FilterState
            The posterior after the last sample (continue the next batch from it).

        Raises
        ------
        ShapeError, ParameterError
            Inputs or measurements of the wrong shape (a transposed or flattened array, a mapping with
            unknown names), non-finite inputs; unsorted times; a ``state`` that does not fit this filter
            or is not a valid posterior (every problem listed). Nothing is run and nothing changes.
        EstimationError
            When the covariance loses positive definiteness or the model diverges within the uncertainty.
        """
        times, inputs, measurements, state, freeze = self._check_run(times, inputs, measurements, state, freeze_parameters)
        m = len(self.measured)
        gate = np.full(m + 1, np.inf)
        if self.gate_probability is not None:
            gate[1:] = stats.chi2.ppf(self.gate_probability, np.arange(1, m + 1))
        if self._generic:
            from physics_twin.estimation.kalman import run_generic

            raw = run_generic(self, times, inputs, measurements, state, gate, freeze)
        else:
            raw = self._run_compiled(times, inputs, measurements, state, gate, freeze)
        (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, status, failed_at) = raw
        if status != kernels.OK:
            reason = (
                "the covariance lost positive definiteness"
                if status == kernels.NOT_POSITIVE_DEFINITE
                else "a sigma point or its prediction became non-finite (the model diverged within the uncertainty)"
            )
            raise EstimationError(
                f"filter stopped at sample {failed_at} (t = {times[failed_at]:.6g} s): {reason}. Check the noise settings "
                "(process noise too small or measurement noise too small for the data) and the input data there."
            )
        gaps = np.diff(np.concatenate([[state.time], times])) > self.gap_threshold
        dataset = self._dataset(
            times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, gaps, excitation, frozen
        )
        final = FilterState(float(times[-1]), z_post[-1].copy(), p_post[-1].copy(), self.names, inputs[-1].copy())
        return dataset, final

    def physical(self, mean: np.ndarray) -> np.ndarray:
        """Physical values of an augmented mean (rows may be stacked). [SI]"""
        z = np.asarray(mean, dtype=float)
        out = z.copy()
        log = self._transforms == kernels.LOG
        logit = self._transforms == kernels.LOGIT
        with np.errstate(over="ignore"):
            out[..., log] = np.exp(z[..., log])
            span = self._upper[logit] - self._lower[logit]
            out[..., logit] = self._lower[logit] + span / (1.0 + np.exp(-z[..., logit]))
        return out

    # -- internals ---------------------------------------------------------------------------------
    def _check_run(self, times, inputs, measurements, state, freeze_parameters):
        times = sample_times(times, "times")
        n = times.shape[0]
        if inputs is None:
            inputs = np.tile(self.model.default_inputs(), (n, 1))
        inputs = self._samples("inputs", inputs, n, self.model.input_names, "inputs", self.model.default_inputs())
        if not np.all(np.isfinite(inputs)):
            raise ParameterError(
                "`inputs` must be finite; fill or drop missing input samples before filtering (physics_twin.io does)."
            )
        measurements = self._samples("measurements", measurements, n, self.measured, "channels", None)
        if np.any(np.isinf(measurements)):
            raise ParameterError("`measurements` must be finite or NaN (missing); got infinite values.")
        if state is None:
            state = self.initial_state(times[0], inputs[0])
        if not isinstance(state, FilterState):
            hint = " (a saved state: restore it with FilterState.from_dict)" if isinstance(state, Mapping) else ""
            raise ParameterError(f"`state` must be a FilterState or None{hint}; got {type(state).__name__}.")
        problems = _state_problems(vars(state), self)
        if problems:
            raise ParameterError(join_problems("cannot continue from `state`:", problems))
        if times[0] < state.time:
            raise ParameterError(
                f"`times` must start at or after the state's time {float(state.time)!r} s; got {float(times[0])!r} s."
            )
        intervals = np.diff(times, prepend=float(state.time))
        longest = int(np.argmax(intervals))
        steps = substeps(float(intervals[longest]), self.max_step)
        if steps > self.max_substeps:
            raise ParameterError(
                f"`times`: the interval of {intervals[longest]:.6g} s before sample {longest} (t = {times[longest]:.6g} s) "
                f"would take {steps:.3g} sub-steps of max_step {self.max_step:g} s, more than max_substeps "
                f"{self.max_substeps:.3g}. A timestamp error? Otherwise split the data at the gap, or raise max_step or "
                "max_substeps."
            )
        freeze = np.zeros(n, dtype=np.bool_) if freeze_parameters is None else np.asarray(freeze_parameters, dtype=np.bool_)
        if freeze.shape != (n,):
            raise ShapeError(f"`freeze_parameters` must have shape ({n},); got {freeze.shape}.")
        return times, inputs, measurements, state, freeze

    @staticmethod
    def _samples(label, values, n, names, kind, defaults) -> np.ndarray:
        """``values`` as an (n, len(names)) float matrix, or a typed error naming ``label``.

        A 1-D array is one column (only when there is one name); a mapping (or a data frame) name -> 1-D
        array of n samples (or a constant) is stacked in the order of ``names``, names it omits taking
        ``defaults`` (an error when ``defaults`` is None).
        """
        width = len(names)
        expected = f"`{label}` must have shape ({n}, {width}) ({kind} {list(names)})"
        if hasattr(values, "columns") and hasattr(values, "to_numpy"):  # a data frame: its columns by name, never by position
            values = {str(column): values[column].to_numpy() for column in values.columns}
        if isinstance(values, Mapping):
            problems = [unknown_name_message(kind[:-1], str(key), names, f"`{label}`") for key in values if key not in names]
            missing = [name for name in names if name not in values]
            if missing and defaults is None:
                problems.append(f"`{label}` has no samples for {missing}; give every one of {list(names)} (NaN where missing).")
            shape_problems: list[str] = []
            matrix = np.tile(np.asarray(defaults if defaults is not None else np.full(width, np.nan), float), (n, 1))
            for column, name in enumerate(names):
                if name not in values:
                    continue
                try:
                    column_values = np.asarray(values[name], dtype=float)
                except (TypeError, ValueError):
                    problems.append(f"`{label}[{name!r}]` must be numbers; got {_describe(values[name])}.")
                    continue
                if column_values.shape not in ((), (n,)):
                    shape_problems.append(
                        f"`{label}[{name!r}]` must be a number or have shape ({n},) (one per time); got {column_values.shape}."
                    )
                    continue
                matrix[:, column] = column_values
            if shape_problems or problems:
                error = ShapeError if shape_problems else ParameterError
                header = f"{expected}, or be a mapping of {kind[:-1]} name to {n} samples (or a constant):"
                raise error(join_problems(header, shape_problems + problems))
            return matrix
        if np.iscomplexobj(values):  # float() would drop the imaginary part with no more than a numpy warning
            raise ParameterError(f"{expected} of real numbers; got complex values.")
        try:
            matrix = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{expected} of numbers; got {_describe(values)}.") from None
        if matrix.ndim == 1 and width == 1:
            matrix = matrix[:, None]
        if matrix.shape != (n, width):
            hint = ""
            if matrix.shape == (width, n) and width != n:
                hint = " It looks transposed: pass the array's transpose (one row per sample)."
            elif matrix.ndim == 1 and matrix.size == n * width and width > 1:
                hint = f" A 1-D array is accepted only for a single column: reshape it to ({n}, {width})."
            raise ShapeError(f"{expected}; got {matrix.shape}.{hint}")
        return matrix

    def _codes(self) -> tuple[int, int]:
        """(filter kind code, Jacobian bits) for the compiled loop."""
        raise NotImplementedError

    def _jacobian_kernels(self) -> tuple[Any, Any]:
        return self.model.rhs, self.model.output

    def _loop(self) -> Any:
        """The compiled loop this filter runs (same arguments and results for every filter)."""
        return _compiled.filter_run

    def _settings(self) -> list[float]:
        return [1.0, 2.0, 0.0]

    def _run_compiled(self, times, inputs, measurements, state, gate, freeze):
        c = contiguous
        kind, jacobian_bits = self._codes()
        alpha, beta, kappa = self._settings()
        threshold = float(self.excitation_threshold) if self.excitation_threshold is not None else 0.0
        settings = np.array(
            [
                self.max_step,
                alpha,
                beta,
                kappa,
                threshold,
                self.excitation_window,
                getattr(self, "finite_difference_step", FINITE_DIFFERENCE_STEP),
            ],
            float,
        )
        codes = np.array([kind, self.integrator, len(self.model.outputs), jacobian_bits, self.gate_patience], dtype=np.int64)
        rhs_jacobian, output_jacobian = self._jacobian_kernels()
        return self._loop()(
            self.model.rhs,
            self.model.output,
            rhs_jacobian,
            output_jacobian,
            c(times),
            c(inputs),
            c(measurements),
            c(state.mean),
            c(state.covariance),
            float(state.time),
            self._q_rate,
            self._r_diag,
            self._r_relative,
            len(self.model.states),
            c(self.parameter_values),
            self._parameter_index,
            self._transforms,
            self._lower,
            self._upper,
            self._angles,
            self._output_index,
            self._output_angles,
            self._group_start,
            self._group_channels,
            settings,
            codes,
            gate,
            c(freeze, np.bool_),
        )

    def _unit_of(self, output: str) -> str:
        return next((o.unit for o in self.model.outputs if o.name == output), "?")

    def _dataset(
        self, times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, gaps, excitation, frozen
    ) -> xr.Dataset:
        n_states = len(self.model.states)
        std_z = np.sqrt(np.clip(np.einsum("nii->ni", p_post), 0.0, None))
        estimate = self.physical(z_post)
        lower = self.physical(z_post - _Z90 * std_z)
        upper = self.physical(z_post + _Z90 * std_z)
        slope = np.ones_like(estimate)
        log = self._transforms == kernels.LOG
        logit = self._transforms == kernels.LOGIT
        slope[:, log] = 1.0 / np.maximum(np.abs(estimate[:, log]), 1e-300)
        slope[:, logit] = (self._upper[logit] - self._lower[logit]) / np.maximum(
            (estimate[:, logit] - self._lower[logit]) * (self._upper[logit] - estimate[:, logit]), 1e-300
        )
        std_x = std_z / slope
        # (dims, values, attrs) tuples rather than DataArrays: xarray then skips aligning each variable (half the
        # time of building the result, measured on 20,000 samples)
        variables: dict[str, tuple] = {}

        def add(name: str, values: np.ndarray, units: str, description: str, dims: Any = "time", **extra: str) -> None:
            if name in variables:  # _result_name_clashes must have caught it when the filter was built
                raise RuntimeError(f"result variable {name!r} written twice; _result_name_clashes is out of step.")
            variables[name] = (dims, values, {"units": units, "description": description, **extra})

        for i, name in enumerate(self.names):
            unit = self._units[i]
            kind = "state" if i < n_states else "parameter"
            add(name, estimate[:, i], unit, f"posterior estimate ({kind}; median for log/logit-carried)", kind=kind)
            add(f"{name}_std", std_x[:, i], unit, "posterior standard deviation (delta method)")
            add(f"{name}_p05", lower[:, i], unit, "posterior 5 % quantile")
            add(f"{name}_p95", upper[:, i], unit, "posterior 95 % quantile")
        for j, spec in enumerate(self.estimated):
            add(
                f"{spec.name}_excitation",
                excitation[:, j],
                "1",
                f"windowed fraction of the parameter's variance explained by the data (window {self.excitation_window:g} s)",
            )
            add(
                f"{spec.name}_frozen",
                frozen[:, j].astype(np.int8),
                "1",
                "1 where the parameter's update was frozen (poor excitation or `freeze_parameters`)",
            )
        for c, record in enumerate(self._channel_records):
            unit = self._unit_of(record.output)
            name = record.name
            add(f"{name}_measured", measurements[:, c], unit, "measured value", output=record.output, sensor=record.sensor)
            add(f"{name}_predicted", y_pred[:, c], unit, "one-step-ahead prediction")
            add(f"{name}_innovation", innovation[:, c], unit, "measured minus predicted (NaN where the channel did not report)")
            add(f"{name}_innovation_std", np.sqrt(innovation_var[:, c]), unit, "predicted innovation standard deviation")
        used = dof > 0
        total_nis = np.where(used.any(axis=1), np.where(used, nis, 0.0).sum(axis=1), np.nan)
        total_dof = dof.sum(axis=1)
        levels = np.arange(total_dof.max() + 1 if total_dof.size else 1)  # chi-square quantiles once per number of channels
        lower_by_dof = np.where(levels > 0, stats.chi2.ppf(0.025, np.maximum(levels, 1)), np.nan)
        upper_by_dof = np.where(levels > 0, stats.chi2.ppf(0.975, np.maximum(levels, 1)), np.nan)
        add("nis", total_nis, "1", "normalised innovation squared (sum over the sensors' updates)")
        add("nis_dof", total_dof, "1", "number of channels in the update (chi-square degrees of freedom)")
        add("nis_lower", lower_by_dof[total_dof], "1", "2.5 % chi-square quantile for this step")
        add("nis_upper", upper_by_dof[total_dof], "1", "97.5 % chi-square quantile for this step")
        add("gated", gated.any(axis=1).astype(np.int8), "1", "1 where an update was rejected by the innovation gate")
        if len(self._group_names) > 1:
            for g, sensor in enumerate(self._group_names):
                add(f"{sensor}_nis", nis[:, g], "1", f"NIS of sensor {sensor!r}'s update (NaN where it did not report)")
                add(f"{sensor}_nis_dof", dof[:, g], "1", f"channels in sensor {sensor!r}'s update")
                add(f"{sensor}_gated", gated[:, g].astype(np.int8), "1", f"1 where sensor {sensor!r}'s update was gated")
        add("gap", gaps.astype(np.int8), "1", "1 where the interval before the sample exceeded gap_threshold")
        condition = condition_numbers(p_post)
        add("covariance_condition", condition, "1", "2-norm condition number of the posterior covariance (transformed space)")
        add(
            "mean_transformed",
            z_post,
            "transformed",
            "posterior mean in the filter's transformed space (log/logit/identity per coordinate)",
            dims=("time", "augmented"),
        )
        add(
            "covariance",
            p_post,
            "transformed",
            "posterior covariance in the filter's transformed space",
            dims=("time", "augmented", "augmented_"),
        )
        dataset = xr.Dataset(
            variables,
            coords={
                "time": ("time", times, {"units": "s", "description": "time since start"}),
                "augmented": ("augmented", list(self.names)),
                "augmented_": ("augmented_", list(self.names)),
            },
        )
        dataset.attrs.update({"model": self.model.name, "filter": self._label})
        dataset.attrs.update(consistency_summary(dataset, self.measured))
        worst = dataset.attrs.get("covariance_condition_max", math.nan)
        if self.condition_warning is not None and worst > self.condition_warning:
            k = int(np.nanargmax(condition))
            variances = np.diag(p_post[k])
            scaled = float(dataset.attrs["correlation_condition_at_max"])
            warnings.warn(
                f"the filter's covariance is badly conditioned: condition number {worst:.3g} at t = {times[k]:.6g} s "
                f"(threshold {self.condition_warning:.3g}); variances range from {np.min(variances):.3g} to "
                f"{np.max(variances):.3g}. "
                "Rounding can lose the small variances: consider rescaling the state (units of similar magnitude), "
                "or check unobservable states whose variance grows without bound. With every coordinate scaled to unit "
                f"variance the condition number would be {scaled:.3g}"
                + (
                    " (rescaling would help; the square-root filter is the least sensitive meanwhile)."
                    if scaled < 1e8
                    else ": strongly correlated coordinates, which rescaling does not cure (check identifiability)."
                ),
                ConditioningWarning,
                stacklevel=3,
            )
        return dataset


class UnscentedKalmanFilter(KalmanFilter):
    """Joint state and parameter UKF (square-root form by default) over a compiled model.

    Parameters
    ----------
    model : Model
        The model (``system.model()``).
    square_root : bool
        True (default): the square-root UKF, propagating a Cholesky factor of the covariance; False:
        the classic UKF (filterpy's algorithm). They agree to rounding.
    alpha, beta, kappa : float
        Merwe scaled sigma-point parameters (``lambda = alpha² (n + kappa) - n``).
    estimation : {"joint", "dual"}
        ``"joint"`` (default): states and parameters in one augmented vector with their cross-covariance.
        ``"dual"``: two unscented filters side by side, one for the states with the parameters at their
        estimate, one for the parameters whose measurement model propagates the previous state estimate
        (Wan, van der Merwe & Nelson 2000); the cross-covariance is not kept. The dual filter runs in the
        classic (not square-root) form and does not support ``excitation_threshold``.
    **options
        Everything :class:`KalmanFilter` takes (``measured``, ``sensors``, ``estimate``, noise,
        integrator, gating, gaps, excitation, ...).
    """

    def __init__(
        self,
        model: Model,
        *,
        square_root: bool = True,
        alpha: float = 1.0,
        beta: float = 2.0,
        kappa: float = 0.0,
        estimation: str = "joint",
        **options: Any,
    ) -> None:
        self.square_root = bool(square_root)
        self.alpha, self.beta, self.kappa = alpha, beta, kappa
        self.estimation = estimation
        self.kind = "sr-ukf" if self.square_root else "ukf"
        self._label = "SR-UKF" if self.square_root else "UKF"
        if estimation == "dual":
            self.kind, self._label = "dual-ukf", "dual UKF"
        _reject_unknown(options)
        super().__init__(model, **options)
        self.alpha, self.beta, self.kappa = float(alpha), float(beta), float(kappa)

    def _own_problems(self) -> list[str]:
        problems = []
        if self.estimation not in ("joint", "dual"):
            problems.append(f"`estimation` must be 'joint' or 'dual'; got {self.estimation!r}.")
        for name in ("alpha", "beta", "kappa"):
            value = getattr(self, name)
            if not (_number(value) and math.isfinite(value)):
                problems.append(f"`{name}` must be a finite number; got {value!r}.")
        if not problems:
            n = len(self.model.states) + len(self.estimated)
            if not (self.alpha > 0 and self.alpha**2 * (n + self.kappa) > 0):
                problems.append(
                    f"`alpha` must be > 0 with alpha² (n + kappa) > 0 (n = {n}); got alpha {self.alpha!r}, kappa {self.kappa!r}."
                )
        return problems

    def _codes(self) -> tuple[int, int]:
        return (_compiled.SR_UKF if self.square_root else _compiled.UKF), 0

    def _settings(self) -> list[float]:
        return [self.alpha, self.beta, self.kappa]

    def _loop(self) -> Any:
        if self.estimation != "dual":
            return super()._loop()
        from physics_twin.estimation._dual import dual_run

        if self.excitation_threshold is not None:
            raise EstimationError("the dual filter does not freeze parameters by excitation; use estimation='joint'.")

        def run(rhs, output, rhs_jacobian, output_jacobian, *arguments):
            return dual_run(rhs, output, *arguments)

        return run


class ExtendedKalmanFilter(KalmanFilter):
    """Joint state and parameter EKF over a compiled model.

    The filter linearises the transformed discrete-time map (integration over the sample interval)
    and the measured outputs. State Jacobians are analytic where the model provides compiled kernels
    ``rhs_jacobian(t, x, u, p, out)`` (writes ∂f/∂x, flattened row-major, n_x × n_x) and
    ``output_jacobian(t, x, u, p, out)`` (∂y/∂x, n_y × n_x) — through the variational equations of the RK4
    steps; with ROS2, for parameters, and without analytic kernels, central differences.

    Parameters
    ----------
    model : Model
        The model.
    rhs_jacobian, output_jacobian : callable, optional
        Compiled Jacobian kernels; default: the model's attributes of the same names, if any.
    finite_difference_step : float
        Central-difference step relative to max(|z_j|, σ_j) of each coordinate. [1]
    **options
        Everything :class:`KalmanFilter` takes.
    """

    kind = "ekf"
    _label = "EKF"

    def __init__(
        self,
        model: Model,
        *,
        rhs_jacobian: Any = None,
        output_jacobian: Any = None,
        finite_difference_step: float = FINITE_DIFFERENCE_STEP,
        **options: Any,
    ) -> None:
        self.rhs_jacobian = rhs_jacobian if rhs_jacobian is not None else getattr(model, "rhs_jacobian", None)
        self.output_jacobian = output_jacobian if output_jacobian is not None else getattr(model, "output_jacobian", None)
        self.finite_difference_step = finite_difference_step
        _reject_unknown(options)
        super().__init__(model, **options)

    def _own_problems(self) -> list[str]:
        problems = []
        step = self.finite_difference_step
        if not (_number(step) and 0 < step < 0.1):
            problems.append(f"`finite_difference_step` must be in (0, 0.1); got {step!r}.")
        model = self.model
        n_x = len(model.states)
        x, p, u = model.initial_state(), model.parameter_values, model.default_inputs()
        kernels_and_sizes = (
            ("rhs_jacobian", self.rhs_jacobian, n_x * n_x),
            ("output_jacobian", self.output_jacobian, len(model.outputs) * n_x),
        )
        for label, kernel, size in kernels_and_sizes:
            if kernel is None:
                continue
            if _jit.JIT_ENABLED and not _jit.is_compiled(kernel):
                problems.append(f"`{label}` must be a compiled kernel (decorate it with physics_twin.core.jit).")
                continue
            try:
                checked_kernel_values(kernel, label, size, 0.0, x, u, p, f"model {model.name!r}")
            except ModelStructureError as exc:
                problems.append(f"{exc} (the Jacobian, flattened row-major)")
        return problems

    def _codes(self) -> tuple[int, int]:
        bits = _compiled.RHS_JACOBIAN if self.rhs_jacobian is not None else 0
        bits |= _compiled.OUTPUT_JACOBIAN if self.output_jacobian is not None else 0
        return _compiled.EKF, bits

    def _jacobian_kernels(self) -> tuple[Any, Any]:
        return (
            self.rhs_jacobian if self.rhs_jacobian is not None else self.model.rhs,
            self.output_jacobian if self.output_jacobian is not None else self.model.output,
        )


_COMMON_OPTIONS = frozenset(
    {
        "measured",
        "relative_noise",
        "sensors",
        "sequential_updates",
        "estimate",
        "initial_state",
        "initial_std",
        "process_noise",
        "parameters",
        "integrator",
        "max_step",
        "max_substeps",
        "gate_probability",
        "gate_patience",
        "gap_threshold",
        "excitation_threshold",
        "excitation_window",
        "condition_warning",
    }
)


def _reject_unknown(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - _COMMON_OPTIONS)
    if unknown:
        raise TypeError(f"unknown keyword argument(s) {unknown}; the filters take {sorted(_COMMON_OPTIONS)}.")


FILTER_KINDS = ("sr-ukf", "ukf", "ekf", "dual-ukf")


def create_filter(kind: str, model: Model, **options: Any) -> KalmanFilter:
    """A filter by name: ``"sr-ukf"`` (square-root UKF, the default elsewhere), ``"ukf"``, ``"ekf"`` or ``"dual-ukf"``.

    ``options`` go to :class:`UnscentedKalmanFilter` or :class:`ExtendedKalmanFilter`; ``"dual-ukf"`` is the
    unscented filter with ``estimation="dual"``.
    """
    key = str(kind).lower()
    if key == "sr-ukf":
        return UnscentedKalmanFilter(model, square_root=True, **options)
    if key == "ukf":
        return UnscentedKalmanFilter(model, square_root=False, **options)
    if key == "ekf":
        return ExtendedKalmanFilter(model, **options)
    if key == "dual-ukf":
        return UnscentedKalmanFilter(model, square_root=False, estimation="dual", **options)
    raise ParameterError(f"`kind` must be one of {list(FILTER_KINDS)}; got {kind!r}.")
