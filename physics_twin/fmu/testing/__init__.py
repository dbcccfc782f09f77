"""Tiny FMUs built from C sources on demand, for tests, examples and benchmarks.

They exist so that the FMU machinery can be tested on this machine without downloading anything:

``build_oscillator_fmu``
    FMI 2.0 (model exchange + co-simulation) damped oscillator of unit mass with a Boolean
    parameter, a direct-feedthrough output and test hooks (abort, hang, error, discard); see
    ``oscillator_fmi2.c``.
``build_array_fmu``
    FMI 3.0 (model exchange + co-simulation) first-order lag with a 3-element array parameter and
    an array output; see ``array_fmi3.c``.

Both need a C compiler (``$CC`` or ``cc``); :func:`compiler_available` says whether there is one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from physics_twin.errors import FMUError

__all__ = ["build_array_fmu", "build_oscillator_fmu", "compiler_available"]

_HERE = Path(__file__).resolve().parent


def compiler_available() -> bool:
    """True when a C compiler is on PATH (``$CC`` or ``cc``)."""
    return shutil.which(os.environ.get("CC", "cc")) is not None


def _compile(source: Path, library: Path, defines: dict[str, str]) -> None:
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        raise FMUError(f"building a test FMU needs a C compiler; `{compiler}` is not on PATH (set CC or install gcc).")
    library.parent.mkdir(parents=True, exist_ok=True)
    flags = [f"-D{key}={value}" for key, value in defines.items()]
    command = [compiler, "-shared", "-fPIC", "-O2", "-fvisibility=hidden", *flags, "-o", str(library), str(source), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FMUError(f"compiling {source.name} failed:\n{result.stderr}")


def _zip(directory: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(directory.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(directory).as_posix())
    return target


def build_oscillator_fmu(
    directory: str | os.PathLike,
    *,
    enabled_start: str = "true",
    variable_step: bool = True,
    can_get_state: bool = True,
    name: str = "pt_oscillator",
) -> Path:
    """Build the FMI 2.0 oscillator FMU into ``directory`` and return the ``.fmu`` path.

    Parameters
    ----------
    directory : path-like
        Where to write ``<name>.fmu`` (and a build folder).
    enabled_start : str
        The literal written as start value of the Boolean parameter ``enabled`` (use an invalid one
        such as ``"False"`` to test validation).
    variable_step : bool
        ``canHandleVariableCommunicationStepSize`` of the co-simulation interface.
    can_get_state : bool
        ``canGetAndSetFMUstate`` and ``canSerializeFMUstate`` flags.
    name : str
        File name stem (the model identifier stays ``pt_oscillator``).
    """
    directory = Path(directory)
    build = directory / f"{name}_build"
    shutil.rmtree(build, ignore_errors=True)
    guid = "{" + str(uuid.uuid4()) + "}"
    enabled_value = "1" if enabled_start.strip() in ("true", "1") else "0"
    _compile(
        _HERE / "oscillator_fmi2.c",
        build / "binaries" / "linux64" / "pt_oscillator.so",
        {"GUID": f'"{guid}"', "ENABLED_START": enabled_value},
    )
    flags = "true" if can_get_state else "false"
    variables = [
        # name, type, attributes, type attributes
        ("x", "Real", 'causality="local" variability="continuous" initial="exact"', 'start="1" unit="m"'),
        ("v", "Real", 'causality="local" variability="continuous" initial="exact"', 'start="0" unit="m/s"'),
        ("der(x)", "Real", 'causality="local" variability="continuous"', 'derivative="1" unit="m/s"'),
        ("der(v)", "Real", 'causality="local" variability="continuous"', 'derivative="2" unit="m/s2"'),
        ("k", "Real", 'causality="parameter" variability="tunable" initial="exact"', 'start="1" unit="N/m" min="0"'),
        ("d", "Real", 'causality="parameter" variability="tunable" initial="exact"', 'start="0.1" unit="N.s/m" min="0"'),
        ("force", "Real", 'causality="input" variability="continuous"', 'start="0" unit="N"'),
        ("position", "Real", 'causality="output" variability="continuous" initial="calculated"', 'unit="m"'),
        ("max_step", "Real", 'causality="parameter" variability="tunable" initial="exact"', 'start="1e300" unit="s"'),
        ("force_out", "Real", 'causality="output" variability="continuous" initial="calculated"', 'unit="N"'),
        ("last_step", "Real", 'causality="output" variability="discrete" initial="calculated"', 'unit="s"'),
        ("mode", "Integer", 'causality="input" variability="discrete"', 'start="0"'),
        ("step_count", "Integer", 'causality="output" variability="discrete" initial="calculated"', ""),
        ("enabled", "Boolean", 'causality="parameter" variability="fixed" initial="exact"', f"start={quoteattr(enabled_start)}"),
        ("moving", "Boolean", 'causality="output" variability="discrete" initial="calculated"', ""),
    ]
    references = {"Real": 0, "Integer": 0, "Boolean": 0}
    scalar = []
    for variable_name, fmi_type, attributes, type_attributes in variables:
        vr = references[fmi_type]
        references[fmi_type] += 1
        scalar.append(
            f'    <ScalarVariable name={quoteattr(variable_name)} valueReference="{vr}" {attributes}>\n'
            f"      <{fmi_type} {type_attributes}/>\n    </ScalarVariable>"
        )
    index = {v[0]: i + 1 for i, v in enumerate(variables)}
    base_units = {
        "m": 'm="1"',
        "m/s": 'm="1" s="-1"',
        "m/s2": 'm="1" s="-2"',
        "N/m": 'kg="1" s="-2"',
        "N.s/m": 'kg="1" s="-1"',
        "N": 'kg="1" m="1" s="-2"',
        "s": 's="1"',
    }
    units = "\n".join(f'    <Unit name="{unit}"><BaseUnit {exponents}/></Unit>' for unit, exponents in base_units.items())
    outputs = [("position", "1"), ("force_out", str(index["force"])), ("last_step", ""), ("step_count", ""), ("moving", "2")]
    structure = "\n".join(f'      <Unknown index="{index[o]}" dependencies="{d}"/>' for o, d in outputs)
    initial = "\n".join(
        f'      <Unknown index="{index[o]}"/>'
        for o in ("der(x)", "der(v)", "position", "force_out", "last_step", "step_count", "moving")
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="2.0" modelName="pt_oscillator" guid="{guid}" generationTool="physics_twin test FMU"
  description="Damped oscillator of unit mass (test FMU)" variableNamingConvention="structured" numberOfEventIndicators="0">
  <ModelExchange modelIdentifier="pt_oscillator" canGetAndSetFMUstate="{flags}" canSerializeFMUstate="{flags}"
    canNotUseMemoryManagementFunctions="true"/>
  <CoSimulation modelIdentifier="pt_oscillator" canHandleVariableCommunicationStepSize="{str(variable_step).lower()}"
    canGetAndSetFMUstate="{flags}" canSerializeFMUstate="{flags}" canNotUseMemoryManagementFunctions="true"/>
  <UnitDefinitions>
{units}
  </UnitDefinitions>
  <DefaultExperiment startTime="0" stopTime="10" stepSize="0.01"/>
  <ModelVariables>
{chr(10).join(scalar)}
  </ModelVariables>
  <ModelStructure>
    <Outputs>
{structure}
    </Outputs>
    <Derivatives>
      <Unknown index="{index["der(x)"]}" dependencies="{index["v"]}"/>
      <Unknown index="{index["der(v)"]}" dependencies="{index["x"]} {index["v"]} {index["force"]}"/>
    </Derivatives>
    <InitialUnknowns>
{initial}
    </InitialUnknowns>
  </ModelStructure>
</fmiModelDescription>
"""
    (build / "modelDescription.xml").write_text(xml, encoding="utf-8")
    return _zip(build, directory / f"{name}.fmu")


