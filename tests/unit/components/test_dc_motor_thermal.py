"""DCMotorThermal: compatible with DCMotor, steady state against an independent solve, losses routed to the right nodes."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from scipy.optimize import root

from physics_twin.components import DCMotor, DCMotorThermal
from physics_twin.core.system import System

TIGHT = {"rtol": 1e-10, "atol": 1e-10}


def test_names_and_order_match_dc_motor_where_they_overlap():
    # a twin configured for DCMotor (examples/skab_pump_motor.toml) can switch type without renaming signals
    assert [s.name for s in DCMotorThermal.STATES[:3]] == ["current", "shaft_speed", "winding_temperature"]
    assert [s.name for s in DCMotor.STATES] == ["current", "shaft_speed", "winding_temperature"]
    assert DCMotorThermal.INPUTS == DCMotor.INPUTS
    assert DCMotorThermal.OUTPUTS[: len(DCMotor.OUTPUTS)] == DCMotor.OUTPUTS
    shared = [p for p in DCMotor.PARAMETERS if p.name not in ("thermal_capacitance", "thermal_resistance")]
    assert list(DCMotorThermal.PARAMETERS[: len(shared)]) == shared


def test_electromechanics_equal_dc_motor_when_temperature_and_iron_loss_do_not_act():
    # alpha = 0 and k_fe = 0: current and speed obey the same two linear ODEs in both classes
    common = {"resistance_temperature_coefficient": 0.0, "inductance": 5e-3}
    reference = DCMotor("m", **common)
    motor = DCMotorThermal("m", iron_loss_coefficient=0.0, **common)
    times = np.linspace(0.0, 0.5, 26)
    inputs = {"voltage": 12.0, "load_torque": 0.2}
    expected = reference.simulate(times, inputs=inputs, **TIGHT)
    got = motor.simulate(times, inputs=inputs, **TIGHT)
    for name in ("current", "shaft_speed", "electromagnetic_torque", "electrical_power"):
        assert_allclose(got[name].values, expected[name].values, rtol=1e-7, atol=1e-9)


def test_steady_state_matches_an_independent_solve():
    # Unknowns (i, w, Tw, Ti, Th); equations written from the physics, not from the kernel:
    #   V = R(Tw) i + k w;   k i = (b + k_fe) w + tau_L;
    #   R(Tw) i² = (Tw - Ti)/R_wi;   R(Tw) i² + k_fe w² = (Ti - Th)/R_ih;   R(Tw) i² + (k_fe + b) w² = (Th - Ta)/R_ha.
    motor = DCMotorThermal("m", winding_thermal_capacitance=5.0, iron_thermal_capacitance=10.0, housing_thermal_capacitance=20.0)
    v = {p.name: motor.parameter(p.name) for p in DCMotorThermal.PARAMETERS}
    voltage, load, ambient = 12.0, 0.3, 295.0
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

    solution = root(equations, [3.0, 100.0, 320.0, 315.0, 310.0], tol=1e-13)
    assert solution.success
    # slowest thermal time constant is ~ (5+10+20) J/K * 2.2 K/W ≈ 77 s: 3000 s is ~40 of them
    result = motor.simulate(
        [0.0, 3000.0], inputs={"voltage": voltage, "load_torque": load, "ambient_temperature": ambient}, method="LSODA", **TIGHT
    )
    got = [
        result[n].values[-1] for n in ("current", "shaft_speed", "winding_temperature", "iron_temperature", "housing_temperature")
    ]
    assert_allclose(got, solution.x, rtol=1e-8)
    last = result.isel(time=-1)
    assert_allclose(float(last["copper_loss"]), float(last["winding_resistance"]) * got[0] ** 2, rtol=1e-12)
    assert_allclose(float(last["iron_loss"]), kfe * got[1] ** 2, rtol=1e-12)
    assert_allclose(float(last["friction_loss"]), b * got[1] ** 2, rtol=1e-12)


def test_insulation_consumes_life_at_the_winding_temperature():
    # frozen temperatures (huge capacitances): dL/dt = 2^((Tw + 10 - 428.15)/10) / (20000 h)
    motor = DCMotorThermal("m", winding_thermal_capacitance=1e12, iron_thermal_capacitance=1e12, housing_thermal_capacitance=1e12)
    x0 = {"winding_temperature": 438.15, "iron_temperature": 400.0, "housing_temperature": 380.0}
    result = motor.simulate([0.0, 3600.0], x0=x0, rtol=1e-10, atol=1e-14)
    assert_allclose(result["insulation_life_consumed"].values[-1], 4.0 / 20000.0, rtol=1e-6)
    assert_allclose(result["insulation_ageing_factor"].values[-1], 4.0, rtol=1e-6)


def test_usable_in_a_system_with_the_ambient_shared():
    motor = DCMotorThermal("motor")
    system = System(
        "drive", [motor], inputs={"supply": "motor.voltage", "load": "motor.load_torque", "ambient": "motor.ambient_temperature"}
    )
    model = system.model()
    assert model.state_names[:3] == ("motor.current", "motor.shaft_speed", "motor.winding_temperature")
