"""Co-simulation master: FMUs and native components stepped together on a fixed communication grid.

Participants
------------
* Co-simulation FMUs (:class:`~physics_twin.fmu.adapter.FMUComponent` with ``interface="CS"``, or
  :class:`~physics_twin.fmu.isolation.IsolatedFMU`) are stepped with ``doStep`` and exchange values at
  the communication points only (inputs held over a step).
* Model-exchange FMUs and native components (:class:`~physics_twin.core.component.Component`,
  :class:`~physics_twin.core.system.System` or a flat :class:`~physics_twin.core.model.Model`) form one
  *continuous block*: their states are integrated together by our solver over each communication
  step (fixed-step RK4 with ``max_step`` sub-steps, or a scipy ``solve_ivp`` method), and the
  connections among them are continuous. A block with a single native member and no FMU uses the
  compiled integrators of :mod:`physics_twin.core.integrators`.

Grid
----
Communication points are ``start + k * step`` for integer ``k`` — never running sums — and the last
point is the stop time itself, so the last step may be shorter (0 → 1 s with 0.3 s: 0, 0.3, 0.6, 0.9,
1.0) and a stop time that is a multiple of the step up to rounding adds no sliver of a step. A
co-simulation FMU that cannot change its step size is refused before the run starts when the grid
(or step rollback) would need that.

Ordering and loops
------------------
``"gauss-seidel"`` steps participants one after another in data-flow order, each seeing the outputs
its sources already computed at the end of the step; ``"jacobi"`` steps all from the values at the
start of the step. After each step the values at the new point are made consistent by propagating
through direct-feedthrough outputs (``ModelStructure`` dependencies, native ``FEEDTHROUGH``). A cycle
of direct-feedthrough dependencies between participants is an algebraic loop: it is reported with
the signals on it when the master is built.

Rollback
--------
With ``rollback=True`` every participant's state is saved before each step (``getFMUstate``); a
step that an FMU discards (or fails, with ``retry_on_error``) is undone and retried as two half
steps, up to ``max_halvings`` times. :meth:`CoSimulation.get_state`/:meth:`CoSimulation.set_state`
save and restore the whole co-simulation on demand (the FMU filter uses them for sigma points).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from physics_twin.core._jit import is_compiled
from physics_twin.errors import ConfigError, FMUError, ModelStructureError, ParameterError, join_problems, unknown_name_message

__all__ = ["CoSimulation", "CoSimulationState", "communication_points"]

_SCIPY_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")


def communication_points(start: float, stop: float, step: float, *, relative_tolerance: float = 1e-9) -> np.ndarray:
    """Communication points ``start + k * step`` up to ``stop``, ending exactly at ``stop``.

    Parameters
    ----------
    start, stop : float
        First and last point. [s]
    step : float
        Communication step. [s]
    relative_tolerance : float
        A remainder shorter than this fraction of ``step`` is rounding, not a step: the point before
        it is dropped so the grid ends at ``stop`` without a tiny extra step.

    Returns
    -------
    numpy.ndarray
        Strictly increasing points; the last equals ``stop`` exactly.

    Examples
    --------
    >>> communication_points(0.0, 1.0, 0.3).round(12).tolist()
    [0.0, 0.3, 0.6, 0.9, 1.0]
    >>> len(communication_points(0.0, 1.0, 0.1))
    11
    """
    start, stop, step = float(start), float(stop), float(step)
    if not (math.isfinite(start) and math.isfinite(stop) and math.isfinite(step)):
        raise ParameterError(f"`start`, `stop` and `step` must be finite; got {start!r}, {stop!r}, {step!r}.")
    if step <= 0:
        raise ParameterError(f"`step` must be > 0 [s]; got {step!r}.")
    if stop <= start:
        raise ParameterError(f"`stop_time` must be > `start_time` [s]; got {stop!r} <= {start!r}.")
    count = max(1, math.ceil((stop - start) / step - relative_tolerance))
    points = start + np.arange(count, dtype=float) * step
    return np.append(points, stop)


# -- participants ---------------------------------------------------------------------------------------------------
@dataclass
class _Signal:
    name: str  # unqualified
    unit: str
    description: str
    kind: str  # float/integer/boolean
    shape: tuple[int, ...]
    size: int


def _signals_of(variables: Iterable[Any]) -> list[_Signal]:
    result = []
    for v in variables:
        kind = getattr(v, "kind", "float")
        if kind in ("string", "other"):
            continue
        shape = tuple(getattr(v, "shape", ()) or ())
        result.append(_Signal(v.name, v.unit, getattr(v, "description", ""), kind, shape, int(np.prod(shape)) if shape else 1))
    return result


class _Member:
    """Common shape of every participant: named inputs/outputs, positions in the master's signal array."""

    name: str
    inputs: list[_Signal]
    outputs: list[_Signal]
    feedthrough: np.ndarray  # (n_output_signals, n_input_signals)
    in_index: np.ndarray  # positions in the signal array feeding each input value
    out_slice: slice
    n_states: int = 0

    def input_offsets(self) -> list[int]:
        return list(np.cumsum([0] + [s.size for s in self.inputs]))

    def output_offsets(self) -> list[int]:
        return list(np.cumsum([0] + [s.size for s in self.outputs]))


class _FMUMember(_Member):
    """Signals of an FMU participant (strings are not exchanged)."""

    def __init__(self, fmu: Any) -> None:
        self.fmu = fmu
        self.name = fmu.name
        self.inputs = _signals_of(fmu.INPUTS)
        self.outputs = _signals_of(fmu.OUTPUTS)
        keep_in = [i for i, v in enumerate(fmu.INPUTS) if v.kind not in ("string", "other")]
        keep_out = [i for i, v in enumerate(fmu.OUTPUTS) if v.kind not in ("string", "other")]
        self.feedthrough = fmu.feedthrough_matrix()[np.ix_(keep_out, keep_in)]
        starts = [
            np.ravel(np.asarray(v.start if v.start is not None else 0.0, dtype=float))
            for v in fmu.INPUTS
            if v.kind not in ("string", "other")
        ]
        self.defaults = np.concatenate(starts or [np.empty(0)])
        self.is_fmu = True


