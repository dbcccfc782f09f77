"""Coulomb friction that sticks: a sliding body and a spindle coasting down, fixed-step RK4 at 0.02 s.

Body: 10 m/s, mu = 0.3, g = 9.8 m/s², no applied force: v = 10 − 2.94 t until t_stop = 10/(0.3·9.8) = 3.40136 s,
then exactly 0 (the static friction exceeds the zero push). Spindle: J = 0.01 kg m², c = 1e-4 N m s/rad, kinetic
bearing friction 0.1375 N m, breakaway 1.5× that, drive torque 0.02 N m, from 30 rad/s, thermal expansion off so the
friction is constant: ω = (ω0 + a/b) e^(−b t) − a/b with a = (τ_k − τ_d)/J, b = c/J, stop at ln(1 + b ω0/a)/b. Both
run through ``physics_twin.core.integrators.integrate`` (RK4, one step per 0.02 s), as the filters do. Scored: the
largest deviation from the closed form before the stop, the largest |speed| after it (must be exactly 0), and the
number of sign changes of the speed (chatter).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save

from physics_twin.components import FrictionBody, Spindle
from physics_twin.core.integrators import METHODS, integrate

H = 0.02


def fixed_steps(component, x0, u, steps):
    model, p = component.model(), component.parameter_values
    x, speeds = x0.copy(), []
    for k in range(steps + 1):
        speeds.append(model.output_values(k * H, x, u, p)[0])
        x = integrate(model.rhs, k * H, x, u, p, H, H, METHODS["RK4"])
    return np.arange(steps + 1) * H, np.array(speeds)


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    body = FrictionBody("body", kinetic_friction_coefficient=0.3, static_friction_coefficient=0.4, gravitational_acceleration=9.8)
    t_body, v_body = fixed_steps(body, np.array([0.0, body.slip_for_velocity(10.0)]), np.zeros(1), 300)
    stop_body = 10.0 / (0.3 * 9.8)
    exact_body = np.maximum(10.0 - 2.94 * t_body, 0.0)

    spindle = Spindle("spindle", expansion_coefficient=0.0)
    a, b, w0 = (0.1375 - 0.02) / 0.01, 1e-4 / 0.01, 30.0
    stop_spindle = math.log(1.0 + b * w0 / a) / b
    t_sp, w_sp = fixed_steps(
        spindle, np.array([spindle.slip_for_speed(w0), 293.15, 293.15, 0.0]), np.array([0.02, 0.0, 293.15, 0.0, 0.0]), 200
    )
    exact_sp = np.where(t_sp < stop_spindle, (w0 + a / b) * np.exp(-b * t_sp) - a / b, 0.0)

    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    for axis, t, v, exact, stop, label, unit in (
        (axes[0], t_body, v_body, exact_body, stop_body, "body", "m/s"),
        (axes[1], t_sp, w_sp, exact_sp, stop_spindle, "spindle", "rad/s"),
    ):
        axis.plot(t, exact, "k-", lw=1, label="closed form")
        axis.plot(t, v, ".", ms=3, color="tab:red", label="RK4, h = 0.02 s")
        axis.axvline(stop, color="tab:blue", lw=0.8, ls=":", label=f"stop {stop:.5f} s")
        axis.set_xlabel("time [s]")
        axis.set_ylabel(f"{label} speed [{unit}]")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    image = save(figure, output_dir, "coulomb_friction_stick")
    errors, tolerances = {}, {}
    for label, t, v, exact, stop in (
        ("body", t_body, v_body, exact_body, stop_body),
        ("spindle", t_sp, w_sp, exact_sp, stop_spindle),
    ):
        moving = t < stop
        errors[f"{label}: max error before the stop"] = float(np.max(np.abs(v[moving] - exact[moving])))
        errors[f"{label}: max abs speed after the stop"] = float(np.max(np.abs(v[~moving])))
        errors[f"{label}: sign changes of the speed"] = float(np.count_nonzero(np.diff(np.sign(v[v != 0.0])) != 0))
        tolerances[f"{label}: max error before the stop"] = 1e-9
        tolerances[f"{label}: max abs speed after the stop"] = 0.0
        tolerances[f"{label}: sign changes of the speed"] = 0.0
    text = (
        f"{__doc__.strip()}\n\n![coast-down]({image})\n\nBody: last moving sample {t_body[t_body < stop_body][-1]:.2f} s "
        f"(v = {v_body[t_body < stop_body][-1]:.6f} m/s, closed form {10 - 2.94 * t_body[t_body < stop_body][-1]:.6f}), "
        f"zero from {t_body[t_body >= stop_body][0]:.2f} s on. Spindle: zero from {t_sp[t_sp >= stop_spindle][0]:.2f} s "
        f"(closed-form stop {stop_spindle:.5f} s)."
    )
    return case_result(
        "coulomb_friction_stick",
        "Friction: exact stop and stick with fixed-step RK4 (body and spindle)",
        text,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[2] / "validation" / "results" / "components")["markdown"])
