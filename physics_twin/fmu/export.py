"""Export of a native Component or System as an FMU (FMI 2.0 or 3.0, co-simulation and model exchange in one file).

Our kernels are Python compiled by numba; they cannot be shipped inside an FMU. The route taken here is code
generation over hand-written C: every exportable component class has a C twin of its ``rhs`` and ``output``
kernels (``physics_twin/fmu/csrc/components``: the same equations, vector order, names, units and defaults), and
the exporter writes one ``model.c`` that wires those kernels together exactly as :class:`~physics_twin.core.System`
wires the Python ones (same evaluation order, same connections, same exposed inputs). The FMI glue
(``pt_core.c`` with ``pt_fmi2.c`` or ``pt_fmi3.c``) is the project's own and is generic over any such model: value
references, start values, units, a fixed-step RK4 for co-simulation, model-exchange functions, and FMU states that
can be copied and serialized into bytes.

The binary is compiled with the machine's C compiler (``$CC``, ``cc``, ``gcc`` or ``clang``) against the FMI
standard's published headers, taken from fmpy's installed copy; the C sources go into the FMU's ``sources/`` folder
so that another platform can compile them too.

Limits (see ``docs/fmus.md``): only components with a C twin can be exported (:func:`exportable_components`);
a flat :class:`~physics_twin.core.Model` cannot, because its kernels are compiled Python; the FMUs have no events,
no directional derivatives and only Float64/Real variables; binaries are built for the current platform (Linux or
macOS).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from physics_twin.errors import FMUError, ModelStructureError, ParameterError, UnitError, join_problems

__all__ = ["export_fmu", "exportable_components", "find_c_compiler"]

_CSRC = Path(__file__).resolve().parent / "csrc"
_GLUE_SOURCES = ("pt_model.h", "pt_core.h", "pt_core.c")
_INTERFACE_SOURCE = {"2.0": "pt_fmi2.c", "3.0": "pt_fmi3.c"}
_UUID_NAMESPACE = uuid.UUID("6f1c2d8e-4a57-5d0b-9e1a-70687973696b")
_LOG_CATEGORIES = ("logEvents", "logStatusWarning", "logStatusError")
SOLVER_STEP_NAME = "rk4_max_step"


@dataclass(frozen=True)
class _CTwin:
    """Where the C kernels of one component class live."""

    source: str  # file under csrc/components
    symbol: str  # C prefix: <symbol>_rhs, <symbol>_output
    has_check: bool  # <symbol>_check(p, prefix, message, size) mirrors parameter_problems


def _c_twins() -> dict[type, _CTwin]:
    from physics_twin.components.centrifugal_pump import CentrifugalPump
    from physics_twin.components.dc_motor import DCMotor
    from physics_twin.components.pipe_loop import PipeLoop

    return {
        DCMotor: _CTwin("dc_motor.c", "pt_dc_motor", False),
        CentrifugalPump: _CTwin("centrifugal_pump.c", "pt_centrifugal_pump", True),
        PipeLoop: _CTwin("pipe_loop.c", "pt_pipe_loop", False),
    }


def exportable_components() -> tuple[type, ...]:
    """The component classes that have a C twin and can therefore be exported in an FMU."""
    return tuple(_c_twins())


def find_c_compiler(compiler: str | None = None) -> list[str]:
    """The command of the C compiler to use: ``compiler``, else ``$CC``, else the first of cc, gcc, clang on PATH.

    Raises
    ------
    FMUError
        When none is found, saying where it looked and how to install one.
    """
    candidates = [compiler] if compiler else ([os.environ["CC"]] if os.environ.get("CC") else ["cc", "gcc", "clang"])
    for candidate in candidates:
        command = shlex.split(candidate)
        if command and shutil.which(command[0]):
            return command
    looked = (
        f"`compiler`={compiler!r}"
        if compiler
        else ("$CC=" + repr(os.environ["CC"]) if os.environ.get("CC") else "cc, gcc, clang")
    )
    raise FMUError(
        f"no C compiler found (looked for {looked} on PATH); building an FMU's binary needs one. Install one "
        "(Debian/Ubuntu: apt-get install gcc; macOS: xcode-select --install) or set CC."
    )


def _platform_folder(fmi_version: str) -> tuple[str, str]:
    """(binaries sub-folder, shared-library suffix) of the running platform for ``fmi_version``."""
    machine = platform.machine().lower()
    architecture = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    system = platform.system()
    if architecture and system == "Linux":
        if fmi_version == "3.0":
            return f"{architecture}-linux", ".so"
        if architecture == "x86_64":
            return "linux64", ".so"
    if architecture and system == "Darwin":
        return (f"{architecture}-darwin" if fmi_version == "3.0" else "darwin64"), ".dylib"
    raise FMUError(
        f"cannot build an FMI {fmi_version} binary on {system} {machine}: the exporter knows Linux x86_64 (FMI 2 and 3), "
        "Linux aarch64 (FMI 3) and macOS. The C sources are portable: compile them with the FMI headers by hand."
    )


# ---- units -------------------------------------------------------------------------------------------------------

_BASE_EXPONENTS = {
    "[mass]": "kg",
    "[length]": "m",
    "[time]": "s",
    "[current]": "A",
    "[temperature]": "K",
    "[substance]": "mol",
    "[luminosity]": "cd",
}


def _base_unit(unit: str) -> dict[str, str]:
    """FMI BaseUnit attributes (SI exponents, rad separately, factor) of a pint unit string."""
    from physics_twin.core.units import unit_registry

    registry = unit_registry()
    exponents: dict[str, float] = {}
    parsed = registry.parse_units(unit.strip() or "1")
    for name, power in parsed._units.items():
        if name == "radian":
            exponents["rad"] = exponents.get("rad", 0) + power
            continue
        for dimension, dimension_power in registry.Unit(name).dimensionality.items():
            symbol = _BASE_EXPONENTS.get(dimension)
            if symbol is None:
                raise UnitError(f"unit {unit!r} has dimension {dimension} that FMI's BaseUnit cannot express.")
            exponents[symbol] = exponents.get(symbol, 0) + power * dimension_power
    attributes = {}
    for symbol in ("kg", "m", "s", "A", "K", "mol", "cd", "rad"):
        power = exponents.get(symbol, 0)
        if power != int(power):
            raise UnitError(f"unit {unit!r} has the fractional exponent {power} of {symbol}; FMI needs integers.")
        if power:
            attributes[symbol] = str(int(power))
    factor = registry.Quantity(1.0, parsed).to_base_units().magnitude
    if not math.isclose(factor, 1.0, rel_tol=1e-15):
        attributes["factor"] = repr(float(factor))
    return attributes


def _per_second(unit: str) -> str:
    """The unit of a state's time derivative, written compactly (``rad/s`` -> ``rad/s^2``, ``1`` -> ``1/s``)."""
    from physics_twin.core.units import unit_registry

    registry = unit_registry()
    parsed = (registry.parse_units(unit.strip() or "1") / registry.second)._units
    symbol = {name: registry.get_symbol(name) for name in parsed}

    def term(name: str, power: float) -> str:
        power = abs(power)
        return symbol[name] + ("" if power == 1 else f"^{int(power) if power == int(power) else power}")

    numerator = "*".join(term(n, p) for n, p in parsed.items() if p > 0) or "1"
    denominator = "/".join(term(n, p) for n, p in parsed.items() if p < 0)
    return f"{numerator}/{denominator}" if denominator else numerator


