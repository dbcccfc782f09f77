"""Small models with closed-form behaviour for the filter tests (compiled through the project's JIT shim)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

POSITIVE = (0.0, math.inf)
NONZERO = (1e-300, math.inf)


@jit
def _zero_rhs(t, x, u, p, out):
    out[:] = 0.0


@jit
def _twice(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[0]


class RandomWalk(Component):
    """x' = 0 (the noise comes from the filter's Q); two outputs both equal to x."""

    STATES = (State("x", "m", "walking position"),)
    OUTPUTS = (Output("first", "m", "first sensor of x"), Output("second", "m", "second sensor of x"))
    FEEDTHROUGH = {}
    rhs = staticmethod(_zero_rhs)
    output = staticmethod(_twice)


@jit
def _kinematics_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = x[2]
    dx[2] = 0.0


@jit
def _identity_output(t, x, u, p, out):
    out[:] = x


@jit
def _kinematics_jacobian(t, x, u, p, j):
    j[:] = 0.0
    j[1] = 1.0  # d(position')/d(velocity)
    j[5] = 1.0  # d(velocity')/d(acceleration)


@jit
def _identity_jacobian(t, x, u, p, out):
    n = x.shape[0]
    for k in range(n * n):
        out[k] = 1.0 if k % (n + 1) == 0 else 0.0


KINEMATIC_JACOBIANS = {"rhs_jacobian": _kinematics_jacobian, "output_jacobian": _identity_jacobian}


class Kinematics(Component):
    """Position, velocity, acceleration (constant-acceleration model); the outputs are the states."""

    STATES = (
        State("position", "m", "position"),
        State("velocity", "m/s", "velocity"),
        State("acceleration", "m/s^2", "acceleration"),
    )
    OUTPUTS = (
        Output("position", "m", "position"),
        Output("velocity", "m/s", "velocity"),
        Output("acceleration", "m/s^2", "acceleration"),
    )
    FEEDTHROUGH = {}
    rhs = staticmethod(_kinematics_rhs)
    output = staticmethod(_identity_output)


@jit
def _drift_rhs(t, x, u, p, dx):
    dx[:] = 0.0
    dx[0] = x[1]


@jit
def _biased_velocity(t, x, u, p, y):
    y[0] = x[1] + x[2]


class BiasedVelocity(Component):
    """Unobserved position, velocity, and a sensor bias; the reading is velocity + bias."""

    STATES = (
        State("position", "m", "position"),
        State("velocity", "m/s", "velocity"),
        State("bias", "m/s", "velocity sensor bias"),
    )
    OUTPUTS = (Output("reading", "m/s", "velocity reading with bias"),)
    FEEDTHROUGH = {}
    rhs = staticmethod(_drift_rhs)
    output = staticmethod(_biased_velocity)


@jit
def _lag_rhs(t, x, u, p, dx):
    dx[0] = (p[1] * u[0] - x[0]) / p[0]


@jit
def _first_state(t, x, u, p, y):
    y[0] = x[0]


class FirstOrderLag(Component):
    """y' = (gain u - y) / time_constant."""

    STATES = (State("y", "1", "lag output"),)
    INPUTS = (Input("u", "1", "lag input", 0.0),)
    OUTPUTS = (Output("y", "1", "lag output"),)
    PARAMETERS = (
        Parameter("time_constant", "s", "time constant", 0.5, NONZERO),
        Parameter("gain", "1", "static gain", 1.0, POSITIVE),
    )
    FEEDTHROUGH = {}
    rhs = staticmethod(_lag_rhs)
    output = staticmethod(_first_state)


@jit
def _shaft_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = 0.0


@jit
def _angle_reading(t, x, u, p, y):
    y[0] = math.atan2(math.sin(x[0]), math.cos(x[0]))  # an encoder reports the angle wrapped into (-π, π]


class Shaft(Component):
    """Shaft angle (an angle state) and speed; the encoder output is the wrapped angle."""

    STATES = (State("angle", "rad", "shaft angle", angle=True), State("speed", "rad/s", "shaft speed"))
    OUTPUTS = (Output("angle", "rad", "encoder angle", angle=True),)
    FEEDTHROUGH = {}
    rhs = staticmethod(_shaft_rhs)
    output = staticmethod(_angle_reading)


@jit
def _noisy_rhs(t, x, u, p, dx):
    dx[0] = -x[0] + 0.1 * np.random.normal()  # noqa: NPY002 - the unseeded call is the mistake the filters must catch


