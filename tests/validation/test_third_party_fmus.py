"""Third-party FMUs from ../shared/fmus/cross-check: every one loads, validates and simulates through physics_twin.

Reference results: the vendors ship no reference CSVs for these models (MANIFEST.md), so the reference
tool is fmpy's own ``simulate_fmu`` on the same communication grid (it calls the same binary with the
same steps, so co-simulation results must agree to rounding: rtol 1e-9), plus comparisons that need
no reference file:

* monolithic vs split: gemseo-fmu's MassSpringSystem against MassSpringSubSystem1 + 2 coupled by our
  master (model exchange in one continuous block: 1e-6; co-simulation with a zero-order hold: first order);
* the Dymola DC-motor SSP 2.0 system against the DC motor's closed-form steady state;
* KnuckleBoomCrane, which produces NaN under its default experiment: an FMUError or a flag, never silent.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.errors import FMUError
from physics_twin.fmu import CoSimulation, FMUComponent, load_ssp, validate

from ..conftest import SHARED

CROSS_CHECK = SHARED / "fmus" / "cross-check"


def _manifest_fmus() -> list[str]:
    manifest = CROSS_CHECK / "MANIFEST.md"
    if not manifest.exists():
        return []
    rows = re.findall(r"^\| `([^`]+\.fmu)` \|", manifest.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return rows


FMUS = _manifest_fmus()
NAN_FMU = "libcosim/20-sim/4.7.1/KnuckleBoomCrane/KnuckleBoomCrane.fmu"
# fmpy's validation findings on vendor files that do not stop simulation (kept here so a new finding fails the test)
KNOWN_WARNINGS = {
    "0002_ECS_SW.fmu": 2,
    "Mass_Damper.fmu": 1,
    "CraneController.fmu": 1,
    "KnuckleBoomCrane.fmu": 1,
    "vector.fmu": 1,
}


def _path(relative: str, shared):
    return shared("fmus", "cross-check", *relative.split("/"))


def _grid(fmu: FMUComponent) -> tuple[float, float, float]:
    experiment = fmu.description.default_experiment
    start = experiment["start_time"] or 0.0
    stop = start + min((experiment["stop_time"] or start + 1.0) - start, 2.0)  # at most 2 s keeps the suite fast
    step = max(experiment["step_size"] or 0.0, (stop - start) / 500.0)
    return start, stop, step


@pytest.mark.skipif(not FMUS, reason=f"MANIFEST.md missing under {CROSS_CHECK} (CI provides ../shared beside the checkout)")
def test_manifest_lists_29_fmus():
    assert len(FMUS) == 29


@pytest.mark.parametrize("relative", FMUS or ["(no manifest)"])
def test_loads_validates_and_matches_fmpy(relative, shared):
    import fmpy

    path = _path(relative, shared)
    report = validate(path)
    assert report.ok, str(report)
    assert len(report.warnings) == KNOWN_WARNINGS.get(path.name, 0), str(report)
    with FMUComponent(path, "fmu") as fmu:
        start, stop, step = _grid(fmu)
        if relative == NAN_FMU:
            with pytest.raises(FMUError, match=r"outputs \[.*'fmu\.p_Crane\.f\[1\]'.*\] are not finite at t = 1.28 s"):
                fmu.simulate(stop, step, start_time=start)
            # a fresh instance again (after fmi2Reset this FMU does not produce the NaN: its fresh instance starts from
            # memory that reset clears, so the NaN is a property of the freshly instantiated binary)
            with FMUComponent(path, "again") as again:
                flagged = again.simulate(stop, step, start_time=start, on_nonfinite="flag")
            assert "p_Crane.f[1]" in flagged.attrs["nonfinite_outputs"].split(", ")
            assert flagged.attrs["nonfinite_time"] == pytest.approx(1.28)
            assert np.isnan(flagged["p_Crane.f[1]"].values[-1])
            return
        ours = fmu.simulate(stop, step, start_time=start)
        scalars = [v.name for v in fmu.OUTPUTS if v.kind in ("float", "integer", "boolean") and not v.shape]
        arrays = [v for v in fmu.OUTPUTS if v.shape]
    reference = fmpy.simulate_fmu(
        str(path), fmi_type="CoSimulation", start_time=start, stop_time=stop, output_interval=step, output=scalars, validate=False
    )
    assert_allclose(ours.time.values, reference["time"], rtol=0, atol=1e-12)
    for name in scalars:
        assert np.all(np.isfinite(ours[name].values.astype(float))), name
        assert_allclose(ours[name].values.astype(float), reference[name].astype(float), rtol=1e-9, atol=1e-12, err_msg=name)
    for variable in arrays:  # FMI 3.0 array outputs: an extra dimension, not name[i] variables
        assert ours[variable.name].dims == ("time", f"{variable.name}_index")


def _mass_spring(shared):
    folder = ("fmus", "cross-check", "gemseo-fmu", "OpenModelica", "1.21.0", "MassSpringSystem")
    return (
        shared(*folder, "MassSpringSystem.fmu"),
        shared(*folder, "MassSpringSubSystem1.fmu"),
        shared(*folder, "MassSpringSubSystem2.fmu"),
    )


def test_mass_spring_split_in_model_exchange_matches_the_monolithic_system(shared):
    monolithic, first, second = _mass_spring(shared)
    with FMUComponent(monolithic, "whole", interface="ME") as whole:
        reference = whole.simulate(1.0, 0.01, max_step=1e-3)
    with FMUComponent(first, "one", interface="ME") as one, FMUComponent(second, "two", interface="ME") as two:
        split = CoSimulation([one, two], [("one.x1", "two.x1"), ("two.x2", "one.x2")], max_step=1e-3).simulate(1.0, 0.01)
    # one continuous block integrated by RK4 at 1 ms: the split system is the same ODE as the monolithic one
    for name, source in (("x1", "one.x1"), ("x2", "two.x2"), ("v1", "one.v1"), ("v2", "two.v2")):
        assert_allclose(split[source].values, reference[name].values, atol=1e-9, err_msg=name)
    # and our RK4 agrees with fmpy's CVode run of the monolithic FMU to its tolerance
    import fmpy

    cvode = fmpy.simulate_fmu(
        str(monolithic),
        fmi_type="ModelExchange",
        stop_time=1.0,
        output_interval=0.01,
        output=["x1", "x2"],
        relative_tolerance=1e-8,
    )
    assert_allclose(reference["x1"].values, cvode["x1"], atol=1e-6)


def test_mass_spring_split_in_cosimulation_converges_to_the_monolithic_system(shared):
    monolithic, first, second = _mass_spring(shared)
    with FMUComponent(monolithic, "whole") as whole:
        reference = whole.simulate(1.0, 0.001)
    errors = []
    for step in (0.02, 0.005):
        with FMUComponent(first, "one") as one, FMUComponent(second, "two") as two:
            split = CoSimulation([one, two], [("one.x1", "two.x1"), ("two.x2", "one.x2")]).simulate(1.0, step)
        stride = round(step / 0.001)
        errors.append(np.max(np.abs(split["one.x1"].values - reference["x1"].values[::stride])))
    # exchanged positions are held over each step: first-order coupling error, 4x smaller steps -> about 4x smaller error
    assert errors[1] < errors[0] / 2.5
    assert errors[1] < 1e-2


def test_dymola_dc_motor_ssp2_system_runs_as_one_system(shared):
    directory = shared("fmus", "cross-check", "OMSimulator", "Dymola", "2024x_Refresh1_Beta1", "dcmotor")
    simulation = load_ssp(directory)
    try:
        assert simulation.ssp.version == "2.0"
        result = simulation.simulate(2.0, 0.001)
    finally:
        simulation.close()
    outputs = simulation.ssp.outputs
    speed, current = result[outputs["wB"]].values, result[outputs["I"]].values
    # steady state of the bound parameters (U = 12 V, R = 0.5 ohm, k = 0.1 N m/A, d = 0.001 N m s/rad, load 0.5 N m):
    # U = R I + k w and k I = d w + M_load  =>  w = (k U / R - M_load) / (k^2 / R + d), I = (U - k w) / R
    k, resistance, voltage, damping, load = 0.1, 0.5, 12.0, 0.001, 0.5
    w = (k * voltage / resistance - load) / (k**2 / resistance + damping)
    assert_allclose(speed[-1], w, rtol=1e-4)  # mechanical time constant J R / k^2 = 0.1 s: settled after 2 s
    assert_allclose(current[-1], (voltage - k * w) / resistance, rtol=1e-4)
    assert speed[0] == 0.0


def test_dymola_dc_motor_me_with_our_solver_matches_the_vendor_cosimulation(shared):
    directory = shared("fmus", "cross-check", "OMSimulator", "Dymola", "2024x_Refresh1_Beta1", "dcmotor")
    results = {}
    for interface, step in (("ME", 0.01), ("CS", 1e-4)):
        simulation = load_ssp(directory, interface=interface)
        try:
            results[interface] = simulation.simulate(0.5, step)
        finally:
            simulation.close()
    me = results["ME"]["edrive_mass.wB"].values
    cs = results["CS"]["edrive_mass.wB"].values[::100]
    # CS: each Dymola FMU's own solver, exchanging every 0.1 ms (zero-order hold); ME: one block, RK4 at 1 ms
    assert_allclose(me, cs, rtol=2e-3, atol=0.05)
