"""Insulation ageing: time to end of life against the halving-interval law, and a duty cycle against Miner's sum.

(1) Class F insulation (155 °C, HIC = 10 K, 20 000 h at the class temperature; parameter set
``iec60085_class_f``) is held at constant hot-spot temperatures from 135 °C to 185 °C. A terminal event
stops each simulation when the consumed life reaches 1; its time is compared with the closed form
t_life = 20 000 h × 2^(-(T_hs - 155 °C)/10 K) of IEC 60216-1 / the 10 K rule. The Arrhenius law with the
same life and HIC at 155 °C (activation temperature E/k = T_c² ln 2 / HIC) is drawn for comparison: the
exponential form is the conservative one away from the class temperature.

(2) A daily cycle of the winding temperature (8 h at 150 °C, 16 h at 100 °C, hot-spot allowance 10 K) is
repeated for 30 days from a table input; the consumed life must equal Miner's sum
sum_k t_k 2^((T_k + 10 K - 155 °C)/10 K) / 20 000 h.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from _common import case_result, max_relative_error, pyplot, save, table

from physics_twin.components import InsulationAgeing
from physics_twin.core.simulate import Event, InputTable
from physics_twin.parameter_sets import load_parameter_set

HOUR = 3600.0
CLASS_F = 428.15


def run(output_dir: Path) -> dict:
    started = time.perf_counter()
    values = {**load_parameter_set("InsulationAgeing", "iec60085_class_f"), "hot_spot_allowance": 0.0}
    ageing = InsulationAgeing("insulation", **values)
    end_of_life = Event("end_of_life", lambda t, x, u, p: x[0] - 1.0, terminal=True, direction=1.0)
    hot_spots = np.arange(135.0, 186.0, 10.0) + 273.15
    expected = 20000.0 * 2.0 ** (-(hot_spots - CLASS_F) / 10.0)
    simulated = []
    for temperature, life in zip(hot_spots, expected, strict=True):
        result = ageing.simulate(
            [0.0, 2 * life * HOUR], inputs={"winding_temperature": temperature}, events=[end_of_life], rtol=1e-12, atol=1e-14
        )
        simulated.append(float(result["event_time"].values[0]) / HOUR)
    simulated = np.array(simulated)
    life_error = max_relative_error(simulated, expected)

    cycle = InsulationAgeing("insulation", **load_parameter_set("InsulationAgeing", "iec60085_class_f"))
    days = 30
    switch = np.sort(np.concatenate([np.arange(days) * 24.0, np.arange(days) * 24.0 + 8.0])) * HOUR
    windings = np.tile([150.0 + 273.15, 100.0 + 273.15], days)
    result = cycle.simulate(
        [0.0, days * 24 * HOUR], inputs={"winding_temperature": InputTable(switch, windings)}, rtol=1e-12, atol=1e-16
    )
    miner = days * (8.0 * 2.0 ** ((150.0 + 10.0 - 155.0) / 10.0) + 16.0 * 2.0 ** ((100.0 + 10.0 - 155.0) / 10.0)) / 20000.0
    consumed = float(result["insulation_life_consumed"].values[-1])
    cycle_error = abs(consumed - miner) / miner

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.0, 4.2))
    fine = np.linspace(125.0, 195.0, 200) + 273.15
    activation = CLASS_F**2 * math.log(2.0) / 10.0
    axis.semilogy(fine - 273.15, 20000.0 * 2.0 ** (-(fine - CLASS_F) / 10.0), "k-", label="10 K rule: 20 000 h · 2^(−ΔT/10 K)")
    axis.semilogy(
        fine - 273.15,
        20000.0 * np.exp(activation * (1 / fine - 1 / CLASS_F)),
        "k--",
        lw=1,
        label="Arrhenius, same life and HIC at 155 °C",
    )
    axis.semilogy(hot_spots - 273.15, simulated, "o", color="tab:red", label="simulated end-of-life event")
    axis.set_xlabel("hot-spot temperature [°C]")
    axis.set_ylabel("insulation life [h]")
    axis.set_title("Class F (155) insulation")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    image = save(figure, output_dir, "insulation_ageing_life")
    rows = [(f"{t - 273.15:.0f}", float(e), float(s)) for t, e, s in zip(hot_spots, expected, simulated, strict=True)]
    body = (
        f"{__doc__.strip()}\n\n![life against temperature]({image})\n\n"
        + table(["hot spot [°C]", "closed form [h]", "simulated [h]"], rows)
        + f"\n\nDuty cycle: Miner's sum {miner:.8f}, simulated {consumed:.8f} of the life in {days} days."
    )
    errors = {"life at constant temperature, max relative error": life_error, "duty cycle, relative error": cycle_error}
    tolerances = {"life at constant temperature, max relative error": 1e-8, "duty cycle, relative error": 1e-8}
    return case_result(
        "insulation_ageing_life",
        "Insulation ageing: life against temperature and a duty cycle",
        body,
        errors,
        tolerances,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parents[1] / "results" / "components")["markdown"])
