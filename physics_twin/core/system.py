"""Composition of components into one flat compiled model.

A :class:`System` connects component outputs to component inputs by qualified name
(``("motor.shaft_speed", "pump.shaft_speed")``), exposes the remaining inputs as system inputs, and
generates one ``rhs`` and one ``output`` kernel that call the component kernels in a valid order.
The order comes from the signal-level dependency graph built from each component's
``FEEDTHROUGH`` declaration: an output that depends algebraically on an input must be computed after
the output feeding that input. A cycle in that graph is an algebraic loop and is reported with the
signals on it; it is never silently evaluated with stale values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from physics_twin.core import _jit
from physics_twin.core.component import Component
from physics_twin.core.model import Model, check_kernel_pair, require_compiled
from physics_twin.core.units import same_unit
from physics_twin.errors import ModelStructureError, UnitError, join_problems, unknown_name_message

__all__ = ["System", "connect"]


def _split(qualified: str) -> tuple[str, str]:
    component, _, signal = qualified.partition(".")
    return component, signal


class System:
    """Components connected by signal name into one model.

    Parameters
    ----------
    name : str
        System name.
    components : sequence of Component
        The components; their names must be unique.
    connections : sequence of (str, str)
        ``(source output, destination input)`` pairs of qualified names, e.g.
        ``("motor.shaft_speed", "pump.shaft_speed")``.
    inputs : sequence of str or mapping of str to (str or sequence of str)
        System inputs. A sequence exposes qualified component inputs under their own names; a
        mapping gives each system input a name and the component input(s) it feeds (one external
        signal may feed several components, e.g. an ambient temperature).

    Raises
    ------
    ModelStructureError
        Duplicate names, unknown signals, inputs connected twice, inputs neither connected nor
        exposed, or an algebraic loop (listing the signals on it). All problems are reported together.
    UnitError
        When a connection joins signals whose declared units differ.
    """

    def __init__(
        self,
        name: str,
        components: Sequence[Component],
        connections: Sequence[tuple[str, str]] = (),
        inputs: Sequence[str] | Mapping[str, str | Sequence[str]] = (),
    ) -> None:
        self.name = name
        self.components = tuple(components)
        self.connections = tuple((str(a), str(b)) for a, b in connections)
        if isinstance(inputs, Mapping):
            self.inputs = {alias: (t,) if isinstance(t, str) else tuple(t) for alias, t in inputs.items()}
        else:
            self.inputs = {target: (target,) for target in inputs}
        self._check_structure()
        self._model: Model | None = None

    # -- structure ---------------------------------------------------------------------------------
    def _check_structure(self) -> None:
        problems: list[str] = []
        unit_problems: list[str] = []
        names = [c.name for c in self.components]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"component name {duplicate!r} is used more than once; names must be unique.")
        by_name = {c.name: c for c in self.components}
        self._by_name = by_name

        def resolve(qualified: str, kind: str) -> tuple[Component, int] | None:
            component_name, signal = _split(qualified)
            if component_name not in by_name:
                problems.append(unknown_name_message("component", component_name, names, f"{kind} {qualified!r}"))
                return None
            component = by_name[component_name]
            records = component.OUTPUTS if kind == "output" else component.INPUTS
            signal_names = [r.name for r in records]
            if signal not in signal_names:
                problems.append(unknown_name_message(kind, signal, signal_names, f"component {component_name!r}"))
                return None
            return component, signal_names.index(signal)

        # destination input (component name, index) -> source
        self._sources: dict[tuple[str, int], tuple[str, object]] = {}
        for source, destination in self.connections:
            src = resolve(source, "output")
            dst = resolve(destination, "input")
            if src is None or dst is None:
                continue
            key = (dst[0].name, dst[1])
            if key in self._sources:
                problems.append(f"input {destination!r} is connected more than once.")
                continue
            out_unit = src[0].OUTPUTS[src[1]].unit
            in_unit = dst[0].INPUTS[dst[1]].unit
            if not same_unit(out_unit, in_unit):
                unit_problems.append(
                    f"connection {source!r} -> {destination!r}: output unit {out_unit!r} does not match input unit {in_unit!r}."
                )
            self._sources[key] = ("output", (src[0].name, src[1]))
        self._external_names = list(self.inputs)
        for position, (alias, targets) in enumerate(self.inputs.items()):
            units = set()
            for target in targets:
                dst = resolve(target, "input")
                if dst is None:
                    continue
                key = (dst[0].name, dst[1])
                if key in self._sources:
                    problems.append(f"input {target!r} is both connected and exposed as system input {alias!r}.")
                    continue
                self._sources[key] = ("external", position)
                units.add(dst[0].INPUTS[dst[1]].unit)
            if len(units) > 1 and not all(same_unit(u, next(iter(units))) for u in units):
                unit_problems.append(f"system input {alias!r} feeds inputs with different units {sorted(units)}.")
        for component in self.components:
            for index, declaration in enumerate(component.INPUTS):
                if (component.name, index) not in self._sources:
                    problems.append(
                        f"input '{component.name}.{declaration.name}' [{declaration.unit}] is not connected; "
                        "connect it to an output or expose it with `inputs=`."
                    )
        if problems:
            raise ModelStructureError(join_problems(f"system {self.name!r} cannot be assembled:", problems))
        if unit_problems:
            raise UnitError(join_problems(f"system {self.name!r} has unit mismatches:", unit_problems))
        self._sequence = self._evaluation_sequence()

    def _evaluation_sequence(self) -> list[int]:
        """Order of component output evaluations (a component may appear twice); raises on algebraic loops."""
        index_of = {c.name: k for k, c in enumerate(self.components)}
        feedthrough = [c.feedthrough_matrix() for c in self.components]
        nodes = [(k, j) for k, c in enumerate(self.components) for j in range(len(c.OUTPUTS))]
        depends: dict[tuple[int, int], set[tuple[int, int]]] = {node: set() for node in nodes}
        for k, j in nodes:
            component = self.components[k]
            for i in np.flatnonzero(feedthrough[k][j]):
                kind, source = self._sources[(component.name, int(i))]
                if kind == "output":
                    depends[(k, j)].add((index_of[source[0]], source[1]))
        order: list[tuple[int, int]] = []
        remaining = {node: set(deps) for node, deps in depends.items()}
        ready = [node for node in nodes if not remaining[node]]
        while ready:
            node = ready.pop(0)
            order.append(node)
            for other, deps in remaining.items():
                if node in deps:
                    deps.discard(node)
                    if not deps and other not in order and other not in ready:
                        ready.append(other)
        if len(order) < len(nodes):
            cycle = self._find_cycle({n: d for n, d in remaining.items() if d})
            signals = " -> ".join(f"{self.components[k].name}.{self.components[k].OUTPUTS[j].name}" for k, j in cycle)
            raise ModelStructureError(
                f"system {self.name!r} has an algebraic loop: {signals}. Each of these outputs feeds the next one "
                "directly (through an input it depends on algebraically); break the loop with a component that has a "
                "state (a lag or an inertia)."
            )
        computed: set[tuple[int, int]] = set()
        sequence: list[int] = []
        for k, j in order:
            if (k, j) in computed:
                continue
            sequence.append(k)
            # An evaluation of component k is correct for the outputs whose sources were all computed *before*
            # it: an output fed (through k's own input) by another output of k sees that output's stale value.
            available = frozenset(computed)
            for jj in range(len(self.components[k].OUTPUTS)):
                if depends[(k, jj)] <= available:
                    computed.add((k, jj))
        return sequence

    @staticmethod
    def _find_cycle(graph: dict[tuple[int, int], set[tuple[int, int]]]) -> list[tuple[int, int]]:
        start = next(iter(graph))
        path, seen = [start], {start: 0}
        node = start
        while True:
            node = next(iter(graph[node]))
            if node in seen:
                return [*path[seen[node] :], node][::-1]
            seen[node] = len(path)
            path.append(node)

    # -- flattening --------------------------------------------------------------------------------
    def model(self) -> Model:
        """The flat compiled model (built once, then cached on the instance)."""
        if self._model is None:
            self._model = self._build_model()
        return self._model

    def _check_component_kernels(self) -> None:
        """Each component's kernels at its own sizes, before they are wired (see :func:`checked_kernel_values`).

        Inside the generated System kernels a component's stray write would land in its neighbour's slice, a skipped
        output would read 0 and a returned array would vanish: checked here, where the component can be named.
        """
        for component in self.components:
            cls = type(component)
            owner = f"component {component.name!r} ({cls.__name__}) of system {self.name!r}"
            require_compiled(cls.rhs, "rhs", owner, "a System")
            require_compiled(cls.output, "output", owner, "a System")
            x = np.array([s.start for s in cls.STATES], dtype=float)
            u = np.array([i.default for i in cls.INPUTS], dtype=float)
            check_kernel_pair(cls.rhs, cls.output, len(cls.STATES), len(cls.OUTPUTS), x, u, component.parameter_values, owner)

    def _build_model(self) -> Model:
        self._check_component_kernels()
        state_offset, output_offset, parameter_offset = [0], [0], [0]
        for component in self.components:
            state_offset.append(state_offset[-1] + len(component.STATES))
            output_offset.append(output_offset[-1] + len(component.OUTPUTS))
            parameter_offset.append(parameter_offset[-1] + len(component.PARAMETERS))
        index_of = {c.name: k for k, c in enumerate(self.components)}

        # Each component's input vector is a slice of one scratch vector `uw` (offsets in input_offset), so a
        # system kernel call allocates once, however many components it has.
        input_offset = [0]
        for component in self.components:
            input_offset.append(input_offset[-1] + len(component.INPUTS))
        n_y, n_uw = output_offset[-1], input_offset[-1]

        def assemble(k: int) -> list[str]:
            lines = [f"    u{k} = uw[{input_offset[k]}:{input_offset[k + 1]}]"]
            for i in range(len(self.components[k].INPUTS)):
                kind, source = self._sources[(self.components[k].name, i)]
                if kind == "external":
                    lines.append(f"    u{k}[{i}] = u[{source}]")
                else:
                    lines.append(f"    u{k}[{i}] = y[{output_offset[index_of[source[0]]] + source[1]}]")
            return lines

        def call(k: int, kernel: str, result: str, offsets: list[int]) -> str:
            xs = f"x[{state_offset[k]}:{state_offset[k + 1]}]"
            ps = f"p[{parameter_offset[k]}:{parameter_offset[k + 1]}]"
            return f"    k{k}_{kernel}(t, {xs}, u{k}, {ps}, {result}[{offsets[k]}:{offsets[k + 1]}])"

        # Outputs in evaluation order; not yet computed ones read as 0 (a component evaluated twice in the sequence
        # sees them on its first pass). Both kernels start with these lines (one function calling another would
        # be a second compiled function per System).
        fill = [f"    y[:{n_y}] = 0.0"]
        for k in self._sequence:
            fill += assemble(k)
            fill.append(call(k, "output", "y", output_offset))
        source = ["def system_output(t, x, u, p, y):", f"    uw = np.empty({n_uw})", *fill, ""]
        source += [
            "def system_rhs(t, x, u, p, dx):",
            f"    work = np.empty({n_y + n_uw})",
            f"    y = work[:{n_y}]",
            f"    uw = work[{n_y}:]",
            *fill,
        ]
        for k, component in enumerate(self.components):
            if component.STATES:
                source += assemble(k)
                source.append(call(k, "rhs", "dx", state_offset))
        namespace: dict[str, object] = {"np": np}
        for k, component in enumerate(self.components):
            namespace[f"k{k}_rhs"] = type(component).rhs
            namespace[f"k{k}_output"] = type(component).output
        code = "\n".join(source)
        exec(compile(code, f"<system {self.name}>", "exec"), namespace)
        output_kernel = _jit.jit(namespace["system_output"], cache=False)
        rhs_kernel = _jit.jit(namespace["system_rhs"], cache=False)

        def qualify(component: Component, records: tuple) -> list:
            return [replace(r, name=f"{component.name}.{r.name}") for r in records]

        states, outputs, parameters = [], [], []
        for component in self.components:
            states += qualify(component, component.STATES)
            outputs += qualify(component, component.OUTPUTS)
            parameters += qualify(component, component.PARAMETERS)
        inputs = []
        for alias, targets in self.inputs.items():
            component_name, signal = _split(targets[0])
            declaration = next(d for d in self._by_name[component_name].INPUTS if d.name == signal)
            inputs.append(replace(declaration, name=alias))
        return Model(
            name=self.name,
            states=tuple(states),
            inputs=tuple(inputs),
            outputs=tuple(outputs),
            parameters=tuple(parameters),
            rhs=rhs_kernel,
            output=output_kernel,
            parameter_values=np.concatenate([c.parameter_values for c in self.components] or [np.empty(0)]),
            feedthrough=self._feedthrough(output_offset, index_of),
            parameter_check=self._parameter_check(parameter_offset),
        )

    def _parameter_check(self, offsets: list[int]):
        """Each component's cross-parameter check on its slice of the system vector, names qualified."""
        components = self.components

        def check(vector: np.ndarray) -> list[str]:
            problems = []
            for k, component in enumerate(components):
                problems += [
                    f"{component.name}: {p}" for p in type(component).vector_problems(vector[offsets[k] : offsets[k + 1]])
                ]
            return problems

        return check

    def _feedthrough(self, output_offset: list[int], index_of: dict[str, int]) -> np.ndarray:
        """Which system inputs reach each output algebraically (transitive closure over connections)."""
        reach: dict[tuple[int, int], set[int]] = {}

        def inputs_of(k: int, j: int, trail: frozenset) -> set[int]:
            if (k, j) in reach:
                return reach[(k, j)]
            component = self.components[k]
            result: set[int] = set()
            for i in np.flatnonzero(component.feedthrough_matrix()[j]):
                kind, source = self._sources[(component.name, int(i))]
                if kind == "external":
                    result.add(int(source))
                elif (index_of[source[0]], source[1]) not in trail:
                    result |= inputs_of(index_of[source[0]], source[1], trail | {(k, j)})
            reach[(k, j)] = result
            return result

        matrix = np.zeros((output_offset[-1], len(self.inputs)), dtype=bool)
        for k, component in enumerate(self.components):
            for j in range(len(component.OUTPUTS)):
                for i in inputs_of(k, j, frozenset()):
                    matrix[output_offset[k] + j, i] = True
        return matrix

    def simulate(self, t_eval, **options):
        """Simulate the system; see :func:`physics_twin.core.simulate.simulate`."""
        from physics_twin.core.simulate import simulate

        return simulate(self.model(), t_eval, **options)

    def __repr__(self) -> str:
        return f"System(name={self.name!r}, components={[c.name for c in self.components]})"


def connect(
    name: str,
    components: Sequence[Component],
    connections: Sequence[tuple[str, str]] = (),
    inputs: Sequence[str] | Mapping[str, str | Sequence[str]] = (),
) -> Model:
    """Connect components into a System and return its flat compiled :class:`Model`."""
    return System(name, components, connections, inputs).model()
