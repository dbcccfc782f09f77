"""Compiled fixed-step integrators: convergence orders, stiff stability, sub-stepping, method names."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm

from physics_twin.core._jit import jit
from physics_twin.core.integrators import METHODS, integrate, method_code
from physics_twin.errors import ParameterError

RK4, ROS2 = METHODS["RK4"], METHODS["ROS2"]
NO_INPUT = np.empty(0)


@jit
def forced_decay(t, x, u, p, dx):
    """x' = p0 x + sin t (non-autonomous, linear)."""
    dx[0] = p[0] * x[0] + math.sin(t)


def forced_decay_exact(t: float, x0: float) -> float:
    # x' = -x + sin t: particular solution (sin t - cos t)/2, homogeneous C e^-t with C = x0 + 1/2.
    return 0.5 * (math.sin(t) - math.cos(t)) + (x0 + 0.5) * math.exp(-t)


@jit
def linear_2d(t, x, u, p, dx):
    """x' = A x with A = [[p0, -p1], [p1, p0]] (a damped rotation); p2 couples nothing and is unused."""
    dx[0] = p[0] * x[0] - p[1] * x[1]
    dx[1] = p[1] * x[0] + p[0] * x[1]


@jit
def stiff_pair(t, x, u, p, dx):
    """x0' = p0 (x0 - x1), x1' = -x1: the fast mode (p0 = -1e6) slaves x0 to the slow x1 = e^-t."""
    dx[0] = p[0] * (x[0] - x[1])
    dx[1] = -x[1]


def observed_orders(errors: list[float]) -> np.ndarray:
    """log2 of successive error ratios when the step is halved."""
    errors_array = np.asarray(errors)
    return np.log2(errors_array[:-1] / errors_array[1:])


@pytest.mark.parametrize(("method", "order", "steps"), [(RK4, 4, (20, 40, 80, 160)), (ROS2, 2, (160, 320, 640))])
def test_convergence_order_on_a_linear_system(method, order, steps):
    # x' = A x, exact x(T) = expm(A T) x0 (scipy). Halving the step divides the error by 2^order. (ROS2's error
    # constant is large for this oscillatory system: its observed order is 1.3, 1.7, 1.9 from 20 to 160 steps.)
    a = np.array([[-0.5, -2.0], [2.0, -0.5]])
    x0, duration = np.array([1.0, 0.0]), 2.0
    exact = expm(a * duration) @ x0
    p = np.array([-0.5, 2.0])
    errors = [
        float(np.linalg.norm(integrate(linear_2d, 0.0, x0, NO_INPUT, p, duration, duration / n, method) - exact)) for n in steps
    ]
    assert_allclose(observed_orders(errors), order, atol=0.1)


@pytest.mark.parametrize(("method", "order", "steps"), [(RK4, 4, (40, 80, 160, 320)), (ROS2, 2, (20, 40, 80, 160))])
def test_convergence_order_on_a_non_autonomous_ode(method, order, steps):
    x0, duration = 1.0, 2.0
    exact = forced_decay_exact(duration, x0)
    p = np.array([-1.0])
    errors = [
        abs(integrate(forced_decay, 0.0, np.array([x0]), NO_INPUT, p, duration, duration / n, method)[0] - exact) for n in steps
    ]
    assert_allclose(observed_orders(errors)[-1], order, atol=0.15)


def test_ros2_is_stable_on_a_stiff_system_where_rk4_blows_up():
    # lambda = -1e6, h = 0.1: h*lambda = -1e5 lies far outside RK4's stability region (|R| ~ 4e18 per step),
    # while ROS2 is L-stable (R(-inf) = 1 - 2/gamma + 1/(2 gamma^2) = 0 for gamma = 1 + 1/sqrt 2).
    # Exact: x1 = e^-t; x0 follows x1 within ~1e-6 after a 1 µs transient, so x0(1) ≈ x1(1) = e^-1.
    p = np.array([-1.0e6])
    x0 = np.array([0.0, 1.0])
    ros2 = integrate(stiff_pair, 0.0, x0, NO_INPUT, p, 1.0, 0.1, ROS2)
    rk4 = integrate(stiff_pair, 0.0, x0, NO_INPUT, p, 1.0, 0.1, RK4)
    # 10 steps of a second-order method with h = 0.1 on the slow mode: error well below 1e-2
    assert_allclose(ros2, [math.exp(-1.0), math.exp(-1.0)], atol=5e-3)
    assert not np.all(np.abs(rk4) < 1e10)


