"""Offline simulation with scipy's adaptive solvers.

Integration is split at every known input discontinuity (the breakpoints of input tables and any
``breakpoints`` given), so a step change or a short pulse is never stepped over. Stiff methods
(``"BDF"``, ``"Radau"``, ``"LSODA"``) are available; events stop or mark the run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from physics_twin.core.model import Model
from physics_twin.core.results import model_dataset
from physics_twin.errors import ParameterError, ShapeError, SimulationError, closest_names, join_problems, unknown_name_message

__all__ = ["Event", "InputTable", "simulate"]


@dataclass(frozen=True)
class InputTable:
    """A tabulated input signal.

    Parameters
    ----------
    times : array_like, shape (n,)
        Strictly increasing sample times. [s]
    values : array_like, shape (n,)
        Values in the input's SI unit.
    interpolation : {"previous", "linear"}
        ``"previous"`` holds each value until the next time (zero-order hold; every time is a
        discontinuity); ``"linear"`` interpolates (kinks at every time). Outside the table the
        first/last value is held.
    """

    times: np.ndarray
    values: np.ndarray
    interpolation: str = "previous"

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=float)
        values = np.asarray(self.values, dtype=float)
        if times.ndim != 1 or values.shape != times.shape or times.size == 0:
            raise ShapeError(f"`times` and `values` must be 1-D of equal, non-zero length; got {times.shape} and {values.shape}.")
        if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
            raise ParameterError("`times` must be finite and strictly increasing.")
        if not np.all(np.isfinite(values)):
            bad = ~np.isfinite(values)
            raise ParameterError(
                f"`values` must be finite; got {float(values[bad][0])!r} at {int(bad.sum())} time(s), "
                f"first at t = {times[bad][0]:g} s."
            )
        if self.interpolation not in ("previous", "linear"):
            raise ParameterError(f"`interpolation` must be 'previous' or 'linear'; got {self.interpolation!r}.")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    def value_on_segment(self, t: float, segment_start: float) -> float:
        """Value at ``t`` inside the integration segment that starts at ``segment_start``."""
        if self.interpolation == "linear":
            return float(np.interp(t, self.times, self.values))
        index = int(np.searchsorted(self.times, segment_start, side="right")) - 1
        return float(self.values[max(index, 0)])


@dataclass(frozen=True)
class Event:
    """A zero crossing of ``function(t, x, u, p)``.

    Parameters
    ----------
    name : str
        Label in the result.
    function : callable
        ``g(t, x, u, p) -> float``; the event happens where g crosses zero.
    terminal : bool
        Stop the simulation at the first occurrence.
    direction : float
        Only crossings with this sign of slope (0 for both).
    """

    name: str
    function: Callable[[float, np.ndarray, np.ndarray, np.ndarray], float]
    terminal: bool = False
    direction: float = 0.0


def _input_function(model: Model, inputs: Any) -> tuple[Callable[[float, float], np.ndarray], list[float]]:
    """Build ``u(t, segment_start)`` and the list of breakpoints from the user's ``inputs``."""
    defaults = model.default_inputs()
    if inputs is None:
        return (lambda t, s: defaults), []
    if callable(inputs):

        def call(t: float, s: float) -> np.ndarray:
            return model.check_vector(inputs(t), "input", "inputs(t)")

        return call, []
    if not isinstance(inputs, Mapping):
        raise ParameterError(
            "`inputs` must be None, a callable u(t) or a mapping of input name to value or InputTable; got "
            f"{type(inputs).__name__}."
        )
    names = model.input_names
    unknown = [unknown_name_message("input", n, names, f"model {model.name!r}") for n in inputs if n not in names]
    if unknown:
        raise ParameterError("; ".join(unknown))
    constant = defaults.copy()
    tables: list[tuple[int, InputTable]] = []
    breakpoints: list[float] = []
    for name, spec in inputs.items():
        index = names.index(name)
        if isinstance(spec, InputTable):
            tables.append((index, spec))
            breakpoints.extend(spec.times.tolist())
        else:
            try:
                value = float(spec)
            except (TypeError, ValueError):
                raise ParameterError(f"input `{name}` must be a number or an InputTable; got {spec!r}.") from None
            if not math.isfinite(value):
                raise ParameterError(f"input `{name}` must be finite; got {value!r}.")
            constant[index] = value

    def table_inputs(t: float, segment_start: float) -> np.ndarray:
        u = constant.copy()
        for index, table in tables:
            u[index] = table.value_on_segment(t, segment_start)
        return u

    return table_inputs, breakpoints


