"""The simulation hard cases of issue 3, each against an independently computed answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physics_twin.core._jit import jit
from physics_twin.core.component import Component, no_derivatives
from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.core.simulate import Event


@jit
def _fall_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -p[0] + p[1] * x[1] * x[1]


@jit
def _fall_out(t, x, u, p, out):
    out[:] = x


class FallingBody(Component):
    STATES = (State("height", "m", "height above ground", 1000.0), State("velocity", "m/s", "vertical velocity", 0.0))
    OUTPUTS = (Output("height", "m", "height"), Output("velocity", "m/s", "velocity"))
    PARAMETERS = (
        Parameter("gravity", "m/s^2", "g", 10.0, (0.0, math.inf), "test"),
        Parameter("drag", "1/m", "k", 0.01, (0.0, math.inf), "test"),
    )
    FEEDTHROUGH = {}
    rhs = staticmethod(_fall_rhs)
    output = staticmethod(_fall_out)


def test_falling_body_stops_at_the_ground_event():
    # v = -sqrt(g/k) tanh(sqrt(g k) t), y = y0 - ln(cosh(sqrt(g k) t))/k, so y = 0 at t = arccosh(exp(k y0))/sqrt(g k)
    g, k, y0 = 10.0, 0.01, 1000.0
    t_ground = math.acosh(math.exp(k * y0)) / math.sqrt(g * k)
    ground = Event("ground", lambda t, x, u, p: x[0], terminal=True)
    result = FallingBody("body").simulate(np.linspace(0.0, 40.0, 100), events=[ground], method="RK45", rtol=1e-10, atol=1e-10)
    assert result["event_time"].values == pytest.approx([t_ground], abs=1e-6)
    assert t_ground == pytest.approx(33.8147, abs=1e-4)
    assert result["time"].values[-1] == pytest.approx(t_ground, abs=1e-6)
    assert result["time"].values[-2] < t_ground  # the grid beyond the event is not reported
    assert result["velocity"].values[-1] == pytest.approx(-math.sqrt(g / k) * math.tanh(math.sqrt(g * k) * t_ground), rel=1e-7)
    assert result["velocity"].values[-1] == pytest.approx(-31.62, abs=0.01)
    assert result.attrs["terminated_by_event"] == 1


@jit
def _cubic_rhs(t, x, u, p, dx):
    dx[0] = 3.0 * t * t + 12.0 * t - 4.0


@jit
def _cubic_out(t, x, u, p, out):
    out[:] = x


class Cubic(Component):
    STATES = (State("y", "1", "y(x) = (x + 6)(x^2 - 4)", -384.0),)
    OUTPUTS = (Output("y", "1", "y"),)
    FEEDTHROUGH = {}
    rhs = staticmethod(_cubic_rhs)
    output = staticmethod(_cubic_out)


def test_every_root_is_found_even_when_a_step_spans_several():
    # y' = 3x^2 + 12x - 4 from y(-10) = -384 gives y = x^3 + 6x^2 - 4x - 24 = (x + 6)(x - 2)(x + 2)
    crossing = Event("zero", lambda t, x, u, p: x[0])
    result = Cubic("cubic").simulate(np.array([-10.0, 10.0]), events=[crossing], method="RK45")
    np.testing.assert_allclose(result["event_time"].values, [-6.0, -2.0, 2.0], atol=1e-8)
    # the premise: scipy's own step-end check misses roots here (its steps span more than one root)
    plain = solve_ivp(lambda t, y: [3 * t * t + 12 * t - 4], (-10.0, 10.0), [-384.0], method="RK45", events=lambda t, y: y[0])
    assert len(plain.t_events[0]) < 3


@jit
def _clock_rhs(t, x, u, p, out):
    out[0] = 0.0


@jit
def _clock_out(t, x, u, p, y):
    y[0] = t - 1.0
    y[1] = 1.0 if t - 1.0 > 0.0 else 0.0


class Switch(Component):
    STATES = (State("dummy", "1", "no dynamics", 0.0),)
    OUTPUTS = (Output("indicator", "s", "z = t - 1"), Output("switched", "1", "1 once z > 0"))
    FEEDTHROUGH = {}
    rhs = staticmethod(_clock_rhs)
    output = staticmethod(_clock_out)


def test_an_indicator_reaching_exactly_zero_switches_once():
    times = np.linspace(0.0, 2.0, 21)  # contains t = 1.0 exactly
    event = Event("z", lambda t, x, u, p: t - 1.0)
    result = Switch("switch").simulate(times, events=[event], method="RK45")
    assert result["event_time"].values.tolist() == [1.0]
    switched = result["switched"].values
    np.testing.assert_array_equal(switched[times <= 1.0], 0.0)
    np.testing.assert_array_equal(switched[times > 1.0], 1.0)


@jit
def _spring_out(t, x, u, p, y):
    y[0] = u[0]
    y[1] = p[0] * max(0.0, u[0])
    y[2] = abs(u[0])


class Spring(Component):
    INPUTS = (Input("excitation", "1", "sine excitation"),)
    OUTPUTS = (
        Output("excitation", "1", "input"),
        Output("force", "N", "one-sided spring force"),
        Output("magnitude", "1", "|input|"),
    )
    PARAMETERS = (Parameter("stiffness", "N", "force per unit excitation", 100.0, (0.0, math.inf), "test"),)
    rhs = staticmethod(no_derivatives)
    output = staticmethod(_spring_out)


def test_a_model_without_states_samples_its_outputs():
    times = np.linspace(0.0, 1.0, 101)
    result = Spring("spring").simulate(times, inputs=lambda t: np.array([math.sin(2 * math.pi * t)]))
    assert result.sizes["time"] == 101 and result.sizes["state"] == 0
    np.testing.assert_allclose(result["force"].values, 100 * np.maximum(0.0, np.sin(2 * np.pi * times)), atol=1e-12)
