"""PMSM: simulated steady-state torque over the current angle against T = 1.5 p (psi i_q + (L_d - L_q) i_d i_q).

An interior-magnet machine (p = 4, L_d = 2 mH, L_q = 5 mH, psi = 0.12 Wb, R = 0.05 ohm; illustrative values
with a saliency of 2.5) runs at a held speed of 100 rad/s. For each current angle gamma (measured from the q
axis towards -d) at |i| = 100 A, the dq voltages that hold the currents follow from the steady voltage
equations, v_d = R i_d - w_e L_q i_q and v_q = R i_q + w_e L_d i_d + w_e psi; the model is simulated from zero
current for 2 s (the electrical modes decay as e^(-17.5 t)) and its torque is compared with the closed form.
The maximum-torque-per-ampere angle is known in closed form,

    i_d* = (psi - sqrt(psi² + 8 (L_q - L_d)² I²)) / (4 (L_q - L_d)),

and the simulated torque there must be the largest among neighbouring angles.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, max_relative_error, pyplot, save, table

from physics_twin.components import PermanentMagnetSynchronousMotor

MACHINE = {
    "d_axis_inductance": 2.0e-3,
    "q_axis_inductance": 5.0e-3,
    "magnet_flux_linkage": 0.12,
    "pole_pairs": 4.0,
    "stator_resistance": 0.05,
    "resistance_temperature_coefficient": 0.0,
    "rotor_inertia": 1e9,
}
SPEED, CURRENT = 100.0, 100.0
LD, LQ, PSI, POLES, R = 2.0e-3, 5.0e-3, 0.12, 4.0, 0.05


def closed_form(gamma: np.ndarray) -> np.ndarray:
    i_d, i_q = -CURRENT * np.sin(gamma), CURRENT * np.cos(gamma)
    return 1.5 * POLES * (PSI * i_q + (LD - LQ) * i_d * i_q)


def simulated_torque(motor: PermanentMagnetSynchronousMotor, gamma: float) -> tuple[float, float, float]:
    i_d, i_q = -CURRENT * math.sin(gamma), CURRENT * math.cos(gamma)
    omega_e = POLES * SPEED
    inputs = {"voltage_d": R * i_d - omega_e * LQ * i_q, "voltage_q": R * i_q + omega_e * LD * i_d + omega_e * PSI}
    result = motor.simulate([0.0, 2.0], x0={"shaft_speed": SPEED}, inputs=inputs, method="LSODA", rtol=1e-11, atol=1e-9)
    last = result.isel(time=-1)
    return float(last["electromagnetic_torque"]), float(last["current_d"]), float(last["current_q"])


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    motor = PermanentMagnetSynchronousMotor("pmsm", **MACHINE)
    angles = np.radians(np.arange(0.0, 90.1, 7.5))
    torques = np.array([simulated_torque(motor, g)[0] for g in angles])
    expected = closed_form(angles)
    i_d_star = (PSI - math.sqrt(PSI**2 + 8 * (LQ - LD) ** 2 * CURRENT**2)) / (4 * (LQ - LD))
    gamma_star = math.asin(-i_d_star / CURRENT)
    at_star, i_d_sim, i_q_sim = simulated_torque(motor, gamma_star)
    best = float(closed_form(np.array([gamma_star]))[0])
    neighbours = [simulated_torque(motor, gamma_star + d)[0] for d in np.radians([-0.5, 0.5])]
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.0, 4.2))
    fine = np.radians(np.linspace(0.0, 90.0, 361))
    axis.plot(np.degrees(fine), closed_form(fine), "k-", label="1.5 p (ψ i_q + (L_d − L_q) i_d i_q)")
    axis.plot(np.degrees(fine), 1.5 * POLES * PSI * CURRENT * np.cos(fine), "k:", lw=1, label="magnet torque only")
    axis.plot(np.degrees(angles), torques, "o", color="tab:red", label="dq model, simulated steady state")
    axis.axvline(
        math.degrees(gamma_star), color="tab:blue", lw=0.8, label=f"MTPA angle (closed form) {math.degrees(gamma_star):.2f}°"
    )
    axis.set_xlabel("current angle γ from the q axis [deg]")
    axis.set_ylabel("torque [N m]")
    axis.set_title("Interior PMSM, |i| = 100 A, 100 rad/s")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    image = save(figure, output_dir, "pmsm_torque")
    rows = [
        (f"{math.degrees(g):.1f}", float(e), float(t)) for g, e, t in zip(angles[::2], expected[::2], torques[::2], strict=True)
    ]
    body = (
        f"{__doc__.strip()}\n\n![torque over current angle]({image})\n\n"
        + table(["γ [deg]", "closed form [N m]", "dq model [N m]"], rows)
        + f"\n\nMTPA: closed form γ* = {math.degrees(gamma_star):.4f}°, T* = {best:.6f} N m;"
        f" simulated T(γ*) = {at_star:.6f} N m, T(γ* ∓ 0.5°) = {neighbours[0]:.6f}, {neighbours[1]:.6f} N m."
    )
    errors = {
        "torque, max relative error over angles": max_relative_error(torques, expected, floor=1.0),
        "MTPA torque, relative error": abs(at_star - best) / abs(best),
        "MTPA is a maximum (1 if a neighbour is larger)": float(max(neighbours) > at_star),
        "steady currents, max relative error": max(
            abs(i_d_sim - i_d_star) / CURRENT, abs(i_q_sim - CURRENT * math.cos(gamma_star)) / CURRENT
        ),
    }
    tolerances = {
        "torque, max relative error over angles": 1e-8,
        "MTPA torque, relative error": 1e-8,
        "MTPA is a maximum (1 if a neighbour is larger)": 0.0,
        "steady currents, max relative error": 1e-8,
    }
    return case_result(
        "pmsm_torque",
        "PMSM: dq torque over the current angle and the MTPA point",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[1] / "results" / "components")["markdown"])
