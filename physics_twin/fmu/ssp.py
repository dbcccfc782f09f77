"""A small reader for SSP system structure descriptions (``SystemStructure.ssd``, SSP 1.0 and 2.0).

fmpy reads SSP 1.0 only; vendor tools such as Dymola 2024x write SSP 2.0. This reader takes what a
co-simulation needs, with ``xml.etree`` and nothing else:

* components (``ssd:Component`` with an FMU ``source`` and an ``implementation`` hint), also inside
  nested ``ssd:System`` elements, which are flattened;
* connectors (name, kind, unit) and connections (``startElement``/``startConnector`` to
  ``endElement``/``endConnector``; a missing element means the enclosing system's own connector);
* parameter bindings: inline ``ssv:ParameterSet`` values and external ``.ssv`` files, with an
  optional ``prefix``, on components and on systems (a system-level name ``element.variable``
  reaches into that element).

Connections are resolved as nets: every set of connected connectors is followed through system
connectors to the one component output that drives it, so relayed signals (component → subsystem
connector → component) become direct connections whatever direction the file draws them in. A net
without a driving output but with a top-level input connector becomes an external input; top-level
output connectors become named system outputs. Constructs that change values on the way
(``ssc:LinearTransformation``, ``ssc:MapTransformation``) and parameter mappings (``.ssm``) are
listed in :attr:`SSPSystem.unsupported` and refused by :func:`load_ssp` unless ``strict=False``.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physics_twin.errors import ConfigError, join_problems

__all__ = ["SSPComponent", "SSPSystem", "load_ssp", "read_ssd"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


@dataclass(frozen=True)
class SSPComponent:
    """One FMU component of a (flattened) SSP system.

    Attributes
    ----------
    name : str
        Identifier used as participant name (the element name, made unique and identifier-safe).
    path : tuple of str
        Element names from the top system down to the component.
    source : pathlib.Path
        The FMU file.
    implementation : str
        ``"ModelExchange"``, ``"CoSimulation"`` or ``"any"``.
    connectors : dict of str to (kind, unit)
    parameters : dict of str to (value, unit or None)
        Bound parameter values by FMU variable name.
    """

    name: str
    path: tuple[str, ...]
    source: Path
    implementation: str
    connectors: dict[str, tuple[str, str | None]]
    parameters: dict[str, tuple[Any, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class SSPSystem:
    """A flattened SSP system.

    Attributes
    ----------
    name : str
    version : str
        The ``version`` attribute of the SSD (``"1.0"``, ``"2.0"``).
    components : tuple of SSPComponent
    connections : tuple of (str, str)
        ``("component.output", "component.input")`` with participant names.
    outputs : dict of str to str
        Top-level output connector -> ``"component.output"`` driving it.
    inputs : dict of str to tuple of str
        Top-level input connector -> component inputs it feeds.
    unsupported : tuple of str
        Constructs found in the file that this reader does not apply.
    """

    name: str
    version: str
    components: tuple[SSPComponent, ...]
    connections: tuple[tuple[str, str], ...]
    outputs: dict[str, str]
    inputs: dict[str, tuple[str, ...]]
    unsupported: tuple[str, ...] = ()


def _parameter_values(element: ET.Element, base: Path, unsupported: list[str]) -> dict[str, tuple[Any, str | None]]:
    """Values of every ParameterBinding under ``element`` (inline or from .ssv files), prefix applied."""
    values: dict[str, tuple[Any, str | None]] = {}
    bindings = _child(element, "ParameterBindings")
    if bindings is None:
        return values
    for binding in _children(bindings, "ParameterBinding"):
        prefix = binding.get("prefix") or ""
        source = binding.get("source")
        if source:
            try:
                root = ET.parse(base / source).getroot()
            except (OSError, ET.ParseError) as exc:
                unsupported.append(f"parameter values {source!r} bound to {element.get('name')!r} cannot be read ({exc})")
                continue
            parameter_set = root if _local(root.tag) == "ParameterSet" else _child(root, "ParameterSet")
        else:
            holder = _child(binding, "ParameterValues")
            parameter_set = _child(holder, "ParameterSet") if holder is not None else None
        if _child(binding, "ParameterMapping") is not None:
            unsupported.append(f"parameter mapping in a binding of {element.get('name')!r}")
        if parameter_set is None:
            continue
        parameters = _child(parameter_set, "Parameters")
        for parameter in _children(parameters, "Parameter") if parameters is not None else []:
            name = prefix + (parameter.get("name") or "")
            for typed in parameter:
                kind = _local(typed.tag)
                raw = typed.get("value")
                if raw is None:
                    continue
                unit = typed.get("unit")
                if unit is not None:
                    unit = unit.strip("[]") or None
                if kind == "Real":
                    values[name] = (float(raw), unit)
                elif kind in ("Integer", "Enumeration"):
                    values[name] = (int(raw), None)
                elif kind == "Boolean":
                    values[name] = (raw.strip() in ("true", "1"), None)
                elif kind == "String":
                    values[name] = (raw, None)
    return values


def read_ssd(path: str | os.PathLike) -> SSPSystem:
    """Read and flatten a ``SystemStructure.ssd`` (or a directory holding one).

    Raises
    ------
    ConfigError
        When the file is missing or malformed, a component's FMU is missing, or a net is driven by
        more than one output.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "SystemStructure.ssd"
    if not path.exists():
        raise ConfigError(f"`path` must be an SSP directory or SystemStructure.ssd; {str(path)!r} does not exist.")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ConfigError(f"{path.name} is not well-formed XML: {exc}") from None
    base = path.parent
    top = _child(root, "System")
    if top is None:
        raise ConfigError(f"{path.name} has no ssd:System element.")
    problems: list[str] = []
    unsupported: list[str] = []
    components: list[dict[str, Any]] = []
    kinds: dict[tuple[tuple[str, ...], str], tuple[str, str | None]] = {}
    links: list[tuple[tuple[tuple[str, ...], str], tuple[tuple[str, ...], str]]] = []
    system_bindings: list[tuple[tuple[str, ...], dict[str, tuple[Any, str | None]]]] = []

    def connectors_of(element: ET.Element, owner: tuple[str, ...]) -> dict[str, tuple[str, str | None]]:
        found = {}
        holder = _child(element, "Connectors")
        for connector in _children(holder, "Connector") if holder is not None else []:
            typed = next(
                (c for c in connector if _local(c.tag) in ("Real", "Integer", "Boolean", "String", "Enumeration", "Binary")), None
            )
            unit = typed.get("unit") if typed is not None else None
            found[connector.get("name")] = (connector.get("kind") or "inout", unit)
            kinds[(owner, connector.get("name"))] = (connector.get("kind") or "inout", unit)
        return found

    def walk(system: ET.Element, owner: tuple[str, ...]) -> None:
        connectors_of(system, owner)
        system_bindings.append((owner, _parameter_values(system, base, unsupported)))
        elements = _child(system, "Elements")
        for element in list(elements) if elements is not None else []:
            tag = _local(element.tag)
            name = element.get("name")
            if tag == "System":
                walk(element, (*owner, name))
            elif tag == "Component":
                source = element.get("source") or ""
                if element.get("type") not in (None, "application/x-fmu-sharedlibrary"):
                    unsupported.append(f"component {name!r} of type {element.get('type')!r}")
                    continue
                fmu = (base / source).resolve()
                if not fmu.exists():
                    problems.append(f"component {name!r}: FMU {source!r} does not exist.")
                components.append(
                    {
                        "path": (*owner, name),
                        "source": fmu,
                        "implementation": element.get("implementation") or "any",
                        "connectors": connectors_of(element, (*owner, name)),
                        "parameters": _parameter_values(element, base, unsupported),
                    }
                )
            elif tag == "SignalDictionaryReference":
                unsupported.append(f"signal dictionary reference {name!r}")
        holder = _child(system, "Connections")
        for connection in _children(holder, "Connection") if holder is not None else []:
            start = (*owner, connection.get("startElement")) if connection.get("startElement") else owner
            end = (*owner, connection.get("endElement")) if connection.get("endElement") else owner
            for transformation in (
                "LinearTransformation",
                "BooleanMappingTransformation",
                "IntegerMappingTransformation",
                "EnumerationMappingTransformation",
            ):
                if _child(connection, transformation) is not None:
                    unsupported.append(
                        f"{transformation} on connection {connection.get('startElement')}.{connection.get('startConnector')} -> "
                        f"{connection.get('endElement')}.{connection.get('endConnector')}"
                    )
            links.append(((start, connection.get("startConnector")), (end, connection.get("endConnector"))))

    walk(top, (top.get("name"),))
    # participant names: last path element, made identifier-safe and unique
    names: dict[tuple[str, ...], str] = {}
    used: set[str] = set()
    for component in components:
        candidate = re.sub(r"\W", "_", component["path"][-1]) or "component"
        if candidate[0].isdigit():
            candidate = f"c_{candidate}"
        if candidate in used:
            candidate = re.sub(r"\W", "_", "_".join(component["path"][1:]))
        used.add(candidate)
        names[component["path"]] = candidate
    # system-level bindings "element.variable" reach into elements
    for owner, values in system_bindings:
        for name, value in values.items():
            for component in components:
                path = component["path"]
                if path[: len(owner)] != owner:
                    continue
                relative = ".".join(path[len(owner) :]) + "."
                if name.startswith(relative):
                    component["parameters"].setdefault(name[len(relative) :], value)
    # nets by union-find
    parent: dict[Any, Any] = {}

    def find(node: Any) -> Any:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        parent[find(a)] = find(b)
    nets: dict[Any, list[Any]] = {}
    for node in list(parent):
        nets.setdefault(find(node), []).append(node)
    component_paths = set(names)
    connections: list[tuple[str, str]] = []
    outputs: dict[str, str] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    top_owner = (top.get("name"),)
    for members in nets.values():
        drivers = [
            n for n in members if n[0] in component_paths and kinds.get(n, ("", None))[0] in ("output", "calculatedParameter")
        ]
        sinks = [n for n in members if n[0] in component_paths and kinds.get(n, ("", None))[0] in ("input", "parameter", "inout")]
        top_connectors = [n for n in members if n[0] == top_owner]
        if len(drivers) > 1:
            listed = ", ".join(f"{names[d[0]]}.{d[1]}" for d in drivers)
            problems.append(f"signals {listed} are connected to each other: a net must have exactly one driving output.")
            continue
        if drivers:
            driver = f"{names[drivers[0][0]]}.{drivers[0][1]}"
            connections += [(driver, f"{names[s[0]]}.{s[1]}") for s in sinks]
            for connector in top_connectors:
                outputs[connector[1]] = driver
        elif sinks:
            external = [c for c in top_connectors if kinds.get(c, ("", None))[0] in ("input", "parameter", "inout")]
            if external:
                inputs[external[0][1]] = tuple(f"{names[s[0]]}.{s[1]}" for s in sinks)
    if problems:
        raise ConfigError(join_problems(f"SSP system in {path} cannot be used:", problems))
    return SSPSystem(
        name=top.get("name") or root.get("name") or path.parent.name,
        version=root.get("version") or "",
        components=tuple(
            SSPComponent(names[c["path"]], c["path"], c["source"], c["implementation"], c["connectors"], c["parameters"])
            for c in components
        ),
        connections=tuple(sorted(set(connections))),
        outputs=outputs,
        inputs=inputs,
        unsupported=tuple(unsupported),
    )


