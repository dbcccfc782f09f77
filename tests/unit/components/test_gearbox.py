"""Gearbox: backlash dead zone, mesh-loss law by speed and direction, bearing drag, Miner tooth damage, several stages,
a motor-gearbox system, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import root

from physics_twin.components import DCMotorThermal, Gearbox, gear_train
from physics_twin.core.simulate import InputTable, simulate
from physics_twin.core.system import System
from physics_twin.errors import ParameterError

REFERENCE_SPEED = 2 * math.pi * 1500 / 60


def outputs(gearbox: Gearbox, twist: float, output_speed: float, input_speed: float, load: float = 0.0) -> dict[str, float]:
    y = gearbox.output_values(0.0, np.array([twist, output_speed, 0.0]), np.array([input_speed, load]), gearbox.parameter_values)
    return {o.name: float(value) for o, value in zip(Gearbox.OUTPUTS, y, strict=True)}


def test_backlash_is_a_dead_zone_in_the_shaft_torque():
    # backlash 2 mrad: |twist| <= 1 mrad transmits nothing; beyond, k (twist -+ 1 mrad) + c d(twist)/dt
    gearbox = Gearbox("g", gear_ratio=4.0, backlash=2e-3, torsional_stiffness=1e4, torsional_damping=3.0)
    for twist in (-1e-3, -4e-4, 0.0, 6e-4, 1e-3):
        assert outputs(gearbox, twist, 10.0, 44.0)["shaft_torque"] == 0.0
    # in contact, relative speed w_in/i - w_out = 11 - 10 = 1 rad/s
    assert_allclose(outputs(gearbox, 3e-3, 10.0, 44.0)["shaft_torque"], 1e4 * 2e-3 + 3.0 * 1.0, rtol=1e-14)
    assert_allclose(outputs(gearbox, -3e-3, 10.0, 36.0)["shaft_torque"], -1e4 * 2e-3 + 3.0 * (-1.0), rtol=1e-14)


def test_flanks_never_pull():
    # separating fast: k delta + c d(twist)/dt = 1e4 * 1e-4 + 3 * (-1) < 0 -> no torque instead of a pulling one
    gearbox = Gearbox("g", gear_ratio=4.0, backlash=2e-3, torsional_stiffness=1e4, torsional_damping=3.0)
    assert outputs(gearbox, 1.1e-3, 10.0, 36.0)["shaft_torque"] == 0.0
    assert outputs(gearbox, -1.1e-3, 10.0, 44.0)["shaft_torque"] == 0.0


@pytest.mark.parametrize(
    ("input_speed", "factor"), [(REFERENCE_SPEED, 1.0), (4 * REFERENCE_SPEED, 4.0**-0.2), (REFERENCE_SPEED / 32, 2.0)]
)
def test_mesh_loss_by_speed_and_direction(input_speed, factor):
    # lambda = lambda_ref (w_ref / |w_in|)^0.2; (1/32)^-0.2 = 2.  Driving: T_in = T_s / (i (1 - lambda));
    # back-driven (shaft torque against the wheel's motion): T_in = T_s (1 - lambda) / i.
    gearbox = Gearbox(
        "g",
        gear_ratio=5.0,
        forward_mesh_loss=0.02,
        backward_mesh_loss=0.05,
        bearing_drag_torque=0.0,
        bearing_viscous_coefficient=0.0,
        torsional_damping=0.0,
        backlash=0.0,
    )
    wheel = input_speed / 5.0
    driving = outputs(gearbox, 5e-3, wheel, input_speed)  # shaft torque 1e4 * 5e-3 = 50 N m
    assert_allclose(driving["shaft_torque"], 50.0, rtol=1e-14)
    assert_allclose(driving["mesh_efficiency"], 1.0 - 0.02 * factor, rtol=1e-13)
    assert_allclose(driving["input_torque"], 50.0 / (5.0 * (1.0 - 0.02 * factor)), rtol=1e-13)
    backdriven = outputs(gearbox, -5e-3, wheel, input_speed)
    assert_allclose(backdriven["mesh_efficiency"], 1.0 - 0.05 * factor, rtol=1e-13)
    assert_allclose(backdriven["input_torque"], -50.0 * (1.0 - 0.05 * factor) / 5.0, rtol=1e-13)
    # the mesh loss is positive both ways: P_in - P_wheel
    assert_allclose(driving["power_loss"], driving["input_torque"] * input_speed - 50.0 * wheel, rtol=1e-12)
    assert backdriven["power_loss"] > 0.0


def test_mesh_loss_speed_floor_and_cap():
    # below 1e-3 w_ref the loss fraction is held; it never exceeds 0.95
    gearbox = Gearbox("g", forward_mesh_loss=0.5, loss_speed_exponent=1.0, backlash=0.0, torsional_damping=0.0)
    assert_allclose(outputs(gearbox, 1e-3, 0.0, 1e-6)["mesh_efficiency"], 0.05, rtol=1e-14)
    gearbox = Gearbox("g", forward_mesh_loss=0.01, loss_speed_exponent=0.2, backlash=0.0, torsional_damping=0.0)
    assert_allclose(outputs(gearbox, 1e-3, 0.0, 1e-9)["mesh_efficiency"], 1.0 - 0.01 * 1000.0**0.2, rtol=1e-13)


def test_bearing_drag_adds_to_the_input_torque():
    # T_bearing = T_c tanh(w/w_eps) + c_b w, present even with no transmitted torque
    gearbox = Gearbox("g", bearing_drag_torque=0.3, bearing_viscous_coefficient=2e-3, friction_smoothing_speed=0.5)
    for speed in (-100.0, -0.2, 0.0, 0.3, 50.0):
        expected = 0.3 * math.tanh(speed / 0.5) + 2e-3 * speed
        assert_allclose(outputs(gearbox, 0.0, 0.0, speed)["input_torque"], expected, rtol=1e-14, atol=1e-300)


def steady_twist(load: float, gearbox: Gearbox) -> float:
    # J dw/dt = T_s - T_L = 0 and no relative motion: k (twist - backlash/2) = T_L
    return load / gearbox.parameter("torsional_stiffness") + 0.5 * gearbox.parameter("backlash")


def test_miner_damage_at_constant_torque():
    # sigma = 1200 MPa (200/100)^0.5 = 1697 MPa > 1500 MPa; cycles/s = w_in / 2 pi;
    # D(t) = (w_in / 2 pi) t / (5e7 (1500/1697)^13.23)
    gearbox = Gearbox("g", gear_ratio=3.0)
    speed, load, duration = 300.0, 200.0, 3600.0
    sigma = 1.2e9 * math.sqrt(load / 100.0)
    expected = speed / (2 * math.pi) * duration / (5e7 * (1.5e9 / sigma) ** (1 / 0.0756))
    x0 = {"shaft_twist": steady_twist(load, gearbox), "output_speed": speed / 3.0}
    result = gearbox.simulate([0.0, duration], x0=x0, inputs={"input_speed": speed, "load_torque": load}, rtol=1e-10, atol=1e-14)
    assert_allclose(result["tooth_stress"].values[-1], sigma, rtol=1e-9)
    assert_allclose(result["tooth_damage"].values[-1], expected, rtol=1e-7)
    # below the endurance limit (100 N m -> 1200 MPa) nothing accrues
    x0 = {"shaft_twist": steady_twist(100.0, gearbox), "output_speed": speed / 3.0}
    result = gearbox.simulate([0.0, duration], x0=x0, inputs={"input_speed": speed, "load_torque": 100.0})
    assert result["tooth_damage"].values[-1] == 0.0


def test_miner_sum_over_a_load_spectrum():
    # Blocks of constant torque, each held 200 s; a critically damped shaft (c = 2 sqrt(k J)) passes from one block
    # to the next without overshoot in ~ms, so D = sum_k n_k / N(sigma_k) to ~1e-5.
    k, j = 1e4, 0.01
    gearbox = Gearbox(
        "g",
        gear_ratio=2.0,
        torsional_stiffness=k,
        output_inertia=j,
        torsional_damping=2 * math.sqrt(k * j),
        stress_torque_exponent=1.0,
        endurance_limit=4e8,
        knee_cycles=3e6,
        sn_exponent=1 / 0.115,
        reference_stress=3e8,
        reference_torque=100.0,
    )
    speed = 200.0
    times = np.array([0.0, 200.0, 400.0, 600.0])
    loads = np.array([150.0, 100.0, 180.0, 160.0])
    sigmas = 3e8 * loads / 100.0
    cycles = speed / (2 * math.pi) * 200.0
    expected = sum(cycles / (3e6 * (4e8 / s) ** (1 / 0.115)) for s in sigmas if s > 4e8)
    x0 = {"shaft_twist": loads[0] / k + 0.5 * gearbox.parameter("backlash"), "output_speed": speed / 2.0}
    result = gearbox.simulate(
        [0.0, 800.0],
        x0=x0,
        inputs={"input_speed": speed, "load_torque": InputTable(times, loads)},
        method="LSODA",
        rtol=1e-9,
        atol=1e-12,
    )
    assert_allclose(result["tooth_damage"].values[-1], expected, rtol=1e-4)


def test_two_stages_multiply_ratios_and_efficiencies():
    # steady state: w_out = w_in / (i1 i2); T_in = T_L / (i1 i2 eta1 eta2) without bearing drag, at the reference
    # speed of each stage (stage 2 runs at w_in / i1, so its reference speed is set there).
    speed, load = REFERENCE_SPEED, 120.0
    common = {"bearing_drag_torque": 0.0, "bearing_viscous_coefficient": 0.0, "torsional_damping": 20.0}
    stages = [
        {"gear_ratio": 3.0, "forward_mesh_loss": 0.02, **common},
        {"gear_ratio": 4.0, "forward_mesh_loss": 0.03, "reference_speed": speed / 3.0, **common},
    ]
    components, connections = gear_train(stages, prefix="stage")
    system = System("train", components, connections, inputs={"input_speed": "stage1.input_speed", "load": "stage2.load_torque"})
    model = system.model()
    x0 = {
        "stage1.output_speed": speed / 3.0,
        "stage2.output_speed": speed / 12.0,
        "stage2.shaft_twist": load / 1e4 + 5e-4,
        "stage1.shaft_twist": load / (4 * 0.97) / 1e4 + 5e-4,
    }
    result = simulate(
        model, [0.0, 2.0], x0=x0, inputs={"input_speed": speed, "load": load}, method="LSODA", rtol=1e-10, atol=1e-12
    )
    assert_allclose(result["stage2.output_speed"].values[-1], speed / 12.0, rtol=1e-9)
    assert_allclose(result["stage1.input_torque"].values[-1], load / (12.0 * 0.98 * 0.97), rtol=1e-8)
    with pytest.raises(ParameterError, match=r"`stages` must list at least one stage"):
        gear_train([])


def test_motor_drives_a_gearbox_to_the_independent_steady_state():
    # DCMotorThermal -> Gearbox -> constant load.  Steady state (alpha = 0, so temperatures do not feed back):
    #   V = R i + k w,  k i = (b + k_fe) w + T_in(w),
    #   T_in(w) = T_L / (i_g (1 - lambda(w))) + T_c tanh(w / w_eps) + c_b w,  lambda(w) = 0.015 (w_ref / w)^0.2.
    motor = DCMotorThermal("motor", resistance_temperature_coefficient=0.0, rotor_inertia=2e-3)
    gearbox = Gearbox("gear", gear_ratio=5.0, torsional_damping=2.0)
    system = System(
        "drive",
        [motor, gearbox],
        [("motor.shaft_speed", "gear.input_speed"), ("gear.input_torque", "motor.load_torque")],
        inputs={"supply": "motor.voltage", "load": "gear.load_torque", "ambient": "motor.ambient_temperature"},
    )
    voltage, load = 24.0, 2.0
    r, k = motor.parameter("reference_resistance"), motor.parameter("torque_constant")
    b, kfe = motor.parameter("viscous_friction"), motor.parameter("iron_loss_coefficient")

    def equations(z):
        current, w = z
        loss = 0.015 * (REFERENCE_SPEED / w) ** 0.2
        t_in = load / (5.0 * (1.0 - loss)) + 0.05 * math.tanh(w / 0.1) + 1e-4 * w
        return [voltage - r * current - k * w, k * current - (b + kfe) * w - t_in]

    solution = root(equations, [4.0, 200.0], tol=1e-14)
    assert solution.success
    # start near the operating point; the slowest mode (J R / k² ≈ 0.24 s) then decays below 1e-8 in 3 s
    x0 = {"motor.current": 5.0, "motor.shaft_speed": 190.0, "gear.output_speed": 38.0, "gear.shaft_twist": 7e-4}
    result = simulate(
        system.model(),
        [0.0, 3.0],
        x0=x0,
        inputs={"supply": voltage, "load": load, "ambient": 293.15},
        method="LSODA",
        rtol=1e-10,
        atol=1e-10,
    )
    assert_allclose(result["motor.current"].values[-1], solution.x[0], rtol=1e-6)
    assert_allclose(result["motor.shaft_speed"].values[-1], solution.x[1], rtol=1e-7)
    assert_allclose(result["gear.output_speed"].values[-1], solution.x[1] / 5.0, rtol=1e-7)


def test_bad_parameters():
    with pytest.raises(
        ParameterError,
        match=r"(?s)unknown parameter 'gear_ration'.*Did you mean 'gear_ratio'.*"
        r"`gear_ratio` must be within \(0, inf\] 1; got -3\.0.*`backlash` must be finite \[rad\]; got nan",
    ):
        Gearbox("g", gear_ratio=-3.0, backlash=float("nan"), gear_ration=2.0)


def test_pitting_parameter_set_is_the_iso_6336_life_factor():
    # Z_NT = (5e7 / N)^0.0756: the permissible stress at 1e5 cycles is 500^0.0756 = 1.6 times the endurance limit,
    # so N(sigma = 1.6 sigma_lim) must come out as 1e5 cycles.
    from physics_twin.parameter_sets import load_parameter_set

    values = load_parameter_set("Gearbox", "iso6336_case_hardened_pitting")
    sigma = values["endurance_limit"] * (5e7 / 1e5) ** 0.0756
    cycles = values["knee_cycles"] * (values["endurance_limit"] / sigma) ** values["sn_exponent"]
    assert_allclose(cycles, 1e5, rtol=1e-12)
    assert_allclose(sigma / values["endurance_limit"], 1.6, rtol=1e-3)
