r"""Remaining useful life: the time until a degradation signal crosses its failure threshold.

Two predictors start from the estimator's posterior (a mean and covariance in the filter's
transformed space, see :class:`Posterior`) or from explicit physical samples
(:class:`PosteriorSamples`), and propagate the model forward under a stated future-load scenario
(:class:`LoadScenario`) with the compiled fixed-step integrators:

:func:`predict_rul`
    Monte Carlo: ``samples`` draws of the posterior, each decoded to (state, parameters) and
    integrated until its failure condition (:class:`FailureThreshold`) is met or the prediction
    horizon ends; optional process noise during the prediction. The result is a
    :class:`RULDistribution`: time-to-failure samples with a censoring flag, quantiles, failure
    probabilities within horizons, operating and calendar clocks.
:func:`predict_rul_unscented`
    Unscented transform: the 2n+1 sigma points of the posterior propagated deterministically,
    giving the mean and standard deviation of the time to failure (:class:`UnscentedRUL`). Cheap,
    and good when the time to failure is a smooth function of a near-Gaussian posterior; not for
    tails, failure probabilities, or a posterior whose sigma points reach the horizon (censoring)
    or start past the threshold.

Clocks
------
Prediction time is *operating* time: the load scenario describes the machine while it runs, and
degradation is assumed not to progress while it stands still. Calendar time is operating time
divided by the utilisation (operating hours per calendar hour), ``0 < utilisation <= 1``.

Censoring
---------
A sample that has not failed by the prediction horizon is *censored*: its time to failure is only
known to exceed the horizon. A quantile that falls among censored samples is reported as censored
("> horizon", :attr:`RULQuantile.censored` with :attr:`RULQuantile.bound` = the horizon), never as
the horizon value or NaN. Failure probabilities are only given for horizons within the prediction
horizon.

Crossing location: linear interpolation inside the evaluation step, refined by the Illinois method
on the re-integrated step (see :mod:`physics_twin.prognostics._kernels`).

References
----------
Daigle, M. J., Goebel, K. (2013). Model-based prognostics with concurrent damage progression
processes. *IEEE Trans. Systems, Man, and Cybernetics: Systems* 43(3), 535–546.
doi:10.1109/TSMCA.2012.2207109.
Julier, S. J., Uhlmann, J. K. (2004). Unscented filtering and nonlinear estimation. *Proc. IEEE*
92(3), 401–422. doi:10.1109/JPROC.2003.823141.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import xarray as xr

from physics_twin.core.integrators import method_code
from physics_twin.core.model import Model, require_compiled
from physics_twin.errors import ParameterError, ShapeError, join_problems, unknown_name_message
from physics_twin.estimation import _kernels as estimation_kernels
from physics_twin.prognostics import _kernels as kernels

__all__ = [
    "Augmentation",
    "EndOfLifeQuantile",
    "FailureThreshold",
    "LoadScenario",
    "Posterior",
    "PosteriorSamples",
    "RULDistribution",
    "RULQuantile",
    "UnscentedRUL",
    "predict_rul",
    "predict_rul_unscented",
]

_UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_CLOCKS = ("operating", "calendar")
#: Largest block of pre-drawn process-noise numbers held at once (samples are processed in chunks).
_NOISE_BLOCK = 4_000_000


def _c(array: Any, dtype: Any = float) -> np.ndarray:
    """Writable C-contiguous copy-if-needed: the layout the compiled entry point declares."""
    result = np.ascontiguousarray(array, dtype=dtype)
    return result if result.flags.writeable else result.copy()


def _positive_finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _check_utilisation(utilisation: float) -> float:
    if not (_positive_finite(utilisation) and utilisation <= 1.0):
        raise ParameterError(f"`utilisation` must be in (0, 1] (operating hours per calendar hour); got {utilisation!r}.")
    return float(utilisation)


def _clock_factor(clock: str, utilisation: float | None) -> float:
    """Seconds of the requested clock per operating second."""
    if clock not in _CLOCKS:
        raise ParameterError(f"`clock` must be one of {list(_CLOCKS)}; got {clock!r}.")
    if clock == "operating":
        return 1.0
    if utilisation is None:
        raise ParameterError("`utilisation` is required for the calendar clock (operating hours per calendar hour, in (0, 1]).")
    return 1.0 / _check_utilisation(utilisation)


def _unit_factor(unit: str) -> float:
    if unit not in _UNIT_SECONDS:
        raise ParameterError(f"`unit` must be one of {list(_UNIT_SECONDS)}; got {unit!r}.")
    return _UNIT_SECONDS[unit]


# -- inputs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FailureThreshold:
    """The failure condition: a model output or state crossing a threshold.

    Parameters
    ----------
    signal : str
        Output or state name of the model (qualified in systems, e.g. ``"bearing.vibration_level"``).
        Outputs are searched first, then states.
    threshold : float
        Failure threshold. [signal unit]
    direction : {">=", "<="}
        Failure when the signal is at or above (``">="``) or at or below (``"<="``) the threshold.
    name : str
        The failure mode, e.g. ``"outer-race spall"`` (free text, for reports and the RUL contract).
    """

    signal: str
    threshold: float
    direction: str = ">="
    name: str = ""

    def resolve(self, model: Model) -> tuple[int, int, str]:
        """Signal kind code, index and unit in ``model``.

        Raises
        ------
        ParameterError
            Unknown signal (with the closest names), a non-finite threshold or an unknown direction.
        """
        problems = []
        if self.direction not in (">=", "<="):
            problems.append(f"`direction` must be '>=' or '<='; got {self.direction!r}.")
        if not (isinstance(self.threshold, (int, float)) and math.isfinite(self.threshold)):
            problems.append(f"`threshold` must be a finite number; got {self.threshold!r}.")
        found = None
        if self.signal in model.output_names:
            k = model.output_names.index(self.signal)
            found = (kernels.OUTPUT_SIGNAL, k, model.outputs[k].unit)
        elif self.signal in model.state_names:
            k = model.state_names.index(self.signal)
            found = (kernels.STATE_SIGNAL, k, model.states[k].unit)
        else:
            problems.append(
                unknown_name_message(
                    "output or state", self.signal, model.output_names + model.state_names, f"model {model.name!r}"
                )
            )
        if problems:
            raise ParameterError(join_problems("invalid failure threshold:", problems))
        return found  # type: ignore[return-value]

    @property
    def sign(self) -> float:
        """+1 for ``">="``, -1 for ``"<="``."""
        return 1.0 if self.direction == ">=" else -1.0


@dataclass(frozen=True)
class LoadScenario:
    """Future inputs, piecewise constant in operating time since the estimate.

    Parameters
    ----------
    inputs : mapping of str to float or sequence of float
        Input name -> one value (held throughout) or one value per segment. Inputs not named keep
        the model's declared defaults. [SI]
    start_times : sequence of float
        Start of each segment in operating time since the estimate; the first is 0, strictly
        increasing; the last segment is held to the prediction horizon. [s]
    description : str
        One line stating the assumption ("nominal load, 2000 rpm, 26.7 kN"), for reports and the
        RUL contract.
    """

    inputs: Mapping[str, float | Sequence[float]] = field(default_factory=dict)
    start_times: Sequence[float] = (0.0,)
    description: str = ""

    @classmethod
    def constant(cls, inputs: Mapping[str, float] | None = None, description: str = "") -> LoadScenario:
        """Constant inputs from the estimate on. [SI]"""
        return cls(dict(inputs or {}), (0.0,), description)

    def resolve(self, model: Model) -> tuple[np.ndarray, np.ndarray]:
        """Segment start times (s,) [s] and the full input vector of each segment (s, n_inputs) [SI].

        Raises
        ------
        ParameterError
            Listing every problem: unknown inputs, non-finite values, bad start times, wrong lengths.
        """
        problems: list[str] = []
        starts = np.asarray(self.start_times, dtype=float)
        if (
            starts.ndim != 1
            or starts.size == 0
            or not np.all(np.isfinite(starts))
            or starts[0] != 0.0
            or np.any(np.diff(starts) <= 0)
        ):
            problems.append(
                f"`start_times` must be finite, strictly increasing and start at 0 [s]; got {np.atleast_1d(starts).tolist()}."
            )
            starts = np.zeros(1)
        values = np.tile(model.default_inputs(), (starts.size, 1))
        names = model.input_names
        for name, spec in self.inputs.items():
            if name not in names:
                problems.append(unknown_name_message("input", name, names, f"model {model.name!r}"))
                continue
            try:
                column = np.asarray(spec, dtype=float)
            except (TypeError, ValueError):
                problems.append(f"input `{name}` must be a number or a sequence of numbers [SI]; got {spec!r}.")
                continue
            if column.ndim == 0:
                column = np.full(starts.size, float(column))
            if column.shape != (starts.size,):
                problems.append(
                    f"input `{name}` must be one value or {starts.size} values (one per segment); got shape {column.shape}."
                )
                continue
            if not np.all(np.isfinite(column)):
                problems.append(f"input `{name}` must be finite; got {column.tolist()}.")
                continue
            values[:, names.index(name)] = column
        if problems:
            raise ParameterError(join_problems(f"invalid load scenario for model {model.name!r}:", problems))
        return starts, values

    def to_dict(self, model: Model) -> dict[str, Any]:
        """JSON-ready description with every input resolved (defaults included) and its unit."""
        starts, values = self.resolve(model)
        return {
            "description": self.description,
            "clock": "operating",
            "segments": [
                {
                    "start_operating_hours": float(start / 3600.0),
                    "inputs": {d.name: {"value": float(values[s, j]), "unit": d.unit} for j, d in enumerate(model.inputs)},
                }
                for s, start in enumerate(starts)
            ],
        }


@dataclass(frozen=True)
class Augmentation:
    """How an augmented vector (states, then estimated parameters, each in its transformed space) maps to physics.

    Mirrors the layout of :class:`~physics_twin.estimation.UnscentedKalmanFilter`: codes 0 identity,
    1 log, 2 logit between ``lower`` and ``upper``.

    Attributes
    ----------
    names : tuple of str
        Names of the augmented coordinates.
    n_states : int
        Number of model states (the first coordinates).
    parameter_values : numpy.ndarray
        Full parameter vector; estimated entries are overwritten by the decoded values. [SI]
    parameter_index : numpy.ndarray of int
        Index in the parameter vector of each estimated parameter.
    transforms, lower, upper : numpy.ndarray
        Transform code and bounds of every augmented coordinate.
    """

    names: tuple[str, ...]
    n_states: int
    parameter_values: np.ndarray
    parameter_index: np.ndarray
    transforms: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def from_filter(cls, estimator: Any) -> Augmentation:
        """The augmentation of an :class:`~physics_twin.estimation.UnscentedKalmanFilter`."""
        try:
            return cls(
                names=tuple(estimator.names),
                n_states=len(estimator.model.states),
                parameter_values=_c(estimator.parameter_values),
                parameter_index=_c(estimator._parameter_index, np.int64),
                transforms=_c(estimator._transforms, np.int64),
                lower=_c(estimator._lower),
                upper=_c(estimator._upper),
            )
        except AttributeError as exc:
            raise ParameterError(
                f"`estimator` must be an UnscentedKalmanFilter (with an augmented layout); got {type(estimator).__name__}: {exc}."
            ) from exc

    def decode(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Physical states (n, n_states) and parameter vectors (n, n_p) of augmented rows (n, nz). [SI]"""
        z = _c(np.atleast_2d(z))
        if z.shape[1] != len(self.names):
            raise ShapeError(f"`z` must have {len(self.names)} columns ({list(self.names)}); got shape {z.shape}.")
        return kernels.decode_all(
            z, self.n_states, self.parameter_values, self.parameter_index, self.transforms, self.lower, self.upper
        )


