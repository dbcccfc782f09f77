"""Pumps: Daigle & Goebel (2013) wear laws against their closed forms, and the cavitation margin of the curve pump.

Daigle & Goebel pump (the paper's parameters, inputs as in progpy's examples: 290 K, 471.24 V, discharge
928 654 Pa, suction 239 179 Pa, 60 Hz), with the wear rates of the paper's scenarios (w_A = 1e-2, w_t = 1e-10,
w_r = 2e-10), simulated for 2 h. Closed forms along the simulated trajectory: A(T) = A0 − w_A ∫Q² dt and
r(T) = r0 exp(w ∫ω² dt) (trapezoidal quadrature on a 2 s grid); the bearing and oil temperatures at the end against
the solution of the linear heat balance (unworn pump run to thermal steady state). The wear-ring leak law
(our extension) against A_l(t) = A0 / (1 − w_l c_l² Δp A0 t). Curve pump: NPSH available from the suction pressure
and velocity head, NPSH3 from the affinity-scaled quadratic, over flow and suction pressure.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save
from scipy.integrate import trapezoid

from physics_twin.components import DaigleGoebelPump, WearingCentrifugalPump

G, RHO = 9.80665, 998.2


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    pump = DaigleGoebelPump("pump", impeller_area_wear_rate=1e-2, thrust_wear_rate=1e-10, radial_wear_rate=2e-10)
    t = np.concatenate([np.linspace(0.0, 200.0, 20001)[:-1], np.linspace(200.0, 7200.0, 3501)])  # fine over the start-up
    result = pump.simulate(t, rtol=1e-10, atol=1e-14)
    q, w = result["flow_rate"].values, result["shaft_speed"].values
    area_closed = 12.7084 - 1e-2 * trapezoid(q**2, t)
    work = trapezoid(w**2, t)
    thrust_closed, radial_closed = 1.4e-6 * math.exp(1e-10 * work), 1.8e-6 * math.exp(2e-10 * work)
    rt, rr = result["thrust_friction_coefficient"].values[-1], result["radial_friction_coefficient"].values[-1]
    # heat balance: the unworn pump run to thermal steady state (the oil's slowest mode is ~1.5 h)
    steady = DaigleGoebelPump("steady").simulate([0.0, 4e5], rtol=1e-10, atol=1e-12)
    w_end = steady["shaft_speed"].values[-1]
    matrix = np.array([[0.0034 + 0.0026, 0.0, -0.0026], [0.0, 0.0018 + 0.020, -0.020], [1.0, 3.0, -5.5]])
    heat = np.linalg.solve(matrix, [1.4e-6 * w_end**2 + 0.0034 * 290.0, 1.8e-6 * w_end**2 + 0.0018 * 290.0, -1.5 * 290.0])
    temps = [steady[n].values[-1] for n in ("thrust_bearing_temperature", "radial_bearing_temperature", "oil_temperature")]

    leak = DaigleGoebelPump("leak", leak_wear_rate=3e-6)
    dp, a0 = 928654.0 - 239179.0, 1e-4
    leak_t = np.linspace(0.0, 3000.0, 31)
    leak_area = leak.simulate(leak_t, x0={"leak_area": a0}, rtol=1e-11, atol=1e-16)["leak_area"].values
    leak_closed = a0 / (1.0 - 3e-6 * dp * a0 * leak_t)

    curve = WearingCentrifugalPump("curve")
    p = curve.parameter_values
    flows = np.linspace(0.0, 3.0e-3, 61)
    rated = 2900 * 2 * math.pi / 60
    npsh_error = 0.0
    margins = {}
    for suction in (40000.0, 60000.0, 101325.0):
        y = np.array([curve.output_values(0.0, np.array([1.0, 0.0, 0.0]), np.array([rated, f, suction]), p) for f in flows])
        available = (suction - 2339.0) / (RHO * G) + (flows / 1.26e-3) ** 2 / (2 * G)
        required = 1.0 + 1.5 * (flows / 2.0e-3) ** 2
        npsh_error = max(npsh_error, float(np.max(np.abs(y[:, 7] - available))), float(np.max(np.abs(y[:, 8] - required))))
        margins[suction] = y[:, 9]

    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.0))
    axes[0].plot(t / 3600, result["impeller_area"].values, "k-", label="impeller coefficient A")
    axes[0].plot([t[-1] / 3600], [area_closed], "o", color="tab:red", label="A0 − w_A ∫Q² dt")
    axes[0].set_xlabel("time [h]")
    axes[0].set_ylabel("A [kg/m]")
    twin = axes[0].twinx()
    twin.plot(t / 3600, result["thrust_bearing_temperature"].values, color="tab:orange", lw=0.8, label="thrust bearing T")
    twin.set_ylabel("temperature [K]")
    axes[0].legend(fontsize=7, loc="lower left")
    axes[1].plot(leak_t, leak_area * 1e4, "k.", label="simulated")
    axes[1].plot(leak_t, leak_closed * 1e4, "-", color="tab:red", lw=0.8, label="A0 / (1 − w c² Δp A0 t)")
    axes[1].set_xlabel("time [s]")
    axes[1].set_ylabel("wear-ring leak area [cm²]")
    axes[1].legend(fontsize=8)
    for suction, margin in margins.items():
        axes[2].plot(flows * 1e3, margin, label=f"suction {suction / 1e3:.0f} kPa")
    axes[2].axhline(0.0, color="k", lw=0.8)
    axes[2].set_xlabel("flow [L/s]")
    axes[2].set_ylabel("NPSH_a − NPSH_r [m]")
    axes[2].legend(fontsize=8)
    for axis in axes:
        axis.grid(alpha=0.3)
    image = save(figure, output_dir, "pump_wear_npsh")
    errors = {
        "impeller coefficient vs A0 - w_A int Q^2, relative": abs(result["impeller_area"].values[-1] - area_closed) / area_closed,
        "thrust friction vs r0 exp(w int w^2), relative": abs(rt - thrust_closed) / thrust_closed,
        "radial friction vs r0 exp(w int w^2), relative": abs(rr - radial_closed) / radial_closed,
        "temperatures vs linear heat balance, max abs [K]": float(np.max(np.abs(np.array(temps) - heat))),
        "leak area vs closed form, max relative": float(np.max(np.abs(leak_area - leak_closed) / leak_closed)),
        "NPSH available and required, max abs [m]": npsh_error,
    }
    tolerances = {
        "impeller coefficient vs A0 - w_A int Q^2, relative": 1e-7,
        "thrust friction vs r0 exp(w int w^2), relative": 1e-7,
        "radial friction vs r0 exp(w int w^2), relative": 1e-7,
        "temperatures vs linear heat balance, max abs [K]": 1e-6,
        "leak area vs closed form, max relative": 1e-7,
        "NPSH available and required, max abs [m]": 1e-12,
    }
    text = (
        f"{__doc__.strip()}\n\n![wear and NPSH]({image})\n\nAfter 2 h: A = {result['impeller_area'].values[-1]:.6f} kg/m "
        f"(closed form {area_closed:.6f}), delivered flow {result['delivered_flow'].values[-1]:.5f} m³/s. Unworn steady state: "
        f"thrust bearing {temps[0]:.4f} K, radial {temps[1]:.4f} K, oil {temps[2]:.4f} K."
    )
    return case_result(
        "pump_wear_npsh",
        "Pumps: Daigle & Goebel wear laws and the cavitation margin",
        text,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[2] / "validation" / "results" / "components")["markdown"])