# ---- flattening --------------------------------------------------------------------------------------------------


@dataclass
class _Variable:
    name: str
    unit: str
    description: str
    start: float | None = None
    minimum: float = -math.inf
    maximum: float = math.inf


@dataclass
class _Flat:
    """A model ready for C and XML: declarations with final names, C code, sources and the state aliases."""

    name: str
    parameters: list[_Variable] = field(default_factory=list)
    inputs: list[_Variable] = field(default_factory=list)
    states: list[_Variable] = field(default_factory=list)
    outputs: list[_Variable] = field(default_factory=list)
    output_state: dict[int, int] = field(default_factory=dict)  # output index -> state index it publishes
    code: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _flatten(system_or_model) -> _Flat:
    from physics_twin.core.component import Component
    from physics_twin.core.model import Model
    from physics_twin.core.system import System

    twins = _c_twins()
    if isinstance(system_or_model, Component):
        components = [system_or_model]
        qualify = False
        inputs = {d.name: ((system_or_model.name, i),) for i, d in enumerate(system_or_model.INPUTS)}
        sources = {(system_or_model.name, i): ("external", i) for i in range(len(system_or_model.INPUTS))}
        sequence = [0]
    elif isinstance(system_or_model, System):
        components = list(system_or_model.components)
        qualify = True
        by_name = {c.name: c for c in components}
        inputs = {}
        for alias, targets in system_or_model.inputs.items():
            resolved = []
            for target in targets:
                component_name, _, signal = target.partition(".")
                resolved.append((component_name, [d.name for d in by_name[component_name].INPUTS].index(signal)))
            inputs[alias] = tuple(resolved)
        sources = system_or_model._sources
        sequence = list(system_or_model._sequence)
    elif isinstance(system_or_model, Model):
        raise ModelStructureError(
            f"`system_or_model` must be a Component or a System; got the flat Model {system_or_model.name!r}, whose kernels "
            "are compiled Python that cannot be translated to C. Export the Component or System it came from."
        )
    else:
        raise ModelStructureError(f"`system_or_model` must be a Component or a System; got {type(system_or_model).__name__}.")
    missing = sorted({f"{c.name} ({type(c).__name__})" for c in components if type(c) not in twins})
    if missing:
        known = ", ".join(cls.__name__ for cls in twins)
        raise ModelStructureError(
            f"cannot export {system_or_model.name!r}: no C implementation for {', '.join(missing)}. "
            f"Components that can be exported: {known} (see docs/fmus.md for adding one)."
        )

    flat = _Flat(name=system_or_model.name)
    prefix = (lambda c: f"{c.name}.") if qualify else (lambda c: "")
    offsets = {"x": [0], "y": [0], "p": [0]}
    for component in components:
        offsets["x"].append(offsets["x"][-1] + len(component.STATES))
        offsets["y"].append(offsets["y"][-1] + len(component.OUTPUTS))
        offsets["p"].append(offsets["p"][-1] + len(component.PARAMETERS))
        for declaration, value in zip(component.PARAMETERS, component.parameter_values.tolist(), strict=True):
            lower, upper = declaration.bounds
            flat.parameters.append(
                _Variable(prefix(component) + declaration.name, declaration.unit, declaration.description, value, lower, upper)
            )
        state_names = [s.name for s in component.STATES]
        for s in component.STATES:
            flat.states.append(_Variable(prefix(component) + s.name, s.unit, s.description, float(s.start)))
        for o in component.OUTPUTS:
            # convention of the exportable components (checked by the tests): an output named like a state is that state
            if o.name in state_names:
                flat.output_state[len(flat.outputs)] = offsets["x"][-2] + state_names.index(o.name)
            flat.outputs.append(_Variable(prefix(component) + o.name, o.unit, o.description))
    index_of = {c.name: k for k, c in enumerate(components)}
    for alias, targets in inputs.items():
        component_name, index = targets[0]
        declaration = components[index_of[component_name]].INPUTS[index]
        flat.inputs.append(_Variable(alias, declaration.unit, declaration.description, float(declaration.default)))

    def assemble(k: int) -> list[str]:
        component = components[k]
        lines = [f"    double u{k}[{max(len(component.INPUTS), 1)}]; /* inputs of {component.name} */"]
        for i in range(len(component.INPUTS)):
            kind, source = sources[(component.name, i)]
            if kind == "external":
                lines.append(f"    u{k}[{i}] = u[{source}];")
            else:
                lines.append(f"    u{k}[{i}] = y[{offsets['y'][index_of[source[0]]] + source[1]}];")
        return lines

    def call(k: int, kernel: str, result: str) -> str:
        symbol = twins[type(components[k])].symbol
        return f"    {symbol}_{kernel}(t, x + {offsets['x'][k]}, u{k}, p + {offsets['p'][k]}, {result});"

    ny = offsets["y"][-1]
    code = ["static void model_output(double t, const double *x, const double *u, const double *p, double *y) {"]
    # as the Python System: outputs start at zero, so an input read before its source is evaluated (only by a kernel
    # that does not use it: the evaluation order guarantees that) is a defined value
    code += [f"    for (int k = 0; k < {ny}; ++k) y[k] = 0.0;"]
    for k in sequence:
        code += ["    {", *("    " + line for line in assemble(k)), "    " + call(k, "output", f"y + {offsets['y'][k]}"), "    }"]
    code += ["}", ""]
    code += ["static void model_rhs(double t, const double *x, const double *u, const double *p, double *dx) {"]
    code += [f"    double y[{max(ny, 1)}];", "    model_output(t, x, u, p, y);"]
    for k, component in enumerate(components):
        if component.STATES:
            code += [
                "    {",
                *("    " + line for line in assemble(k)),
                "    " + call(k, "rhs", f"dx + {offsets['x'][k]}"),
                "    }",
            ]
    code += ["}", ""]
    checks = [(k, twins[type(c)]) for k, c in enumerate(components) if twins[type(c)].has_check]
    code += ["static int model_check(const double *p, char *message, size_t size) {", "    int problems = 0;"]
    for k, twin in checks:
        code.append(f'    problems += {twin.symbol}_check(p + {offsets["p"][k]}, "{prefix(components[k])}", message, size);')
    code += ["    return problems;", "}"]
    flat.code = code
    flat.sources = sorted({twins[type(c)].source for c in components})
    return flat