def build_array_fmu(directory: str | os.PathLike, *, gains_start: str = "1 2 3", name: str = "pt_array") -> Path:
    """Build the FMI 3.0 array FMU into ``directory`` and return the ``.fmu`` path.

    Parameters
    ----------
    directory : path-like
        Where to write ``<name>.fmu``.
    gains_start : str
        Start literal of the 3-element parameter ``gains``.
    name : str
        File name stem (the model identifier stays ``pt_array``).
    """
    directory = Path(directory)
    build = directory / f"{name}_build"
    shutil.rmtree(build, ignore_errors=True)
    token = "{" + str(uuid.uuid4()) + "}"
    _compile(_HERE / "array_fmi3.c", build / "binaries" / "x86_64-linux" / "pt_array.so", {"GUID": f'"{token}"'})
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="3.0" modelName="pt_array" instantiationToken="{token}" generationTool="physics_twin test FMU"
  description="First-order lag with an array parameter and an array output (test FMU)">
  <ModelExchange modelIdentifier="pt_array" canGetAndSetFMUState="true" canSerializeFMUState="true"/>
  <CoSimulation modelIdentifier="pt_array" canHandleVariableCommunicationStepSize="true" canGetAndSetFMUState="true"
    canSerializeFMUState="true"/>
  <DefaultExperiment startTime="0" stopTime="2" stepSize="0.1"/>
  <ModelVariables>
    <Float64 name="time" valueReference="0" causality="independent" variability="continuous"/>
    <Float64 name="x" valueReference="1" causality="local" variability="continuous" initial="exact" start="1"/>
    <Float64 name="der(x)" valueReference="2" causality="local" variability="continuous" derivative="1"/>
    <Float64 name="u" valueReference="3" causality="input" variability="continuous" start="0"/>
    <Float64 name="gains" valueReference="4" causality="parameter" variability="tunable" start={quoteattr(gains_start)}>
      <Dimension start="3"/>
    </Float64>
    <Float64 name="y" valueReference="5" causality="output" variability="continuous">
      <Dimension start="3"/>
    </Float64>
    <Boolean name="flag" valueReference="6" causality="parameter" variability="fixed" start="true"/>
    <Boolean name="positive" valueReference="7" causality="output" variability="discrete"/>
  </ModelVariables>
  <ModelStructure>
    <Output valueReference="5" dependencies="1"/>
    <Output valueReference="7" dependencies="1"/>
    <ContinuousStateDerivative valueReference="2"/>
    <InitialUnknown valueReference="5"/>
    <InitialUnknown valueReference="7"/>
    <InitialUnknown valueReference="2"/>
  </ModelStructure>
</fmiModelDescription>
"""
    (build / "modelDescription.xml").write_text(xml, encoding="utf-8")
    return _zip(build, directory / f"{name}.fmu")