def load_ssp(
    path: str | os.PathLike,
    *,
    interface: str | None = None,
    isolate: bool = False,
    strict: bool = True,
    **options: Any,
):
    """Build a :class:`~physics_twin.fmu.master.CoSimulation` from an SSP system.

    Parameters
    ----------
    path : path-like
        SSP directory or its ``SystemStructure.ssd``.
    interface : {"ME", "CS"}, optional
        Force an interface for every FMU; by default each component's ``implementation`` decides
        (``"any"``: co-simulation when offered).
    isolate : bool
        Run each FMU in its own process (:class:`~physics_twin.fmu.isolation.IsolatedFMU`; co-simulation only).
    strict : bool
        Refuse a system with constructs listed in :attr:`SSPSystem.unsupported` (default) instead of ignoring them.
    **options
        Passed to :class:`~physics_twin.fmu.master.CoSimulation` (``ordering``, ``integrator``, ``max_step``, ...).

    Returns
    -------
    CoSimulation
        With the bound parameter values applied as start values of each FMU, and ``.ssp`` set to the
        :class:`SSPSystem` (its ``outputs`` map the system's output connectors to participant outputs).
    """
    from physics_twin.fmu.adapter import FMUComponent
    from physics_twin.fmu.isolation import IsolatedFMU
    from physics_twin.fmu.master import CoSimulation

    system = read_ssd(path)
    if system.unsupported and strict:
        raise ConfigError(
            join_problems(
                f"SSP system {system.name!r} uses constructs this reader does not apply (pass strict=False to ignore):",
                list(system.unsupported),
            )
        )
    participants = []
    try:
        for component in system.components:
            chosen = interface or {"ModelExchange": "ME", "CoSimulation": "CS"}.get(component.implementation, "auto")
            factory = IsolatedFMU if isolate else FMUComponent
            fmu = factory(component.source, component.name, interface=chosen)
            start_values = {}
            for name, (value, unit) in component.parameters.items():
                try:
                    variable = fmu.variable(name)
                except Exception:
                    raise ConfigError(
                        f"SSP binding {component.name}.{name}: the FMU {component.source.name!r} has no variable {name!r}."
                    ) from None
                if unit and variable.declared_unit and variable.kind == "float":
                    from physics_twin.fmu.description import pint_unit

                    start_values[name] = (value, pint_unit(unit))
                else:
                    start_values[name] = value
            if start_values:
                fmu._user_values = (
                    fmu._checked_values(start_values, purpose="SSP start") if hasattr(fmu, "_checked_values") else {}
                )
                if isolate:
                    fmu._parameters = start_values
                    fmu.restart()
            participants.append(fmu)
        external = {name: targets for name, targets in system.inputs.items()}
        simulation = CoSimulation(
            participants, system.connections, inputs=external, name=re.sub(r"\W", "_", system.name), **options
        )
    except Exception:
        for participant in participants:
            participant.close()
        raise
    simulation.ssp = system
    return simulation
