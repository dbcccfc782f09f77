"""Induction motor: the dq model's steady state against the equivalent-circuit torque-slip curve.

Machine: Krause's 3 hp, 4-pole, 220 V, 60 Hz induction machine (parameter set ``krause_3hp``). For each slip
the dq model is simulated for 7 s with the rotor speed held (a huge inertia): the slowest electrical mode (the
rotor flux at high slip, real part about -5 1/s) has then decayed by e^-35;
its torque is compared with the exact Thevenin form of the per-phase equivalent circuit,

    T(s) = 3 p V_th² (R_r/s) / (w_s [(R_th + R_r/s)² + (X_th + X_lr)²]),

V_th = V jX_m / (R_s + j(X_ls + X_m)),  Z_th = jX_m (R_s + jX_ls) / (R_s + j(X_ls + X_m)),

written out here independently of the library. The pull-out slip and torque of the dq model (found by a
bounded search on its steady state) are compared with the closed forms s_max = R_r / |Z_th + jX_lr| and
T_max = 3 p V_th² / (2 w_s (R_th + |Z_th + jX_lr|)). A free acceleration from standstill (Krause's classic
figure) is drawn over the steady-state curve for orientation only: during acceleration the torque differs
from the steady curve because the rotor flux lags.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, max_relative_error, pyplot, save, table
from scipy.optimize import minimize_scalar

from physics_twin.components import InductionMotor
from physics_twin.parameter_sets import load_parameter_set

OMEGA_S = 2 * math.pi * 60
V_PHASE = 220.0 / math.sqrt(3.0)
SLIPS = np.concatenate([np.linspace(-0.3, -0.01, 6), np.linspace(0.01, 0.1, 6), np.linspace(0.15, 1.0, 10)])


def thevenin(motor: InductionMotor) -> tuple[complex, complex, float, float, float]:
    rs, rr, p = (motor.parameter(n) for n in ("stator_resistance", "rotor_resistance", "pole_pairs"))
    xls, xlr, xm = (
        OMEGA_S * motor.parameter(n) for n in ("stator_leakage_inductance", "rotor_leakage_inductance", "magnetizing_inductance")
    )
    v_th = V_PHASE * 1j * xm / (rs + 1j * (xls + xm))
    z_th = 1j * xm * (rs + 1j * xls) / (rs + 1j * (xls + xm))
    return v_th, z_th, xlr, rr, p


def closed_form_torque(motor: InductionMotor, slip: np.ndarray) -> np.ndarray:
    v_th, z_th, xlr, rr, p = thevenin(motor)
    return 3 * p * abs(v_th) ** 2 * (rr / slip) / (OMEGA_S * ((z_th.real + rr / slip) ** 2 + (z_th.imag + xlr) ** 2))


def steady_torque_by_simulation(values: dict, slip: float) -> float:
    motor = InductionMotor("im", **{**values, "rotor_inertia": 1e9})
    speed = (1 - slip) * OMEGA_S / motor.parameter("pole_pairs")
    result = motor.simulate(
        [0.0, 6.9, 7.0],
        x0={"shaft_speed": speed},
        inputs={"voltage_q": math.sqrt(2) * V_PHASE},
        method="LSODA",
        rtol=1e-10,
        atol=1e-10,
    )
    torque = result["electromagnetic_torque"].values
    if abs(torque[-1] - torque[-2]) > 1e-8 * max(abs(torque[-1]), 1.0):
        raise RuntimeError(f"slip {slip}: the electrical transient has not settled ({torque[-2]} vs {torque[-1]})")
    return float(torque[-1])


def steady_torque_linear(motor: InductionMotor, slip: float) -> float:
    # at a fixed speed the flux equations are linear: solve A psi + b = 0 with A, b read column by column off the kernel
    p = motor.parameter_values
    u = np.array([0.0, math.sqrt(2) * V_PHASE, OMEGA_S, 0.0, 293.15])
    base = np.array([0.0, 0.0, 0.0, 0.0, (1 - slip) * OMEGA_S / motor.parameter("pole_pairs"), 293.15, 293.15, 293.15, 0.0])
    b = motor.derivative(0.0, base, u, p)[:4]
    a = np.column_stack([motor.derivative(0.0, np.where(np.arange(9) == k, 1.0, base), u, p)[:4] - b for k in range(4)])
    x = base.copy()
    x[:4] = np.linalg.solve(a, -b)
    return float(motor.output_values(0.0, x, u, p)[3])


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    values = {**load_parameter_set("InductionMotor", "krause_3hp"), "resistance_temperature_coefficient": 0.0}
    motor = InductionMotor("im", **values)
    simulated = np.array([steady_torque_by_simulation(values, s) for s in SLIPS])
    expected = closed_form_torque(motor, SLIPS)
    torque_error = max_relative_error(simulated, expected)

    v_th, z_th, xlr, rr, p = thevenin(motor)
    loop = abs(z_th + 1j * xlr)
    s_max, t_max = rr / loop, 3 * p * abs(v_th) ** 2 / (2 * OMEGA_S * (z_th.real + loop))
    search = minimize_scalar(
        lambda s: -steady_torque_linear(motor, s), bounds=(0.02, 0.6), method="bounded", options={"xatol": 1e-10}
    )
    s_max_dq, t_max_dq = float(search.x), -float(search.fun)

    acceleration = InductionMotor("im", **values).simulate(
        np.linspace(0.0, 1.0, 2001), inputs={"voltage_q": math.sqrt(2) * V_PHASE}, method="LSODA", rtol=1e-8, atol=1e-8
    )
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.5, 4.5))
    rpm = 60 / (2 * math.pi)
    fine = np.linspace(-0.3, 1.0, 600)
    fine = fine[np.abs(fine) > 1e-3]
    axis.plot(
        acceleration["shaft_speed"] * rpm,
        acceleration["electromagnetic_torque"],
        color="0.75",
        lw=0.8,
        label="dq model, free acceleration (transient)",
    )
    axis.plot(
        (1 - fine) * OMEGA_S / p * rpm,
        closed_form_torque(motor, fine),
        "k-",
        lw=1.5,
        label="equivalent circuit (Thevenin, exact)",
    )
    axis.plot(
        (1 - SLIPS) * OMEGA_S / p * rpm, simulated, "o", color="tab:red", ms=5, label="dq model, steady state at fixed speed"
    )
    axis.plot([(1 - s_max) * OMEGA_S / p * rpm], [t_max], "kx", ms=9, label="pull-out (closed form)")
    axis.set_xlabel("rotor speed [rpm]")
    axis.set_ylabel("electromagnetic torque [N m]")
    axis.set_title("Krause 3 hp induction machine, 220 V, 60 Hz")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower left")
    image = save(figure, output_dir, "induction_motor_torque_slip")

    rows = [
        (f"{s:.3f}", float(e), float(g), float(abs(g - e) / abs(e)))
        for s, e, g in zip(SLIPS[::3], expected[::3], simulated[::3], strict=True)
    ]
    body = (
        f"{__doc__.strip()}\n\n![torque-speed]({image})\n\n"
        + table(["slip", "equivalent circuit [N m]", "dq model [N m]", "relative error"], rows)
        + f"\n\nPull-out: closed form s = {s_max:.6f}, T = {t_max:.4f} N m; dq model s = {s_max_dq:.6f}, T = {t_max_dq:.4f} N m."
    )
    errors = {
        "torque, max relative error over slips": torque_error,
        "pull-out torque, relative error": abs(t_max_dq - t_max) / t_max,
        "pull-out slip, relative error": abs(s_max_dq - s_max) / s_max,
    }
    tolerances = {
        "torque, max relative error over slips": 1e-6,
        "pull-out torque, relative error": 1e-9,
        "pull-out slip, relative error": 1e-4,
    }
    return case_result(
        "induction_motor_torque_slip",
        "Induction motor: dq steady state vs equivalent-circuit torque-slip curve",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    record = run(Path(__file__).resolve().parents[1] / "results" / "components")
    print(record["markdown"])
