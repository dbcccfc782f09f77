"""Pipe friction (Swamee–Jain vs Colebrook, Hagen–Poiseuille) and spindle thermal growth and preload.

Pipe: the Darcy friction factor of the Pipe component over 5e3 ≤ Re ≤ 1e8 and 1e-6 ≤ ε/D ≤ 1e-2 against the
Colebrook–White equation solved by root finding; a laminar oil pipe (D = 10 mm, L = 10 m, μ = 0.5 Pa s, Δp = 1 bar)
settles at Q = π D⁴ Δp / (128 μ L). Spindle: warm-up at a constant drive torque with thermal expansion switched off
(constant friction), so the steady speed, friction power and temperatures have closed forms:
ω = (τ_d − τ_k)/c, Q = τ_d ω, T_h = T_c + Q/G_hc, T_s = T_h + Q/G_sh, and the tool-tip growth δ = α L (T_s − T_ref)
(α = 11.5e-6 1/K, L = 0.3 m). The preload model is shown over shaft and housing temperatures: it stays at F_p0 for a
uniform temperature (the raceway geometry d_o − d_i = 2 D_w cancels the expansion) and its slope at F_p0 is the axial
stiffness k_a.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save
from scipy.optimize import brentq

from physics_twin.components import Pipe, Spindle
from physics_twin.components.hydraulics import darcy_friction_factor


def colebrook(reynolds: float, relative_roughness: float) -> float:
    return brentq(
        lambda f: 1 / math.sqrt(f) + 2 * math.log10(relative_roughness / 3.7 + 2.51 / (reynolds * math.sqrt(f))),
        1e-4,
        1.0,
        xtol=1e-14,
    )


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    reynolds = np.logspace(np.log10(5e3), 8, 60)
    roughness = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
    deviation = np.array([[darcy_friction_factor(r, e) / colebrook(r, e) - 1.0 for r in reynolds] for e in roughness])

    oil = Pipe("oil", length=10.0, diameter=0.01, minor_loss_coefficient=0.0, fluid_density=900.0, dynamic_viscosity=0.5)
    laminar = oil.simulate([0.0, 0.5], inputs={"inlet_pressure": 2e5, "outlet_pressure": 1e5}, rtol=1e-10, atol=1e-16)
    poiseuille = math.pi * 0.01**4 * 1e5 / (128 * 0.5 * 10.0)
    laminar_error = abs(laminar["flow_rate"].values[-1] - poiseuille) / poiseuille

    spindle = Spindle("spindle", expansion_coefficient=0.0, rotor_inertia=0.001)
    tau_d = 0.2
    speed = (tau_d - 0.1375) / 1e-4
    heat = tau_d * speed
    t = np.linspace(0.0, 3e4, 301)
    warm = spindle.simulate(
        t, x0={"slip_speed": spindle.slip_for_speed(speed)}, inputs={"drive_torque": tau_d}, rtol=1e-10, atol=1e-10, method="BDF"
    )
    t_h, t_s = 293.15 + heat / 50.0, 293.15 + heat / 50.0 + heat / 10.0
    long = spindle.simulate(
        [0.0, 2e5],
        x0={"slip_speed": spindle.slip_for_speed(speed)},
        inputs={"drive_torque": tau_d},
        rtol=1e-10,
        atol=1e-10,
        method="BDF",
    )
    growing = Spindle("growing")
    growth = 11.5e-6 * 0.3 * (long["shaft_temperature"].values[-1] - 293.15)
    growth_output = growing.output_values(
        0.0, np.array([0.0, long["shaft_temperature"].values[-1], 293.15, 0.0]), np.zeros(5), growing.parameter_values
    )[1]
    shaft_rise = np.linspace(0.0, 15.0, 61)
    preload = {
        dh: [
            growing.output_values(0.0, np.array([0.0, 293.15 + ds, 293.15 + dh, 0.0]), np.zeros(5), growing.parameter_values)[2]
            for ds in shaft_rise
        ]
        for dh in (0.0, 5.0, 10.0)
    }

    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.0))
    for e, row in zip(roughness, deviation, strict=True):
        axes[0].semilogx(reynolds, 100 * row, label=f"ε/D = {e:g}")
    axes[0].set_xlabel("Reynolds number")
    axes[0].set_ylabel("Swamee–Jain / Colebrook − 1 [%]")
    axes[0].legend(fontsize=7)
    axes[1].plot(t / 3600, warm["shaft_temperature"].values, label="shaft")
    axes[1].plot(t / 3600, warm["housing_temperature"].values, label="housing")
    axes[1].axhline(t_s, color="k", lw=0.7, ls=":")
    axes[1].axhline(t_h, color="k", lw=0.7, ls=":", label="closed-form steady state")
    axes[1].set_xlabel("time [h]")
    axes[1].set_ylabel("temperature [K]")
    axes[1].legend(fontsize=8)
    for dh, values in preload.items():
        axes[2].plot(shaft_rise, values, label=f"housing +{dh:g} K")
    axes[2].set_xlabel("shaft temperature rise [K]")
    axes[2].set_ylabel("preload [N]")
    axes[2].legend(fontsize=8)
    for axis in axes:
        axis.grid(alpha=0.3)
    image = save(figure, output_dir, "pipe_friction_and_spindle_growth")
    errors = {
        "Swamee-Jain vs Colebrook, max relative": float(np.max(np.abs(deviation))),
        "laminar pipe vs Hagen-Poiseuille, relative": laminar_error,
        "spindle steady speed, relative": abs(long["shaft_speed"].values[-1] - speed) / speed,
        "spindle shaft temperature, abs [K]": abs(long["shaft_temperature"].values[-1] - t_s),
        "spindle housing temperature, abs [K]": abs(long["housing_temperature"].values[-1] - t_h),
        "tool-tip growth vs alpha L dT, relative": abs(growth_output - growth) / growth,
    }
    tolerances = {
        "Swamee-Jain vs Colebrook, max relative": 0.03,
        "laminar pipe vs Hagen-Poiseuille, relative": 1e-8,
        "spindle steady speed, relative": 1e-8,
        "spindle shaft temperature, abs [K]": 1e-6,
        "spindle housing temperature, abs [K]": 1e-6,
        "tool-tip growth vs alpha L dT, relative": 1e-12,
    }
    text = (
        f"{__doc__.strip()}\n\n![pipe friction, spindle warm-up, preload]({image})\n\nSpindle at {speed:.1f} rad/s: friction "
        f"power {heat:.2f} W, shaft {t_s:.3f} K, housing {t_h:.3f} K, tool-tip growth {growth * 1e6:.2f} µm."
    )
    return case_result(
        "pipe_friction_and_spindle_growth",
        "Pipe friction factor; spindle heat balance, growth and preload",
        text,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[2] / "validation" / "results" / "components")["markdown"])
