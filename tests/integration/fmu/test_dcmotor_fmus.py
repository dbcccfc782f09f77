"""End to end on the Dymola DC-motor FMUs (../shared/fmus/cross-check): calibration, portable state, isolation."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.estimation.ukf import EstimatedParameter
from physics_twin.fmu import FMUComponent, FMUFilter, IsolatedFMU, load_ssp, restore_state, save_state

DCMOTOR = ("fmus", "cross-check", "OMSimulator", "Dymola", "2024x_Refresh1_Beta1", "dcmotor")


def test_inertia_of_the_dymola_dc_motor_is_recovered_from_its_noisy_outputs(shared, rng):
    simulation = load_ssp(shared(*DCMOTOR))
    try:
        # truth: the SSP's own binding, J = 0.002 kg m^2; speed and current sampled every 10 ms with seeded noise
        truth = simulation.simulate(0.5, 0.001)
        times = truth.time.values[10::10]
        clean = np.column_stack([truth["edrive_mass.wB"].values[10::10], truth["emachine_model.I"].values[10::10]])
        noise = np.array([0.5, 0.05])  # rad/s, A
        measured = clean + rng.normal(size=clean.shape) * noise
        estimator = FMUFilter(
            simulation,
            measured={"edrive_mass.wB": noise[0], "emachine_model.I": noise[1]},
            estimate=[EstimatedParameter("edrive_mass.inertia.J", initial_std=0.0015, initial=0.003)],  # starts 50 % off
            step=0.001,
        )
        result = estimator.run(times, measured, start_time=0.0)
    finally:
        simulation.close()
    inertia, std = float(result["edrive_mass.inertia.J"][-1]), float(result["edrive_mass.inertia.J_std"][-1])
    assert abs(inertia - 0.002) < 3.0 * std  # recovered within its stated confidence
    assert std < 0.0001  # from a prior of 0.0015
    assert result["edrive_mass.inertia.J"].attrs["units"] == "kg*m^2"
    # 2 channels: mean NIS over 50 samples near 2 (chi-square(100)/50 lies in [1.5, 2.6] with 95 %); a looser check
    assert 1.0 < result.attrs["nis_mean"] < 3.0


def _run(fmu, start, stop, step=0.01):
    inputs = {"emachine": np.array([50.0, 0.0, 12.0]), "edrive": np.array([0.3, 0.1])}[fmu.name]
    rows = []
    for k in range(round((stop - start) / step)):
        fmu.write_inputs(inputs)
        fmu.do_step(start + k * step, step)
        rows.append(fmu.read_outputs().copy())
    return np.array(rows)


@pytest.mark.parametrize("model", ["emachine", "edrive"])
@pytest.mark.parametrize("fresh", ["instance", "process"])
def test_dymola_state_serialized_at_10_s_continues_to_20_s(shared, model, fresh):
    path = shared(*DCMOTOR, "resources", {"emachine": "emachine_model.fmu", "edrive": "edrive_mass.fmu"}[model])
    with FMUComponent(path, model) as original:
        original.initialize(0.0, 20.0)
        _run(original, 0.0, 10.0)
        saved = save_state(original)
        uninterrupted = _run(original, 10.0, 20.0)
    restored = FMUComponent(path, model) if fresh == "instance" else IsolatedFMU(path, model)
    with restored:
        restore_state(restored, saved)
        continued = _run(restored, 10.0, 20.0)
    # Dymola's CS solver restarts after a restore (its step-size history is not part of the state), so the runs agree to
    # the FMU's own solver tolerance (DefaultExperiment tolerance 1e-4, accumulated over 1000 steps), not bit for bit
    assert_allclose(continued, uninterrupted, rtol=5e-4, atol=1e-6)
    if model == "edrive":
        # J w' = M_A + M_B - d w (both torques enter with gain -1 and w with the opposite sign): w = 400 (1 - exp(-t / 2))
        # rad/s for J = 0.002 kg m^2, d = 0.001 N m s/rad, torques 0.3 + 0.1 N m; the continuation follows it
        times = 10.0 + 0.01 * np.arange(1, 1001)
        assert_allclose(continued[:, 0], 400.0 * (1.0 - np.exp(-times / 2.0)), rtol=5e-4)


def test_isolated_dymola_system_equals_the_in_process_run(shared):
    results = []
    for isolate in (False, True):
        simulation = load_ssp(shared(*DCMOTOR), interface="CS", isolate=isolate)
        try:
            results.append(simulation.simulate(0.2, 0.001))
        finally:
            simulation.close()
    assert_allclose(results[1]["edrive_mass.wB"].values, results[0]["edrive_mass.wB"].values, rtol=0, atol=0)
