"""The project's own FMUs (fmus/) and the export of native systems (physics_twin.fmu.export).

The FMUs are built into a temporary folder by ``python fmus/build.py`` (a few seconds); every test that needs a
binary skips, saying why, when the machine has no C compiler. The expected trajectories are the native models'
(``physics_twin.simulate`` with scipy LSODA at rtol 1e-11), stored in ``fmus/<name>/reference/reference.csv`` by
``fmus/make_references.py``: the FMUs run the C twins of the same equations, so they must reproduce them up to the
integration error of their solvers.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import math
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from physics_twin.components import BearingDegradation, CentrifugalPump, DCMotor, PipeLoop
from physics_twin.core import System, simulate
from physics_twin.errors import FMUError, ModelStructureError, ParameterError
from physics_twin.fmu.export import export_fmu, exportable_components, find_c_compiler

ROOT = Path(__file__).resolve().parents[2]
FMUS = ROOT / "fmus"

#: Co-simulation: RK4 with sub-steps of 1e-4 s (motor) / 1e-3 s (pump), |h*lambda| <= 0.05; its global error is
#: ~(h*lambda)^4 relative, below 1e-6 of each signal's range with a wide margin (measured: 2e-8).
CS_TOLERANCE = 1e-6
#: Model exchange: fmpy's CVode at rtol 1e-10 with absolute tolerance rtol * nominal (nominals are 1), so a flow of
#: 2e-3 m^3/s is resolved to ~1e-7 relative; 1e-5 of each signal's range bounds it (measured: 6e-7).
ME_TOLERANCE = 1e-5


def _load_definitions():
    spec = importlib.util.spec_from_file_location("fmus_definitions", FMUS / "definitions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


definitions = _load_definitions()
DEFINITIONS = definitions.DEFINITIONS


def _require_compiler() -> None:
    try:
        find_c_compiler()
    except FMUError as error:
        pytest.skip(f"no C compiler on this machine, the FMU binaries cannot be built: {error}")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """All FMUs of fmus/, built by the build script itself into a temporary folder."""
    _require_compiler()
    folder = tmp_path_factory.mktemp("own_fmus")
    result = subprocess.run(
        [sys.executable, str(FMUS / "build.py"), "--output-dir", str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        (name, version): folder / f"{name}_fmi{version[0]}.fmu" for name in DEFINITIONS for version in definitions.FMI_VERSIONS
    }


# ---- the build script ---------------------------------------------------------------------------------------------


def test_build_script_writes_valid_fmus_with_the_fmi_layout(built):
    from fmpy.validation import validate_fmu

    linux_x86 = platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")
    for (name, version), path in built.items():
        assert validate_fmu(str(path)) == [], path.name
        with zipfile.ZipFile(path) as archive:
            files = set(archive.namelist())
        assert "modelDescription.xml" in files
        assert {"sources/model.c", "sources/pt_core.c", f"sources/pt_fmi{version[0]}.c"} <= files
        if linux_x86:
            folder = "linux64" if version == "2.0" else "x86_64-linux"
            assert f"binaries/{folder}/{name}.so" in files
        if version == "3.0":
            assert "sources/buildDescription.xml" in files


def test_build_script_without_a_compiler_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("fmus_build", FMUS / "build.py")
    build = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "definitions", definitions)  # what `python fmus/build.py` finds beside itself
    spec.loader.exec_module(build)
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no cc, gcc or clang
    assert build.main(["--output-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "no C compiler found" in error
    assert "apt-get install gcc" in error
    assert not list(tmp_path.glob("*.fmu"))


def test_sources_in_the_fmu_rebuild_with_fmpy_cmake_builder(built, tmp_path):
    # An importer compiles sources/ from the FMU's own build description (FMI 3) with only the standard headers:
    # fmpy's CMake builder does exactly that; the rebuilt binary must simulate like the shipped one.
    import shutil as shell

    from fmpy.build import build_platform_binary

    if shell.which("cmake") is None:
        pytest.skip("cmake is not installed; fmpy's builder needs it to compile the FMU's sources")
    shipped = built[("pump_system", "3.0")]
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(shipped) as archive:
        archive.extractall(unzipped)
    shell.rmtree(unzipped / "binaries")
    (tmp_path / "cmake").mkdir()
    build_platform_binary(unzipped.resolve(), build_dir=tmp_path / "cmake", all_warnings=True)
    definition = DEFINITIONS["pump_system"]
    rebuilt = definition.simulate_fmu(unzipped, "CoSimulation")
    original = definition.simulate_fmu(shipped, "CoSimulation")
    for name in definition.output_names():
        np.testing.assert_array_equal(rebuilt[name], original[name])


# ---- trajectories against the native models ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_reference_results_are_the_native_model(name):
    # the stored CSV must still be what the native model computes (regenerate with fmus/make_references.py)
    definition = DEFINITIONS[name]
    stored = definition.read_reference()
    fresh = definition.simulate_native()
    assert list(stored) == list(fresh)
    for column in fresh:
        scale = max(np.max(np.abs(fresh[column])), 1e-300)
        np.testing.assert_allclose(stored[column], fresh[column], rtol=0, atol=1e-8 * scale, err_msg=column)


@pytest.mark.parametrize("kind", ["CoSimulation", "ModelExchange"])
@pytest.mark.parametrize("version", ["2.0", "3.0"])
@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_fmu_trajectory_matches_the_native_component(built, name, version, kind):
    definition = DEFINITIONS[name]
    result = definition.simulate_fmu(built[(name, version)], kind)
    errors = definitions.errors(result, definition.read_reference(), definition.output_names(), definition.scenario.breakpoints())
    tolerance = CS_TOLERANCE if kind == "CoSimulation" else ME_TOLERANCE
    worst = {signal: relative for signal, (_, relative) in errors.items() if not relative <= tolerance}
    assert worst == {}, f"relative errors above {tolerance}: {worst}"


def test_rk4_max_step_sets_the_co_simulation_sub_step_with_fourth_order_convergence(built):
    # Classical RK4 has a global error O(h^4): shrinking rk4_max_step from 5e-4 s to 1e-4 s (both divide the 2 ms
    # communication steps evenly) must shrink the error against the native reference by about 5^4 = 625; the band
    # 5^3.5 .. 5^4.5 allows for the not-quite-asymptotic regime (h*lambda = 0.25 for the motor's -490 1/s pole).
    definition = DEFINITIONS["dc_motor"]
    reference = definition.read_reference()
    path = built[("dc_motor", "2.0")]
    skip = definition.scenario.breakpoints()
    error = {}
    for step in (5e-4, 1e-4):
        result = definition.simulate_fmu(path, "CoSimulation", start_values={"rk4_max_step": step})
        error[step] = definitions.errors(result, reference, ["current"], skip)["current"][0]
    assert 5**3.5 < error[5e-4] / error[1e-4] < 5**4.5
    assert error[1e-4] / np.max(np.abs(reference["current"])) <= CS_TOLERANCE


# ---- model description ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_model_description_has_the_declared_names_units_and_start_values(built, version):
    from fmpy import read_model_description

    description = read_model_description(str(built[("dc_motor", version)]))
    variables = {v.name: v for v in description.modelVariables}
    for declaration in DCMotor.PARAMETERS:
        variable = variables[declaration.name]
        assert (variable.causality, variable.unit, float(variable.start)) == ("parameter", declaration.unit, declaration.default)
    for declaration in DCMotor.INPUTS:
        variable = variables[declaration.name]
        assert (variable.causality, variable.unit, float(variable.start)) == ("input", declaration.unit, declaration.default)
    outputs = [v.name for v in description.modelVariables if v.causality == "output"]
    assert outputs == [o.name for o in DCMotor.OUTPUTS]
    assert [v.unit for v in description.modelVariables if v.causality == "output"] == [o.unit for o in DCMotor.OUTPUTS]
    # ohm = V/A = (W/A)/A = kg m^2 s^-3 A^-2
    units = {u.name: u.baseUnit for u in description.unitDefinitions}
    ohm = units["ohm"]
    assert (ohm.kg, ohm.m, ohm.s, ohm.A, ohm.K, ohm.rad) == (1, 2, -3, -2, 0, 0)
    # N*m*s/rad (viscous friction) keeps the radian: kg m^2 s^-1 rad^-1
    friction = units["N*m*s/rad"]
    assert (friction.kg, friction.m, friction.s, friction.rad) == (1, 2, -1, -1)
    for interface in (description.coSimulation, description.modelExchange):
        assert interface.canGetAndSetFMUstate and interface.canSerializeFMUstate
    assert description.numberOfContinuousStates == 3
    assert [d.variable.derivative.name for d in description.derivatives] == [s.name for s in DCMotor.STATES]


# ---- FMU states -------------------------------------------------------------------------------------------------


class _Instance:
    """A low-level fmpy instance of one of our FMUs that records the FMU's log messages."""

    def __init__(self, path: Path, kind: str = "CoSimulation"):
        from fmpy import extract, read_model_description

        self.description = read_model_description(str(path))
        self.messages: list[str] = []
        self.references = {v.name: v.valueReference for v in self.description.modelVariables}
        self.fmi3 = self.description.fmiVersion.startswith("3")
        unzipped = extract(str(path))
        arguments = {
            "guid": self.description.guid,
            "unzipDirectory": unzipped,
            "modelIdentifier": self.description.coSimulation.modelIdentifier,
            "instanceName": "test",
        }
        if self.fmi3:
            from fmpy.fmi3 import FMU3Model, FMU3Slave

            self.fmu = (FMU3Slave if kind == "CoSimulation" else FMU3Model)(**arguments)
            self.fmu.instantiate(logMessage=self._log3)
        else:
            from fmpy import calloc, free
            from fmpy.fmi2 import (
                FMU2Model,
                FMU2Slave,
                fmi2CallbackAllocateMemoryTYPE,
                fmi2CallbackFreeMemoryTYPE,
                fmi2CallbackFunctions,
                fmi2CallbackLoggerTYPE,
            )
            from fmpy.logging import addLoggerProxy

            self.fmu = (FMU2Slave if kind == "CoSimulation" else FMU2Model)(**arguments)
            callbacks = fmi2CallbackFunctions()
            callbacks.logger = fmi2CallbackLoggerTYPE(self._log2)
            callbacks.allocateMemory = fmi2CallbackAllocateMemoryTYPE(calloc)
            callbacks.freeMemory = fmi2CallbackFreeMemoryTYPE(free)
            addLoggerProxy(ctypes.byref(callbacks))
            self.fmu.instantiate(callbacks=callbacks)

    def _log2(self, environment, name, status, category, message):
        self.messages.append(message.decode())

    def _log3(self, environment, status, category, message):
        self.messages.append(message.decode())

    def set(self, **values: float) -> None:
        references = [self.references[n] for n in values]
        (self.fmu.setFloat64 if self.fmi3 else self.fmu.setReal)(references, list(values.values()))

    def get(self, *names: str) -> list[float]:
        references = [self.references[n] for n in names]
        return list((self.fmu.getFloat64 if self.fmi3 else self.fmu.getReal)(references))

    def initialize(self) -> None:
        if self.fmi3:
            self.fmu.enterInitializationMode(startTime=0.0)
        else:
            self.fmu.setupExperiment(startTime=0.0)
            self.fmu.enterInitializationMode()
        self.fmu.exitInitializationMode()

    def steps(self, start: float, count: int, size: float) -> None:
        for k in range(count):
            self.fmu.doStep(currentCommunicationPoint=start + k * size, communicationStepSize=size)

    def free(self) -> None:
        self.fmu.freeInstance()


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_serialized_state_restores_in_a_fresh_instance_and_continues_identically(built, version):
    # fmpy gives FMI 2 instances the FMI 3 names of the state functions as aliases
    path = built[("dc_motor", version)]
    signals = ("current", "shaft_speed", "winding_temperature")
    uninterrupted = _Instance(path)
    uninterrupted.set(voltage=24.0, load_torque=0.1)
    uninterrupted.initialize()
    uninterrupted.steps(0.0, 50, 0.01)
    state = uninterrupted.fmu.getFMUState()
    serialized = bytes(uninterrupted.fmu.serializeFMUState(state))
    uninterrupted.steps(0.5, 50, 0.01)
    expected = uninterrupted.get(*signals)
    # roll the same instance back to 0.5 s and repeat the second half
    uninterrupted.fmu.setFMUState(state)
    uninterrupted.steps(0.5, 50, 0.01)
    assert uninterrupted.get(*signals) == expected
    uninterrupted.fmu.freeFMUState(state)
    uninterrupted.free()

    restored = _Instance(path)
    restored.set(voltage=24.0, load_torque=0.1)
    restored.initialize()
    copy = restored.fmu.deserializeFMUState(serialized)
    restored.fmu.setFMUState(copy)
    assert restored.get("time") == [pytest.approx(0.5, abs=1e-12)]
    restored.steps(0.5, 50, 0.01)
    # the same arithmetic from the same bytes: identical to the last bit
    assert restored.get(*signals) == expected
    restored.fmu.freeFMUState(copy)
    restored.free()