# ---- value references and names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Value references as pt_model.h lays them out."""

    flat: _Flat

    @property
    def solver_step(self) -> int:
        return 1 + len(self.flat.parameters)

    def parameter(self, i: int) -> int:
        return 1 + i

    def input(self, i: int) -> int:
        return 2 + len(self.flat.parameters) + i

    def state(self, i: int) -> int:
        return self.input(len(self.flat.inputs)) + i

    def derivative(self, i: int) -> int:
        return self.state(len(self.flat.states)) + i

    def output(self, i: int) -> int:
        return self.derivative(len(self.flat.states)) + i

    def names_by_reference(self) -> list[str]:
        flat = self.flat
        names = ["time", *(p.name for p in flat.parameters), SOLVER_STEP_NAME, *(u.name for u in flat.inputs)]
        names += [s.name for s in flat.states] + [f"der({s.name})" for s in flat.states] + [o.name for o in flat.outputs]
        return names

    def check_names(self) -> None:
        flat = self.flat
        published = {flat.output_state[j] for j in flat.output_state}
        names = ["time", *(p.name for p in flat.parameters), SOLVER_STEP_NAME, *(u.name for u in flat.inputs)]
        names += [s.name for s in flat.states] + [f"der({s.name})" for s in flat.states]
        names += [o.name for j, o in enumerate(flat.outputs) if j not in flat.output_state]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        unpublished_clash = [
            flat.states[i].name for i in range(len(flat.states)) if i not in published and names.count(flat.states[i].name) > 1
        ]
        if duplicates or unpublished_clash:
            raise ModelStructureError(
                f"cannot export {flat.name!r}: the FMU variable names {duplicates} would not be unique "
                f"(`{SOLVER_STEP_NAME}` and `time` are reserved); rename the component inputs or parameters."
            )