def _non_finite_message(model: Model, t: float, state: np.ndarray, derivative: np.ndarray) -> str:
    bad = [name for name, value in zip(model.state_names, derivative, strict=True) if not math.isfinite(value)]
    states = ", ".join(f"{name} = {value:.6g}" for name, value in zip(model.state_names, state, strict=True))
    return (
        f"the derivative of {', '.join(bad)} in model {model.name!r} is not finite at t = {t:.6g} s (states: {states}). "
        "Check the parameters (a zero that divides), the inputs and the initial state."
    )


def simulate(
    model: Model,
    t_eval: Sequence[float] | np.ndarray,
    *,
    x0: Mapping[str, float] | np.ndarray | None = None,
    inputs: Any = None,
    parameters: Mapping[str, float] | None = None,
    method: str = "LSODA",
    rtol: float = 1e-6,
    atol: float | np.ndarray = 1e-9,
    max_step: float = math.inf,
    events: Sequence[Event] = (),
    breakpoints: Sequence[float] = (),
) -> xr.Dataset:
    """Integrate ``model`` over ``[t_eval[0], t_eval[-1]]`` and sample it at ``t_eval``.

    Parameters
    ----------
    model : Model
        A flat model (``component.model()`` or ``system.model()``).
    t_eval : array_like
        Strictly increasing output times. [s]
    x0 : mapping or array, optional
        Initial state by name (others from the declared start values) or as a full vector. [SI]
    inputs : None, mapping or callable, optional
        Constant values or :class:`InputTable` per input name, or ``u(t) -> vector``.
    parameters : mapping, optional
        Parameter overrides by name. [SI]
    method : str
        A ``scipy.integrate.solve_ivp`` method; ``"LSODA"``, ``"BDF"`` and ``"Radau"`` handle stiffness.
    rtol, atol : float
        Solver tolerances.
    max_step : float
        Largest solver step. [s]
    events : sequence of Event
        Zero crossings to locate; a terminal event ends the trajectory at the event time.
    breakpoints : sequence of float
        Extra times where the inputs are discontinuous. [s]

    Returns
    -------
    xarray.Dataset
        States, inputs and outputs over ``time`` (the requested points up to a terminal event, plus
        the event point), units in attrs; event times in ``event_time`` (dimension ``event``).

    Raises
    ------
    SimulationError
        When the solver fails; the message has the time reached and the solver's reason.
    """
    times = np.asarray(t_eval, dtype=float)
    if times.ndim != 1 or times.size < 2 or not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ParameterError("`t_eval` must be a 1-D, finite, strictly increasing array of at least 2 times [s].")
    _check_solver_options(method, rtol, atol, max_step, breakpoints)
    model.check_kernels()
    p = model.parameter_vector(parameters)
    if x0 is None or isinstance(x0, Mapping):
        x = model.initial_state(x0)
    else:
        x = model.check_vector(x0, "state", "x0")
    input_at, table_breaks = _input_function(model, inputs)
    t0, t_end = float(times[0]), float(times[-1])
    cuts = sorted({b for b in [*table_breaks, *breakpoints] if t0 < b < t_end})
    edges = [t0, *cuts, t_end]

    out_t: list[float] = []
    out_x: list[np.ndarray] = []
    out_u: list[np.ndarray] = []
    event_times: list[float] = []
    event_names: list[str] = []
    last_sign = [0.0] * len(events)  # sign of each event function at its last sample, carried across segments
    last_zero: list[float | None] = [None] * len(events)  # time of an exact zero not yet followed by a sign
    stopped = False
    n_states = len(model.states)
    if events and n_states == 0:
        raise ParameterError(
            f"`events` need a model with states (the solver locates them); model {model.name!r} has none, so they would "
            "never be checked."
        )
    for start, stop in itertools.pairwise(edges):
        last = stop == t_end
        grid = times[(times >= start) & ((times < stop) | (last & (times <= stop)))]
        if n_states == 0:
            for t in grid:
                out_t.append(float(t))
                out_x.append(x.copy())
                out_u.append(input_at(float(t), start))
            continue

        # The solver sees the inputs of the open interval (start, stop): a callable's value at a breakpoint (which
        # belongs to one side only) never leaks into the other segment. Recorded inputs are the values at the times.
        inside = (math.nextafter(start, stop), math.nextafter(stop, start))

        def u_at(t: float, s: float = start, bounds: tuple[float, float] = inside) -> np.ndarray:
            return input_at(min(max(t, bounds[0]), bounds[1]), s)

        def f(t: float, state: np.ndarray, u_of: Callable[[float], np.ndarray] = u_at) -> np.ndarray:
            derivative = model.derivative(t, state, u_of(t), p)
            if not np.all(np.isfinite(derivative)):
                # LSODA loops forever on an infinite derivative and returns NaN "successfully" on a NaN one.
                raise SimulationError(_non_finite_message(model, t, state, derivative))
            return derivative

        # the segment's end is always evaluated: it is the next segment's initial state
        solver_grid = grid if grid.size and grid[-1] == stop else np.append(grid, stop)
        solution = solve_ivp(
            f,
            (start, stop),
            x,
            method=method,
            t_eval=solver_grid,
            rtol=rtol,
            atol=atol,
            max_step=max_step,
            dense_output=bool(events),
        )
        if solution.status == -1:
            reached = solution.t[-1] if solution.t.size else start
            raise SimulationError(f"solver {method} failed at t = {reached:.6g} s in model {model.name!r}: {solution.message}")
        hits = _locate_events(events, solution.sol, start, stop, u_at, p, last_sign, last_zero) if events else []
        terminal = next((hit for hit in hits if events[hit[1]].terminal), None)
        end = terminal[0] if terminal is not None else math.inf
        for t, state in zip(solution.t, solution.y.T, strict=True):
            if t in grid and t <= end:
                out_t.append(float(t))
                out_x.append(state)
                out_u.append(input_at(float(t), start))
        for t_hit, index in hits:
            if t_hit > end:
                break
            event_times.append(t_hit)
            event_names.append(events[index].name)
        if terminal is not None:
            if not (out_t and out_t[-1] == end):
                out_t.append(end)
                out_x.append(solution.sol(end))
                out_u.append(input_at(end, start))
            stopped = True
            break
        x = solution.y[:, -1].copy()
    order = np.argsort(out_t, kind="stable")
    t_arr = np.asarray(out_t)[order]
    x_arr = np.asarray(out_x).reshape(len(out_t), n_states)[order]
    u_arr = np.asarray(out_u).reshape(len(out_t), len(model.inputs))[order]
    y_arr = np.array([model.output_values(t, xs, us, p) for t, xs, us in zip(t_arr, x_arr, u_arr, strict=True)]).reshape(
        len(t_arr), len(model.outputs)
    )
    dataset = model_dataset(
        model, t_arr, x_arr, u_arr, y_arr, parameters=p, attrs={"solver": method, "terminated_by_event": int(stopped)}
    )
    dataset["event_time"] = xr.DataArray(
        np.asarray(event_times, float), dims="event", attrs={"units": "s", "description": "time of each located event"}
    )
    dataset = dataset.assign_coords(event=("event", np.asarray(event_names, dtype=str)))  # str even when empty
    return dataset