@dataclass(frozen=True)
class PosteriorSamples:
    """Explicit physical samples to propagate.

    Attributes
    ----------
    states : numpy.ndarray, shape (n, n_states)
        Initial states. [SI]
    parameters : numpy.ndarray, shape (n, n_parameters)
        Full parameter vectors. [SI]
    time : float
        Model time at the estimate (passed to the kernels as ``t``). [s]
    """

    states: np.ndarray
    parameters: np.ndarray
    time: float = 0.0

    def checked(self, model: Model) -> tuple[np.ndarray, np.ndarray]:
        states = np.asarray(self.states, dtype=float)
        parameters = np.asarray(self.parameters, dtype=float)
        n_x, n_p = len(model.states), len(model.parameters)
        problems = []
        if states.ndim != 2 or states.shape[1] != n_x or states.shape[0] == 0:
            problems.append(f"`states` must have shape (n, {n_x}) with n >= 1; got {states.shape}.")
        if parameters.ndim != 2 or parameters.shape[1] != n_p or (states.ndim == 2 and parameters.shape[0] != states.shape[0]):
            problems.append(
                f"`parameters` must have shape ({states.shape[0] if states.ndim == 2 else 'n'}, {n_p}); got {parameters.shape}."
            )
        if problems:
            raise ShapeError(join_problems(f"invalid samples for model {model.name!r}:", problems))
        if not (np.all(np.isfinite(states)) and np.all(np.isfinite(parameters))):
            raise ParameterError("`states` and `parameters` must be finite.")
        return _c(states), _c(parameters)