# ---- C -----------------------------------------------------------------------------------------------------------


def _c_double(value: float) -> str:
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def _c_array(name: str, values: Sequence[float]) -> str:
    body = ", ".join(_c_double(v) for v in values) if values else "0.0"
    return f"static const double {name}[] = {{{body}}};"


def _c_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a JSON string of ASCII is a valid C string literal


def _model_c(flat: _Flat, layout: _Layout, token: str, rk4_max_step: float) -> str:
    names = layout.names_by_reference()
    lines = [
        f"/* Generated by physics_twin.fmu.export from {flat.name!r}; do not edit: re-export instead. */",
        "#include <math.h>",
        "#include <stddef.h>",
        "",
        '#include "pt_components.h"',
        '#include "pt_model.h"',
        "",
        *flat.code,
        "",
        _c_array("X_START", [s.start for s in flat.states]),
        _c_array("U_START", [u.start for u in flat.inputs]),
        _c_array("P_START", [p.start for p in flat.parameters]),
        _c_array("P_MIN", [p.minimum for p in flat.parameters]),
        _c_array("P_MAX", [p.maximum for p in flat.parameters]),
        "static const char *const NAMES[] = {",
        *(f"    {_c_string(n)}," for n in names),
        "};",
        "",
        "const pt_model PT_MODEL = {",
        f"    {_c_string(flat.name)},",
        f"    {_c_string(token)},",
        f"    {len(flat.states)}, {len(flat.inputs)}, {len(flat.outputs)}, {len(flat.parameters)},",
        "    X_START, U_START, P_START,",
        "    P_MIN, P_MAX,",
        f"    {_c_double(rk4_max_step)},",
        "    NAMES,",
        "    model_rhs,",
        "    model_output,",
        "    model_check,",
        "};",
        "",
    ]
    return "\n".join(lines)


# ---- modelDescription.xml ----------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return repr(float(value))