_RESTORE_IN_A_NEW_PROCESS = """
import json
import sys
from fmpy import extract, read_model_description
from fmpy.fmi3 import FMU3Slave

fmu_path, state_path = sys.argv[1:]
description = read_model_description(fmu_path)
references = {v.name: v.valueReference for v in description.modelVariables}
fmu = FMU3Slave(guid=description.guid, unzipDirectory=extract(fmu_path), modelIdentifier="dc_motor", instanceName="child")
fmu.instantiate()
fmu.enterInitializationMode(startTime=0.0)
fmu.exitInitializationMode()
fmu.setFMUState(fmu.deserializeFMUState(open(state_path, "rb").read()))
for k in range(50):
    fmu.doStep(currentCommunicationPoint=0.5 + k * 0.01, communicationStepSize=0.01)
print(json.dumps(fmu.getFloat64([references[n] for n in ("current", "shaft_speed", "winding_temperature")])))
fmu.terminate()
fmu.freeInstance()
"""


def test_serialized_state_restores_in_a_fresh_process(built, tmp_path):
    path = built[("dc_motor", "3.0")]
    parent = _Instance(path)
    parent.set(voltage=24.0, load_torque=0.1)
    parent.initialize()
    parent.steps(0.0, 50, 0.01)
    state_file = tmp_path / "state.bin"
    state_file.write_bytes(bytes(parent.fmu.serializeFMUState(parent.fmu.getFMUState())))
    parent.steps(0.5, 50, 0.01)
    expected = parent.get("current", "shaft_speed", "winding_temperature")
    parent.free()
    child = subprocess.run(
        [sys.executable, "-c", _RESTORE_IN_A_NEW_PROCESS, str(path), str(state_file)], capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    # the inputs (24 V, 0.1 N*m) travel inside the state: the child never sets them
    assert json.loads(child.stdout) == expected  # JSON writes floats with repr: exact


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_a_state_of_another_fmu_or_interface_is_refused_with_a_reason(built, version):
    from fmpy.fmi1 import FMICallException

    motor = _Instance(built[("dc_motor", version)])
    motor.initialize()
    serialized = bytes(motor.fmu.serializeFMUState(motor.fmu.getFMUState()))
    motor.free()
    pump = _Instance(built[("pump_system", version)])
    pump.initialize()
    with pytest.raises(FMICallException):
        pump.fmu.deserializeFMUState(serialized)
    assert any("not portable" in message for message in pump.messages), pump.messages
    pump.free()
    # a co-simulation state restored into a model-exchange instance of the same FMU
    exchange = _Instance(built[("dc_motor", version)], kind="ModelExchange")
    exchange.initialize()
    with pytest.raises(FMICallException):
        exchange.fmu.deserializeFMUState(serialized)
    assert any("saved by a co-simulation instance; this is a model-exchange instance" in m for m in exchange.messages)
    exchange.free()


# ---- parameters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_out_of_bounds_and_inconsistent_parameters_are_rejected_naming_them(built, version):
    from fmpy.fmi1 import FMICallException

    motor = _Instance(built[("dc_motor", version)])
    with pytest.raises(FMICallException):
        motor.set(inductance=0.0)  # divides in the kernel: declared bounds (0, inf)
    assert any("`inductance`" in m and "got 0" in m for m in motor.messages), motor.messages
    motor.free()

    pump = _Instance(built[("pump_system", version)])
    pump.set(**{"pump.bep_head": 25.0})  # within its own bounds, but above the shut-off head of 20 m
    if version == "3.0":
        pump.fmu.enterInitializationMode(startTime=0.0)
    else:
        pump.fmu.setupExperiment(startTime=0.0)
        pump.fmu.enterInitializationMode()
    with pytest.raises(FMICallException):
        pump.fmu.exitInitializationMode()
    assert any("`pump.bep_head` must be below `pump.shutoff_head`" in m for m in pump.messages), pump.messages
    pump.free()


def test_c_kernels_equal_the_python_kernels_at_random_points(built, rng):
    # Model exchange exposes rhs and output directly: at random states and inputs (negative flows included, where the
    # loss term Q|Q| changes sign) the C twins give the Python kernels' numbers to rounding.
    for name in ("dc_motor", "pump_system"):
        model = DEFINITIONS[name].model()
        instance = _Instance(built[(name, "2.0")], kind="ModelExchange")
        instance.initialize()
        instance.fmu.enterContinuousTimeMode()
        scale_x = np.array([10.0, 300.0, 350.0]) if name == "dc_motor" else np.array([4e-3])
        scale_u = np.array([48.0, 1.0, 300.0]) if name == "dc_motor" else np.array([320.0, 1.0])
        for _ in range(20):
            x = rng.uniform(-1.0, 1.0, len(model.states)) * scale_x
            u = np.abs(rng.uniform(0.05, 1.0, len(model.inputs))) * scale_u
            instance.fmu.setContinuousStates((ctypes.c_double * len(x))(*x), len(x))
            instance.set(**dict(zip(model.input_names, u.tolist(), strict=True)))
            derivatives = (ctypes.c_double * len(x))()
            instance.fmu.getDerivatives(derivatives, len(x))
            expected_dx = model.derivative(0.0, x, u, model.parameter_values)
            np.testing.assert_allclose(np.asarray(derivatives), expected_dx, rtol=1e-13, atol=1e-300)
            expected_y = model.output_values(0.0, x, u, model.parameter_values)
            np.testing.assert_allclose(instance.get(*model.output_names), expected_y, rtol=1e-13, atol=1e-300)
        instance.free()


# ---- export of a native system ----------------------------------------------------------------------------------


def _motor_pump_loop() -> System:
    return System(
        "motor_pump_loop",
        [
            DCMotor(name="motor", torque_constant=0.3, reference_resistance=0.5),
            CentrifugalPump(name="pump"),
            PipeLoop(name="pipe"),
        ],
        connections=[
            ("motor.shaft_speed", "pump.shaft_speed"),
            ("pump.shaft_torque", "motor.load_torque"),
            ("pump.pressure_rise", "pipe.pressure_rise"),
            ("pipe.flow_rate", "pump.flow_rate"),
        ],
        inputs={
            "voltage": "motor.voltage",
            "ambient_temperature": "motor.ambient_temperature",
            "valve_opening": "pipe.valve_opening",
        },
    )


@pytest.fixture(scope="module")
def motor_pump_loop_native() -> dict[str, np.ndarray]:
    """The native motor-pump-loop system at 90 V for 2 s (tight tolerances), outputs by name."""
    model = _motor_pump_loop().model()
    times = np.arange(201) * 0.01
    native = simulate(model, times, inputs={"voltage": 90.0}, rtol=1e-11, atol=1e-13)
    reference = {"time": times}
    for name in model.output_names:
        reference[name] = native[f"{name}:output" if f"{name}:output" in native else name].values
    return reference


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_exported_system_matches_the_native_system(tmp_path, version, motor_pump_loop_native):
    import fmpy
    from fmpy.validation import validate_fmu

    _require_compiler()
    system = _motor_pump_loop()
    path = export_fmu(system, tmp_path / "motor_pump_loop.fmu", version, rk4_max_step=1e-4, stop_time=2.0, step_size=0.01)
    assert validate_fmu(str(path)) == []
    description = fmpy.read_model_description(str(path))
    starts = {v.name: v.start for v in description.modelVariables}
    assert float(starts["motor.torque_constant"]) == 0.3  # the instance's value, not the class default
    reference = motor_pump_loop_native
    assert reference["motor.shaft_speed"][-1] > 100.0  # the motor really drives the pump
    outputs = [name for name in reference if name != "time"]
    for kind, tolerance in (("CoSimulation", CS_TOLERANCE), ("ModelExchange", ME_TOLERANCE)):
        result = fmpy.simulate_fmu(
            str(path),
            fmi_type=kind,
            stop_time=2.0,
            output_interval=0.01,
            start_values={"voltage": 90.0},
            relative_tolerance=1e-10,
            output=outputs,
        )
        errors = definitions.errors(result, reference, outputs)
        worst = {signal: relative for signal, (_, relative) in errors.items() if not relative <= tolerance}
        assert worst == {}, f"{kind}: relative errors above {tolerance}: {worst}"


def test_export_refuses_what_it_cannot_translate_and_lists_argument_problems(tmp_path):
    with pytest.raises(ModelStructureError, match=r"no C implementation for wear \(BearingDegradation\).*DCMotor"):
        export_fmu(BearingDegradation(name="wear"), tmp_path / "wear.fmu")
    with pytest.raises(ModelStructureError, match=r"flat Model 'motor'.*Export the Component or System"):
        export_fmu(DCMotor(name="motor").model(), tmp_path / "motor.fmu")
    with pytest.raises(ParameterError, match=r"(?s)`fmi_version` must be '2.0' or '3.0'; got '1.0'.*`path` must end in .fmu"):
        export_fmu(DCMotor(name="motor"), tmp_path / "motor.zip", "1.0")
    with pytest.raises(ParameterError, match=r"`rk4_max_step` must be a finite number > 0 \[s\]; got nan"):
        export_fmu(DCMotor(name="motor"), tmp_path / "motor.fmu", rk4_max_step=math.nan)
    with pytest.raises(FMUError, match=r"no C compiler found.*apt-get install gcc"):
        export_fmu(DCMotor(name="motor"), tmp_path / "motor.fmu", compiler="no-such-compiler-for-physics-twin")
    assert set(exportable_components()) == {DCMotor, CentrifugalPump, PipeLoop}


@pytest.mark.parametrize("component_class", exportable_components())
def test_outputs_named_like_states_are_those_states(component_class, rng):
    # The exporter publishes an output named like a state as that state variable; check the convention on the kernels.
    component = component_class()
    states = [s.name for s in component.STATES]
    for _ in range(5):
        x = rng.normal(size=len(states))
        u = rng.uniform(0.1, 1.0, len(component.INPUTS))
        y = component_class.output_values(0.0, x, u, component.parameter_values)
        for j, output in enumerate(component.OUTPUTS):
            if output.name in states:
                assert y[j] == x[states.index(output.name)]