class _CSMember(_FMUMember):
    def __init__(self, fmu: Any) -> None:
        super().__init__(fmu)
        self.can_rollback = fmu.capabilities.can_get_and_set_state and fmu.version >= 2
        self.variable_step = fmu.capabilities.can_handle_variable_step


class _NativeMember(_Member):
    def __init__(self, participant: Any) -> None:
        model = participant.model() if hasattr(participant, "model") and callable(participant.model) else participant
        model.check_kernels()
        self.model = model
        self.name = participant.name
        self.inputs = _signals_of(model.inputs)
        self.outputs = _signals_of(model.outputs)
        self.feedthrough = np.asarray(model.feedthrough, dtype=bool)
        self.n_states = len(model.states)
        self.defaults = model.default_inputs()
        self.p = model.parameter_values.copy()
        self.is_fmu = False


class _MEMember(_FMUMember):
    def __init__(self, fmu: Any) -> None:
        super().__init__(fmu)
        self.n_states = fmu.n_states
        self.has_indicators = fmu.description.number_of_event_indicators > 0


@dataclass
class CoSimulationState:
    """A saved co-simulation: time, exchanged values, block states and one FMU state per FMU participant."""

    time: float
    signals: np.ndarray
    block_state: np.ndarray
    fmu_states: dict[str, Any] = field(default_factory=dict)

    def free(self) -> None:
        """Release the FMU states (idempotent)."""
        for state in self.fmu_states.values():
            state.free()
        self.fmu_states = {}