def _model_description(flat: _Flat, layout: _Layout, fmi_version: str, identifier: str, token: str, options: dict) -> bytes:
    from physics_twin import __version__

    fmi3 = fmi_version == "3.0"
    published = {state: output for output, state in flat.output_state.items()}
    root = ElementTree.Element(
        "fmiModelDescription",
        {
            "fmiVersion": fmi_version,
            "modelName": flat.name,
            ("instantiationToken" if fmi3 else "guid"): token,
            "description": options["description"],
            "generationTool": f"physics_twin {__version__} (physics_twin.fmu.export)",
            "variableNamingConvention": "structured",
            **({} if fmi3 else {"numberOfEventIndicators": "0"}),
        },
    )
    state_key = "FMUState" if fmi3 else "FMUstate"
    common = {"modelIdentifier": identifier, f"canGetAndSet{state_key}": "true", f"canSerialize{state_key}": "true"}
    source_files = ["model.c", *_GLUE_SOURCES[2:], _INTERFACE_SOURCE[fmi_version], *flat.sources]
    if fmi3:
        ElementTree.SubElement(root, "ModelExchange", {**common, "needsCompletedIntegratorStep": "false"})
        ElementTree.SubElement(
            root, "CoSimulation", {**common, "canHandleVariableCommunicationStepSize": "true", "hasEventMode": "false"}
        )
    else:
        model_exchange = ElementTree.SubElement(root, "ModelExchange", {**common, "completedIntegratorStepNotNeeded": "true"})
        co_simulation = ElementTree.SubElement(
            root,
            "CoSimulation",
            {
                **common,
                "canHandleVariableCommunicationStepSize": "true",
                "canInterpolateInputs": "false",
                "maxOutputDerivativeOrder": "0",
            },
        )
        for element in (model_exchange, co_simulation):
            files = ElementTree.SubElement(element, "SourceFiles")
            for name in source_files:
                ElementTree.SubElement(files, "File", {"name": name})

    units: dict[str, None] = {}
    variables: list[tuple[int, dict, dict]] = []  # (value reference, variable attributes, value attributes)

    def add(
        reference: int, name: str, description: str, causality: str, variability: str, unit: str | None = None, **extra
    ) -> None:
        attributes = {"name": name, "valueReference": str(reference)}
        if description:
            attributes["description"] = description
        attributes["causality"] = causality
        attributes["variability"] = variability
        if "initial" in extra:
            attributes["initial"] = extra.pop("initial")
        values = {}
        if "start" in extra:
            values["start"] = _number(extra.pop("start"))
        if unit is not None:
            values["unit"] = unit
            units[unit] = None
        for key in ("minimum", "maximum"):
            value = extra.pop(key, None)
            if value is not None and math.isfinite(value):
                values[key[:3]] = _number(value)
        values.update(extra)
        variables.append((reference, attributes, values))

    add(0, "time", "simulation time", "independent", "continuous", "s")
    for i, p in enumerate(flat.parameters):
        add(
            layout.parameter(i),
            p.name,
            p.description,
            "parameter",
            "tunable",
            p.unit,
            start=p.start,
            minimum=p.minimum,
            maximum=p.maximum,
        )
    add(
        layout.solver_step,
        SOLVER_STEP_NAME,
        "largest internal RK4 step of co-simulation: each communication step is split into equal sub-steps no longer than this",
        "parameter",
        "fixed",
        "s",
        start=options["rk4_max_step"],
    )
    for i, u in enumerate(flat.inputs):
        add(layout.input(i), u.name, u.description, "input", "continuous", u.unit, start=u.start)
    state_index: dict[int, int] = {}  # state -> position in ModelVariables (1-based, FMI 2)
    for i, s in enumerate(flat.states):
        state_index[i] = len(variables) + 1
        causality = "output" if i in published else "local"
        add(layout.state(i), s.name, s.description, causality, "continuous", s.unit, initial="exact", start=s.start)
    for i, s in enumerate(flat.states):
        derivative_of = str(layout.state(i)) if fmi3 else str(state_index[i])
        add(
            layout.derivative(i),
            f"der({s.name})",
            f"time derivative of {s.name}",
            "local",
            "continuous",
            _per_second(s.unit),
            derivative=derivative_of,
        )
    for j, o in enumerate(flat.outputs):
        if j not in flat.output_state:
            add(layout.output(j), o.name, o.description, "output", "continuous", o.unit)

    definitions = ElementTree.SubElement(root, "UnitDefinitions")
    for unit in units:
        ElementTree.SubElement(ElementTree.SubElement(definitions, "Unit", {"name": unit}), "BaseUnit", _base_unit(unit))
    categories = ElementTree.SubElement(root, "LogCategories")
    for category in _LOG_CATEGORIES:
        ElementTree.SubElement(categories, "Category", {"name": category})
    experiment = {"startTime": "0.0", "stopTime": _number(options["stop_time"])}
    if options["step_size"] is not None:
        experiment["stepSize"] = _number(options["step_size"])
    ElementTree.SubElement(root, "DefaultExperiment", experiment)

    model_variables = ElementTree.SubElement(root, "ModelVariables")
    for _, attributes, values in variables:
        if fmi3:
            ElementTree.SubElement(model_variables, "Float64", {**attributes, **values})
        else:
            ElementTree.SubElement(ElementTree.SubElement(model_variables, "ScalarVariable", attributes), "Real", values)

    structure = ElementTree.SubElement(root, "ModelStructure")
    position = {int(a["valueReference"]): k + 1 for k, (_, a, _) in enumerate(variables)}
    outputs = [r for r, a, _ in variables if a["causality"] == "output"]
    derivatives = [r for r, _, v in variables if "derivative" in v]
    initial_unknowns = sorted(derivatives + [layout.output(j) for j in range(len(flat.outputs)) if j not in flat.output_state])
    if fmi3:
        for reference in outputs:
            ElementTree.SubElement(structure, "Output", {"valueReference": str(reference)})
        for reference in derivatives:
            ElementTree.SubElement(structure, "ContinuousStateDerivative", {"valueReference": str(reference)})
        for reference in sorted(initial_unknowns, key=position.get):
            ElementTree.SubElement(structure, "InitialUnknown", {"valueReference": str(reference)})
    else:
        for group, references in (("Outputs", outputs), ("Derivatives", derivatives), ("InitialUnknowns", initial_unknowns)):
            if references:
                element = ElementTree.SubElement(structure, group)
                for reference in sorted(references, key=position.get):
                    ElementTree.SubElement(element, "Unknown", {"index": str(position[reference])})
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _build_description(identifier: str, source_files: Sequence[str]) -> bytes:
    root = ElementTree.Element("fmiBuildDescription", {"fmiVersion": "3.0"})
    configuration = ElementTree.SubElement(root, "BuildConfiguration", {"modelIdentifier": identifier})
    file_set = ElementTree.SubElement(configuration, "SourceFileSet", {"language": "C99"})
    for name in source_files:
        ElementTree.SubElement(file_set, "SourceFile", {"name": name})
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