@dataclass(frozen=True)
class Posterior:
    """A Gaussian posterior in the filter's transformed space.

    Attributes
    ----------
    mean : numpy.ndarray, shape (nz,)
        Augmented mean (transformed space).
    covariance : numpy.ndarray, shape (nz, nz)
        Augmented covariance (transformed space), symmetric positive semi-definite.
    augmentation : Augmentation
        The map from the transformed space to physical states and parameters.
    time : float
        Model time of the posterior. [s]
    """

    mean: np.ndarray
    covariance: np.ndarray
    augmentation: Augmentation
    time: float = 0.0

    @classmethod
    def from_filter(cls, estimator: Any, state: Any) -> Posterior:
        """The posterior held in a :class:`~physics_twin.estimation.FilterState` of ``estimator``."""
        augmentation = Augmentation.from_filter(estimator)
        if tuple(state.names) != augmentation.names:
            raise ParameterError(f"`state` belongs to a filter over {list(state.names)}, not {list(augmentation.names)}.")
        return cls(np.asarray(state.mean, float), np.asarray(state.covariance, float), augmentation, float(state.time))

    def square_root(self) -> tuple[np.ndarray, np.ndarray]:
        """Checked mean and a factor ``L`` with ``L @ L.T == covariance`` (eigen-decomposition, so singular is fine)."""
        mean = np.asarray(self.mean, dtype=float)
        cov = np.asarray(self.covariance, dtype=float)
        nz = len(self.augmentation.names)
        if mean.shape != (nz,) or cov.shape != (nz, nz):
            raise ShapeError(
                f"`mean` must have shape ({nz},) and `covariance` ({nz}, {nz}) for {list(self.augmentation.names)}; "
                f"got {mean.shape} and {cov.shape}."
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
            raise ParameterError("`mean` and `covariance` must be finite.")
        scale = max(float(np.max(np.abs(cov))), 1e-300)
        if not np.allclose(cov, cov.T, rtol=0.0, atol=1e-9 * scale):
            raise ParameterError("`covariance` must be symmetric.")
        values, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
        if np.min(values) < -1e-9 * scale:
            raise ParameterError(f"`covariance` must be positive semi-definite; smallest eigenvalue {np.min(values):.3g}.")
        return mean, vectors * np.sqrt(np.clip(values, 0.0, None))

    def sample(self, count: int, rng: np.random.Generator) -> PosteriorSamples:
        """``count`` physical samples drawn with ``rng`` (Gaussian in the transformed space, then decoded)."""
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 1:
            raise ParameterError(f"`samples` must be an integer >= 1; got {count!r}.")
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(
                f"`rng` must be a seeded numpy.random.Generator (numpy.random.default_rng(seed)); got {type(rng).__name__}."
            )
        mean, factor = self.square_root()
        z = mean + rng.standard_normal((int(count), mean.size)) @ factor.T
        states, parameters = self.augmentation.decode(z)
        return PosteriorSamples(states, parameters, self.time)


# -- results -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RULQuantile:
    """One quantile of the remaining useful life.

    Attributes
    ----------
    probability : float
        Quantile level in (0, 1).
    value : float or None
        The quantile; None when censored. [unit]
    bound : float
        Equal to ``value``, or when censored the prediction horizon: the quantile exceeds it. [unit]
    censored : bool
        True when the quantile lies beyond the prediction horizon.
    unit : str
        ``"s"``, ``"min"``, ``"h"`` or ``"d"``.
    clock : str
        ``"operating"`` or ``"calendar"``.
    """

    probability: float
    value: float | None
    bound: float
    censored: bool
    unit: str = "s"
    clock: str = "operating"

    def __str__(self) -> str:
        text = f"> {self.bound:.6g}" if self.censored else f"{self.value:.6g}"
        return f"p{100 * self.probability:g}: {text} {self.unit} ({self.clock})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``value`` when known, ``greater_than`` when censored (never NaN)."""
        if self.censored:
            return {"probability": self.probability, "censored": True, "greater_than": self.bound}
        return {"probability": self.probability, "censored": False, "value": self.value}


@dataclass(frozen=True)
class EndOfLifeQuantile:
    """A quantile of the predicted end-of-life instant (UTC).

    Attributes
    ----------
    probability : float
        Quantile level in (0, 1).
    time : datetime or None
        Predicted end of life; None when censored.
    after : datetime
        Equal to ``time``, or when censored the end of the prediction horizon in calendar time.
    censored : bool
        True when the quantile lies beyond the prediction horizon.
    """

    probability: float
    time: datetime | None
    after: datetime
    censored: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form with ISO 8601 UTC times (``...Z``)."""
        if self.censored:
            return {"probability": self.probability, "censored": True, "after": _iso(self.after)}
        return {"probability": self.probability, "censored": False, "time": _iso(self.time)}  # type: ignore[arg-type]


class DivergenceWarning(UserWarning):
    """Monte Carlo samples whose state stopped being finite before crossing the failure threshold."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _aware_utc(moment: datetime, argument: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ParameterError(
            f"`{argument}` must be a timezone-aware datetime (e.g. datetime(..., tzinfo=timezone.utc)); got {moment!r}."
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class RULDistribution:
    """Monte-Carlo distribution of the remaining useful life (operating time).

    Attributes
    ----------
    time_to_failure : numpy.ndarray, shape (n,)
        Operating time from the estimate to the threshold crossing; the horizon where censored,
        0 where the sample was already past the threshold. [s]
    censored : numpy.ndarray of bool, shape (n,)
        True where the sample did not fail within the horizon.
    failed_at_start : numpy.ndarray of bool, shape (n,)
        True where the sample was already past the threshold at the estimate.
    diverged : numpy.ndarray of bool, shape (n,)
        True where the state became non-finite (a blow-up); counted as a failure at that time.
    initial_signal, final_signal : numpy.ndarray, shape (n,)
        Failure signal at the estimate, and at the end of the evaluation step in which it crossed
        (at the horizon where censored; NaN where the state diverged). [signal unit]
    horizon : float
        Prediction horizon in operating time. [s]
    failure : FailureThreshold
        The failure condition.
    signal_unit : str
        Unit of the failure signal.
    future_load : dict
        The resolved load scenario (JSON-ready, see :meth:`LoadScenario.to_dict`).
    method : dict
        How the distribution was made (predictor, samples, integrator, step).
    """

    time_to_failure: np.ndarray
    censored: np.ndarray
    failed_at_start: np.ndarray
    diverged: np.ndarray
    initial_signal: np.ndarray
    final_signal: np.ndarray
    horizon: float
    failure: FailureThreshold
    signal_unit: str
    future_load: dict[str, Any]
    method: dict[str, Any]

    @property
    def sample_count(self) -> int:
        """Number of samples."""
        return int(self.time_to_failure.size)

    @property
    def censored_fraction(self) -> float:
        """Fraction of samples that did not fail within the horizon."""
        return float(np.mean(self.censored))

    @property
    def fraction_failed_at_start(self) -> float:
        """Fraction of samples already past the threshold at the estimate."""
        return float(np.mean(self.failed_at_start))

    @property
    def already_failed(self) -> bool:
        """True when at least half of the samples are past the threshold at the estimate (so the median RUL is 0)."""
        return self.fraction_failed_at_start >= 0.5

    def quantile(
        self, probability: float, *, unit: str = "s", clock: str = "operating", utilisation: float | None = None
    ) -> RULQuantile:
        """One quantile (linear interpolation between order statistics, numpy's default rule).

        The quantile is censored when the interpolation touches a censored sample.

        Parameters
        ----------
        probability : float
            Level in (0, 1).
        unit : {"s", "min", "h", "d"}
            Unit of the result.
        clock : {"operating", "calendar"}
            Operating time, or calendar time (operating time / utilisation).
        utilisation : float, optional
            Operating hours per calendar hour, in (0, 1]; required for the calendar clock.
        """
        if not (isinstance(probability, (int, float)) and 0.0 < probability < 1.0):
            raise ParameterError(f"`probability` must be in (0, 1); got {probability!r}.")
        scale = _clock_factor(clock, utilisation) / _unit_factor(unit)
        ordered = np.sort(np.where(self.censored, np.inf, self.time_to_failure))
        position = (ordered.size - 1) * float(probability)
        lower = math.floor(position)
        upper = min(lower + 1, ordered.size - 1)
        weight = position - lower
        if math.isinf(ordered[lower]) or (weight > 0.0 and math.isinf(ordered[upper])):
            return RULQuantile(float(probability), None, self.horizon * scale, True, unit, clock)
        value = ordered[lower] + weight * (ordered[upper] - ordered[lower]) if weight > 0.0 else ordered[lower]
        return RULQuantile(float(probability), float(value) * scale, float(value) * scale, False, unit, clock)

    def quantiles(
        self,
        probabilities: Sequence[float] = (0.05, 0.5, 0.95),
        *,
        unit: str = "s",
        clock: str = "operating",
        utilisation: float | None = None,
    ) -> tuple[RULQuantile, ...]:
        """Several quantiles; see :meth:`quantile`."""
        return tuple(self.quantile(q, unit=unit, clock=clock, utilisation=utilisation) for q in probabilities)

    @property
    def p5(self) -> RULQuantile:
        """5 % quantile in operating seconds. [s]"""
        return self.quantile(0.05)

    @property
    def p50(self) -> RULQuantile:
        """Median in operating seconds. [s]"""
        return self.quantile(0.5)

    @property
    def p95(self) -> RULQuantile:
        """95 % quantile in operating seconds. [s]"""
        return self.quantile(0.95)

    def failure_probability(
        self, horizons: Sequence[float] | float, *, clock: str = "operating", utilisation: float | None = None
    ) -> np.ndarray | float:
        """Probability of failure within each horizon (fraction of samples failed by then).

        Parameters
        ----------
        horizons : float or sequence of float
            Time from the estimate, on ``clock``. [s]
        clock : {"operating", "calendar"}
            Clock of ``horizons``.
        utilisation : float, optional
            Operating hours per calendar hour; required for the calendar clock.

        Raises
        ------
        ParameterError
            When a horizon reaches beyond the prediction horizon (the probability is unknown there).
        """
        factor = _clock_factor(clock, utilisation)
        values = np.atleast_1d(np.asarray(horizons, dtype=float))
        operating = values / factor
        bad = [
            float(h)
            for h, o in zip(values, operating, strict=True)
            if not (math.isfinite(o) and 0 <= o <= self.horizon * (1 + 1e-12))
        ]
        if bad:
            raise ParameterError(
                f"`horizons` must lie in [0, {self.horizon * factor:.6g}] s ({clock} clock; the prediction horizon); got {bad}. "
                "Predict with a longer `horizon` to know the failure probability further out."
            )
        failed = ~self.censored
        result = np.array([np.mean(failed & (self.time_to_failure <= o)) for o in operating])
        return result if np.ndim(horizons) else float(result[0])

    def end_of_life(
        self, estimate_time: datetime, utilisation: float, probabilities: Sequence[float] = (0.05, 0.5, 0.95)
    ) -> tuple[EndOfLifeQuantile, ...]:
        """Predicted end-of-life instants (UTC): estimate time + calendar RUL quantile.

        Parameters
        ----------
        estimate_time : datetime
            Time of the estimate, timezone-aware.
        utilisation : float
            Operating hours per calendar hour, in (0, 1].
        probabilities : sequence of float
            Quantile levels.
        """
        start = _aware_utc(estimate_time, "estimate_time")
        result = []
        for q in self.quantiles(probabilities, unit="s", clock="calendar", utilisation=utilisation):
            moment = start + timedelta(seconds=q.bound)
            result.append(EndOfLifeQuantile(q.probability, None if q.censored else moment, moment, q.censored))
        return tuple(result)

    def to_dataset(self) -> xr.Dataset:
        """The samples as an xarray Dataset with dimension ``sample``."""
        unit = self.signal_unit
        data = {
            "time_to_failure": (
                "sample",
                self.time_to_failure,
                {"units": "s", "description": "operating time to the threshold crossing (horizon where censored)"},
            ),
            "censored": (
                "sample",
                self.censored.astype(np.int8),
                {"units": "1", "description": "1 where no failure within the horizon"},
            ),
            "failed_at_start": (
                "sample",
                self.failed_at_start.astype(np.int8),
                {"units": "1", "description": "1 where already past the threshold"},
            ),
            "diverged": (
                "sample",
                self.diverged.astype(np.int8),
                {"units": "1", "description": "1 where the state became non-finite"},
            ),
            "initial_signal": (
                "sample",
                self.initial_signal,
                {"units": unit, "description": f"{self.failure.signal} at the estimate"},
            ),
            "final_signal": (
                "sample",
                self.final_signal,
                {"units": unit, "description": f"{self.failure.signal} at the end of the crossing step or at the horizon"},
            ),
        }
        attrs = {
            "signal": self.failure.signal,
            "threshold": self.failure.threshold,
            "direction": self.failure.direction,
            "horizon": self.horizon,
            "horizon_units": "s",
            **{f"method_{k}": v for k, v in self.method.items()},
        }
        return xr.Dataset(data, coords={"sample": np.arange(self.sample_count)}, attrs=attrs)


# -- predictors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Setup:
    kind: int
    index: int
    unit: str
    step_ends: np.ndarray
    step_segment: np.ndarray
    segment_inputs: np.ndarray
    max_step: float
    method: int
    time_tolerance: float
    refine_iterations: int


def _step_grid(starts: np.ndarray, horizon: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Ends of the evaluation steps and their input segment.

    Inside each segment the steps end at integer multiples of ``step`` after the segment start
    (computed as products, so no rounding drifts in), the last one shortened to meet the next
    segment start or the horizon.
    """
    ends: list[np.ndarray] = []
    segments: list[np.ndarray] = []
    for s, begin in enumerate(starts):
        if begin >= horizon:
            break
        stop = min(starts[s + 1], horizon) if s + 1 < starts.size else horizon
        count = max(1, math.ceil((stop - begin) / step - 1e-9))
        grid = np.minimum(begin + step * np.arange(1, count + 1), stop)
        grid[-1] = stop
        ends.append(grid)
        segments.append(np.full(count, s, dtype=np.int64))
    return np.concatenate(ends), np.concatenate(segments)


def _setup(
    model: Model,
    failure: FailureThreshold,
    scenario: LoadScenario,
    horizon: float,
    step: float,
    max_step: float | None,
    integrator: str,
    time_tolerance: float | None,
    refine: bool,
) -> _Setup:
    problems = []
    if not _positive_finite(horizon):
        problems.append(f"`horizon` must be a finite number > 0 (operating time) [s]; got {horizon!r}.")
    if not _positive_finite(step):
        problems.append(f"`step` must be a finite number > 0 [s]; got {step!r}.")
    if max_step is not None and not _positive_finite(max_step):
        problems.append(f"`max_step` must be a finite number > 0 or None [s]; got {max_step!r}.")
    if time_tolerance is not None and not _positive_finite(time_tolerance):
        problems.append(f"`time_tolerance` must be a finite number > 0 or None [s]; got {time_tolerance!r}.")
    if problems:
        raise ParameterError(join_problems("invalid prediction settings:", problems))
    kind, index, unit = failure.resolve(model)
    starts, values = scenario.resolve(model)
    ends, segment = _step_grid(starts, float(horizon), float(step))
    return _Setup(
        kind,
        index,
        unit,
        _c(ends),
        _c(segment, np.int64),
        _c(values),
        float(max_step if max_step is not None else step),
        method_code(integrator),
        float(time_tolerance if time_tolerance is not None else 1e-6 * step),
        60 if refine else 0,
    )


def _noise_scale(model: Model, process_noise: Mapping[str, float] | None) -> np.ndarray:
    scale = np.zeros(len(model.states))
    problems = []
    for name, value in (process_noise or {}).items():
        if name not in model.state_names:
            problems.append(unknown_name_message("state in `process_noise`", name, model.state_names, f"model {model.name!r}"))
        elif not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0):
            problems.append(f"`process_noise` of {name!r} must be finite and >= 0; got {value!r}.")
        else:
            scale[model.state_names.index(name)] = float(value)
    if problems:
        raise ParameterError(join_problems("invalid process noise:", problems))
    return scale


def _run(
    model: Model,
    setup: _Setup,
    failure: FailureThreshold,
    states: np.ndarray,
    parameters: np.ndarray,
    time: float,
    noise_scale: np.ndarray,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, ...]:
    model.check_kernels()
    for label in ("rhs", "output"):
        require_compiled(getattr(model, label), label, f"model {model.name!r}", "the RUL predictor")
    transforms = _c([estimation_kernels.LOG if s.nonnegative else estimation_kernels.IDENTITY for s in model.states], np.int64)
    n, n_x, n_steps = states.shape[0], states.shape[1], setup.step_ends.size
    use_noise = bool(np.any(noise_scale > 0))
    chunk = max(1, _NOISE_BLOCK // max(1, n_steps * n_x)) if use_noise else n
    outputs = []
    for begin in range(0, n, chunk):
        stop = min(n, begin + chunk)
        noise = _c(rng.standard_normal((stop - begin, n_steps, n_x))) if use_noise else np.zeros((0, 0, 0))  # type: ignore[union-attr]
        outputs.append(
            kernels.time_to_failure(
                model.rhs,
                model.output,
                _c(states[begin:stop]),
                _c(parameters[begin:stop]),
                setup.step_ends,
                setup.step_segment,
                setup.segment_inputs,
                float(time),
                setup.max_step,
                setup.method,
                setup.kind,
                setup.index,
                len(model.outputs),
                float(failure.threshold),
                failure.sign,
                noise,
                _c(noise_scale),
                transforms,
                setup.refine_iterations,
                setup.time_tolerance,
            )
        )
    times, status, initial, final = (np.concatenate(parts) for parts in zip(*outputs, strict=True))
    invalid = np.flatnonzero(status == kernels.INVALID_START)
    if invalid.size:
        raise ParameterError(
            f"{invalid.size} sample(s) have a non-finite state or failure signal at the estimate "
            f"(first: sample {int(invalid[0])}); "
            "check the posterior and the parameter values."
        )
    return times, status, initial, final


def predict_rul(
    model: Model,
    posterior: Posterior | PosteriorSamples,
    failure: FailureThreshold,
    scenario: LoadScenario,
    *,
    horizon: float,
    rng: np.random.Generator | None = None,
    samples: int = 2000,
    step: float = 3600.0,
    max_step: float | None = None,
    integrator: str = "RK4",
    process_noise: Mapping[str, float] | None = None,
    refine: bool = True,
    time_tolerance: float | None = None,
) -> RULDistribution:
    """Monte-Carlo remaining useful life under a future-load scenario.

    Parameters
    ----------
    model : Model
        The compiled model (``system.model()``).
    posterior : Posterior or PosteriorSamples
        A Gaussian posterior in the filter's transformed space (``samples`` draws are taken with
        ``rng``), or explicit physical samples (used as given).
    failure : FailureThreshold
        Failure condition on an output or state.
    scenario : LoadScenario
        Future inputs in operating time.
    horizon : float
        Prediction horizon in operating time; samples not failed by then are censored. [s]
    rng : numpy.random.Generator
        Seeded generator for the posterior draws and the process noise (required for either).
    samples : int
        Number of draws from a :class:`Posterior`.
    step : float
        Evaluation step of the failure condition: the condition is checked at multiples of ``step``
        after each segment start, with the last step of a segment shortened to meet the next
        segment start or the horizon. [s]
    max_step : float, optional
        Longest integration sub-step; default ``step``. [s]
    integrator : {"RK4", "ROS2"}
        Fixed-step method (ROS2 for stiff models).
    process_noise : mapping of str to float, optional
        State name -> random-walk intensity during the prediction, in the state's transformed
        space: for a non-negative (log-carried) state the standard deviation of the change of
        ln(x) over one second [1/√s], else of x [state unit/√s]. Added at each step end.
    refine : bool
        Refine the crossing time inside the step (Illinois method) beyond linear interpolation.
    time_tolerance : float, optional
        Bracket width at which the refinement stops; default ``1e-6 * step``. [s]

    Returns
    -------
    RULDistribution

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from physics_twin.components.bearing_degradation import BearingDegradation
    >>> model = BearingDegradation(baseline_vibration=0.1, growth_rate=1e-5).model()
    >>> samples = PosteriorSamples(np.array([[0.01]]), model.parameter_values[None, :])
    >>> failure = FailureThreshold("vibration_level", 0.3)
    >>> rul = predict_rul(model, samples, failure, LoadScenario.constant(), horizon=3e6)
    >>> round(rul.p50.value / (math.log(2.0 / 0.01) / 1e-5), 6)  # closed form ln(D_th / D0) / c
    1.0
    """
    setup = _setup(model, failure, scenario, horizon, step, max_step, integrator, time_tolerance, refine)
    noise_scale = _noise_scale(model, process_noise)
    needs_rng = isinstance(posterior, Posterior) or bool(np.any(noise_scale > 0))
    if needs_rng and not isinstance(rng, np.random.Generator):
        raise ParameterError(
            f"`rng` must be a seeded numpy.random.Generator (numpy.random.default_rng(seed)); got {type(rng).__name__}."
        )
    if isinstance(posterior, Posterior):
        drawn = posterior.sample(samples, rng)  # type: ignore[arg-type]
    elif isinstance(posterior, PosteriorSamples):
        drawn = posterior
    else:
        raise ParameterError(f"`posterior` must be a Posterior or PosteriorSamples; got {type(posterior).__name__}.")
    states, parameters = drawn.checked(model)
    times, status, initial, final = _run(model, setup, failure, states, parameters, drawn.time, noise_scale, rng)
    diverged = int(np.sum(status == kernels.DIVERGED))
    if diverged:
        earliest = float(np.min(times[status == kernels.DIVERGED]))
        warnings.warn(
            f"{diverged} of {status.size} samples diverged (the state stopped being finite, first after {earliest:.6g} s); "
            "they count as failed at that time. A finite-time blow-up of a growth law can be meant; otherwise check the "
            "model (a NaN or infinite derivative) or shorten `max_step`. The result flags them (`diverged`).",
            DivergenceWarning,
            stacklevel=2,
        )
    return RULDistribution(
        time_to_failure=times,
        censored=status == kernels.CENSORED,
        failed_at_start=status == kernels.FAILED_AT_START,
        diverged=status == kernels.DIVERGED,
        initial_signal=initial,
        final_signal=final,
        horizon=float(setup.step_ends[-1]),
        failure=failure,
        signal_unit=setup.unit,
        future_load=scenario.to_dict(model),
        method={
            "predictor": "monte_carlo",
            "samples": int(states.shape[0]),
            "integrator": str(integrator).upper(),
            "step_s": float(step),
            "max_step_s": setup.max_step,
            "crossing": "illinois" if refine and not np.any(noise_scale > 0) else "linear",
            "process_noise": bool(np.any(noise_scale > 0)),
        },
    )


@dataclass(frozen=True)
class UnscentedRUL:
    """Time to failure by the unscented transform.

    Attributes
    ----------
    mean, std : float
        Mean and standard deviation of the time to failure (operating). [s]
    median : float
        exp(mean of ln T) in log space; equal to ``mean`` in linear space. [s]
    space : str
        ``"log"``: moments of ln T (T log-normal); ``"linear"``: moments of T.
    sigma_times : numpy.ndarray, shape (2 nz + 1,)
        Time to failure of each sigma point (horizon where censored). [s]
    weights_mean, weights_covariance : numpy.ndarray
        Sigma-point weights.
    censored_points, failed_points : int
        Sigma points not failed within the horizon / already past the threshold.
    reliable : bool
        False when any sigma point was censored or already failed: the moments are then biased
        (censored points count at the horizon); use :func:`predict_rul` instead.
    """

    mean: float
    std: float
    median: float
    space: str
    log_mean: float
    log_std: float
    sigma_times: np.ndarray
    weights_mean: np.ndarray
    weights_covariance: np.ndarray
    censored_points: int
    failed_points: int
    reliable: bool

    def quantile(self, probability: float) -> float:
        """Quantile under the assumed shape: log-normal (log space) or normal (linear space). [s]"""
        from scipy.stats import norm

        if not (isinstance(probability, (int, float)) and 0.0 < probability < 1.0):
            raise ParameterError(f"`probability` must be in (0, 1); got {probability!r}.")
        z = float(norm.ppf(probability))
        if self.space == "log":
            return float(math.exp(self.log_mean + z * self.log_std))
        return self.mean + z * self.std


def predict_rul_unscented(
    model: Model,
    posterior: Posterior,
    failure: FailureThreshold,
    scenario: LoadScenario,
    *,
    horizon: float,
    step: float = 3600.0,
    max_step: float | None = None,
    integrator: str = "RK4",
    space: str = "log",
    alpha: float = 1.0,
    beta: float = 2.0,
    kappa: float = 0.0,
) -> UnscentedRUL:
    """Mean and spread of the time to failure from the 2n+1 sigma points of the posterior.

    Each sigma point (Merwe scaled, as in the filter) is decoded and propagated deterministically
    to its crossing. In ``space="log"`` the weighted moments are those of ln T, and T is taken as
    log-normal (mean ``exp(m + s²/2)``); this is exact when ln T is linear in the transformed
    coordinates, as for exponential damage growth with a log-normal rate. In ``space="linear"``
    they are the moments of T.

    When to use: a posterior close to Gaussian in the transformed space, a failure time that is a
    smooth function of it, and a need for mean/spread only. Not with censoring (sigma points
    beyond the horizon), samples already past the threshold, or for tail quantiles and failure
    probabilities: use :func:`predict_rul`.

    Parameters are as for :func:`predict_rul`; ``alpha``, ``beta``, ``kappa`` are the sigma-point
    parameters and ``space`` is ``"log"`` or ``"linear"``.
    """
    if space not in ("log", "linear"):
        raise ParameterError(f"`space` must be 'log' or 'linear'; got {space!r}.")
    if not isinstance(posterior, Posterior):
        raise ParameterError(f"`posterior` must be a Posterior (mean and covariance); got {type(posterior).__name__}.")
    setup = _setup(model, failure, scenario, horizon, step, max_step, integrator, None, True)
    mean, factor = posterior.square_root()
    nz = mean.size
    wm, wc, spread = estimation_kernels.sigma_weights(nz, float(alpha), float(beta), float(kappa))
    points = np.tile(mean, (2 * nz + 1, 1))
    points[1 : nz + 1] += spread * factor.T
    points[nz + 1 :] -= spread * factor.T
    states, parameters = posterior.augmentation.decode(points)
    times, status, _, _ = _run(
        model, setup, failure, _c(states), _c(parameters), posterior.time, np.zeros(len(model.states)), None
    )
    censored = int(np.sum(status == kernels.CENSORED))
    failed = int(np.sum(status == kernels.FAILED_AT_START))
    used = "linear" if (space == "log" and np.any(times <= 0.0)) else space
    values = np.log(times) if used == "log" else times
    m = float(wm @ values)
    s = float(math.sqrt(max(float(wc @ (values - m) ** 2), 0.0)))
    if used == "log":
        mean_t, std_t, median = math.exp(m + 0.5 * s * s), math.exp(m + 0.5 * s * s) * math.sqrt(math.expm1(s * s)), math.exp(m)
        log_mean, log_std = m, s
    else:
        mean_t, std_t, median = m, s, m
        log_mean, log_std = math.nan, math.nan
    return UnscentedRUL(
        mean_t, std_t, median, used, log_mean, log_std, times, wm, wc, censored, failed, censored == 0 and failed == 0
    )