class CoSimulation:
    """Co-simulation of FMUs and native components.

    Parameters
    ----------
    participants : sequence
        :class:`~physics_twin.fmu.adapter.FMUComponent` (CS or ME), :class:`~physics_twin.fmu.isolation.IsolatedFMU`,
        :class:`~physics_twin.core.component.Component`, :class:`~physics_twin.core.system.System` or
        :class:`~physics_twin.core.model.Model`; names must be unique identifiers.
    connections : sequence of (str, str)
        ``(source output, destination input)`` pairs of qualified names (``"motor.shaft_speed"``).
        Array outputs connect to array inputs of the same shape.
    inputs : sequence of str or mapping of str to (str or sequence of str)
        Participant inputs driven from outside (by :meth:`simulate`'s ``inputs``); a mapping gives
        each external input a name and the participant inputs it feeds. Inputs neither connected
        nor exposed keep their start (FMU) or default (native) values.
    ordering : {"gauss-seidel", "jacobi"}
        Order of stepping within a communication step.
    name : str
        Name of the co-simulation (dataset attribute).
    integrator : str
        Solver of the continuous block: ``"RK4"`` (fixed sub-steps no longer than ``max_step``) or a
        ``scipy.integrate.solve_ivp`` method (``"RK45"``, ``"LSODA"``, ``"BDF"``, ...).
    max_step : float
        Longest solver step inside a communication step. [s]
    rtol, atol : float
        Tolerances of scipy methods.
    rollback : bool
        Save every participant's state before each step and retry a discarded step in halves;
        needs every FMU to support getting and setting its state.
    retry_on_error : bool
        With ``rollback``, also retry steps that an FMU fails with status Error.
    max_halvings : int
        How often a step may be halved on retry.
    on_nonfinite : {"raise", "flag"}
        What to do when an output becomes NaN or infinite: raise :class:`FMUError`, or record it
        and flag it in the dataset (``attrs["nonfinite_outputs"]``, ``attrs["nonfinite_time"]``).

    Raises
    ------
    ModelStructureError
        Unknown or duplicate names, inputs connected twice, shape mismatches, algebraic loops.
    """

    def __init__(
        self,
        participants: Sequence[Any],
        connections: Sequence[tuple[str, str]] = (),
        *,
        inputs: Sequence[str] | Mapping[str, str | Sequence[str]] = (),
        ordering: str = "gauss-seidel",
        name: str = "cosimulation",
        integrator: str = "RK4",
        max_step: float = 1e-3,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        rollback: bool = False,
        retry_on_error: bool = False,
        max_halvings: int = 4,
        on_nonfinite: str = "raise",
    ) -> None:
        problems: list[str] = []
        key = ordering.lower().replace("_", "-").replace(" ", "-")
        if key not in ("gauss-seidel", "jacobi"):
            problems.append(f"`ordering` must be 'gauss-seidel' or 'jacobi'; got {ordering!r}.")
        if integrator != "RK4" and integrator not in _SCIPY_METHODS:
            problems.append(f"`integrator` must be 'RK4' or one of {list(_SCIPY_METHODS)}; got {integrator!r}.")
        if not (isinstance(max_step, (int, float)) and max_step > 0):
            problems.append(f"`max_step` must be > 0 [s]; got {max_step!r}.")
        if on_nonfinite not in ("raise", "flag"):
            problems.append(f"`on_nonfinite` must be 'raise' or 'flag'; got {on_nonfinite!r}.")
        if problems:
            raise ParameterError(join_problems("invalid co-simulation settings:", problems))
        self.name = name
        self.ordering = key
        self.integrator = integrator
        self.max_step = float(max_step)
        self.rtol, self.atol = rtol, atol
        self.rollback = bool(rollback)
        self.retry_on_error = bool(retry_on_error)
        self.max_halvings = int(max_halvings)
        self.on_nonfinite = on_nonfinite
        self.participants = list(participants)
        self.cs: list[_CSMember] = []
        self.block: list[_Member] = []
        members: list[_Member] = []
        for participant in self.participants:
            interface = getattr(participant, "interface", None)
            if interface == "CS":
                member: _Member = _CSMember(participant)
                self.cs.append(member)
            elif interface == "ME":
                member = _MEMember(participant)
                self.block.append(member)
            else:
                member = _NativeMember(participant)
                self.block.append(member)
            members.append(member)
        self.members = members
        self._by_name = {m.name: m for m in members}
        self.connections = [(str(a), str(b)) for a, b in connections]
        if isinstance(inputs, Mapping):
            self.external = {alias: (t,) if isinstance(t, str) else tuple(t) for alias, t in inputs.items()}
        else:
            self.external = {target: (target,) for target in inputs}
        self._layout()
        self._block_offsets = list(np.cumsum([0] + [m.n_states for m in self.block]))
        self.n_block_states = int(self._block_offsets[-1])
        self.time: float | None = None
        self.block_state = np.zeros(self.n_block_states)
        self.rollbacks = 0
        self._initialized = False

    # -- structure --------------------------------------------------------------------------------------------------
    def _resolve(self, qualified: str, kind: str, problems: list[str]) -> tuple[_Member, int] | None:
        member_name, _, signal = qualified.partition(".")
        if member_name not in self._by_name:
            problems.append(unknown_name_message("participant", member_name, list(self._by_name), f"{kind} {qualified!r}"))
            return None
        member = self._by_name[member_name]
        signals = member.outputs if kind == "output" else member.inputs
        names = [s.name for s in signals]
        if signal not in names:
            problems.append(unknown_name_message(kind, signal, names, f"participant {member_name!r}"))
            return None
        return member, names.index(signal)

    def _layout(self) -> None:
        problems: list[str] = []
        names = [m.name for m in self.members]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"participant name {duplicate!r} is used more than once; names must be unique.")
        if problems:
            raise ModelStructureError(join_problems(f"co-simulation {self.name!r} cannot be assembled:", problems))
        # signal array: [all outputs | external inputs | input defaults]
        offset = 0
        self._out_start: dict[str, list[int]] = {}
        for member in self.members:
            starts = [offset + o for o in member.output_offsets()]
            self._out_start[member.name] = starts
            member.out_slice = slice(starts[0], starts[-1])
            offset = starts[-1]
        self.n_outputs = offset
        external_sizes = []
        sources: dict[tuple[str, int], tuple[str, Any]] = {}
        for source, destination in self.connections:
            src = self._resolve(source, "output", problems)
            dst = self._resolve(destination, "input", problems)
            if src is None or dst is None:
                continue
            if (dst[0].name, dst[1]) in sources:
                problems.append(f"input {destination!r} is connected more than once.")
                continue
            out_signal, in_signal = src[0].outputs[src[1]], dst[0].inputs[dst[1]]
            if out_signal.shape != in_signal.shape:
                problems.append(
                    f"connection {source!r} -> {destination!r}: shapes differ ({out_signal.shape} vs {in_signal.shape})."
                )
                continue
            sources[(dst[0].name, dst[1])] = ("output", src)
        external_offset = self.n_outputs
        self._external_slices: dict[str, slice] = {}
        for alias, targets in self.external.items():
            size = None
            for target in targets:
                dst = self._resolve(target, "input", problems)
                if dst is None:
                    continue
                if (dst[0].name, dst[1]) in sources:
                    problems.append(f"input {target!r} is both connected and exposed as external input {alias!r}.")
                    continue
                signal = dst[0].inputs[dst[1]]
                if size is not None and signal.size != size:
                    problems.append(f"external input {alias!r} feeds inputs of different sizes.")
                size = signal.size
                sources[(dst[0].name, dst[1])] = ("external", alias)
            size = size or 1
            self._external_slices[alias] = slice(external_offset, external_offset + size)
            external_sizes.append(size)
            external_offset += size
        if problems:
            raise ModelStructureError(join_problems(f"co-simulation {self.name!r} cannot be assembled:", problems))
        self.n_external = external_offset - self.n_outputs
        self._external_meta: dict[str, _Signal] = {}
        for alias, targets in self.external.items():
            member_name, _, signal_name = targets[0].partition(".")
            member = self._by_name[member_name]
            self._external_meta[alias] = next(s for s in member.inputs if s.name == signal_name)
        defaults_offset = external_offset
        default_values: list[float] = []
        self._sources = sources
        for member in self.members:
            offsets = member.input_offsets()
            index = np.empty(offsets[-1], dtype=np.intp)
            for i, signal in enumerate(member.inputs):
                span = slice(offsets[i], offsets[i + 1])
                origin = sources.get((member.name, i))
                if origin is None:
                    index[span] = np.arange(defaults_offset, defaults_offset + signal.size)
                    default_values.extend(np.ravel(member.defaults[offsets[i] : offsets[i + 1]]).tolist())
                    defaults_offset += signal.size
                elif origin[0] == "external":
                    sl = self._external_slices[origin[1]]
                    index[span] = np.arange(sl.start, sl.stop)
                else:
                    src_member, j = origin[1]
                    start = self._out_start[src_member.name][j]
                    index[span] = np.arange(start, start + signal.size)
            contiguous = index.size and np.array_equal(index, np.arange(index[0], index[0] + index.size))
            member.in_index = slice(int(index[0]), int(index[0]) + int(index.size)) if contiguous else index
        self.signals = np.zeros(defaults_offset)
        self._defaults = np.asarray(default_values, dtype=float)
        self.signals[external_offset:] = self._defaults
        self._dependency_order()

    def _dependency_order(self) -> None:
        """Signal-level graph of direct feedthrough; raise on algebraic loops; derive evaluation sequences."""
        nodes = [(m.name, j) for m in self.members for j in range(len(m.outputs))]
        depends: dict[tuple[str, int], set[tuple[str, int]]] = {n: set() for n in nodes}
        flow: dict[str, set[str]] = {m.name: set() for m in self.members}
        for (dst_name, i), origin in self._sources.items():
            if origin[0] != "output":
                continue
            src_member, j = origin[1]
            flow[dst_name].add(src_member.name)
            member = self._by_name[dst_name]
            for row in np.flatnonzero(member.feedthrough[:, i]) if member.feedthrough.size else []:
                depends[(dst_name, int(row))].add((src_member.name, j))
        order: list[tuple[str, int]] = []
        remaining = {n: set(d) for n, d in depends.items()}
        ready = [n for n in nodes if not remaining[n]]
        while ready:
            node = ready.pop(0)
            order.append(node)
            for other, deps in remaining.items():
                if node in deps:
                    deps.discard(node)
                    if not deps and other not in order and other not in ready:
                        ready.append(other)
        if len(order) < len(nodes):
            graph = {n: d for n, d in remaining.items() if d}
            start = next(iter(graph))
            path, seen, node = [start], {start: 0}, start
            while True:
                node = next(iter(graph[node]))
                if node in seen:
                    cycle = [*path[seen[node] :], node][::-1]
                    break
                seen[node] = len(path)
                path.append(node)
            signals = " -> ".join(f"{n}.{self._by_name[n].outputs[j].name}" for n, j in cycle)
            raise ModelStructureError(
                f"co-simulation {self.name!r} has an algebraic loop between participants: {signals}. Each output feeds the next "
                "one through an input it depends on directly (direct feedthrough), so no participant can be evaluated first. "
                "Break the loop with a participant that has a state, or export the coupled parts as one FMU."
            )
        sequence: list[str] = []
        for name, _ in order:
            if not sequence or sequence[-1] != name:
                sequence.append(name)
        self._propagation = [self._by_name[n] for n in sequence]
        self._has_feedthrough_links = any(
            origin[0] == "output" and self._by_name[dst].feedthrough[:, i].any()
            for (dst, i), origin in self._sources.items()
            if self._by_name[dst].feedthrough.size
        )
        # data-flow order for Gauss-Seidel: sources first, cycles broken in the given order
        placed: list[str] = []
        pending = [m.name for m in self.cs] + (["<block>"] if self.block else [])
        block_names = {m.name for m in self.block}

        def unit_of(name: str) -> str:
            return "<block>" if name in block_names else name

        unit_flow: dict[str, set[str]] = {u: set() for u in pending}
        for dst, srcs in flow.items():
            for src in srcs:
                if unit_of(src) != unit_of(dst):
                    unit_flow[unit_of(dst)].add(unit_of(src))
        while pending:
            free = [u for u in pending if unit_flow[u] <= set(placed)]
            chosen = free[0] if free else pending[0]
            placed.append(chosen)
            pending.remove(chosen)
        self._step_order = placed
        self._schedule = [None if unit == "<block>" else self._by_name[unit] for unit in placed]
        block_sequence = [n for n in sequence if n in block_names]
        self._block_sequence = [self._by_name[n] for n in block_sequence] + [
            m for m in self.block if m.name not in block_sequence
        ]

    # -- configuration checks ---------------------------------------------------------------------------------------
    def _check_configuration(self, points: np.ndarray) -> None:
        problems: list[str] = []
        steps = np.diff(points)
        uniform = bool(np.all(np.abs(steps - steps[0]) <= 1e-9 * steps[0]))
        for member in self.cs:
            if not member.variable_step and (not uniform or self.rollback):
                reason = "the last step is shorter than the others" if not uniform else "rollback may halve a step"
                problems.append(
                    f"participant {member.name!r} cannot handle a variable communication step size "
                    f"(canHandleVariableCommunicationStepSize=false), but {reason}. Choose a step that divides the "
                    "simulated interval" + (" or switch rollback off." if self.rollback else ".")
                )
        if self.rollback:
            for member in self.cs:
                if not member.can_rollback:
                    problems.append(f"participant {member.name!r} cannot get and set its FMU state, which rollback needs.")
            for member in self.block:
                if getattr(member, "is_fmu", False) and not member.fmu.capabilities.can_get_and_set_state:
                    problems.append(f"participant {member.name!r} cannot get and set its FMU state, which rollback needs.")
        if problems:
            raise ConfigError(join_problems(f"co-simulation {self.name!r} cannot run as configured:", problems))

    # -- external inputs and parameters -----------------------------------------------------------------------------
    def _external_function(self, inputs: Mapping[str, Any] | None) -> Callable[[float], None]:
        from physics_twin.core.simulate import InputTable

        inputs = dict(inputs or {})
        unknown = [
            unknown_name_message("external input", n, list(self.external), f"co-simulation {self.name!r}")
            for n in inputs
            if n not in self.external
        ]
        if unknown:
            raise ParameterError(join_problems("invalid `inputs`:", unknown))
        constant = np.zeros(self.n_external)
        tables: list[tuple[slice, Any]] = []
        calls: list[tuple[slice, Callable[[float], Any]]] = []
        for alias, sl in self._external_slices.items():
            local = slice(sl.start - self.n_outputs, sl.stop - self.n_outputs)
            meta = self._external_meta[alias]
            if alias not in inputs:
                member_name, _, signal_name = self.external[alias][0].partition(".")
                member = self._by_name[member_name]
                offsets = member.input_offsets()
                i = [s.name for s in member.inputs].index(signal_name)
                constant[local] = np.ravel(member.defaults[offsets[i] : offsets[i + 1]])
                continue
            spec = inputs[alias]
            if isinstance(spec, InputTable):
                tables.append((local, spec))
            elif callable(spec):
                calls.append((local, spec))
            else:
                value = np.asarray(spec, dtype=float).reshape(-1)
                if value.size != meta.size or not np.all(np.isfinite(value)):
                    raise ParameterError(f"input `{alias}` must be {meta.size} finite value(s); got {spec!r}.")
                constant[local] = value
        start = self.n_outputs
        stop = self.n_outputs + self.n_external

        def apply(t: float) -> None:
            values = self.signals[start:stop]
            values[:] = constant
            for local, table in tables:
                values[local] = table.value_on_segment(t, t)
            for local, function in calls:
                values[local] = np.asarray(function(t), dtype=float).reshape(-1)

        self._inputs_vary = bool(tables or calls)
        return apply

    def _split_parameters(self, parameters: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        by_member: dict[str, dict[str, Any]] = {m.name: {} for m in self.members}
        problems = []
        for qualified, value in (parameters or {}).items():
            member_name, _, variable = qualified.partition(".")
            if member_name not in by_member:
                problems.append(unknown_name_message("participant", member_name, list(by_member), f"parameter {qualified!r}"))
                continue
            by_member[member_name][variable] = value
        if problems:
            raise ParameterError(join_problems("invalid `parameters`:", problems))
        return by_member

    # -- running ----------------------------------------------------------------------------------------------------
    def initialize(
        self,
        start_time: float = 0.0,
        stop_time: float | None = None,
        *,
        parameters: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        initial_state: Mapping[str, float] | None = None,
    ) -> None:
        """Initialize every participant for a run from ``start_time`` [s] and make the values at that point consistent.

        ``parameters`` and ``initial_state`` (native states) are keyed by qualified name (``"motor.inertia"``).
        """
        by_member = self._split_parameters(parameters)
        self._apply_inputs = self._external_function(inputs)
        self.signals[self.n_outputs + self.n_external :] = self._defaults
        states = dict(initial_state or {})
        for member in self.members:
            values = by_member[member.name]
            if isinstance(member, (_CSMember, _MEMember)):
                member.fmu.initialize(start_time, stop_time, parameters=values or None)
            else:
                member.p = member.model.parameter_vector(values)
        offsets = self._block_offsets
        for k, member in enumerate(self.block):
            if isinstance(member, _MEMember):
                self.block_state[offsets[k] : offsets[k + 1]] = member.fmu.get_continuous_states()
            else:
                own = {n.partition(".")[2]: states.pop(n) for n in list(states) if n.partition(".")[0] == member.name}
                self.block_state[offsets[k] : offsets[k + 1]] = member.model.initial_state(own)
        if states:
            raise ParameterError(f"`initial_state` names unknown native states: {sorted(states)}.")
        self.time = float(start_time)
        self._apply_inputs(self.time)
        for member in self.cs:
            self.signals[member.out_slice] = member.fmu.read_outputs()
        self._propagate(self.time)
        self._initialized = True

    def _propagate(self, t: float) -> None:
        """Make the exchanged values at time ``t`` consistent through direct-feedthrough outputs."""
        signals = self.signals
        block_done = False
        for member in self._propagation:
            if isinstance(member, _CSMember):
                if member.fmu.write_inputs(signals[member.in_index]):
                    signals[member.out_slice] = member.fmu.read_outputs()
            elif not block_done:
                self._block_outputs(t, self.block_state)
                block_done = True
        if self.block and not block_done:
            self._block_outputs(t, self.block_state)

    # continuous block ----------------------------------------------------------------------------------------------
    def _block_outputs(self, t: float, x: np.ndarray) -> None:
        """Phase 1: every block member's outputs at (t, x), in feedthrough order, written into the signal array."""
        signals = self.signals
        offsets = self._block_offsets
        positions = {id(m): k for k, m in enumerate(self.block)}
        for member in self._block_sequence:
            k = positions[id(member)]
            xs = x[offsets[k] : offsets[k + 1]]
            u = signals[member.in_index]
            if isinstance(member, _MEMember):
                fmu = member.fmu
                fmu.set_time(t)
                if member.n_states:
                    fmu.set_continuous_states(xs)
                fmu.write_inputs(u)
                signals[member.out_slice] = fmu.read_outputs()
            else:
                signals[member.out_slice] = member.model.output_values(t, xs, u, member.p)

    def _block_rhs(self, t: float, x: np.ndarray) -> np.ndarray:
        self._block_outputs(t, x)
        signals = self.signals
        offsets = self._block_offsets
        dx = np.empty(self.n_block_states)
        for k, member in enumerate(self.block):
            if not member.n_states:
                continue
            u = signals[member.in_index]
            if isinstance(member, _MEMember):
                member.fmu.write_inputs(u)
                dx[offsets[k] : offsets[k + 1]] = member.fmu.get_derivatives()
            else:
                dx[offsets[k] : offsets[k + 1]] = member.model.derivative(t, x[offsets[k] : offsets[k + 1]], u, member.p)
        return dx

    def _step_block(self, t: float, h: float) -> None:
        end = t + h
        x = self.block_state
        me = [m for m in self.block if isinstance(m, _MEMember)]
        if (
            not me
            and len(self.block) == 1
            and self.integrator == "RK4"
            and self.n_block_states
            and is_compiled(self.block[0].model.rhs)
        ):
            member = self.block[0]
            own_inputs = any(
                origin[0] == "output" and origin[1][0] is member
                for (dst, _), origin in self._sources.items()
                if dst == member.name
            )
            if not own_inputs:
                from physics_twin.core.integrators import integrate

                u = np.ascontiguousarray(self.signals[member.in_index])
                self.block_state = integrate(member.model.rhs, t, np.ascontiguousarray(x), u, member.p, h, self.max_step, 0)
                self._check_block_state(end)
                self._block_outputs(end, self.block_state)
                return
        current = t
        while current < end:
            limit = end
            for member in me:
                event_time = getattr(member.fmu, "next_event_time", None)
                if event_time is not None and current < event_time < limit:
                    limit = event_time
            if self.n_block_states:
                x = self._integrate(current, limit, x)
            current = limit
            self._after_solver_step(me, current, x)
            x = self.block_state
        self._block_outputs(end, self.block_state)

    def _integrate(self, t0: float, t1: float, x: np.ndarray) -> np.ndarray:
        h = t1 - t0
        if self.integrator == "RK4":
            steps = max(1, math.ceil(h / self.max_step - 1e-9))
            dt = h / steps
            state = x.copy()
            for k in range(steps):
                tk = t0 + k * dt if k < steps - 1 else t1 - dt
                k1 = self._block_rhs(tk, state)
                k2 = self._block_rhs(tk + 0.5 * dt, state + 0.5 * dt * k1)
                k3 = self._block_rhs(tk + 0.5 * dt, state + 0.5 * dt * k2)
                k4 = self._block_rhs(tk + dt, state + dt * k3)
                state = state + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
                if not np.all(np.isfinite(state)):
                    break
            self.block_state = state
        else:
            from scipy.integrate import solve_ivp

            solution = solve_ivp(
                self._block_rhs,
                (t0, t1),
                x,
                method=self.integrator,
                rtol=self.rtol,
                atol=self.atol,
                max_step=self.max_step,
                t_eval=[t1],
            )
            if solution.status == -1:
                raise FMUError(
                    f"co-simulation {self.name!r}: solver {self.integrator} failed between t = {t0:.9g} s and {t1:.9g} s: "
                    f"{solution.message}"
                )
            self.block_state = solution.y[:, -1].copy()
        self._check_block_state(t1)
        return self.block_state

    def _check_block_state(self, t: float) -> None:
        if not np.all(np.isfinite(self.block_state)):
            bad = []
            for k, member in enumerate(self.block):
                part = self.block_state[self._block_offsets[k] : self._block_offsets[k + 1]]
                if not np.all(np.isfinite(part)):
                    bad.append(member.name)
            raise FMUError(f"co-simulation {self.name!r}: the states of {bad} became non-finite before t = {t:.9g} s.")

    def _after_solver_step(self, me: list[_MEMember], t: float, x: np.ndarray) -> None:
        offsets = self._block_offsets
        positions = {id(m): k for k, m in enumerate(self.block)}
        for member in me:
            fmu = member.fmu
            k = positions[id(member)]
            fmu.set_time(t)
            if member.n_states:
                fmu.set_continuous_states(x[offsets[k] : offsets[k + 1]])
            fmu.write_inputs(self.signals[member.in_index])
            enter_event, _ = fmu.completed_integrator_step()
            time_event = fmu.next_event_time is not None and fmu.next_event_time <= t
            if enter_event or time_event or (member.has_indicators and self._indicator_crossed(member)):
                fmu.handle_event()
                if member.n_states:
                    self.block_state[offsets[k] : offsets[k + 1]] = fmu.get_continuous_states()

    def _indicator_crossed(self, member: _MEMember) -> bool:
        fmu = member.fmu
        n = fmu.description.number_of_event_indicators
        with fmu._guard("getEventIndicators"):
            values = np.asarray(fmu._fmu.getEventIndicators(n) if fmu.version == 3 else _event_indicators(fmu, n))
        previous = getattr(member, "indicators", None)
        member.indicators = values
        return previous is not None and bool(np.any(np.sign(previous) != np.sign(values)))

    # stepping ------------------------------------------------------------------------------------------------------
    def step(self, h: float) -> None:
        """Advance every participant by one communication step ``h`` [s] (with rollback and retries when enabled)."""
        if not self._initialized or self.time is None:
            raise FMUError(f"co-simulation {self.name!r} is not initialized; call initialize() first.")
        self._step(self.time, h, self.max_halvings)

    def _step(self, t: float, h: float, halvings_left: int) -> None:
        if not self.rollback:
            if self._attempt(t, h):
                return
            raise FMUError(
                f"co-simulation {self.name!r}: a participant discarded the step at t = {t:.9g} s (step {h:.6g} s). Enable "
                "rollback=True to retry it with smaller steps (needs FMUs that can get and set their state)."
            )
        saved = self.get_state()
        try:
            accepted = self._attempt(t, h)
            if not accepted:
                reason = "a participant discarded the step"
        except FMUError as exc:
            if not (self.rollback and self.retry_on_error):
                raise
            accepted, reason = False, str(exc)
        if accepted:
            if saved is not None:
                saved.free()
            return
        if saved is None:
            raise FMUError(
                f"co-simulation {self.name!r}: {reason} at t = {t:.9g} s (step {h:.6g} s). Enable rollback=True to retry it "
                "with smaller steps (needs FMUs that can get and set their state)."
            )
        if halvings_left <= 0:
            saved.free()
            raise FMUError(
                f"co-simulation {self.name!r}: the step at t = {t:.9g} s was rejected even after {self.max_halvings} halvings "
                f"({reason})."
            )
        self.set_state(saved)
        saved.free()
        self.rollbacks += 1
        half = 0.5 * h
        self._step(t, half, halvings_left - 1)
        self._step(t + half, h - half, halvings_left - 1)

    def _attempt(self, t: float, h: float) -> bool:
        signals = self.signals
        end = t + h
        no_set_prior = not self.rollback
        if self.ordering == "jacobi":
            held = [(m, signals[m.in_index].copy()) for m in self.cs]
            if self.block:
                self._step_block(t, h)
            accepted = True
            for member, u in held:
                member.fmu.write_inputs(u)
                accepted = member.fmu.do_step(t, h, no_set_prior) and accepted
            if not accepted:
                return False
            for member in self.cs:
                signals[member.out_slice] = member.fmu.read_outputs()
        else:
            for member in self._schedule:
                if member is None:
                    self._step_block(t, h)
                    continue
                fmu = member.fmu
                fmu.write_inputs(signals[member.in_index])
                if not fmu.do_step(t, h, no_set_prior):
                    return False
                signals[member.out_slice] = fmu.read_outputs()
        self.time = end
        if self._inputs_vary:
            self._apply_inputs(end)
            self._propagate(end)
        elif self._has_feedthrough_links:
            self._propagate(end)
        return True

    # -- state ------------------------------------------------------------------------------------------------------
    def get_state(self) -> CoSimulationState:
        """Save the whole co-simulation (FMU states through ``getFMUstate``)."""
        fmu_states = {}
        for member in self.members:
            if isinstance(member, (_CSMember, _MEMember)):
                fmu_states[member.name] = member.fmu.get_state()
        return CoSimulationState(
            float(self.time if self.time is not None else math.nan), self.signals.copy(), self.block_state.copy(), fmu_states
        )

    def set_state(self, state: CoSimulationState) -> None:
        """Restore a state saved by :meth:`get_state`."""
        for member in self.members:
            if isinstance(member, (_CSMember, _MEMember)):
                member.fmu.set_state(state.fmu_states[member.name])
        self.signals[:] = state.signals
        self.block_state = state.block_state.copy()
        self.time = state.time

    # -- names ------------------------------------------------------------------------------------------------------
    def output_names(self) -> list[str]:
        """Qualified output names in signal-array order."""
        return [f"{m.name}.{s.name}" for m in self.members for s in m.outputs]

    def state_names(self) -> list[str]:
        """Qualified names of the block's states (native and model-exchange FMU states)."""
        names = []
        for member in self.block:
            if isinstance(member, _MEMember):
                names += [f"{member.name}.{v.name}" for v in member.fmu.STATES][: member.n_states]
            else:
                names += [f"{member.name}.{s.name}" for s in member.model.states]
        return names

    def output(self, qualified: str) -> np.ndarray:
        """Current value of one output (array for array outputs)."""
        problems: list[str] = []
        found = self._resolve(qualified, "output", problems)
        if found is None:
            raise ParameterError(problems[0])
        member, j = found
        start = self._out_start[member.name][j]
        signal = member.outputs[j]
        return self.signals[start : start + signal.size].reshape(signal.shape) if signal.shape else self.signals[start]

    # -- whole runs -------------------------------------------------------------------------------------------------
    def simulate(
        self,
        stop_time: float,
        step: float,
        *,
        start_time: float = 0.0,
        inputs: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        initial_state: Mapping[str, float] | None = None,
        record: Iterable[str] = (),
    ) -> xr.Dataset:
        """Run from ``start_time`` to ``stop_time`` on the communication grid of ``step`` [s].

        Parameters
        ----------
        stop_time, step : float
            Stop time and communication step. [s]
        start_time : float
            Start time. [s]
        inputs : mapping, optional
            External input name -> constant (scalar or array), :class:`~physics_twin.core.simulate.InputTable`
            or callable ``u(t)``; evaluated at the communication points and held over each step.
        parameters : mapping, optional
            Qualified parameter name -> value (FMU start values; native parameter overrides).
        initial_state : mapping, optional
            Qualified native state name -> initial value. [SI]
        record : iterable of str
            Extra FMU variables to record (qualified names, e.g. locals or parameters).

        Returns
        -------
        xarray.Dataset
            Every participant output (qualified names; booleans as bool, integers as int64, FMI 3.0
            arrays with an extra dimension), block states, external inputs and ``record``-ed variables
            over ``time`` (the communication points), with ``units`` attributes.

        Raises
        ------
        ConfigError
            Before the run, when a participant cannot follow the grid or rollback is impossible.
        FMUError
            When an FMU fails (with its name, the FMI function, status and time), or outputs become
            non-finite with ``on_nonfinite="raise"``.
        """
        points = communication_points(start_time, stop_time, step)
        self._check_configuration(points)
        extra = self._record_plan(record)
        self.initialize(points[0], points[-1], parameters=parameters, inputs=inputs, initial_state=initial_state)
        n = points.size
        n_signals = self.n_outputs + self.n_external
        rows = np.empty((n, n_signals))  # outputs then external inputs, one row per communication point
        states = np.empty((n, self.n_block_states))
        recorded: dict[str, list[Any]] = {name: [] for name in extra}
        nonfinite: dict[str, float] = {}
        signals = self.signals
        track_states = self.n_block_states > 0
        step_once = self._step
        halvings = self.max_halvings
        checked = 0  # rows before this one were checked for non-finite outputs (in blocks: cheap per step)
        for k in range(n):
            if k:
                step_once(points[k - 1], points[k] - points[k - 1], halvings)
                self.time = points[k]
            rows[k] = signals[:n_signals]
            if track_states:
                states[k] = self.block_state
            if extra:
                for name, (fmu, variable) in extra.items():
                    recorded[name].append(fmu.get_values([variable])[variable])
            if k - checked == 63 or k == n - 1:
                block = rows[checked : k + 1, : self.n_outputs]
                if not math.isfinite(float(np.add.reduce(block, axis=None))) and not np.all(np.isfinite(block)):
                    self._report_nonfinite(points, rows, checked, k, nonfinite)
                checked = k + 1
        outputs, external = rows[:, : self.n_outputs], rows[:, self.n_outputs :]
        return self._dataset(points, outputs, states, external, recorded, extra, nonfinite, step)

    def _report_nonfinite(self, points: np.ndarray, rows: np.ndarray, first: int, last: int, nonfinite: dict[str, float]) -> None:
        """Raise (or record) the outputs that became non-finite between rows ``first`` and ``last``, at their first time."""
        for k in range(first, last + 1):
            row = rows[k, : self.n_outputs]
            if np.all(np.isfinite(row)):
                continue
            newly = [name for name in self._nonfinite_names(row) if name not in nonfinite]
            if self.on_nonfinite == "raise":
                raise FMUError(
                    f"co-simulation {self.name!r}: outputs {newly} are not finite at t = {points[k]:.9g} s. The FMU produced "
                    "NaN or infinite values; check its parameters and inputs, or pass on_nonfinite='flag' to record them."
                )
            for name in newly:
                nonfinite[name] = float(points[k])

    def _nonfinite_names(self, row: np.ndarray) -> list[str]:
        bad = []
        for member in self.members:
            for j, signal in enumerate(member.outputs):
                start = self._out_start[member.name][j]
                if not np.all(np.isfinite(row[start : start + signal.size])):
                    bad.append(f"{member.name}.{signal.name}")
        return bad

    def _record_plan(self, record: Iterable[str]) -> dict[str, tuple[Any, str]]:
        plan = {}
        problems = []
        for qualified in record:
            member_name, _, variable = qualified.partition(".")
            member = self._by_name.get(member_name)
            if member is None or not hasattr(member, "fmu"):
                problems.append(
                    f"`record` entry {qualified!r} must name a variable of an FMU participant "
                    f"{[m.name for m in self.members if hasattr(m, 'fmu')]}."
                )
                continue
            try:
                member.fmu.variable(variable)
            except ParameterError as exc:
                problems.append(str(exc))
                continue
            plan[qualified] = (member.fmu, variable)
        if problems:
            raise ParameterError(join_problems("invalid `record`:", problems))
        return plan

    def _dataset(self, points, outputs, states, external, recorded, extra, nonfinite, step) -> xr.Dataset:
        variables: dict[str, Any] = {}
        coordinates: dict[str, Any] = {"time": ("time", points, {"units": "s", "description": "communication points"})}

        def add(name: str, signal: _Signal, values: np.ndarray, kind: str) -> None:
            if signal.kind == "boolean":
                values = values.astype(bool)
            elif signal.kind == "integer":
                values = np.round(values).astype(np.int64)
            dims: tuple[str, ...] = ("time",)
            if not signal.shape:
                values = values.reshape(len(points))
            else:
                values = values.reshape((len(points), *signal.shape))
                extra_dims = [f"{name}_index" if len(signal.shape) == 1 else f"{name}_index{d}" for d in range(len(signal.shape))]
                dims = ("time", *extra_dims)
                for dim, size in zip(extra_dims, signal.shape, strict=True):
                    coordinates[dim] = (dim, np.arange(size))
            variables[name] = (dims, values, {"units": signal.unit, "description": signal.description, "kind": kind})

        for member in self.members:
            for j, signal in enumerate(member.outputs):
                start = self._out_start[member.name][j]
                add(f"{member.name}.{signal.name}", signal, outputs[:, start : start + signal.size], "output")
        for name, (k, unit, description) in zip(self.state_names(), self._state_meta(), strict=True):
            variables.setdefault(name, ("time", states[:, k], {"units": unit, "description": description, "kind": "state"}))
        for alias, sl in self._external_slices.items():
            local = slice(sl.start - self.n_outputs, sl.stop - self.n_outputs)
            add(alias if alias not in variables else f"{alias}:input", self._external_meta[alias], external[:, local], "input")
        for name, values in recorded.items():
            fmu, variable_name = extra[name]
            variable = fmu.variable(variable_name)
            signal = _Signal(variable.name, variable.unit, variable.description, variable.kind, variable.shape, variable.size)
            array = np.asarray(values)
            if signal.kind in ("string", "other"):
                variables[name] = ("time", array, {"units": "1", "description": variable.description, "kind": "recorded"})
            else:
                add(name, signal, array.astype(float).reshape(len(points), -1), "recorded")
        dataset = xr.Dataset(variables, coords=coordinates)
        dataset.attrs.update(
            {
                "model": self.name,
                "producer": "physics_twin.fmu",
                "ordering": self.ordering,
                "communication_step": float(step),
                "integrator": self.integrator,
                "rollbacks": int(self.rollbacks),
                "participants": ", ".join(m.name for m in self.members),
            }
        )
        if nonfinite:
            dataset.attrs["nonfinite_outputs"] = ", ".join(sorted(nonfinite))
            dataset.attrs["nonfinite_time"] = min(nonfinite.values())
        return dataset

    def _state_meta(self) -> list[tuple[int, str, str]]:
        meta = []
        k = 0
        for member in self.block:
            if isinstance(member, _MEMember):
                for variable in list(member.fmu.STATES)[: member.n_states]:
                    meta.append((k, variable.unit, variable.description))
                    k += 1
            else:
                for state in member.model.states:
                    meta.append((k, state.unit, state.description))
                    k += 1
        return meta

    def close(self) -> None:
        """Close every FMU participant."""
        for participant in self.participants:
            if hasattr(participant, "close") and hasattr(participant, "interface"):
                participant.close()


def _event_indicators(fmu: Any, n: int) -> list[float]:
    import ctypes

    buffer = (ctypes.c_double * n)()
    fmu._fmu.fmi2GetEventIndicators(fmu._fmu.component, buffer, n)
    return list(buffer)
