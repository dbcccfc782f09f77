"""Assembly motor -> pump -> pipe network (examples/assemblies): operating point, balances, NPSH, wear."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "assemblies" / "motor_pump_network.py"
RHO, G = 998.2, 9.80665


def load_example():
    spec = importlib.util.spec_from_file_location("motor_pump_network", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def station():
    example = load_example()
    system = example.build_system()
    result = example.simulate(
        system.model(),
        np.linspace(0.0, 20.0, 41),
        x0={**example.START, "pump.leak_area": 0.0},
        inputs=example.INPUTS,
        breakpoints=example.source_breakpoints(system),
        method="LSODA",
        rtol=1e-9,
        atol=1e-11,
    )
    return example, result


def colebrook(reynolds: float, relative_roughness: float) -> float:
    return brentq(
        lambda f: 1 / math.sqrt(f) + 2 * math.log10(relative_roughness / 3.7 + 2.51 / (reynolds * math.sqrt(f))), 1e-4, 1.0
    )


def test_the_operating_point_is_where_pump_and_system_curves_cross(station):
    example, result = station
    end = {name: float(result[name].values[-1]) for name in result.data_vars if result[name].dims == ("time",)}
    speed = end["motor.shaft_speed"]
    # pump curve (affinity-scaled parabola through shut-off and BEP): H = H0 r² - (H0 - Hb)/Qb² Q²
    pump = example.PUMP
    ratio = speed / pump["rated_speed"]

    def pump_head(q):
        return pump["shutoff_head"] * ratio**2 - (pump["shutoff_head"] - pump["bep_head"]) / pump["bep_flow"] ** 2 * q**2

    # system curve: lift + level difference + pipe friction (Colebrook) and minor losses + valve (Kv = 30 m³/h at 1 bar)
    area = math.pi * 0.05**2 / 4
    static = 5.0 + end["tank_b.level"] - end["tank_a.level"]

    def system_head(q):
        v = q / area
        f = colebrook(RHO * v * 0.05 / 1.002e-3, 4.5e-5 / 0.05)
        return static + (f * 30.0 / 0.05 + 3.0) * v**2 / (2 * G) + 1e5 * RHO / 1000.0 * (q / (30.0 / 3600.0)) ** 2 / (RHO * G)

    flow = brentq(lambda q: pump_head(q) - system_head(q), 1e-4, 2e-2)
    # Swamee-Jain in the pipe vs Colebrook here: within 1 % in friction factor at Re ~ 1.8e5, less in flow
    assert end["pipe.flow_rate"] == pytest.approx(flow, rel=5e-3)


def test_slip_torque_mass_and_suction_head(station):
    _, result = station
    speed = result["motor.shaft_speed"].values[-1]
    synchronous = 2 * math.pi * 60.0 / 2  # 4 poles at 60 Hz
    assert 0.0 < (synchronous - speed) / synchronous < 0.06
    # the motor carries the pump: its air-gap torque exceeds the pump torque by its own small mechanical losses
    torque, pump_torque = result["motor.electromagnetic_torque"].values[-1], result["pump.shaft_torque"].values[-1]
    assert 0.0 < torque - pump_torque < 0.02 * pump_torque
    # what leaves tank A arrives in tank B (equal cross-sections)
    levels = result["tank_a.level"].values + result["tank_b.level"].values
    assert np.allclose(levels, 4.0, rtol=0, atol=1e-9)
    # NPSH available from tank A's level, the vapour pressure and the suction velocity head
    q = result["pipe.flow_rate"].values[-1]
    suction = 101325.0 + RHO * G * result["tank_a.level"].values[-1]
    velocity = q / (math.pi * 0.065**2 / 4)
    expected = (suction - 2339.0) / (RHO * G) + velocity**2 / (2 * G)
    assert result["pump.npsh_available"].values[-1] == pytest.approx(expected, rel=1e-10)
    assert result["pump.cavitation_margin"].values[-1] > 0.0


def test_a_wearing_pump_delivers_less():
    example = load_example()
    new, worn = example.build_system(), example.build_system(impeller_wear_rate=3.0, leak_wear_rate=3.0, bearing_wear_rate=8e-8)
    flows = [
        example.run(station, [0.0, 300.0], method="LSODA", rtol=1e-7, atol=1e-9)["pipe.flow_rate"].values[-1]
        for station in (new, worn)
    ]
    assert flows[1] < flows[0]