_SOLVERS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


def _check_solver_options(method: str, rtol: float, atol: Any, max_step: float, breakpoints: Sequence[float]) -> None:
    """Every problem of the solver options at once, before scipy sees them (it would raise or clamp silently)."""
    problems = []
    if method not in _SOLVERS:
        close = closest_names(str(method), _SOLVERS)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        problems.append(f"`method` must be one of {list(_SOLVERS)}; got {method!r}.{hint}")
    if not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol > 0):
        problems.append(f"`rtol` must be a finite number > 0; got {rtol!r}.")
    try:
        atol_values = np.asarray(atol, dtype=float)
    except (TypeError, ValueError):
        atol_values = np.array(np.nan)
    if not (np.all(np.isfinite(atol_values)) and np.all(atol_values > 0)):
        problems.append(f"`atol` must be > 0 and finite (a number or one per state); got {atol!r}.")
    if not (isinstance(max_step, (int, float)) and max_step > 0) or math.isnan(max_step):
        problems.append(f"`max_step` must be > 0 [s] (inf: no limit); got {max_step!r}.")
    try:
        finite_breakpoints = bool(np.all(np.isfinite(np.asarray(list(breakpoints), dtype=float))))
    except (TypeError, ValueError):
        finite_breakpoints = False
    if not finite_breakpoints:
        problems.append(f"`breakpoints` must be finite times [s]; got {list(breakpoints)!r}.")
    if problems:
        raise ParameterError(join_problems("invalid solver options for simulate():", problems))


