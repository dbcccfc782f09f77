"""An FMU as a physics_twin component, over fmpy's low-level classes.

:class:`FMUComponent` loads an FMU once (extracts it, loads the binary, instantiates it) and reuses
that instance for every run: :meth:`FMUComponent.initialize` resets it and applies the start
values, so thousands of runs neither leak memory nor file handles. It exposes the same ideas as a
native :class:`~physics_twin.core.component.Component`: named ``INPUTS``, ``OUTPUTS``,
``PARAMETERS`` and (model exchange) ``STATES`` with units, read from the model description, and
``simulate`` returning an ``xarray.Dataset`` with ``units`` attributes.

FMI 1.0 (co-simulation), 2.0 and 3.0 are supported, model exchange (2.0, 3.0) and co-simulation.
FMI 3.0 array variables keep their shape: values are checked against it before any FMU call, and
array outputs become an extra dimension of the result. Booleans stay booleans.

Every failing FMI call raises :class:`~physics_twin.errors.FMUError` naming the component, the FMI
function, the status and the simulation time. The hot calls of a step (set inputs, ``doStep``, get
outputs, states and derivatives) go straight to the ctypes functions with preallocated buffers;
the status is checked here, in one place.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from physics_twin.errors import FMUError, ParameterError, ShapeError, join_problems, unknown_name_message
from physics_twin.fmu.description import FMUDescription, FMUVariable, read_description

__all__ = ["FMUComponent", "FMUState"]

_STATUS = ("OK", "Warning", "Discard", "Error", "Fatal", "Pending")
OK, WARNING, DISCARD, ERROR, FATAL = 0, 1, 2, 3, 4


def _label(status: int) -> str:
    return _STATUS[status] if 0 <= status < len(_STATUS) else f"illegal status {status}"


class FMUState:
    """An FMU state saved with ``getFMUstate``; restore it with :meth:`FMUComponent.set_state`.

    Free it with :meth:`free` (or let the owning component free it when it closes).
    """

    __slots__ = ("__weakref__", "_handle", "_owner", "time")

    def __init__(self, owner: FMUComponent, handle: ctypes.c_void_p, time: float | None) -> None:
        self._owner = weakref.ref(owner)
        self._handle = handle
        self.time = time

    @property
    def freed(self) -> bool:
        return self._handle is None

    def free(self) -> None:
        """Release the FMU's memory for this state (idempotent)."""
        owner = self._owner()
        if self._handle is not None and owner is not None and owner.is_open:
            owner._free_state_handle(self._handle)
        self._handle = None


class _Access:
    """Preallocated ctypes buffers to get or set one group of values of one FMI type in one call."""

    __slots__ = (
        "args",
        "buffer",
        "count",
        "function",
        "function_name",
        "kind",
        "last",
        "n_values",
        "positions",
        "references",
        "view",
    )

    def __init__(
        self,
        function: Any,
        function_name: str,
        ctype: Any,
        references: list[int],
        n_values: int,
        positions: np.ndarray,
        kind: str,
    ):
        self.function = function
        self.function_name = function_name
        self.references = (ctypes.c_uint32 * len(references))(*references)
        self.count = len(references)
        self.n_values = n_values
        self.buffer = (ctype * n_values)()
        self.view = np.ctypeslib.as_array(self.buffer) if ctype is not ctypes.c_char else None
        # contiguous positions are addressed by a slice (a view, no copy)
        contiguous = positions.size and np.array_equal(positions, np.arange(positions[0], positions[0] + positions.size))
        self.positions = slice(int(positions[0]), int(positions[0]) + int(positions.size)) if contiguous else positions
        self.last: bytes | None = None  # the values last written (inputs): identical writes are skipped
        self.kind = kind


def _fmi_type_group(version: int, variable: FMUVariable) -> str:
    """The name of the FMI getter/setter suffix for ``variable`` (``Real``, ``Float64``, ``Int32``, ``Boolean``...)."""
    if version < 3:
        return {"float": "Real", "integer": "Integer", "boolean": "Boolean", "string": "String"}[variable.kind]
    if variable.type == "Enumeration":
        return "Int64"
    return variable.type