# ---- public entry point ------------------------------------------------------------------------------------------


def _fmi_headers() -> Path:
    import fmpy

    folder = Path(fmpy.__file__).resolve().parent / "c-code"
    if not (folder / "fmi2Functions.h").is_file() or not (folder / "fmi3Functions.h").is_file():
        raise FMUError(f"the FMI headers are missing from fmpy's installation (looked in {folder}); reinstall fmpy.")
    return folder


def export_fmu(
    system_or_model,
    path: str | os.PathLike,
    fmi_version: str = "2.0",
    *,
    model_identifier: str | None = None,
    description: str | None = None,
    rk4_max_step: float = 1e-4,
    stop_time: float = 1.0,
    step_size: float | None = None,
    compiler: str | None = None,
) -> Path:
    """Write ``system_or_model`` as an FMU with co-simulation and model exchange.

    Parameters
    ----------
    system_or_model : Component or System
        A component or a system whose components all have a C twin (:func:`exportable_components`). Its current
        parameter values become the FMU's start values; its inputs (the system's exposed inputs, under their
        aliases) become FMU inputs; names are qualified (``"pump.pressure_rise"``) for a System, as in its Model.
    path : str or os.PathLike
        The ``.fmu`` file to write (folders are created; an existing file is replaced).
    fmi_version : {"2.0", "3.0"}
        FMI version of the model description and the binary interface.
    model_identifier : str, optional
        C identifier naming the binary (default: the component or system name).
    description : str, optional
        Model description text (default: the first line of the component's class docstring, or the system name).
    rk4_max_step : float
        Default of the FMU's ``rk4_max_step`` parameter: the largest internal RK4 step of co-simulation; RK4 is
        stable for steps below about 2.8 over the fastest eigenvalue of the model. [s]
    stop_time, step_size : float
        DefaultExperiment of the model description. [s]
    compiler : str, optional
        C compiler command (default: ``$CC``, else cc, gcc or clang).

    Returns
    -------
    pathlib.Path
        The FMU file written.

    Raises
    ------
    ParameterError
        Bad arguments (all problems listed together).
    ModelStructureError
        A component without a C twin, a flat Model, or FMU variable names that would clash.
    FMUError
        No C compiler, an unsupported platform, or a failed compilation (with the compiler's output).
    """
    from physics_twin.core.component import Component

    path = Path(path)
    problems = []
    if fmi_version not in _INTERFACE_SOURCE:
        problems.append(f"`fmi_version` must be '2.0' or '3.0'; got {fmi_version!r}.")
    if path.suffix != ".fmu":
        problems.append(f"`path` must end in .fmu; got {str(path)!r}.")
    for name, value in (("rk4_max_step", rk4_max_step), ("stop_time", stop_time), ("step_size", step_size)):
        if value is None and name == "step_size":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            problems.append(f"`{name}` must be a finite number > 0 [s]; got {value!r}.")
    identifier = model_identifier if model_identifier is not None else getattr(system_or_model, "name", "")
    if not (isinstance(identifier, str) and identifier.isidentifier() and identifier.isascii()):
        problems.append(f"`model_identifier` must be an ASCII C identifier; got {identifier!r}.")
    if problems:
        raise ParameterError(join_problems("invalid arguments of export_fmu:", problems))

    flat = _flatten(system_or_model)
    layout = _Layout(flat)
    layout.check_names()
    if description is None:
        doc = (type(system_or_model).__doc__ or "") if isinstance(system_or_model, Component) else ""
        description = doc.strip().splitlines()[0] if doc.strip() else f"physics_twin system {flat.name}"
    options = {
        "description": description,
        "rk4_max_step": float(rk4_max_step),
        "stop_time": float(stop_time),
        "step_size": step_size,
    }

    component_folder = _CSRC / "components"
    files = {name: (_CSRC / name).read_bytes() for name in (*_GLUE_SOURCES, _INTERFACE_SOURCE[fmi_version])}
    files["pt_components.h"] = (component_folder / "pt_components.h").read_bytes()
    files.update({name: (component_folder / name).read_bytes() for name in flat.sources})
    # the token depends on everything that defines the binary, so equal exports give equal tokens
    fingerprint = hashlib.sha256(json.dumps([fmi_version, identifier, repr(flat), rk4_max_step], default=str).encode())
    for name in sorted(files):
        fingerprint.update(name.encode() + files[name])
    token = "{" + str(uuid.uuid5(_UUID_NAMESPACE, fingerprint.hexdigest())) + "}"
    files["model.c"] = _model_c(flat, layout, token, rk4_max_step).encode()
    c_files = ["model.c", "pt_core.c", _INTERFACE_SOURCE[fmi_version], *flat.sources]
    model_description = _model_description(flat, layout, fmi_version, identifier, token, options)

    command = find_c_compiler(compiler)
    folder, suffix = _platform_folder(fmi_version)
    with tempfile.TemporaryDirectory(prefix="physics_twin_fmu_") as work:
        work_path = Path(work)
        for name, content in files.items():
            (work_path / name).write_bytes(content)
        library = work_path / f"{identifier}{suffix}"
        link = ["-dynamiclib"] if suffix == ".dylib" else ["-shared"]
        warnings = ["-Wall", "-Wextra", "-Wno-unused-parameter"]
        arguments = [*command, *link, "-fPIC", "-O2", "-std=c99", "-fvisibility=hidden", *warnings]
        arguments += [
            "-I",
            str(_fmi_headers()),
            "-I",
            str(work_path),
            "-o",
            str(library),
            *(str(work_path / f) for f in c_files),
            "-lm",
        ]
        result = subprocess.run(arguments, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise FMUError(f"compiling the FMU {identifier!r} failed ({shlex.join(arguments)}):\n{result.stderr.strip()}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".fmu.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("modelDescription.xml", model_description)
            archive.write(library, f"binaries/{folder}/{identifier}{suffix}")
            for name in sorted(files):
                archive.writestr(f"sources/{name}", files[name])
            if fmi_version == "3.0":
                archive.writestr("sources/buildDescription.xml", _build_description(identifier, c_files))
        os.replace(partial, path)
    return path