#: Samples of each event function per solver step on the dense output. scipy checks only step ends, so a
#: function that crosses zero twice within one (long) step would be missed entirely.
EVENT_SAMPLES_PER_STEP = 16


def _locate_events(
    events, dense, start: float, stop: float, u_at, p: np.ndarray, last_sign: list[float], last_zero: list[float | None]
) -> list[tuple[float, int]]:
    """Zero crossings of every event function within ``[start, stop]``, sorted by time.

    Each solver step is sampled at :data:`EVENT_SAMPLES_PER_STEP` points of the dense solution; a crossing is a change
    of sign between the last non-zero sample and the next non-zero one (a function that reaches exactly zero and
    returns is no event; one that reaches zero and goes on crosses once), refined with Brent's method. ``last_sign``
    (and ``last_zero`` a pending exact zero) across segments, so a crossing caused by an input jump at a breakpoint
    is reported at the breakpoint, once. Directions filter as in scipy (+1 rising, -1 falling, 0 both).
    """
    from scipy.optimize import brentq

    steps = np.asarray(dense.ts, dtype=float)
    pieces = [np.linspace(a, b, EVENT_SAMPLES_PER_STEP + 1) for a, b in itertools.pairwise(steps)]
    samples = np.unique(np.concatenate([[start], *pieces]))
    samples = samples[(samples >= start) & (samples <= stop)]
    hits: list[tuple[float, int]] = []
    for index, event in enumerate(events):

        def g(t: float, e: Event = event) -> float:
            return float(e.function(t, dense(t), u_at(t), p))

        previous_t, previous_value, sign, zero_at = start, None, last_sign[index], last_zero[index]
        for t in samples:
            value = g(float(t))
            current = math.copysign(1.0, value) if value != 0.0 else 0.0
            if current == 0.0:
                zero_at = float(t) if zero_at is None else zero_at
                continue
            if sign != 0.0 and current != sign:
                rising = current > 0.0
                if event.direction == 0 or (event.direction > 0) == rising:
                    if zero_at is not None:  # reached exactly zero there, then went on: the event is at that zero
                        root = zero_at
                    elif previous_value is None:  # the sign changed across a breakpoint (an input jump): event there
                        root = start
                    else:
                        root = float(
                            brentq(g, previous_t, float(t), xtol=1e-12 * max(1.0, abs(float(t))), rtol=4 * np.finfo(float).eps)
                        )
                    hits.append((root, index))
            sign, previous_t, previous_value, zero_at = current, float(t), value, None
        last_sign[index], last_zero[index] = sign, zero_at
    return sorted(hits)
