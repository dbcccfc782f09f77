"""Daigle & Goebel (2013) pump: motor torque, thermal balance, wear laws against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import trapezoid

from physics_twin.components.daigle_goebel_pump import DaigleGoebelPump

NAMES = [p.name for p in DaigleGoebelPump.PARAMETERS]


def state(**values) -> np.ndarray:
    x = np.array([s.start for s in DaigleGoebelPump.STATES])
    for name, value in values.items():
        x[[s.name for s in DaigleGoebelPump.STATES].index(name)] = value
    return x


def inputs(**values) -> np.ndarray:
    u = np.array([i.default for i in DaigleGoebelPump.INPUTS])
    for name, value in values.items():
        u[[i.name for i in DaigleGoebelPump.INPUTS].index(name)] = value
    return u


def test_motor_torque_is_the_papers_equivalent_circuit_form():
    pump = DaigleGoebelPump("p")
    p = pump.parameter_values
    sync, voltage = 376.991118431, 471.2397
    for speed in (0.0, 200.0, 370.0, 380.0):
        slip = (sync - speed) / sync
        # the paper (and progpy): n p R2 / (s (ws + 1e-5)) * V² / ((R1 + R2/s)² + (ws L1)²)
        expected = 3 * 1 * 0.076 / (slip * (sync + 1e-5)) * voltage**2 / ((0.36 + 0.076 / slip) ** 2 + (sync * 0.00063) ** 2)
        y = DaigleGoebelPump.output_values(0.0, state(shaft_speed=speed), inputs(), p)
        assert y[7] == pytest.approx(expected, rel=1e-12)
    # at synchronous speed the torque vanishes (the paper's form is 0/0 there)
    assert DaigleGoebelPump.output_values(0.0, state(shaft_speed=sync), inputs(), p)[7] == 0.0


def test_bearing_and_oil_temperatures_settle_at_the_linear_heat_balance():
    # with speed and friction held (no wear), the three temperatures solve a linear system:
    #   r_t w² = Ht1 (Tt - Ta) + Ht2 (Tt - To),  r_r w² = Hr1 (Tr - Ta) + Hr2 (Tr - To),
    #   0 = Ho1 (Tt - To) + Ho2 (Tr - To) + Ho3 (Ta - To)
    pump = DaigleGoebelPump("p")
    result = pump.simulate(np.linspace(0.0, 4e5, 5), rtol=1e-9, atol=1e-12)
    w = result["shaft_speed"].values[-1]
    ta = 290.0
    matrix = np.array([[0.0034 + 0.0026, 0.0, -0.0026], [0.0, 0.0018 + 0.020, -0.020], [1.0, 3.0, -(1.0 + 3.0 + 1.5)]])
    rhs = np.array([1.4e-6 * w**2 + 0.0034 * ta, 1.8e-6 * w**2 + 0.0018 * ta, -1.5 * ta])
    tt, tr, to = np.linalg.solve(matrix, rhs)
    assert_allclose(result["thrust_bearing_temperature"].values[-1], tt, rtol=1e-6)
    assert_allclose(result["radial_bearing_temperature"].values[-1], tr, rtol=1e-6)
    assert_allclose(result["oil_temperature"].values[-1], to, rtol=1e-6)


def test_wear_laws_integrate_the_flow_and_the_friction_work():
    # dA/dt = -w_A Q²  ->  A(T) = A0 - w_A ∫Q² dt ;  dr/dt = w r w²  ->  r(T) = r0 exp(w ∫w² dt)
    pump = DaigleGoebelPump("p", impeller_area_wear_rate=1e-2, thrust_wear_rate=1e-10, radial_wear_rate=2e-10)
    t = np.linspace(0.0, 2000.0, 4001)
    result = pump.simulate(t, rtol=1e-10, atol=1e-14)
    q = result["flow_rate"].values
    w = result["shaft_speed"].values
    assert_allclose(result["impeller_area"].values[-1], 12.7084 - 1e-2 * trapezoid(q**2, t), rtol=1e-7)
    work = trapezoid(w**2, t)
    assert_allclose(result["thrust_friction_coefficient"].values[-1], 1.4e-6 * np.exp(1e-10 * work), rtol=1e-7)
    assert_allclose(result["radial_friction_coefficient"].values[-1], 1.8e-6 * np.exp(2e-10 * work), rtol=1e-7)
    # the wear is visible: less impeller, less pressure, less flow
    assert result["delivered_flow"].values[-1] < DaigleGoebelPump("q").simulate(t[[0, -1]])["delivered_flow"].values[-1]


def test_leak_flows_from_discharge_to_suction_and_the_extended_wear_law_has_its_closed_form():
    # Q_l = c_l A_l sqrt(pd - ps) and dA_l/dt = w_l Q_l² = w_l c_l² dp A_l²  ->  A_l(t) = A0 / (1 - w_l c_l² dp A0 t)
    area0, rate, dp = 1e-4, 3e-6, 928654.0 - 239179.0  # blow-up at 1/(rate dp area0) = 4835 s
    pump = DaigleGoebelPump("p", leak_wear_rate=rate)
    y = DaigleGoebelPump.output_values(0.0, state(flow_rate=0.1, leak_area=area0), inputs(), pump.parameter_values)
    leak = area0 * np.sqrt(dp)
    assert y[5] == pytest.approx(leak, rel=1e-14)
    assert y[1] == pytest.approx(0.1 - leak, rel=1e-14)
    t_end = 1000.0
    result = pump.simulate([0.0, t_end], x0={"leak_area": area0}, rtol=1e-11, atol=1e-16)
    assert_allclose(result["leak_area"].values[-1], area0 / (1.0 - rate * dp * area0 * t_end), rtol=1e-8)


def test_no_wear_by_default_reproduces_the_unworn_model():
    result = DaigleGoebelPump("p").simulate([0.0, 1000.0])
    assert result["impeller_area"].values[-1] == 12.7084
    assert result["leak_area"].values[-1] == 1e-10
