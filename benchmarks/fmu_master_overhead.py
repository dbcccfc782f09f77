"""Per-step cost of physics_twin's co-simulation master against a bare fmpy step loop on the same FMU.

Run on demand (not a test):  python benchmarks/fmu_master_overhead.py [--steps 20000] [--repeats 5]

Both sides do the same work per communication step: set the FMU's inputs, ``doStep``, read every output
and keep it. The bare loop uses fmpy's ``FMU2Slave`` calls (``setReal``/``doStep``/``getReal``) on a grid
of integer multiples; the master runs ``CoSimulation.simulate`` (grid, exchange, finiteness check,
recording and the xarray result included). The ratio master / bare is printed per FMU, measured in this
run (best of ``--repeats``). Target: at most 1.1.

FMUs: the project's C test oscillator (``physics_twin.fmu.testing``: a cheap doStep, so the master's own
overhead dominates — the hard case) and, when ../shared is present, Dymola's e-machine FMU from the DC-motor
cross-check set (a realistic vendor doStep).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from physics_twin.fmu import CoSimulation, FMUComponent, read_description, testing


def bare_fmpy_loop(path: Path, steps: int, step: float, inputs: dict[str, float]) -> float:
    """Seconds for ``steps`` communication steps with fmpy's FMU2Slave, outputs kept in an array."""
    import fmpy
    from fmpy.fmi2 import FMU2Slave

    description = read_description(path)
    md = description.model_description
    unzipped = fmpy.extract(str(path))
    try:
        fmu = FMU2Slave(
            guid=md.guid, unzipDirectory=unzipped, modelIdentifier=md.coSimulation.modelIdentifier, instanceName="bare"
        )
        fmu.instantiate()
        input_vrs = [description.variable(n).value_reference for n in inputs]
        input_values = list(inputs.values())
        # every output, as the master records them all (grouped by FMI type: one call per type, like the master)
        groups = {
            kind: [v.value_reference for v in description.outputs if v.type == kind] for kind in ("Real", "Integer", "Boolean")
        }
        getters = [(getattr(fmu, f"get{kind}"), references) for kind, references in groups.items() if references]
        output_vrs = [r for references in groups.values() for r in references]
        stop = steps * step
        fmu.setupExperiment(startTime=0.0, stopTime=stop)
        fmu.enterInitializationMode()
        fmu.exitInitializationMode()
        recorded = np.empty((steps + 1, len(output_vrs)))
        started = time.perf_counter()
        for k in range(steps):
            fmu.setReal(input_vrs, input_values)
            fmu.doStep(k * step, step)
            recorded[k + 1] = [value for getter, references in getters for value in getter(references)]
        elapsed = time.perf_counter() - started
        fmu.terminate()
        fmu.freeInstance()
        return elapsed
    finally:
        shutil.rmtree(unzipped, ignore_errors=True)


def master_run(path: Path, steps: int, step: float, inputs: dict[str, float]) -> float:
    """Seconds for the same run through CoSimulation.simulate (one participant, the same constant inputs)."""
    with FMUComponent(path, "fmu", interface="CS") as fmu:
        simulation = CoSimulation([fmu], inputs=[f"fmu.{n}" for n in inputs])
        started = time.perf_counter()
        simulation.simulate(steps * step, step, inputs={f"fmu.{n}": v for n, v in inputs.items()})
        return time.perf_counter() - started


def measure(label: str, path: Path, steps: int, step: float, inputs: dict[str, float], repeats: int) -> float:
    master_run(path, 100, step, inputs)  # warm-up: imports, caches
    bare_fmpy_loop(path, 100, step, inputs)
    bare, ours = [], []
    for _ in range(repeats):  # interleaved, so load from other processes hits both alike
        bare.append(bare_fmpy_loop(path, steps, step, inputs))
        ours.append(master_run(path, steps, step, inputs))
    bare, ours = min(bare), min(ours)
    print(
        f"{label:<44} steps={steps:<7d} bare fmpy {1e6 * bare / steps:8.2f} us/step   master {1e6 * ours / steps:8.2f} us/step   "
        f"ratio {ours / bare:5.2f}"
    )
    return ours / bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ratios = []
    with tempfile.TemporaryDirectory() as directory:
        oscillator = testing.build_oscillator_fmu(directory)
        ratios.append(measure("test oscillator (C, cheap doStep)", oscillator, args.steps, 1e-3, {"force": 0.5}, args.repeats))
    shared = Path(__file__).resolve().parents[2] / "shared" / "fmus" / "cross-check" / "OMSimulator" / "Dymola"
    emachine = shared / "2024x_Refresh1_Beta1" / "dcmotor" / "resources" / "emachine_model.fmu"
    if emachine.exists():
        ratios.append(
            measure(
                "Dymola emachine_model (vendor doStep)",
                emachine,
                args.steps,
                1e-3,
                {"U": 12.0, "w": 50.0, "phi": 0.0},
                args.repeats,
            )
        )
    else:
        print(f"skipped the Dymola FMU: {emachine} is missing")
    print(f"worst ratio master / bare fmpy: {max(ratios):.2f} (target <= 1.1)")


if __name__ == "__main__":
    main()