class FMUComponent:
    """An FMU (FMI 1.0 CS, 2.0 or 3.0; model exchange or co-simulation), loaded and instantiated once.

    Parameters
    ----------
    path : str or path-like
        The ``.fmu`` file.
    name : str, optional
        Instance name (a Python identifier; qualifies signals in a co-simulation). Defaults to the
        model name with non-identifier characters replaced by ``_``.
    interface : {"auto", "CS", "ME"}
        Which interface to use; ``"auto"`` takes co-simulation when the FMU offers it.
    parameters : mapping, optional
        Start values applied at every :meth:`initialize`, by variable name. A plain value is in the
        variable's declared unit; ``(value, "unit")`` is converted (FMPy's convention). Arrays must
        have the declared shape.
    logging : bool
        Pass the FMU's log messages through fmpy's logger (printed).

    Attributes
    ----------
    INPUTS, OUTPUTS, PARAMETERS, STATES : tuple of FMUVariable
        Signals and parameters from the model description (``STATES`` only for model exchange).
    description : FMUDescription
        The parsed model description.

    Raises
    ------
    ParameterError
        When start values in the model description or in ``parameters`` are invalid (all listed).
    FMUError
        When the FMU cannot be loaded or instantiated here.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        name: str | None = None,
        *,
        interface: str = "auto",
        parameters: Mapping[str, Any] | None = None,
        logging: bool = False,
    ) -> None:
        self.description: FMUDescription = read_description(path)
        self.path = Path(path)
        description = self.description
        default_name = re.sub(r"\W", "_", description.model_name) or "fmu"
        if default_name[0].isdigit():
            default_name = f"fmu_{default_name}"
        self.name = name if name is not None else default_name
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ParameterError(f"`name` must be a Python identifier (letters, digits, _); got {self.name!r}.")
        offered = list(description.capabilities)
        if interface == "auto":
            interface = "CS" if "CS" in offered else "ME"
        if interface not in ("CS", "ME"):
            raise ParameterError(f"`interface` must be 'auto', 'CS' or 'ME'; got {interface!r}.")
        if interface not in offered:
            raise FMUError(f"FMU {self.path.name!r} does not offer {interface}; it offers {offered or 'no interface'}.")
        self.interface = interface
        self.version = int(description.fmi_version.split(".")[0])
        if self.version == 1 and interface == "ME":
            raise FMUError(f"FMU {self.path.name!r}: FMI 1.0 model exchange is not supported; use the co-simulation interface.")
        self.capabilities = description.capabilities[interface]
        self.INPUTS = description.inputs
        self.OUTPUTS = description.outputs
        self.PARAMETERS = description.parameters
        self.STATES = tuple(description.variable(n) for n in description.state_names) if interface == "ME" else ()
        self._by_name = {v.name: v for v in description.variables}
        self._user_values: dict[str, Any] = {}
        if parameters:
            self._user_values = self._checked_values(parameters, purpose="start")
        self.time: float | None = None
        self.mode = "closed"
        self._states: weakref.WeakSet[FMUState] = weakref.WeakSet()
        self._fmu: Any = None
        self._unzip = Path(tempfile.mkdtemp(prefix="physics_twin_fmu_"))
        self._finalizer = weakref.finalize(self, _release, None, str(self._unzip))
        self._load(logging)
        self._prepare_fast_paths()

    # -- loading ----------------------------------------------------------------------------------------------------
    def _load(self, logging: bool) -> None:
        import fmpy

        try:
            fmpy.extract(str(self.path), unzipdir=str(self._unzip))
        except Exception as exc:
            raise FMUError(f"cannot extract FMU {self.path.name!r}: {exc}") from exc
        kwargs = {
            "guid": self.description.guid,
            "unzipDirectory": str(self._unzip),
            "modelIdentifier": self.capabilities.model_identifier,
            "instanceName": self.name,
        }
        try:
            if self.version == 1:
                from fmpy.fmi1 import FMU1Slave

                self._fmu = FMU1Slave(**kwargs)
                self._fmu.instantiate(loggingOn=logging)
            elif self.version == 2:
                from fmpy.fmi2 import FMU2Model, FMU2Slave

                self._fmu = (FMU2Slave if self.interface == "CS" else FMU2Model)(**kwargs)
                self._fmu.instantiate(loggingOn=logging)
            else:
                from fmpy.fmi3 import FMU3Model, FMU3Slave

                self._fmu = (FMU3Slave if self.interface == "CS" else FMU3Model)(**kwargs)
                self._fmu.instantiate(loggingOn=logging)
        except Exception as exc:
            platforms = ", ".join(self.description.platforms) or "none"
            raise FMUError(
                f"cannot load FMU {self.path.name!r} as {self.interface} on this machine (binaries shipped: {platforms}): {exc}"
            ) from exc
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _release, self._fmu, str(self._unzip))
        self.mode = "instantiated"

    def _prepare_fast_paths(self) -> None:
        fmu = self._fmu
        functions = fmu._functions
        prefix = {1: "fmi1", 2: "fmi2", 3: "fmi3"}[self.version]
        self._component = fmu.component
        self._input_access = self._make_access(self.INPUTS, "Set")
        self._output_access = self._make_access(self.OUTPUTS, "Get")
        self.n_input_values = sum(v.size for v in self.INPUTS if v.kind != "string")
        self.n_output_values = sum(v.size for v in self.OUTPUTS if v.kind != "string")
        self._output_buffer = np.zeros(self.n_output_values)
        if self.interface == "CS":
            name = {1: "fmi1DoStep", 2: "fmi2DoStep", 3: "fmi3DoStep"}[self.version]
            self._do_step = functions[name]
            if self.version == 1:
                # fmpy 0.3.32 declares fmiDoStep as returning a string: take a fresh function pointer returning the status
                do_step = fmu.dll[f"{self.capabilities.model_identifier}_fmiDoStep"]
                do_step.argtypes = [ctypes.c_void_p, ctypes.c_double, ctypes.c_double, ctypes.c_char]
                do_step.restype = ctypes.c_int
                self._do_step = do_step
            if self.version == 3:
                self._event_needed = ctypes.c_bool(False)
                self._terminate = ctypes.c_bool(False)
                self._early_return = ctypes.c_bool(False)
                self._last_time = ctypes.c_double(0.0)
                self._step_refs = tuple(
                    ctypes.byref(v) for v in (self._event_needed, self._terminate, self._early_return, self._last_time)
                )
        else:
            n = self.description.number_of_continuous_states
            self.n_states = n
            self._x_buffer = (ctypes.c_double * max(n, 1))()
            self._x_view = np.ctypeslib.as_array(self._x_buffer)[:n]
            self._dx_buffer = (ctypes.c_double * max(n, 1))()
            self._dx_view = np.ctypeslib.as_array(self._dx_buffer)[:n]
            derivative = "fmi3GetContinuousStateDerivatives" if self.version == 3 else "fmi2GetDerivatives"
            self._get_derivatives = functions[derivative]
            self._set_states = functions[f"{prefix}SetContinuousStates"]
            self._get_states = functions[f"{prefix}GetContinuousStates"]
            self._set_time = functions[f"{prefix}SetTime"]
        self.n_states = self.description.number_of_continuous_states if self.interface == "ME" else 0

    def _make_access(self, variables: Iterable[FMUVariable], direction: str) -> list[_Access]:
        """Group ``variables`` by FMI type; each group is read/written with one call into one buffer."""
        fmu = self._fmu
        groups: dict[str, list[tuple[FMUVariable, int]]] = {}
        position = 0
        for variable in variables:
            if variable.kind == "string" or variable.kind == "other":
                continue
            groups.setdefault(_fmi_type_group(self.version, variable), []).append((variable, position))
            position += variable.size
        access = []
        for group, members in groups.items():
            prefix = {1: "fmi1", 2: "fmi2", 3: "fmi3"}[self.version]
            function_name = f"{prefix}{direction}{group}"
            ctype = _ctype(self.version, group)
            positions = np.concatenate([np.arange(p, p + v.size) for v, p in members]).astype(np.intp)
            kind = members[0][0].kind
            access.append(
                _Access(
                    fmu._functions[function_name],
                    function_name,
                    ctype,
                    [v.value_reference for v, _ in members],
                    int(positions.size),
                    positions,
                    kind,
                )
            )
        return access

    # -- status handling --------------------------------------------------------------------------------------------
    def _fail(self, function: str, status: int, detail: str = "") -> FMUError:
        when = f"t = {self.time:.9g} s" if self.time is not None else "before initialization"
        extra = f" {detail}" if detail else ""
        return FMUError(f"FMU component {self.name!r} ({self.path.name}): {function} returned {_label(status)} at {when}.{extra}")

    @contextmanager
    def _guard(self, what: str):
        """Turn fmpy's FMICallException (and its bare Exceptions) into FMUError with name and time."""
        from fmpy.fmi1 import FMICallException

        try:
            yield
        except FMICallException as exc:
            raise self._fail(exc.function, exc.status) from exc
        except (FMUError, ParameterError, ShapeError):
            raise
        except Exception as exc:
            when = f"t = {self.time:.9g} s" if self.time is not None else "before initialization"
            raise FMUError(f"FMU component {self.name!r} ({self.path.name}): {what} failed at {when}: {exc}") from exc

    def _check(self, function: str, status: int) -> None:
        if status > WARNING:
            raise self._fail(function, status)

    @property
    def is_open(self) -> bool:
        """True until :meth:`close`."""
        return self.mode != "closed" and self._fmu is not None

    def _require_open(self) -> None:
        if not self.is_open:
            raise FMUError(f"FMU component {self.name!r} is closed; create a new FMUComponent.")

    # -- values -----------------------------------------------------------------------------------------------------
    def variable(self, name: str) -> FMUVariable:
        """The model variable ``name`` (ParameterError with close matches when unknown)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ParameterError(
                unknown_name_message("variable", name, list(self._by_name), f"FMU component {self.name!r}")
            ) from None

    def _checked_values(self, values: Mapping[str, Any], purpose: str) -> dict[str, Any]:
        """Check names, settability, types, shapes, units and bounds of ``values``; raise once listing every problem."""
        from physics_twin.core.units import converter

        problems: list[str] = []
        checked: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in self._by_name:
                problems.append(unknown_name_message("variable", name, list(self._by_name), f"FMU component {self.name!r}"))
                continue
            variable = self._by_name[name]
            settable = variable.causality in ("parameter", "input", "structuralParameter") or (
                variable.initial in ("exact", "approx") and variable.causality == "local"
            )
            if not settable or variable.variability == "constant":
                problems.append(f"`{name}` cannot be set: it is a {variable.variability} {variable.causality} variable.")
                continue
            value = raw
            if isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], str):
                value, unit = raw
                if variable.kind != "float":
                    problems.append(f"`{name}` is {variable.type}; a unit ({unit!r}) applies only to real variables.")
                    continue
                try:
                    scale, offset = converter(unit, variable.unit)
                except Exception as exc:
                    problems.append(
                        f"`{name}`: cannot convert {unit!r} to the FMU's unit {variable.declared_unit or '1'!r} ({exc})."
                    )
                    continue
                value = np.asarray(value, dtype=float) * scale + offset
            try:
                checked[name] = self._coerce(variable, value)
            except (ParameterError, ShapeError) as exc:
                problems.append(str(exc))
        if problems:
            raise ParameterError(
                join_problems(f"invalid {purpose + ' ' if purpose else ''}values for FMU component {self.name!r}:", problems)
            )
        return checked

    def _coerce(self, variable: FMUVariable, value: Any) -> Any:
        name = variable.name
        if variable.kind == "string":
            if not isinstance(value, str):
                raise ParameterError(f"`{name}` must be a string; got {value!r}.")
            return value
        array = np.asarray(value)
        if array.shape != variable.shape:
            expected = variable.shape if variable.shape else "() (a scalar)"
            raise ShapeError(
                f"value of `{name}` has the wrong shape: expected {expected} ({variable.size} values), "
                f"got {array.shape} ({array.size} value{'' if array.size == 1 else 's'})."
            )
        if variable.kind == "boolean":
            if array.dtype != bool and not (np.issubdtype(array.dtype, np.integer) and np.all((array == 0) | (array == 1))):
                raise ParameterError(f"`{name}` is Boolean: give True/False (or 1/0); got {value!r}.")
            return array.astype(bool) if variable.shape else bool(array)
        if variable.kind == "integer":
            if not (
                np.issubdtype(array.dtype, np.integer)
                or (np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)))
            ):
                raise ParameterError(f"`{name}` is {variable.type}: give an integer; got {value!r}.")
            return array.astype(np.int64) if variable.shape else int(array)
        try:
            floats = array.astype(float)
        except (TypeError, ValueError):
            raise ParameterError(f"`{name}` must be a real number [{variable.unit}]; got {value!r}.") from None
        if array.dtype == bool or not np.all(np.isfinite(floats)):
            raise ParameterError(f"`{name}` must be a finite real number [{variable.unit}]; got {value!r}.")
        if np.any(floats < variable.minimum) or np.any(floats > variable.maximum):
            raise ParameterError(
                f"`{name}` must be within [{variable.minimum:g}, {variable.maximum:g}] {variable.unit}; got {value!r}."
            )
        return floats if variable.shape else float(floats)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Set variables by name (checked first: unknown names, shapes, types and bounds raise before any FMU call)."""
        self._require_open()
        checked = self._checked_values(values, purpose="")
        self._write(checked)

    def _write(self, values: Mapping[str, Any]) -> None:
        self._forget_inputs()
        groups: dict[str, tuple[list[int], list[Any]]] = {}
        for name, value in values.items():
            variable = self._by_name[name]
            group = _fmi_type_group(self.version, variable)
            references, flat = groups.setdefault(group, ([], []))
            references.append(variable.value_reference)
            if variable.shape:
                flat.extend(np.asarray(value).ravel().tolist())
            else:
                flat.append(value)
        with self._guard("setting values"):
            for group, (references, flat) in groups.items():
                setter = getattr(self._fmu, f"set{group}")
                if group == "Boolean" and self.version < 3:
                    flat = [1 if v else 0 for v in flat]
                setter(references, flat)

    def get_values(self, names: Iterable[str]) -> dict[str, Any]:
        """Current values by name: floats, ints, bools, strings, or arrays for FMI 3.0 array variables."""
        self._require_open()
        variables = [self.variable(n) for n in names]
        result: dict[str, Any] = {}
        with self._guard("getting values"):
            for variable in variables:
                group = _fmi_type_group(self.version, variable)
                getter = getattr(self._fmu, f"get{group}")
                raw = (
                    getter([variable.value_reference], variable.size) if self.version == 3 else getter([variable.value_reference])
                )
                if variable.kind == "boolean":
                    raw = [bool(r) for r in raw]
                elif variable.kind == "string":
                    raw = [r.decode() if isinstance(r, bytes) else r for r in raw]
                result[variable.name] = np.asarray(raw).reshape(variable.shape) if variable.shape else raw[0]
        return result

    # -- fast paths used by the co-simulation master ----------------------------------------------------------------
    def write_inputs(self, values: np.ndarray) -> bool:
        """Set every non-string input from a flat float vector (declaration order, arrays flattened).

        Groups whose values equal the ones last written are skipped (an FMU keeps its inputs); returns
        True when anything was written.
        """
        component = self._component
        written = False
        for access in self._input_access:
            chunk = values[access.positions]
            key = chunk.tobytes()
            if key == access.last:
                continue
            if access.view is not None:
                access.view[:] = chunk
            else:
                for i, v in enumerate(chunk):
                    access.buffer[i] = b"\x01" if v else b"\x00"
            if self.version == 3:
                status = access.function(component, access.references, access.count, access.buffer, access.n_values)
            else:
                status = access.function(component, access.references, access.count, access.buffer)
            if status > WARNING:
                access.last = None
                raise self._fail(access.function_name, status)
            access.last = key
            written = True
        return written

    def _forget_inputs(self) -> None:
        """After a reset, a restored state or a write by name the FMU's inputs may differ from the last written ones."""
        for access in self._input_access:
            access.last = None

    def read_outputs(self) -> np.ndarray:
        """Every non-string output as one flat float vector (booleans 0/1; a view reused by the next call)."""
        component = self._component
        out = self._output_buffer
        for access in self._output_access:
            if self.version == 3:
                status = access.function(component, access.references, access.count, access.buffer, access.n_values)
            else:
                status = access.function(component, access.references, access.count, access.buffer)
            if status > WARNING:
                raise self._fail(access.function_name, status)
            if access.view is not None:
                out[access.positions] = access.view
            else:
                out[access.positions] = [float(ord(b)) if isinstance(b, bytes) else float(b) for b in access.buffer]
        return out

    def do_step(self, time: float, step: float, no_set_prior: bool = True) -> bool:
        """Co-simulation step from ``time`` by ``step`` [s]; False when the FMU discards the step.

        Raises
        ------
        FMUError
            When the FMU returns Error or Fatal.
        """
        self.time = time
        if self.version == 3:
            status = self._do_step(self._component, time, step, no_set_prior, *self._step_refs)
        elif self.version == 2:
            status = self._do_step(self._component, time, step, 1 if no_set_prior else 0)
        else:
            status = self._do_step(self._component, time, step, b"\x01")
        if status <= WARNING:
            self.time = time + step
            return True
        if status == DISCARD:
            return False
        raise self._fail(
            self._do_step.__name__ if hasattr(self._do_step, "__name__") else "doStep",
            status,
            f"(communication step {step:.6g} s)",
        )

    # model exchange
    def set_time(self, time: float) -> None:
        """Set the independent variable (model exchange). [s]"""
        self.time = time
        self._check("SetTime", self._set_time(self._component, time))

    def set_continuous_states(self, x: np.ndarray) -> None:
        """Set the continuous states (model exchange). [state units]"""
        self._x_view[:] = x
        self._check("SetContinuousStates", self._set_states(self._component, self._x_buffer, self.n_states))

    def get_continuous_states(self) -> np.ndarray:
        """A copy of the continuous states (model exchange). [state units]"""
        self._check("GetContinuousStates", self._get_states(self._component, self._x_buffer, self.n_states))
        return self._x_view.copy()

    def get_derivatives(self) -> np.ndarray:
        """A copy of the state derivatives at the current time, states and inputs (model exchange). [unit/s]"""
        self._check("GetDerivatives", self._get_derivatives(self._component, self._dx_buffer, self.n_states))
        return self._dx_view.copy()

    def completed_integrator_step(self) -> tuple[bool, bool]:
        """Tell a model-exchange FMU that a solver step was accepted; returns (enter event mode, terminate)."""
        with self._guard("completedIntegratorStep"):
            result = self._fmu.completedIntegratorStep()
        if self.version == 3:
            return bool(result[0]), bool(result[1])
        return bool(result[0]), bool(result[1])

    def handle_event(self) -> float | None:
        """Event iteration of a model-exchange FMU; returns the next time event or None. Leaves it in continuous-time mode."""
        with self._guard("event iteration"):
            self._fmu.enterEventMode()
            return self._event_iteration()

    def _event_iteration(self) -> float | None:
        next_time = None
        for _ in range(1000):
            if self.version == 3:
                update, terminate, _, _, defined, when = self._fmu.updateDiscreteStates()
            else:
                update, terminate, _, _, defined, when = self._fmu.newDiscreteStates()
            if terminate:
                raise FMUError(f"FMU component {self.name!r} requested termination at t = {self.time} s.")
            next_time = float(when) if defined else None
            if not update:
                break
        else:
            raise FMUError(
                f"FMU component {self.name!r}: event iteration did not converge in 1000 iterations at t = {self.time} s."
            )
        self._fmu.enterContinuousTimeMode()
        self.next_event_time = next_time
        return next_time

    # -- life cycle -------------------------------------------------------------------------------------------------
    def initialize(
        self,
        start_time: float = 0.0,
        stop_time: float | None = None,
        *,
        parameters: Mapping[str, Any] | None = None,
        tolerance: float | None = None,
    ) -> None:
        """(Re)initialize the instance for a run from ``start_time`` [s].

        A previously used instance is reset first (the instance is reused, never re-created). The
        start values given at construction and ``parameters`` (which win) are applied before
        initialization. ``stop_time`` [s] is passed to the FMU when given; ``tolerance`` (relative,
        for a co-simulation FMU's own solver) defaults to the DefaultExperiment's, as fmpy does.
        """
        self._require_open()
        if tolerance is None and self.interface == "CS":  # a model-exchange FMU has no solver of its own
            tolerance = self.description.default_experiment["tolerance"]
        run_values = dict(self._user_values)
        if parameters:
            run_values.update(self._checked_values(parameters, purpose="start"))
        fmu = self._fmu
        self.next_event_time = None
        self._forget_inputs()
        with self._guard("initialization"):
            if self.mode != "instantiated":
                self._free_all_states()
                if self.version == 1:
                    fmu.reset()
                else:
                    fmu.reset()
                self.mode = "instantiated"
            self.time = float(start_time)
            if run_values:
                self._write(run_values)
            if self.version == 1:
                fmu.initialize(tStart=start_time, stopTime=stop_time)
            elif self.version == 2:
                fmu.setupExperiment(tolerance=tolerance, startTime=start_time, stopTime=stop_time)
                fmu.enterInitializationMode()
                fmu.exitInitializationMode()
            else:
                fmu.enterInitializationMode(tolerance=tolerance, startTime=start_time, stopTime=stop_time)
                fmu.exitInitializationMode()
            self.mode = "initialized"
            if self.interface == "ME":
                self._event_iteration()
        self.time = float(start_time)

    def reset(self) -> None:
        """Return the instance to its freshly instantiated state (start values from the model description)."""
        self._require_open()
        self._forget_inputs()
        with self._guard("reset"):
            self._free_all_states()
            self._fmu.reset()
        self.mode = "instantiated"
        self.time = None

    # -- FMU state --------------------------------------------------------------------------------------------------
    def _require_state_support(self, serialize: bool = False) -> None:
        if self.version == 1 or not self.capabilities.can_get_and_set_state:
            raise FMUError(
                f"FMU component {self.name!r} ({self.path.name}) cannot get and set its state (canGetAndSetFMUstate is false)."
            )
        if serialize and not self.capabilities.can_serialize_state:
            raise FMUError(
                f"the state of FMU component {self.name!r} ({self.path.name}) is not portable: canSerializeFMUstate is false, "
                "so it cannot be saved to bytes or restored in another instance or process."
            )

    def get_state(self) -> FMUState:
        """Save the complete FMU state (``getFMUstate``); restore with :meth:`set_state`."""
        self._require_open()
        self._require_state_support()
        with self._guard("getFMUstate"):
            handle = self._fmu.getFMUstate()
        state = FMUState(self, handle, self.time)
        self._states.add(state)
        return state

    def set_state(self, state: FMUState) -> None:
        """Restore a state saved by :meth:`get_state` on this instance."""
        self._require_open()
        self._require_state_support()
        if state.freed or state._owner() is not self:
            raise FMUError(
                f"`state` must be a live state of FMU component {self.name!r}; it was freed or belongs to another instance."
            )
        self._forget_inputs()
        with self._guard("setFMUstate"):
            self._fmu.setFMUstate(state._handle)
        self.time = state.time

    def _free_state_handle(self, handle: Any) -> None:
        with self._guard("freeFMUstate"):
            self._fmu.freeFMUstate(handle)

    def _free_all_states(self) -> None:
        for state in list(self._states):
            state.free()

    def serialize_state(self, state: FMUState | None = None) -> bytes:
        """The FMU state as bytes (``serializeFMUstate``); the current state when ``state`` is None."""
        self._require_open()
        self._require_state_support(serialize=True)
        own = state is None
        state = self.get_state() if own else state
        try:
            with self._guard("serializeFMUstate"):
                return self._fmu.serializeFMUstate(state._handle)
        finally:
            if own:
                state.free()

    def deserialize_state(self, data: bytes, time: float | None = None) -> FMUState:
        """An :class:`FMUState` of this instance from bytes made by :meth:`serialize_state`."""
        self._require_open()
        self._require_state_support(serialize=True)
        with self._guard("deSerializeFMUstate"):
            handle = self._fmu.deSerializeFMUstate(bytes(data))
        state = FMUState(self, handle, time)
        self._states.add(state)
        return state

    # -- signals like native components -----------------------------------------------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.INPUTS)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.OUTPUTS)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.PARAMETERS)

    def feedthrough_matrix(self) -> np.ndarray:
        """Boolean (n_outputs, n_inputs): True where an output depends directly on an input (from ModelStructure)."""
        return self.description.feedthrough_matrix()

    def simulate(
        self,
        stop_time: float | None = None,
        step: float | None = None,
        *,
        start_time: float | None = None,
        inputs: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        record: Iterable[str] = (),
        **options: Any,
    ):
        """Simulate this FMU alone on a fixed communication grid; see :meth:`physics_twin.fmu.master.CoSimulation.simulate`.

        Defaults come from the FMU's DefaultExperiment (start 0, stop start + 1, step (stop - start) / 500).

        Returns
        -------
        xarray.Dataset
            Outputs (and ``record``-ed variables) over ``time``, units in attrs; booleans stay booleans,
            FMI 3.0 array outputs have an extra dimension.
        """
        from physics_twin.fmu.master import CoSimulation

        experiment = self.description.default_experiment
        start = float(start_time if start_time is not None else (experiment["start_time"] or 0.0))
        stop = float(stop_time if stop_time is not None else (experiment["stop_time"] or start + 1.0))
        size = float(step if step is not None else (experiment["step_size"] or (stop - start) / 500.0))
        exposed = [f"{self.name}.{v.name}" for v in self.INPUTS if v.kind not in ("string", "other")]
        master = CoSimulation([self], name=self.name, inputs=exposed, **options)
        qualified_inputs = {f"{self.name}.{k}": v for k, v in (inputs or {}).items()}
        qualified_parameters = {f"{self.name}.{k}": v for k, v in (parameters or {}).items()}
        dataset = master.simulate(
            stop,
            size,
            start_time=start,
            inputs=qualified_inputs,
            parameters=qualified_parameters,
            record=[f"{self.name}.{r}" for r in record],
        )
        prefix = f"{self.name}."
        renames = {n: str(n)[len(prefix) :] for n in dataset.variables if str(n).startswith(prefix)}
        if "nonfinite_outputs" in dataset.attrs:
            dataset.attrs["nonfinite_outputs"] = ", ".join(
                n.removeprefix(prefix) for n in dataset.attrs["nonfinite_outputs"].split(", ")
            )
        return (
            dataset.rename_vars(renames).swap_dims({d: renames[d] for d in dataset.dims if d in renames}) if renames else dataset
        )

    # -- teardown ---------------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Free saved states and the instance, unload the binary and delete the extracted files (idempotent)."""
        if self._fmu is not None:
            try:
                self._free_all_states()
            except FMUError:
                pass
        self.mode = "closed"
        self._finalizer()
        self._fmu = None

    def __enter__(self) -> FMUComponent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        version = self.description.fmi_version
        return f"FMUComponent({self.path.name!r}, name={self.name!r}, interface={self.interface!r}, FMI {version})"


def _ctype(version: int, group: str) -> Any:
    if version < 3:
        return {"Real": ctypes.c_double, "Integer": ctypes.c_int, "Boolean": ctypes.c_int if version == 2 else ctypes.c_char}[
            group
        ]
    return {
        "Float64": ctypes.c_double,
        "Float32": ctypes.c_float,
        "Int8": ctypes.c_int8,
        "UInt8": ctypes.c_uint8,
        "Int16": ctypes.c_int16,
        "UInt16": ctypes.c_uint16,
        "Int32": ctypes.c_int32,
        "UInt32": ctypes.c_uint32,
        "Int64": ctypes.c_int64,
        "UInt64": ctypes.c_uint64,
        "Boolean": ctypes.c_bool,
    }[group]


def _release(fmu: Any, directory: str) -> None:
    """Free the instance and library, then delete the extracted files (run once, by close() or at garbage collection)."""
    if fmu is not None:
        try:
            fmu.freeInstance()
        except Exception:
            try:
                fmu.freeLibrary()
            except Exception:
                pass
    shutil.rmtree(directory, ignore_errors=True)