class NoisyInside(Component):
    """A user's model that draws its process noise inside rhs (what the filters must reject)."""

    STATES = (State("x", "1", "state", 1.0),)
    OUTPUTS = (Output("x", "1", "state"),)
    FEEDTHROUGH = {}
    rhs = staticmethod(_noisy_rhs)
    output = staticmethod(_first_state)


@jit
def _growth_rhs(t, x, u, p, dx):
    dx[0] = p[0] * x[0]


class Damage(Component):
    """Exponential damage growth D' = r D, with D declared non-negative (no abs() in the model)."""

    STATES = (State("damage", "1", "damage", 0.02, nonnegative=True),)
    OUTPUTS = (Output("damage", "1", "damage indicator"),)
    PARAMETERS = (Parameter("growth_rate", "1/s", "growth rate", 0.01, POSITIVE),)
    FEEDTHROUGH = {}
    rhs = staticmethod(_growth_rhs)
    output = staticmethod(_first_state)


@jit
def _motor_rhs(t, x, u, p, dx):
    dx[0] = (u[0] - p[0] * x[0] - p[1] * x[1]) / p[2]
    dx[1] = (p[1] * x[0] - p[3] * x[1] - u[1]) / p[4]


@jit
def _motor_jacobian(t, x, u, p, j):
    j[0] = -p[0] / p[2]
    j[1] = -p[1] / p[2]
    j[2] = p[1] / p[4]
    j[3] = -p[3] / p[4]


@jit
def _motor_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[1]


@jit
def _motor_output_jacobian(t, x, u, p, j):
    j[:] = 0.0
    j[0] = 1.0
    j[3] = 1.0


class SmallMotor(Component):
    """Two-state DC motor (current, speed) without the thermal node."""

    STATES = (State("current", "A", "armature current"), State("shaft_speed", "rad/s", "rotor speed"))
    INPUTS = (Input("voltage", "V", "terminal voltage", 0.0), Input("load_torque", "N*m", "load torque", 0.0))
    OUTPUTS = (Output("current", "A", "armature current"), Output("shaft_speed", "rad/s", "rotor speed"))
    PARAMETERS = (
        Parameter("resistance", "ohm", "winding resistance", 1.0, POSITIVE),
        Parameter("torque_constant", "N*m/A", "torque constant", 0.1, POSITIVE),
        Parameter("inductance", "H", "armature inductance", 2.0e-3, NONZERO),
        Parameter("viscous_friction", "N*m*s/rad", "viscous friction", 1.0e-4, POSITIVE),
        Parameter("rotor_inertia", "kg*m^2", "rotor inertia", 1.0e-3, NONZERO),
    )
    FEEDTHROUGH = {}
    rhs = staticmethod(_motor_rhs)
    output = staticmethod(_motor_output)


MOTOR_JACOBIANS = {"rhs_jacobian": _motor_jacobian, "output_jacobian": _motor_output_jacobian}


def simulate_motor(model, times, inputs, parameters, x0=(0.0, 0.0)):
    """Reference trajectory with the filters' convention (input held from one sample to the next), RK4 per interval."""
    x = np.array(x0, float)
    trajectory = [x.copy()]
    for k in range(1, times.size):
        h = times[k] - times[k - 1]
        u = inputs[k - 1]
        k1 = model.derivative(0.0, x, u, parameters)
        k2 = model.derivative(0.0, x + 0.5 * h * k1, u, parameters)
        k3 = model.derivative(0.0, x + 0.5 * h * k2, u, parameters)
        k4 = model.derivative(0.0, x + h * k3, u, parameters)
        x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        trajectory.append(x.copy())
    return np.array(trajectory)


@pytest.fixture(scope="session")
def motor_data():
    """2 s of the small motor at 1 ms under a square-wave voltage, measured with noise (seeded)."""
    model = SmallMotor().model()
    rng = np.random.default_rng(7)
    times = np.arange(2000) * 1e-3
    inputs = np.column_stack([12.0 * np.sign(np.sin(2 * np.pi * 5.0 * times) + 1e-9), np.zeros(times.size)])
    truth = model.parameter_vector({"resistance": 1.2, "viscous_friction": 1.5e-4})
    states = simulate_motor(model, times, inputs, truth)
    measurements = states + rng.normal(size=states.shape) * [0.05, 0.5]
    return model, times, inputs, measurements, states
