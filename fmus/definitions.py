"""The project's own FMUs: which native component or system each one is, and the scenario of its reference run.

Used by ``fmus/build.py`` (build the FMUs), ``fmus/make_references.py`` (regenerate the reference CSVs from the
native models) and ``tests/integration/test_own_fmus.py`` (compare the FMUs with the native models). Everything is
built through the public API of physics_twin, as a user would.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physics_twin.components import CentrifugalPump, DCMotor, PipeLoop
from physics_twin.core import InputTable, System, simulate
from physics_twin.fmu.export import export_fmu

FMUS_FOLDER = Path(__file__).resolve().parent
FMI_VERSIONS = ("2.0", "3.0")

#: Tolerances of the native reference runs (scipy LSODA); tight enough that the solver error is far below the
#: tolerance of the FMU comparisons.
NATIVE_RTOL = 1e-11
NATIVE_ATOL = 1e-13
#: Relative tolerance of fmpy's CVode for model exchange (its absolute tolerance is this times the state nominals, 1).
FMPY_RTOL = 1e-10


@dataclass(frozen=True)
class Scenario:
    """A reference run: piecewise-constant inputs (each a list of (time [s], value) with the first at t = 0)."""

    stop_time: float
    output_interval: float
    steps: dict[str, tuple[tuple[float, float], ...]]

    def times(self) -> np.ndarray:
        """The output grid, as integer multiples of the interval. [s]"""
        count = round(self.stop_time / self.output_interval)
        return np.arange(count + 1) * self.output_interval

    def breakpoints(self) -> list[float]:
        """Times where an input jumps; outputs that depend directly on an input differ there by convention. [s]"""
        return sorted({t for changes in self.steps.values() for t, _ in changes[1:]})

    def native_inputs(self) -> dict[str, InputTable]:
        return {
            name: InputTable([t for t, _ in changes], [v for _, v in changes], "previous") for name, changes in self.steps.items()
        }

    def fmpy_input(self) -> np.ndarray:
        """The same inputs as fmpy's structured input array (a repeated time marks a step)."""
        names = list(self.steps)
        rows: list[list[float]] = []
        times = sorted({0.0, *self.breakpoints(), self.stop_time})

        def value(name: str, t: float, after: bool) -> float:
            current = self.steps[name][0][1]
            for time, v in self.steps[name]:
                if time < t or (after and time == t):
                    current = v
            return current

        for t in times:
            if t in self.breakpoints():
                rows.append([t, *(value(n, t, False) for n in names)])
            rows.append([t, *(value(n, t, True) for n in names)])
        dtype = [("time", np.float64)] + [(n, np.float64) for n in names]
        return np.array([tuple(r) for r in rows], dtype=dtype)


@dataclass(frozen=True)
class Definition:
    """One FMU of ``fmus/``."""

    name: str
    make: Callable[[], object]
    rk4_max_step: float
    scenario: Scenario

    def build(self, folder: Path, fmi_version: str) -> Path:
        """Build ``<folder>/<name>_fmi<major>.fmu`` and return its path."""
        scenario = self.scenario
        return export_fmu(
            self.make(),
            Path(folder) / f"{self.name}_fmi{fmi_version[0]}.fmu",
            fmi_version,
            model_identifier=self.name,
            rk4_max_step=self.rk4_max_step,
            stop_time=scenario.stop_time,
            step_size=scenario.output_interval,
        )

    def model(self):
        """The flat native model (built and compiled once per process)."""
        return _model_of(self.name)

    def output_names(self) -> list[str]:
        return list(self.model().output_names)

    def simulate_native(self) -> dict[str, np.ndarray]:
        """The native model on the scenario at tight tolerances: time, inputs and outputs by name (SI)."""
        model = self.model()
        scenario = self.scenario
        result = simulate(model, scenario.times(), inputs=scenario.native_inputs(), rtol=NATIVE_RTOL, atol=NATIVE_ATOL)
        columns = {"time": result["time"].values}
        for name in scenario.steps:
            columns[name] = result[name].values
        for name in model.output_names:
            key = f"{name}:output" if f"{name}:output" in result else name
            columns[name] = result[key].values
        return columns

    def simulate_fmu(self, path: Path, kind: str, **options) -> np.ndarray:
        """fmpy's simulation of the built FMU on the scenario (``kind``: "CoSimulation" or "ModelExchange")."""
        import fmpy

        scenario = self.scenario
        return fmpy.simulate_fmu(
            str(path),
            fmi_type=kind,
            stop_time=scenario.stop_time,
            output_interval=scenario.output_interval,
            input=scenario.fmpy_input(),
            relative_tolerance=FMPY_RTOL,
            output=self.output_names(),
            **options,
        )

    @property
    def reference_path(self) -> Path:
        return FMUS_FOLDER / self.name / "reference" / "reference.csv"

    def write_reference(self) -> Path:
        columns = self.simulate_native()
        path = self.reference_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in zip(*columns.values(), strict=True):
                writer.writerow([repr(float(v)) for v in row])
        return path

    def read_reference(self) -> dict[str, np.ndarray]:
        with self.reference_path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        header, values = rows[0], np.array(rows[1:], dtype=float)
        return {name: values[:, k] for k, name in enumerate(header)}


