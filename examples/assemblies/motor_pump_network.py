"""Assembly: induction motor -> wearing centrifugal pump -> pipe and valve -> upper tank, fed from a lower tank.

A 3 hp, 4-pole induction machine (Krause's textbook set) started direct on line drives a pump that lifts
water from tank A through 30 m of DN50 pipe and a control valve into tank B, 5 m higher. The pump's
suction pressure comes from tank A's level, so its cavitation margin falls as tank A drains; with
wear rates switched on, impeller erosion and wear-ring leakage lower the delivered flow.

Run ``python examples/assemblies/motor_pump_network.py`` for a start-up and a worn-pump comparison.
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.components import InductionMotor, Pipe, Tank, Valve, VoltageSource, WearingCentrifugalPump
from physics_twin.components.sources import source_breakpoints
from physics_twin.core.simulate import simulate
from physics_twin.core.system import System
from physics_twin.parameter_sets import load_parameter_set

ATMOSPHERE = 101325.0
#: peak phase voltage of a 220 V (line, rms) supply: the q-axis voltage in the synchronous frame
PHASE_PEAK = 220.0 * math.sqrt(2.0 / 3.0)
GRID = 2.0 * math.pi * 60.0

PUMP = {
    "rated_speed": 1750 * 2 * math.pi / 60,
    "shutoff_head": 30.0,
    "bep_flow": 6.0e-3,
    "bep_head": 24.0,
    "bep_efficiency": 0.65,
    "shutoff_power": 700.0,
    "suction_area": math.pi * 0.065**2 / 4,
    "npsh_required_shutoff": 1.5,
    "npsh_required_bep": 3.0,
}


def build_system(**pump_overrides: float) -> System:
    """The motor-pump-network system; ``pump_overrides`` change WearingCentrifugalPump parameters (e.g. wear rates)."""
    supply = VoltageSource("supply", step_voltage=PHASE_PEAK, step_time=0.0)
    motor = InductionMotor("motor", **load_parameter_set("InductionMotor", "krause_3hp"))
    pump = WearingCentrifugalPump("pump", **{**PUMP, **pump_overrides})
    pipe = Pipe("pipe", length=30.0, diameter=0.05, minor_loss_coefficient=3.0, elevation_rise=5.0)
    valve = Valve("valve", flow_coefficient=30.0 / 3600.0)
    lower = Tank("tank_a", cross_section=20.0)
    upper = Tank("tank_b", cross_section=20.0)
    return System(
        "pumping_station",
        [supply, motor, pump, pipe, valve, lower, upper],
        connections=[
            ("supply.voltage", "motor.voltage_q"),
            ("motor.shaft_speed", "pump.shaft_speed"),
            ("pump.shaft_torque", "motor.load_torque"),
            ("pipe.flow_rate", "pump.flow_rate"),
            ("pipe.flow_rate", "valve.flow_rate"),
            ("pipe.flow_rate", "tank_a.outflow_rate"),
            ("pipe.flow_rate", "tank_b.inflow_rate"),
            ("tank_a.bottom_pressure", "pump.suction_pressure"),
            ("pump.discharge_pressure", "pipe.inlet_pressure"),
            ("valve.inlet_pressure", "pipe.outlet_pressure"),
            ("tank_b.bottom_pressure", "valve.outlet_pressure"),
        ],
        inputs={
            "voltage_d": "motor.voltage_d",
            "supply_frequency": "motor.supply_angular_frequency",
            "ambient_temperature": "motor.ambient_temperature",
            "valve_opening": "valve.opening",
            "tank_a_inflow": "tank_a.inflow_rate",
            "tank_b_outflow": "tank_b.outflow_rate",
            "atmosphere": ["tank_a.surface_pressure", "tank_b.surface_pressure"],
        },
    )


INPUTS = {
    "voltage_d": 0.0,
    "supply_frequency": GRID,
    "ambient_temperature": 293.15,
    "valve_opening": 1.0,
    "tank_a_inflow": 0.0,
    "tank_b_outflow": 0.0,
    "atmosphere": ATMOSPHERE,
}
START = {"tank_a.level": 3.0, "tank_b.level": 1.0, "pump.leak_area": 2.0e-6}


def run(system: System, t_eval, **options):
    """Simulate the station from standstill with the supply switched on at t = 0."""
    return simulate(system.model(), t_eval, x0=START, inputs=INPUTS, breakpoints=source_breakpoints(system), **options)


def main() -> None:
    system = build_system()
    start = run(system, np.linspace(0.0, 5.0, 11), method="LSODA", rtol=1e-7, atol=1e-9)
    print("start-up, direct on line")
    for name in (
        "motor.shaft_speed",
        "pipe.flow_rate",
        "pump.pressure_rise",
        "pump.cavitation_margin",
        "motor.electromagnetic_torque",
    ):
        print(f"  {name:32s} {start[name].values[-1]: .6g} {start[name].attrs['units']}")
    # wear rates exaggerated so that ten minutes show what years of abrasive service would
    worn = build_system(impeller_wear_rate=3.0, leak_wear_rate=3.0, bearing_wear_rate=8e-8)
    for label, station in (("new pump", system), ("wearing pump", worn)):
        hour = run(station, np.linspace(0.0, 600.0, 7), method="LSODA", rtol=1e-7, atol=1e-9)
        print(f"{label}: after ten minutes")
        for name in (
            "pipe.flow_rate",
            "pump.impeller_condition",
            "pump.leak_flow",
            "pump.bearing_friction",
            "pump.cavitation_margin",
            "tank_a.level",
            "motor.shaft_speed",
        ):
            print(f"  {name:32s} {hour[name].values[-1]: .6g} {hour[name].attrs['units']}")


if __name__ == "__main__":
    main()
