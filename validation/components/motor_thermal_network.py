"""Motor thermal network: a duty cycle of losses against the exact solution of the linear network, and the
DC motor with the network heated to its steady state against an independent algebraic solve.

(1) ``MotorThermalNetwork`` with its defaults (a 4 kW TEFC motor) runs a duty cycle: 1 h at full load (copper
250 W, iron 120 W, friction 30 W), 1 h at no load (copper 20 W), 1 h at full load again. The network is linear
and time-invariant, so on each constant-loss interval T(t) = e^{A t} T_0 + A^{-1}(e^{A t} - I) B u, evaluated
with scipy's matrix exponential from A and B written out from the node balances.

(2) ``DCMotorThermal`` at 12 V with 0.3 N m load runs until all temperatures settle; the steady state is
solved independently from the five balance equations (armature circuit, torque, and the three nodes with the
temperature-dependent resistance) with scipy.optimize.root.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save, table
from scipy.linalg import expm
from scipy.optimize import root

from physics_twin.components import DCMotorThermal, MotorThermalNetwork
from physics_twin.core.simulate import InputTable

HOUR = 3600.0
FULL = (250.0, 120.0, 30.0)
LIGHT = (20.0, 120.0, 5.0)
AMBIENT = 298.15


def exact_duty_cycle(network: MotorThermalNetwork, times: np.ndarray) -> np.ndarray:
    names = (
        "winding_thermal_capacitance",
        "iron_thermal_capacitance",
        "housing_thermal_capacitance",
        "winding_iron_thermal_resistance",
        "iron_housing_thermal_resistance",
        "housing_ambient_thermal_resistance",
    )
    c_w, c_i, c_h, r_wi, r_ih, r_ha = (network.parameter(n) for n in names)
    g1, g2, g3 = 1 / r_wi, 1 / r_ih, 1 / r_ha
    inverse_c = np.diag([1 / c_w, 1 / c_i, 1 / c_h])
    a = inverse_c @ np.array([[-g1, g1, 0.0], [g1, -g1 - g2, g2], [0.0, g2, -g2 - g3]])
    b = inverse_c @ np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, g3]])
    state, out = np.full(3, AMBIENT), []
    edges = [(0.0, FULL), (HOUR, LIGHT), (2 * HOUR, FULL)]
    for k, (begin, losses) in enumerate(edges):
        end = edges[k + 1][0] if k + 1 < len(edges) else times[-1]
        forcing = b @ np.array([*losses, AMBIENT])
        for t in times[(times >= begin) & ((times < end) | (k + 1 == len(edges)))]:
            step = expm(a * (t - begin))
            out.append(step @ state + np.linalg.solve(a, (step - np.eye(3)) @ forcing))
        step = expm(a * (end - begin))
        state = step @ state + np.linalg.solve(a, (step - np.eye(3)) @ forcing)
    return np.array(out)


def dc_motor_steady_state(motor: DCMotorThermal, voltage: float, load: float, ambient: float) -> np.ndarray:
    v = {p.name: motor.parameter(p.name) for p in DCMotorThermal.PARAMETERS}
    k, b, kfe = v["torque_constant"], v["viscous_friction"], v["iron_loss_coefficient"]

    def equations(z):
        i, w, tw, ti, th = z
        r = v["reference_resistance"] * (1 + v["resistance_temperature_coefficient"] * (tw - v["reference_temperature"]))
        return [
            voltage - r * i - k * w,
            k * i - (b + kfe) * w - load,
            r * i**2 - (tw - ti) / v["winding_iron_thermal_resistance"],
            r * i**2 + kfe * w**2 - (ti - th) / v["iron_housing_thermal_resistance"],
            r * i**2 + (kfe + b) * w**2 - (th - ambient) / v["housing_ambient_thermal_resistance"],
        ]

    solution = root(equations, [3.0, 100.0, ambient + 30, ambient + 20, ambient + 10], tol=1e-13)
    if not solution.success:
        raise RuntimeError(solution.message)
    return solution.x


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    network = MotorThermalNetwork("thermal")
    times = np.linspace(0.0, 3 * HOUR, 181)
    edges = np.array([0.0, HOUR, 2 * HOUR])
    tables = {
        name: InputTable(edges, np.array([FULL[k], LIGHT[k], FULL[k]]))
        for k, name in enumerate(("winding_loss", "iron_loss", "housing_loss"))
    }
    start = dict.fromkeys(("winding_temperature", "iron_temperature", "housing_temperature"), AMBIENT)
    result = network.simulate(
        times, x0=start, inputs={**tables, "ambient_temperature": AMBIENT}, method="Radau", rtol=1e-10, atol=1e-10
    )
    exact = exact_duty_cycle(network, times)
    names = ("winding_temperature", "iron_temperature", "housing_temperature")
    simulated = np.column_stack([result[n].values for n in names])
    network_error = float(np.max(np.abs(simulated - exact)))

    motor = DCMotorThermal("motor")
    expected = dc_motor_steady_state(motor, 12.0, 0.3, AMBIENT)
    heat_up = motor.simulate(
        np.linspace(0.0, 4 * HOUR, 241),
        inputs={"voltage": 12.0, "load_torque": 0.3, "ambient_temperature": AMBIENT},
        method="LSODA",
        rtol=1e-10,
        atol=1e-10,
    )
    last = heat_up.isel(time=-1)
    got = np.array(
        [float(last[n]) for n in ("current", "shaft_speed", "winding_temperature", "iron_temperature", "housing_temperature")]
    )
    motor_error = float(np.max(np.abs(got - expected) / np.abs(expected)))

    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    for column, (name, colour) in enumerate(zip(names, ("tab:red", "tab:orange", "tab:blue"), strict=True)):
        left.plot(
            times / HOUR, exact[:, column] - 273.15, "-", color=colour, lw=2, alpha=0.5, label=f"{name.split('_')[0]}: exact"
        )
        left.plot(
            times[::6] / HOUR, simulated[::6, column] - 273.15, "o", color=colour, ms=3, label=f"{name.split('_')[0]}: simulated"
        )
    left.set_xlabel("time [h]")
    left.set_ylabel("temperature [°C]")
    left.set_title("MotorThermalNetwork, duty cycle")
    left.grid(alpha=0.3)
    left.legend(fontsize=7)
    for name, colour in zip(names, ("tab:red", "tab:orange", "tab:blue"), strict=True):
        right.plot(heat_up["time"] / HOUR, heat_up[name] - 273.15, color=colour, label=name.replace("_", " "))
    for value, colour in zip(expected[2:], ("tab:red", "tab:orange", "tab:blue"), strict=True):
        right.axhline(value - 273.15, color=colour, ls=":", lw=1)
    right.set_xlabel("time [h]")
    right.set_title("DCMotorThermal heat-up (dotted: independent steady state)")
    right.grid(alpha=0.3)
    right.legend(fontsize=7)
    image = save(figure, output_dir, "motor_thermal_network")
    rows = [
        (n, float(e), float(g))
        for n, e, g in zip(("current [A]", "speed [rad/s]", "T_w [K]", "T_i [K]", "T_h [K]"), expected, got, strict=True)
    ]
    body = f"{__doc__.strip()}\n\n![thermal network]({image})\n\n" + table(
        ["DC motor steady state", "independent solve", "simulated after 4 h"], rows
    )
    errors = {"duty cycle, max temperature error [K]": network_error, "DC motor steady state, max relative error": motor_error}
    tolerances = {"duty cycle, max temperature error [K]": 1e-5, "DC motor steady state, max relative error": 1e-7}
    return case_result(
        "motor_thermal_network",
        "Motor thermal network: duty cycle (exact LTI) and DC motor heat-up",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[1] / "results" / "components")["markdown"])
