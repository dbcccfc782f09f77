"""Filter consistency over seeded Monte Carlo runs: NEES and NIS averaged over runs stay inside their chi-square bounds.

Each run draws the initial state (and the unknown parameter) from the filter's prior and simulates the very
stochastic model the filter assumes: the state is integrated over each sample interval and receives process noise
with covariance diag(q) dt, the readings receive measurement noise with covariance R. For a consistent filter the
normalised estimation error squared (NEES, dimension n) and the normalised innovation squared (NIS, dimension m)
are chi-square; the average over N independent runs at one step is chi-square(N n) / N (Bar-Shalom, Li &
Kirubarajan 2001, §5.4, doi:10.1002/0471221279). The two-sided 95 % band is therefore
[chi2.ppf(0.025, N n) / N, chi2.ppf(0.975, N n) / N]; about 95 % of the steps fall inside it. The averages at
neighbouring steps share the runs, so the number of steps outside is more dispersed than binomial: the tests ask for
at least 85 % inside and for the grand mean to lie within 10 % of its expectation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Output, Parameter, State
from physics_twin.core.integrators import integrate
from physics_twin.estimation import EstimatedParameter, chi_square_band, create_filter, nees

RUNS = 100
STEPS = 150


@jit
def _chain_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = x[2]
    dx[2] = -p[0] * x[2]


@jit
def _position(t, x, u, p, y):
    y[0] = x[0]


class Chain(Component):
    """Position, velocity and a decaying acceleration (a linear model)."""

    STATES = (
        State("position", "m", "position"),
        State("velocity", "m/s", "velocity"),
        State("acceleration", "m/s^2", "acceleration"),
    )
    OUTPUTS = (Output("position", "m", "position"),)
    PARAMETERS = (Parameter("decay", "1/s", "acceleration decay rate", 0.5, (0.0, math.inf)),)
    FEEDTHROUGH: dict = {}
    rhs = staticmethod(_chain_rhs)
    output = staticmethod(_position)


@jit
def _pendulum_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -p[0] * math.sin(x[0]) - p[1] * x[1]


@jit
def _pendulum_output(t, x, u, p, y):
    y[0] = math.sin(x[0])  # a tangential accelerometer-like reading: nonlinear in the angle


class Pendulum(Component):
    """θ'' = -(g/l) sin θ - c θ', read through sin θ; the damping c is unknown."""

    STATES = (State("angle", "rad", "pendulum angle", 0.8), State("speed", "rad/s", "angular speed"))
    OUTPUTS = (Output("sine", "1", "sine of the angle"),)
    PARAMETERS = (
        Parameter("stiffness", "1/s^2", "g / l", 9.81, (0.0, math.inf)),
        Parameter("damping", "1/s", "damping", 0.3, (0.0, math.inf)),
    )
    FEEDTHROUGH: dict = {}
    rhs = staticmethod(_pendulum_rhs)
    output = staticmethod(_pendulum_output)


def monte_carlo(flt, dt, rng):
    """NEES (transformed space) and NIS of ``RUNS`` runs of the model the filter assumes."""
    model = flt.model
    n_states = len(model.states)
    prior = flt.initial_state(0.0)
    factor = np.linalg.cholesky(prior.covariance)
    q_std = np.sqrt(flt._q_rate[:n_states] * dt)
    r_std = np.sqrt(flt._r_diag)
    times = dt * np.arange(1, STEPS + 1)
    all_nees, all_nis = np.empty((RUNS, STEPS)), np.empty((RUNS, STEPS))
    for run in range(RUNS):
        truth_z = prior.mean + factor @ rng.standard_normal(prior.mean.size)
        physical = flt.physical(truth_z)
        x = physical[:n_states].copy()
        p = flt.parameter_values.copy()
        p[flt._parameter_index] = physical[n_states:]
        truth, readings = [], []
        for _ in range(STEPS):
            x = integrate(model.rhs, 0.0, x, np.zeros(0), p, dt, flt.max_step, 0) + q_std * rng.standard_normal(n_states)
            truth.append(np.concatenate([x, truth_z[n_states:]]))
            readings.append(
                model.output_values(0.0, x, np.zeros(0), p)[flt._output_index] + r_std * rng.standard_normal(r_std.size)
            )
        result, _ = flt.run(times, None, np.array(readings), state=prior)
        error = result["mean_transformed"].values - np.array(truth)
        all_nees[run] = nees(error, result["covariance"].values)
        all_nis[run] = result["nis"].values
    return all_nees.mean(axis=0), all_nis.mean(axis=0)


def check(average, dimension):
    lower, upper = chi_square_band(dimension, RUNS)
    inside = np.mean((average >= lower) & (average <= upper))
    assert inside >= 0.85, f"{100 * inside:.0f} % of the steps inside [{lower:.3f}, {upper:.3f}] (expected about 95 %)"
    assert np.mean(average) == pytest.approx(dimension, rel=0.1)


@pytest.mark.parametrize("kind", ["sr-ukf", "ukf", "ekf"])
def test_linear_chain_with_unknown_decay_is_consistent(kind, rng):
    # the decay rate is estimated (log space), which makes the augmented model mildly nonlinear
    model = Chain().model()
    flt = create_filter(
        kind,
        model,
        measured={"position": 0.05},
        initial_std={"position": 0.1, "velocity": 0.1, "acceleration": 0.2},
        process_noise={"velocity": 0.02, "acceleration": 0.1},
        estimate=[EstimatedParameter("decay", 0.05)],
        max_step=0.05,
        condition_warning=None,
    )
    average_nees, average_nis = monte_carlo(flt, 0.1, rng)
    check(average_nees, 4)
    check(average_nis, 1)


@pytest.mark.parametrize("kind", ["sr-ukf", "ukf", "ekf"])
def test_nonlinear_pendulum_with_unknown_damping_is_consistent(kind, rng):
    model = Pendulum().model()
    flt = create_filter(
        kind,
        model,
        measured={"sine": 0.02},
        initial_std={"angle": 0.05, "speed": 0.1},
        process_noise={"speed": 0.05},
        estimate=[EstimatedParameter("damping", 0.03)],
        max_step=0.01,
        condition_warning=None,
    )
    average_nees, average_nis = monte_carlo(flt, 0.05, rng)
    check(average_nees, 3)
    check(average_nis, 1)
