"""What an FMU declares: variables with parsed start values, units, shapes and capabilities.

:func:`read_description` reads ``modelDescription.xml`` through fmpy (without its schema check,
which vendor FMUs often fail on details that do not matter for simulation) and turns every model
variable into an :class:`FMUVariable` record: name, value reference, kind (float, integer, boolean,
string), causality, variability, unit in pint syntax, shape (FMI 3.0 arrays) and the start value
parsed by type. Start literals that do not parse — ``start="False"`` on a Boolean (the XML schema
allows only ``true``, ``false``, ``1`` and ``0``), a Real that is not a number, an array start with
the wrong number of elements — are collected and raised together, each naming its variable.

:func:`validate` adds fmpy's own validation (``fmpy.validation.validate_fmu``) and platform checks
and returns a :class:`ValidationReport` instead of raising, so the CLI and the tests can list the
findings of a vendor FMU that still simulates.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physics_twin.errors import FMUError, ParameterError, join_problems

__all__ = [
    "Capabilities",
    "FMUDescription",
    "FMUVariable",
    "ValidationReport",
    "parse_start",
    "pint_unit",
    "read_description",
    "validate",
]

_FLOAT_TYPES = {"Real", "Float32", "Float64"}
_INTEGER_TYPES = {"Integer", "Enumeration", "Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64"}
_BOOLEAN_LITERALS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class FMUVariable:
    """One model variable of an FMU.

    Attributes
    ----------
    name : str
        Variable name as in the model description (``"inertia.J"``, ``"der(x)"``).
    value_reference : int
        FMI value reference.
    type : str
        FMI type name (``"Real"``, ``"Float64"``, ``"Boolean"``, ``"Int32"``, ...).
    kind : {"float", "integer", "boolean", "string", "other"}
        The Python-side category used to read, write and store the value.
    causality, variability : str
        As declared (FMI defaults filled in).
    initial : str or None
        ``"exact"``, ``"approx"``, ``"calculated"`` or None.
    unit : str
        Unit in pint syntax (``"N*m"`` for Modelica's ``"N.m"``); ``"1"`` when none is declared.
    declared_unit : str
        The unit string as written in the FMU (empty when none).
    description : str
        One line from the model description.
    start : float, int, bool, str, numpy.ndarray or None
        Start value parsed by type; arrays for FMI 3.0 array variables.
    shape : tuple of int
        ``()`` for scalars, the array shape otherwise.
    minimum, maximum : float
        Declared bounds (``-inf``/``inf`` when absent; numeric kinds only).
    derivative_of : str or None
        For a state derivative, the name of the state.
    """

    name: str
    value_reference: int
    type: str
    kind: str
    causality: str
    variability: str
    initial: str | None
    unit: str
    declared_unit: str
    description: str
    start: Any
    shape: tuple[int, ...] = ()
    minimum: float = -math.inf
    maximum: float = math.inf
    derivative_of: str | None = None

    @property
    def size(self) -> int:
        """Number of scalar values (1 for a scalar)."""
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def default(self) -> Any:
        """Alias of ``start``, so FMU parameters read like native :class:`~physics_twin.core.declarations.Parameter` records."""
        return self.start

    @property
    def bounds(self) -> tuple[float, float]:
        """``(minimum, maximum)`` as for native parameters."""
        return (self.minimum, self.maximum)


@dataclass(frozen=True)
class Capabilities:
    """What one interface (model exchange or co-simulation) of an FMU can do."""

    kind: str
    model_identifier: str
    can_get_and_set_state: bool
    can_serialize_state: bool
    can_handle_variable_step: bool = True
    provides_directional_derivative: bool = False
    needs_execution_tool: bool = False
    can_be_instantiated_only_once_per_process: bool = False


@dataclass(frozen=True)
class FMUDescription:
    """The parsed model description of one FMU file.

    Attributes
    ----------
    path : pathlib.Path
        The ``.fmu`` file.
    fmi_version : str
        ``"1.0"``, ``"2.0"`` or ``"3.0"``.
    model_name, guid, generation_tool : str
        Identification (``guid`` is the instantiation token in FMI 3.0).
    variables : tuple of FMUVariable
        Every model variable in declaration order.
    capabilities : dict of str to Capabilities
        ``"ME"`` and/or ``"CS"``.
    default_experiment : dict
        ``start_time``, ``stop_time``, ``step_size``, ``tolerance`` (None when absent). [s]
    number_of_continuous_states, number_of_event_indicators : int
    output_dependencies : dict of str to tuple of str or None
        Output name -> names of the inputs it depends on directly; None when the FMU does not say
        (then every input is assumed to reach it).
    platforms : tuple of str
        Binary platforms shipped in the archive.
    model_description : object
        fmpy's ``ModelDescription``, for the low-level classes.
    """

    path: Path
    fmi_version: str
    model_name: str
    guid: str
    generation_tool: str
    variables: tuple[FMUVariable, ...]
    capabilities: dict[str, Capabilities]
    default_experiment: dict[str, float | None]
    number_of_continuous_states: int
    number_of_event_indicators: int
    output_dependencies: dict[str, tuple[str, ...] | None]
    state_names: tuple[str, ...]
    platforms: tuple[str, ...]
    model_description: Any = field(repr=False)

    def variable(self, name: str) -> FMUVariable:
        """The variable called ``name`` (FMUError with close matches when unknown)."""
        for variable in self.variables:
            if variable.name == name:
                return variable
        from physics_twin.errors import unknown_name_message

        raise FMUError(unknown_name_message("variable", name, [v.name for v in self.variables], f"FMU {self.path.name!r}"))

    def by_causality(self, causality: str) -> tuple[FMUVariable, ...]:
        """Variables with the given causality, in declaration order."""
        return tuple(v for v in self.variables if v.causality == causality)

    def feedthrough_matrix(self) -> np.ndarray:
        """Boolean (n_outputs, n_inputs): True where an output depends directly on an input (ModelStructure).

        An output whose dependencies are not declared is assumed to depend on every input.
        """
        inputs = [v.name for v in self.inputs]
        outputs = self.outputs
        matrix = np.zeros((len(outputs), len(inputs)), dtype=bool)
        for row, output in enumerate(outputs):
            dependencies = self.output_dependencies.get(output.name)
            if dependencies is None:
                matrix[row, :] = True
            else:
                for name in dependencies:
                    matrix[row, inputs.index(name)] = True
        return matrix

    @property
    def inputs(self) -> tuple[FMUVariable, ...]:
        return self.by_causality("input")

    @property
    def outputs(self) -> tuple[FMUVariable, ...]:
        return self.by_causality("output")

    @property
    def parameters(self) -> tuple[FMUVariable, ...]:
        return tuple(v for v in self.variables if v.causality in ("parameter", "structuralParameter"))


# -- units --------------------------------------------------------------------------------------------------------
_EXPONENT = re.compile(r"([A-Za-z_Ωµ]+)(-?\d+)")
_UNIT_NAMES = {"Ohm": "ohm", "degC": "degC", "degF": "degF", "deg": "degree", "rpm": "rpm", "l": "L", "bar": "bar"}


def pint_unit(unit: str | None) -> str:
    """Translate an FMU unit string (Modelica/FMI syntax) to pint syntax.

    ``"N.m"`` → ``"N*m"``, ``"kg.m2"`` → ``"kg*m^2"``, ``"rad/s2"`` → ``"rad/s^2"``, ``"Ohm"`` → ``"ohm"``;
    an empty or missing unit becomes ``"1"`` (dimensionless).

    Examples
    --------
    >>> pint_unit("N.m.s/rad")
    'N*m*s/rad'
    >>> pint_unit("kg.m2")
    'kg*m^2'
    """
    if not unit or not unit.strip() or unit.strip() == "-":
        return "1"
    text = unit.strip()
    parts = re.split(r"([/.*()])", text)
    out = []
    for part in parts:
        if part == ".":
            out.append("*")
            continue
        if part in ("/", "*", "(", ")", ""):
            out.append(part)
            continue
        match = _EXPONENT.fullmatch(part)
        if match:
            part = f"{_UNIT_NAMES.get(match.group(1), match.group(1))}^{match.group(2)}"
        out.append(_UNIT_NAMES.get(part, part))
    return "".join(out)


# -- start values -------------------------------------------------------------------------------------------------
def _kind_of(fmi_type: str) -> str:
    if fmi_type in _FLOAT_TYPES:
        return "float"
    if fmi_type in _INTEGER_TYPES:
        return "integer"
    if fmi_type == "Boolean":
        return "boolean"
    if fmi_type == "String":
        return "string"
    return "other"


def parse_start(name: str, fmi_type: str, literal: str | None, shape: tuple[int, ...] = ()) -> Any:
    """Parse a start literal by FMI type.

    Parameters
    ----------
    name : str
        Variable name (for the message).
    fmi_type : str
        FMI type name.
    literal : str or None
        The ``start`` attribute as written; None means no start value.
    shape : tuple of int
        Array shape (FMI 3.0); the literal then holds that many whitespace-separated values.

    Returns
    -------
    float, int, bool, str, numpy.ndarray or None
        Booleans accept exactly ``true``/``1`` and ``false``/``0`` (the XML schema's ``xs:boolean``).

    Raises
    ------
    ParameterError
        When the literal does not parse; the message names the variable, the type and the literal.

    Examples
    --------
    >>> parse_start("enabled", "Boolean", "0")
    False
    >>> parse_start("gains", "Float64", "1 2 3", (3,)).tolist()
    [1.0, 2.0, 3.0]
    """
    if literal is None:
        return None
    kind = _kind_of(fmi_type)
    if kind in ("string", "other"):
        return literal
    tokens = literal.split() if shape else [literal.strip()]
    expected = int(np.prod(shape)) if shape else 1
    if shape and len(tokens) not in (1, expected):
        raise ParameterError(
            f"start value of `{name}` must have {expected} elements (shape {shape}); got {len(tokens)} in {literal!r}."
        )
    values: list[Any] = []
    for token in tokens:
        if kind == "boolean":
            if token not in _BOOLEAN_LITERALS:
                raise ParameterError(
                    f"start value of Boolean variable `{name}` must be one of 'true', 'false', '1', '0'; got {token!r}."
                )
            values.append(_BOOLEAN_LITERALS[token])
        elif kind == "integer":
            try:
                values.append(int(token))
            except ValueError:
                raise ParameterError(
                    f"start value of {fmi_type} variable `{name}` must be an integer literal; got {token!r}."
                ) from None
        else:
            try:
                values.append(float(token))
            except ValueError:
                raise ParameterError(f"start value of {fmi_type} variable `{name}` must be a number; got {token!r}.") from None
    if not shape:
        return values[0]
    dtype = {"boolean": bool, "integer": np.int64}.get(kind, float)
    array = np.array(values * expected if len(values) == 1 else values, dtype=dtype)
    return array.reshape(shape)


def _bound(literal: str | None, default: float) -> float:
    try:
        return float(literal) if literal is not None else default
    except ValueError:
        return default


def read_description(path: str | os.PathLike) -> FMUDescription:
    """Read and check the model description of an FMU.

    Parameters
    ----------
    path : str or path-like
        The ``.fmu`` archive (or an extracted directory).

    Returns
    -------
    FMUDescription

    Raises
    ------
    FMUError
        When the file is missing or the model description cannot be read.
    ParameterError
        Listing every variable whose start value does not parse.
    """
    from fmpy import read_model_description, supported_platforms

    path = Path(path)
    if not path.exists():
        raise FMUError(f"`path` must be an existing FMU file; {str(path)!r} does not exist.")
    try:
        md = read_model_description(str(path), validate=False)
    except Exception as exc:  # fmpy raises bare Exception and lxml errors
        raise FMUError(f"cannot read the model description of {path.name!r}: {exc}") from exc
    try:
        platforms = tuple(supported_platforms(str(path)))
    except Exception:
        platforms = ()
    problems: list[str] = []
    variables: list[FMUVariable] = []
    states: list[str] = []
    for v in md.modelVariables:
        declared_unit = (
            v.unit
            if getattr(v, "unit", None)
            else (v.declaredType.unit if v.declaredType is not None and v.declaredType.unit else "")
        )
        shape = tuple(int(s) for s in (v.shape or ()))
        try:
            start = parse_start(v.name, v.type, v.start, shape)
        except ParameterError as exc:
            problems.append(str(exc))
            start = None
        derivative_of = None
        if v.derivative is not None:
            derivative_of = v.derivative.name if hasattr(v.derivative, "name") else None
            if derivative_of is None and md.fmiVersion.startswith("3"):
                target = next((w for w in md.modelVariables if str(w.valueReference) == str(v.derivative)), None)
                derivative_of = target.name if target is not None else None
        kind = _kind_of(v.type)
        minimum = _bound(v.min if v.min is not None else (v.declaredType.min if v.declaredType is not None else None), -math.inf)
        maximum = _bound(v.max if v.max is not None else (v.declaredType.max if v.declaredType is not None else None), math.inf)
        variables.append(
            FMUVariable(
                name=v.name,
                value_reference=int(v.valueReference),
                type=v.type,
                kind=kind,
                causality=v.causality or "local",
                variability=v.variability or "continuous",
                initial=v.initial,
                unit=pint_unit(declared_unit) if kind == "float" else "1",
                declared_unit=declared_unit or "",
                description=v.description or "",
                start=start,
                shape=shape,
                minimum=minimum if kind in ("float", "integer") else -math.inf,
                maximum=maximum if kind in ("float", "integer") else math.inf,
                derivative_of=derivative_of,
            )
        )
    for unknown in md.derivatives:
        derivative = unknown.variable
        target = derivative.derivative
        if target is not None and hasattr(target, "name"):
            states.append(target.name)
        elif target is not None:
            match = next((w for w in md.modelVariables if str(w.valueReference) == str(target)), None)
            if match is not None:
                states.append(match.name)
    if problems:
        raise ParameterError(join_problems(f"FMU {path.name!r} declares invalid start values:", problems))
    capabilities: dict[str, Capabilities] = {}
    for key, interface in (("ME", md.modelExchange), ("CS", md.coSimulation)):
        if interface is None:
            continue
        capabilities[key] = Capabilities(
            kind=key,
            model_identifier=interface.modelIdentifier,
            can_get_and_set_state=bool(interface.canGetAndSetFMUstate),
            can_serialize_state=bool(interface.canSerializeFMUstate),
            can_handle_variable_step=bool(getattr(interface, "canHandleVariableCommunicationStepSize", True))
            if key == "CS"
            else True,
            provides_directional_derivative=bool(interface.providesDirectionalDerivative),
            needs_execution_tool=bool(interface.needsExecutionTool),
            can_be_instantiated_only_once_per_process=bool(interface.canBeInstantiatedOnlyOncePerProcess),
        )
    experiment = md.defaultExperiment

    def number(value: Any) -> float | None:
        return None if value in (None, "") else float(value)

    default_experiment = {
        "start_time": number(experiment.startTime) if experiment else None,
        "stop_time": number(experiment.stopTime) if experiment else None,
        "step_size": number(experiment.stepSize) if experiment else None,
        "tolerance": number(experiment.tolerance) if experiment else None,
    }
    dependencies: dict[str, tuple[str, ...] | None] = {}
    input_names = {v.name for v in variables if v.causality == "input"}
    for unknown in md.outputs:
        if unknown.dependencies is None:
            dependencies[unknown.variable.name] = None
        else:
            dependencies[unknown.variable.name] = tuple(d.name for d in unknown.dependencies if d.name in input_names)
    n_states = md.numberOfContinuousStates if md.numberOfContinuousStates is not None else len(md.derivatives)
    return FMUDescription(
        path=path,
        fmi_version=md.fmiVersion,
        model_name=md.modelName or path.stem,
        guid=md.guid if md.fmiVersion.startswith(("1", "2")) else (md.instantiationToken or ""),
        generation_tool=md.generationTool or "",
        variables=tuple(variables),
        capabilities=capabilities,
        default_experiment=default_experiment,
        number_of_continuous_states=int(n_states or 0),
        number_of_event_indicators=int(md.numberOfEventIndicators or 0),
        output_dependencies=dependencies,
        state_names=tuple(states),
        platforms=platforms,
        model_description=md,
    )


@dataclass(frozen=True)
class ValidationReport:
    """Findings about one FMU file.

    Attributes
    ----------
    path : pathlib.Path
    errors : tuple of str
        Problems that prevent simulation here (unparsable start values, no binary for this platform,
        an unreadable model description).
    warnings : tuple of str
        Departures from the standard found by fmpy's validation that do not stop simulation
        (variable naming, incomplete ``InitialUnknowns``, ...).
    """

    path: Path
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing prevents simulating the FMU on this machine."""
        return not self.errors

    def __str__(self) -> str:
        lines = [f"{self.path.name}: {'OK' if self.ok else 'INVALID'} ({len(self.errors)} errors, {len(self.warnings)} warnings)"]
        lines += [f"  error: {e}" for e in self.errors]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def current_platform() -> str:
    """fmpy's name of this machine's platform for FMI 2.0 binaries (``"linux64"``)."""
    from fmpy import platform

    return platform


def validate(path: str | os.PathLike) -> ValidationReport:
    """Validate an FMU without instantiating it.

    Runs fmpy's validation (schema, variable names, model structure) and reports its findings as
    warnings, and adds as errors what would stop loading here: an unreadable model description,
    start values that do not parse, no binary for this platform, an unsupported FMI version.

    Parameters
    ----------
    path : str or path-like
        The ``.fmu`` archive.

    Returns
    -------
    ValidationReport
    """
    from fmpy import platform, platform_tuple
    from fmpy.validation import validate_fmu

    path = Path(path)
    errors: list[str] = []
    warnings: list[str] = []
    try:
        description = read_description(path)
    except (FMUError, ParameterError) as exc:
        return ValidationReport(path, (str(exc),), ())
    try:
        warnings.extend(str(p).strip().splitlines()[0] for p in validate_fmu(str(path)))
    except Exception as exc:
        warnings.append(f"fmpy validation could not run: {exc}")
    if not description.capabilities:
        errors.append("the FMU declares neither ModelExchange nor CoSimulation.")
    if description.platforms and not {platform, platform_tuple} & set(description.platforms):
        errors.append(f"no binary for this platform ({platform_tuple}); the FMU ships {list(description.platforms)}.")
    return ValidationReport(path, tuple(errors), tuple(warnings))


def names_of(variables: Iterable[FMUVariable]) -> list[str]:
    """Names of ``variables``, in order."""
    return [v.name for v in variables]
