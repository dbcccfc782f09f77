"""Rolling bearing: ISO 281 rating lives and the fatigue damage state under a variable load and speed spectrum.

An SKF 6205 (C = 14.8 kN, ball bearing, p = 3) runs through a duty cycle of four blocks of one hour each at
(1500 rpm, 2 kN), (3000 rpm, 4 kN), (1000 rpm, 1 kN), (2000 rpm, 3 kN), repeated three times, fed as input tables.
The simulated damage state (Palmgren–Miner, dD/dt = n / (10⁶ L10(P))) is compared with the closed forms: block by
block D = Σ U_i / L10(P_i), and over the whole cycle D = U / L10(P_eq) with the equivalent load
P_eq = (Σ U_i P_i³ / Σ U_i)^(1/3), U_i the revolutions of block i. The reliability factor a1 is compared with
ISO 281:2007 Table 12 (printed to two significant digits), and the ISO 281 a_ISO formula is checked for its
limits and the continuity of its three kappa ranges.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, pyplot, save, table

from physics_twin.components.rolling_bearing import (
    RollingBearing,
    basic_rating_life,
    equivalent_load,
    life_modification_factor,
    reliability_factor,
)
from physics_twin.core.simulate import InputTable

HOUR = 3600.0
BLOCKS = [(1500.0, 2000.0), (3000.0, 4000.0), (1000.0, 1000.0), (2000.0, 3000.0)]
#: ISO 281:2007 Table 12, reliability -> a1
TABLE_12 = [(0.90, 1.0), (0.95, 0.64), (0.96, 0.55), (0.97, 0.47), (0.98, 0.37), (0.99, 0.25), (0.999, 0.093), (0.9995, 0.077)]


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    cycles = 3
    speeds_rpm = np.array([b[0] for b in BLOCKS] * cycles)
    loads = np.array([b[1] for b in BLOCKS] * cycles)
    times = np.arange(speeds_rpm.size) * HOUR
    speeds = speeds_rpm * 2 * math.pi / 60
    bearing = RollingBearing("b6205", modified_life=0.0, dynamic_load_rating=14800.0)
    t_eval = np.linspace(0.0, times[-1] + HOUR, 241)
    result = bearing.simulate(
        t_eval,
        inputs={"shaft_speed": InputTable(times, speeds), "equivalent_load": InputTable(times, loads)},
        rtol=1e-10,
        atol=1e-16,
    )
    damage = result["fatigue_damage"].values
    revolutions = speeds_rpm / 60 * HOUR
    per_block = revolutions / (1e6 * np.array([basic_rating_life(14800.0, load) for load in loads]))
    block_ends = np.searchsorted(t_eval, times + HOUR)
    block_error = float(np.max(np.abs(damage[block_ends] - np.cumsum(per_block)) / np.cumsum(per_block)))
    p_eq = equivalent_load(loads, revolutions)
    closed = revolutions.sum() / (1e6 * basic_rating_life(14800.0, p_eq))
    cycle_error = abs(damage[-1] - closed) / closed
    a1_error = max(abs(reliability_factor(r) - a) for r, a in TABLE_12)
    continuity = max(
        abs(life_modification_factor(k, 0.2, roller) / life_modification_factor(k * (1 - 1e-12), 0.2, roller) - 1.0)
        for k in (0.4, 1.0)
        for roller in (0.0, 1.0)
    )
    limit_error = abs(life_modification_factor(1.0, 0.0, 0.0) - 0.1) + abs(life_modification_factor(4.0, 10.0, 1.0) - 50.0)

    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(t_eval / HOUR, damage, "k-", label="damage state, simulated")
    left.plot((times + HOUR) / HOUR, np.cumsum(per_block), "o", color="tab:red", label="Σ U_i / L10(P_i), closed form")
    left.plot([0, t_eval[-1] / HOUR], [0, closed], ":", color="tab:blue", label=f"U / L10(P_eq), P_eq = {p_eq:.0f} N")
    left.set_xlabel("time [h]")
    left.set_ylabel("fatigue damage D [1]")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    kappa = np.linspace(0.1, 4.0, 300)
    for ratio in (0.02, 0.05, 0.1, 0.2, 0.5):
        right.semilogy(kappa, [life_modification_factor(k, ratio, 0.0) for k in kappa], label=f"e_C C_u / P = {ratio}")
    right.set_xlabel("viscosity ratio κ [1]")
    right.set_ylabel("a_ISO (ball bearings)")
    right.legend(fontsize=8)
    right.grid(alpha=0.3, which="both")
    image = save(figure, output_dir, "bearing_iso281_damage")
    rows = [(f"{r:.4f}", a, reliability_factor(r)) for r, a in TABLE_12]
    body = (
        f"{__doc__.strip()}\n\n![damage and a_ISO]({image})\n\n"
        f"Closed form over the {cycles} cycles: D = {closed:.6e}, simulated {damage[-1]:.6e}.\n\n"
        + table(["reliability", "a1, ISO 281 Table 12", "a1, ours"], rows)
    )
    errors = {
        "damage per block, max relative error": block_error,
        "damage over the cycles vs P_eq, relative error": cycle_error,
        "a1 vs Table 12, max absolute error": a1_error,
        "a_ISO continuity at kappa = 0.4 and 1, max relative jump": continuity,
        "a_ISO limits (0.1 without margin, cap 50), absolute error": limit_error,
    }
    tolerances = {
        "damage per block, max relative error": 1e-7,
        "damage over the cycles vs P_eq, relative error": 1e-7,
        "a1 vs Table 12, max absolute error": 0.006,
        "a_ISO continuity at kappa = 0.4 and 1, max relative jump": 1e-3,
        "a_ISO limits (0.1 without margin, cap 50), absolute error": 1e-12,
    }
    return case_result(
        "bearing_iso281_damage",
        "Rolling bearing: ISO 281 lives and Miner damage under a duty cycle",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[2] / "validation" / "results" / "components")["markdown"])
