"""Parameter sets as data: one TOML file per set, each value with its unit and its source.

A set for component ``CentrifugalPump`` called ``grundfos_cr3`` lives in
``physics_twin/parameter_sets/centrifugal_pump/grundfos_cr3.toml`` (the folder is the registry name in
snake case: ``DCMotor`` -> ``dc_motor``). The file has a ``[meta]`` table and one table per parameter::

    [meta]
    description = "Grundfos CR 3-5 at 50 Hz, curves read from the datasheet"
    source = "Grundfos CR, CRI, CRN data booklet (2019), p. 34"

    [parameters.shutoff_head]
    value = 42.0
    unit = "m"
    source = "datasheet curve at Q = 0"

The loader checks every entry against the component's declaration and reports **every** problem of a
file in one exception: unknown parameter names (with the closest declared names), units that are not
exactly the declared unit (the same pint unit: ``"N*m"`` matches ``"m*N"``, but ``"J"`` does not match
``"N*m"`` and ``"Hz"`` does not match ``"rad/s"``; nothing is ever converted), non-numeric, non-finite or
out-of-bounds values, missing sources, missing required parameters and violated cross-parameter
constraints. See ``docs/parameter_sets.md``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from physics_twin.errors import ParameterError, UnitError, closest_names, join_problems

__all__ = ["ParameterSet", "component_folder", "list_parameter_sets", "load_parameter_set"]

_ENTRY_KEYS = ("value", "unit", "source")
_META_KEYS = ("description", "source")


@dataclass(frozen=True)
class ParameterSet(Mapping):
    """A loaded, checked parameter set: a read-only mapping of parameter name to SI value.

    Unpack it into a component: ``CentrifugalPump(**load_parameter_set("CentrifugalPump", "x"))``.

    Attributes
    ----------
    component : str
        Registry name of the component type.
    name : str
        Name of the set (the file name without ``.toml``).
    description, source : str
        From the ``[meta]`` table.
    values : dict of str to float
        Parameter values in the declared SI units.
    units, sources : dict of str to str
        Unit and source of each entry, as written in the file.
    """

    component: str
    name: str
    description: str
    source: str
    values: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def component_folder(component: str) -> str:
    """Folder name of a component type's sets: the registry name in snake case (``DCMotor`` -> ``dc_motor``)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", component)
    return spaced.lower()


def _component_name(component: Any) -> str:
    from physics_twin.components.registry import component_class

    if isinstance(component, type):
        name = component.__name__
    elif isinstance(component, str):
        name = component
    else:
        raise ParameterError(f"`component` must be a registry name or a Component class; got {type(component).__name__}.")
    component_class(name)  # ConfigError with the closest names when unknown
    return name


def _root(directory: Any = None):
    return resources.files(__name__) if directory is None else Path(directory)


def _set_names(folder: str, root: Any = None) -> list[str]:
    directory = _root(root).joinpath(folder)
    if not directory.is_dir():
        return []
    return sorted(entry.name[: -len(".toml")] for entry in directory.iterdir() if entry.name.endswith(".toml"))


def list_parameter_sets(component: Any = None, *, directory: str | Path | None = None) -> list[str] | dict[str, list[str]]:
    """Names of the available parameter sets.

    Parameters
    ----------
    component : str or Component class, optional
        A registered component type. When given, the names of its sets are returned.

    Returns
    -------
    list of str or dict of str to list of str
        The sorted set names of ``component``; without ``component``, a dict from every registered
        component type that has sets to its set names.
    directory : str or Path, optional
        A folder laid out like the packaged one (``<directory>/<component folder>/<set>.toml``), for
        sets kept outside the package (a plant's own data, a calibration campaign's output).
    """
    if component is not None:
        return _set_names(component_folder(_component_name(component)), directory)
    from physics_twin.components.registry import list_components

    listing = {name: _set_names(component_folder(name), directory) for name in list_components()}
    return {name: sets for name, sets in listing.items() if sets}


def _same_unit_exactly(written: str, declared: str) -> bool:
    from physics_twin.core.units import unit_registry

    registry = unit_registry()
    try:
        return registry.Unit(written.strip() or "1") == registry.Unit(declared.strip() or "1")
    except Exception:  # pint raises several unrelated types for unparsable strings
        return False


def _unit_hint(written: str, declared: str) -> str:
    from physics_twin.core.units import converter

    try:
        scale, offset = converter(written, declared)
    except (UnitError, ValueError):
        return "; the dimensions differ"
    shift = f" + {offset:g}" if offset else ""
    return (
        f"; convert the value yourself (1 {written} = {scale:.12g} {declared}{shift}, "
        "physics_twin.core.units.converter) and write the declared unit"
    )