def errors(result, reference: dict[str, np.ndarray], names, skip_times=()) -> dict[str, tuple[float, float]]:
    """Max abs error and max abs error / max |reference| of each signal of ``result``, at the reference times.

    fmpy records two rows at an input step (before and after); the last row of each time is compared. At the times in
    ``skip_times`` (input steps) an output that depends directly on an input is by convention the value before the
    step in fmpy's co-simulation loop and after it in the native result, so those rows are left out.
    """
    grid = reference["time"]
    rows = np.searchsorted(result["time"], grid, side="right") - 1
    if not np.allclose(result["time"][rows], grid, rtol=0, atol=1e-9):
        raise ValueError("the FMU result does not have a row at every reference time")
    keep = np.ones(grid.size, dtype=bool)
    for t in skip_times:
        keep &= ~np.isclose(grid, t, rtol=0, atol=1e-9)
    table = {}
    for name in names:
        difference = np.abs(result[name][rows] - reference[name])[keep]
        scale = np.max(np.abs(reference[name]))
        table[name] = (float(difference.max()), float(difference.max() / scale) if scale else float(difference.max()))
    return table


@functools.cache
def _model_of(name: str):
    return DEFINITIONS[name].make().model()


def _dc_motor() -> DCMotor:
    return DCMotor(name="dc_motor")


def _pump_system() -> System:
    return System(
        "pump_system",
        [CentrifugalPump(name="pump"), PipeLoop(name="pipe")],
        connections=[("pump.pressure_rise", "pipe.pressure_rise"), ("pipe.flow_rate", "pump.flow_rate")],
        inputs={"shaft_speed": "pump.shaft_speed", "valve_opening": "pipe.valve_opening"},
    )


DEFINITIONS = {
    "dc_motor": Definition(
        name="dc_motor",
        make=_dc_motor,
        rk4_max_step=1e-4,  # fastest eigenvalue about -490 1/s (electrical): h*lambda = 0.05
        scenario=Scenario(
            stop_time=1.0,
            output_interval=2e-3,
            steps={
                "voltage": ((0.0, 24.0), (0.6, 12.0)),
                "load_torque": ((0.0, 0.0), (0.3, 0.2)),
                "ambient_temperature": ((0.0, 293.15), (0.8, 303.15)),
            },
        ),
    ),
    "pump_system": Definition(
        name="pump_system",
        make=_pump_system,
        rk4_max_step=1e-3,  # fastest eigenvalue about -10 1/s (water column at the operating point)
        scenario=Scenario(
            stop_time=10.0,
            output_interval=2e-2,
            steps={
                "shaft_speed": ((0.0, 200.0), (3.0, 2900 * 2 * np.pi / 60)),
                "valve_opening": ((0.0, 1.0), (6.0, 0.4)),
            },
        ),
    ),
}