def test_ros2_stability_function_vanishes_at_infinity():
    # x' = lambda x, one step h = 1, z = h lambda = -1e12. With the exact Jacobian
    # R(z) = (1 + (1 - 2 gamma) z + (gamma^2 - 2 gamma + 1/2) z^2) / (1 - gamma z)^2, whose z^2 coefficient is 0 for
    # gamma = 1 + 1/sqrt 2, so R(z) ~ (1 - 2 gamma) / (gamma^2 z) ≈ 8e-13. The finite-difference Jacobian
    # (delta = sqrt(eps)) has a relative error ~ eps / delta ≈ 7e-9, which bounds |R| at that level instead.
    p = np.array([-1.0e12, 0.0])
    result = integrate(linear_2d, 0.0, np.array([1.0, 1.0]), NO_INPUT, p, 1.0, 1.0, ROS2)
    assert np.all(np.abs(result) < 1e-7)


@pytest.mark.parametrize("method", [RK4, ROS2])
def test_sub_steps_cover_the_whole_interval(method):
    # dt = 1 with max_step = 0.3 -> 4 equal steps of 0.25; the result equals four single calls of 0.25 each
    p = np.array([-1.0])
    whole = integrate(forced_decay, 0.5, np.array([2.0]), NO_INPUT, p, 1.0, 0.3, method)
    x = np.array([2.0])
    for k in range(4):
        x = integrate(forced_decay, 0.5 + 0.25 * k, x, NO_INPUT, p, 0.25, 0.25, method)
    assert_allclose(whole, x, rtol=1e-14)


def test_zero_interval_and_zero_states_return_a_copy():
    x = np.array([3.0])
    same = integrate(forced_decay, 0.0, x, NO_INPUT, np.array([-1.0]), 0.0, 0.1, RK4)
    assert same.tolist() == [3.0]
    assert same is not x
    empty = integrate(forced_decay, 0.0, np.empty(0), NO_INPUT, np.array([-1.0]), 1.0, 0.1, RK4)
    assert empty.shape == (0,)


def test_infinite_max_step_means_one_step():
    # one RK4 step of h on x' = -x gives the 4th-order Taylor polynomial of e^-h: 1 - h + h²/2 - h³/6 + h⁴/24
    h = 0.1
    one_step = integrate(linear_2d, 0.0, np.array([1.0, 0.0]), NO_INPUT, np.array([-1.0, 0.0]), h, math.inf, RK4)
    assert_allclose(one_step, [1 - h + h**2 / 2 - h**3 / 6 + h**4 / 24, 0.0], rtol=1e-15)


@jit
def nan_after_one(t, x, u, p, dx):
    """x' = 1 until x reaches 1, then NaN (a model that breaks down mid-run)."""
    dx[0] = 1.0 if x[0] < 1.0 else math.nan


@pytest.mark.parametrize("method", [RK4, ROS2])
def test_a_derivative_that_turns_nan_gives_a_nan_state_not_an_exception(method):
    # ROS2 solves linear systems, which refuse non-finite matrices: the step returns NaN for the callers to report
    result = integrate(nan_after_one, 0.0, np.array([0.5]), NO_INPUT, np.empty(0), 2.0, 0.1, method)
    assert np.isnan(result).all()


def test_method_names():
    assert method_code("rk4") == RK4
    assert method_code("ROS2") == ROS2
    with pytest.raises(ParameterError, match=r"`integrator` must be one of \['RK4', 'ROS2'\]; got 'Euler'\."):
        method_code("Euler")