def load_parameter_set(component: Any, name: str, *, directory: str | Path | None = None) -> ParameterSet:
    """Load and check the parameter set ``name`` of ``component``.

    Parameters
    ----------
    component : str or Component class
        Registered component type, e.g. ``"CentrifugalPump"``.
    name : str
        Set name: the file ``parameter_sets/<component in snake case>/<name>.toml``.
    directory : str or Path, optional
        Read from this folder instead of the packaged sets (same layout).

    Returns
    -------
    ParameterSet
        Mapping of parameter name to value in the declared SI units, with units, sources and meta data.

    Raises
    ------
    ParameterError
        Unknown set (with the closest set names), malformed file, unknown parameter names (with the
        closest declared names), non-finite or out-of-bounds values, missing sources or required
        parameters. Every problem of the file is listed in one exception.
    UnitError
        When at least one unit differs from the declared unit (a subclass of ParameterError; the
        message lists the other problems too).
    """
    from physics_twin.components.registry import component_class
    from physics_twin.core.model import check_parameter_values

    component_name = _component_name(component)
    cls = component_class(component_name)
    folder = component_folder(component_name)
    available = _set_names(folder, directory)
    if not isinstance(name, str) or name not in available:
        close = closest_names(str(name), available)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        place = f"{directory}/{folder}/" if directory is not None else f"parameter_sets/{folder}/"
        raise ParameterError(
            f"unknown parameter set {name!r} for component {component_name!r} (folder {place}).{hint} "
            f"Available: {', '.join(available) or 'none'}; list them with list_parameter_sets({component_name!r})."
        )
    where = f"parameter set {component_name}/{name}"
    try:
        document = tomllib.loads(_root(directory).joinpath(folder, f"{name}.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{where} is not valid TOML: {exc}.") from None

    problems: list[str] = []
    unit_problems: list[str] = []
    problems += [
        f"unknown top-level key {key!r}; a set has only [meta] and [parameters.<name>] tables."
        for key in document
        if key not in ("meta", "parameters")
    ]
    meta = document.get("meta")
    if not isinstance(meta, dict):
        problems.append("`[meta]` table is missing; it needs `description` and `source` strings.")
        meta = {}
    for key in _META_KEYS:
        if not isinstance(meta.get(key), str) or not meta.get(key, "").strip():
            problems.append(f"`meta.{key}` must be a non-empty string; got {meta.get(key)!r}.")
    problems += [f"unknown key `meta.{key}`; [meta] has {', '.join(_META_KEYS)}." for key in meta if key not in _META_KEYS]

    entries = document.get("parameters")
    if not isinstance(entries, dict) or not entries:
        problems.append("`[parameters.<name>]` tables are missing; each needs `value`, `unit` and `source`.")
        entries = {}
    declared = {d.name: d for d in cls.PARAMETERS}
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    sources: dict[str, str] = {}
    for parameter, entry in entries.items():
        label = f"`{parameter}`"
        if parameter not in declared:
            close = closest_names(parameter, declared)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            problems.append(f"unknown parameter {parameter!r} of {component_name}.{hint} Declared: {', '.join(declared)}.")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{label} must be a table with `value`, `unit` and `source`; got {entry!r}.")
            continue
        problems += [
            f"{label} has unknown key {key!r}; an entry has {', '.join(_ENTRY_KEYS)}." for key in entry if key not in _ENTRY_KEYS
        ]
        declaration = declared[parameter]
        unit = entry.get("unit")
        if not isinstance(unit, str):
            problems.append(f"{label} needs a `unit` string (declared: {declaration.unit!r}); got {unit!r}.")
        elif not _same_unit_exactly(unit, declaration.unit):
            unit_problems.append(
                f"{label} must be given in {declaration.unit!r} exactly; got {unit!r}{_unit_hint(unit, declaration.unit)}."
            )
        else:
            units[parameter] = unit
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            problems.append(
                f"{label} needs a non-empty `source` string (datasheet, paper DOI, calibration campaign); got {source!r}."
            )
        else:
            sources[parameter] = source
        value = entry.get("value")
        if value is None:
            problems.append(f"{label} needs a `value` [{declaration.unit}].")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{label} must be a real number [{declaration.unit}]; got {value!r}.")
        else:
            values[parameter] = float(value)

    # bounds, finiteness and missing required values, with the declaration's own checks
    try:
        vector = check_parameter_values(cls.PARAMETERS, values, where)
    except ParameterError as exc:
        problems += [line.strip()[2:] for line in str(exc).splitlines()[1:] if line.strip().startswith("- ")]
    else:
        if all(math.isfinite(v) for v in vector):
            problems += cls.parameter_problems(dict(zip(declared, vector.tolist(), strict=True)))
    if unit_problems:
        raise UnitError(join_problems(f"invalid {where}:", unit_problems + problems))
    if problems:
        raise ParameterError(join_problems(f"invalid {where}:", problems))
    return ParameterSet(
        component=component_name,
        name=name,
        description=meta["description"],
        source=meta["source"],
        values=values,
        units=units,
        sources=sources,
    )
