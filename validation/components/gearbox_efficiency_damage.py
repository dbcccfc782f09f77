"""Gearbox: steady-state reciprocity and efficiency by speed and direction of power flow, and tooth damage over a
load spectrum against Miner's sum on the ISO 6336 pitting S-N curve.

(1) A stage with i = 4, mesh losses of 2 % driving and 5 % back-driven at 1500 rpm, and the loss law
lambda(w) = lambda_ref (w_ref / w)^0.2 (ISO/TR 14179-2, Niemann) is run from rest on its output side to steady
state at several input speeds, with the load resisting (driving) and overhauling (back-driven); bearing drag
is off so that the mesh alone is measured. Each run must end at w_out = w_in / i and T_out = i eta T_in
(driving) or T_in = T_out eta_b / i (back-driven), with eta from the closed-form law.

(2) The same stage carries the pitting S-N curve of case-hardened steel (parameter set
``iso6336_case_hardened_pitting``: sigma_Hlim = 1500 MPa, knee 5e7 cycles, k = 1/0.0756) with a contact stress of
1400 MPa at 300 N m output torque (sigma_H ~ sqrt(T)). A block load spectrum of output torques (each block 2 h
at 1500 rpm input, one pinion load cycle per revolution) is applied through a table input; the damage must
equal Miner's sum sum_k n_k / N(sigma_k), N = 5e7 (1500 MPa / sigma)^k above the endurance limit, 0 below.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save, table

from physics_twin.components import Gearbox
from physics_twin.core.simulate import InputTable
from physics_twin.parameter_sets import load_parameter_set

HOUR = 3600.0
REFERENCE = 2 * math.pi * 1500 / 60
STAGE = {
    "gear_ratio": 4.0,
    "forward_mesh_loss": 0.02,
    "backward_mesh_loss": 0.05,
    "reference_speed": REFERENCE,
    "bearing_drag_torque": 0.0,
    "bearing_viscous_coefficient": 0.0,
    "torsional_stiffness": 2e4,
    "output_inertia": 0.02,
    "torsional_damping": 2 * 0.7 * math.sqrt(2e4 * 0.02),
}


def efficiency(speed: float, driving: bool) -> float:
    return 1.0 - (0.02 if driving else 0.05) * (REFERENCE / abs(speed)) ** 0.2


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    gearbox = Gearbox("gear", **STAGE)
    rows, ratio_errors, torque_errors, measured = [], [], [], []
    speeds = REFERENCE * np.array([0.1, 0.25, 0.5, 1.0, 2.0])
    for speed in speeds:
        for load in (200.0, -200.0):
            result = gearbox.simulate(
                [0.0, 1.0], inputs={"input_speed": speed, "load_torque": load}, method="LSODA", rtol=1e-10, atol=1e-10
            )
            last = result.isel(time=-1)
            t_in, w_out = float(last["input_torque"]), float(last["output_speed"])
            driving = load > 0
            eta = efficiency(speed, driving)
            ratio_errors.append(abs(w_out - speed / 4.0) / (speed / 4.0))
            if driving:
                got, want = load / (4.0 * t_in), eta
            else:
                got, want = 4.0 * t_in / load, eta
            torque_errors.append(abs(got - want) / want)
            measured.append((speed, driving, got))
            rows.append((f"{speed * 60 / (2 * math.pi):.0f}", "driving" if driving else "back-driven", want, got))

    pitting = load_parameter_set("Gearbox", "iso6336_case_hardened_pitting")
    damaged = Gearbox("gear", **{**STAGE, **pitting, "reference_stress": 1.4e9, "reference_torque": 300.0})
    loads = np.array([250.0, 400.0, 300.0, 500.0, 350.0, 450.0])
    block = 2 * HOUR
    switch = np.arange(loads.size) * block
    stresses = 1.4e9 * np.sqrt(loads / 300.0)
    cycles = REFERENCE / (2 * math.pi) * block
    per_block = np.where(stresses > 1.5e9, cycles / (5e7 * (1.5e9 / stresses) ** pitting["sn_exponent"]), 0.0)
    x0 = {"shaft_twist": loads[0] / 2e4 + 0.5 * damaged.parameter("backlash"), "output_speed": REFERENCE / 4.0}
    times = np.linspace(0.0, loads.size * block, 6 * loads.size + 1)
    result = damaged.simulate(
        times,
        x0=x0,
        inputs={"input_speed": REFERENCE, "load_torque": InputTable(switch, loads)},
        method="LSODA",
        rtol=1e-10,
        atol=1e-14,
    )
    miner = np.concatenate([[0.0], np.cumsum(per_block)])
    damage_error = abs(float(result["tooth_damage"].values[-1]) - miner[-1]) / miner[-1]

    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    fine = REFERENCE * np.linspace(0.05, 2.2, 300)
    rpm = 60 / (2 * math.pi)
    left.plot(fine * rpm, [efficiency(w, True) for w in fine], "k-", label="η driving (closed form)")
    left.plot(fine * rpm, [efficiency(w, False) for w in fine], "k--", label="η back-driven (closed form)")
    left.plot(
        [m[0] * rpm for m in measured if m[1]],
        [m[2] for m in measured if m[1]],
        "o",
        color="tab:red",
        label="simulated T_out/(i T_in)",
    )
    left.plot(
        [m[0] * rpm for m in measured if not m[1]],
        [m[2] for m in measured if not m[1]],
        "s",
        color="tab:blue",
        label="simulated i T_in/T_out",
    )
    left.set_xlabel("input speed [rpm]")
    left.set_ylabel("mesh efficiency [1]")
    left.set_title("Steady-state efficiency, i = 4")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    right.plot(result["time"] / HOUR, result["tooth_damage"], "tab:red", label="simulated tooth damage")
    right.plot(np.append(switch, loads.size * block) / HOUR, miner, "ko", ms=5, label="Miner's sum at block ends")
    right.set_xlabel("time [h]")
    right.set_ylabel("Miner damage D [1]")
    right.set_title("Load spectrum on the ISO 6336 pitting S-N curve")
    twin = right.twinx()
    twin.step(np.append(switch, loads.size * block) / HOUR, np.append(stresses, stresses[-1]) / 1e6, "0.6", where="post", lw=0.8)
    twin.axhline(1500.0, color="0.6", ls=":", lw=0.8)
    twin.set_ylabel("contact stress [MPa] (grey; dotted: σ_Hlim)")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    image = save(figure, output_dir, "gearbox_efficiency_damage")
    spectrum = [(f"{t:.0f}", float(s / 1e6), float(d)) for t, s, d in zip(loads, stresses, per_block, strict=True)]
    body = (
        f"{__doc__.strip()}\n\n![gearbox]({image})\n\n"
        + table(["input speed [rpm]", "power flow", "η closed form", "η simulated"], rows)
        + "\n\n"
        + table(["output torque [N m]", "σ_H [MPa]", "Miner increment per block"], spectrum)
        + f"\n\nDamage after {loads.size * 2} h: Miner {miner[-1]:.6e}, simulated {float(result['tooth_damage'].values[-1]):.6e}."
    )
    errors = {
        "speed ratio, max relative error": max(ratio_errors),
        "efficiency (reciprocity), max relative error": max(torque_errors),
        "Miner damage, relative error": damage_error,
    }
    tolerances = {
        "speed ratio, max relative error": 1e-8,
        "efficiency (reciprocity), max relative error": 1e-7,
        "Miner damage, relative error": 1e-4,
    }
    return case_result(
        "gearbox_efficiency_damage",
        "Gearbox: reciprocity and efficiency map, Miner damage over a load spectrum",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[1] / "results" / "components")["markdown"])
