"""Filter invariants over Hypothesis-generated data: the covariance stays symmetric positive semi-definite, the
square-root UKF equals the classic UKF, and the numerical building blocks keep their defining identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Output, Parameter, State
from physics_twin.core.integrators import integrate
from physics_twin.estimation import EstimatedParameter, create_filter
from physics_twin.estimation._compiled import cholupdate, tria, wrap_angle


@jit
def _pendulum_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -p[0] * math.sin(x[0]) - p[1] * x[1]


@jit
def _pendulum_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[1]


class Pendulum(Component):
    """θ'' = -(g/l) sin θ - c θ'."""

    STATES = (State("angle", "rad", "pendulum angle", 0.5), State("speed", "rad/s", "angular speed"))
    OUTPUTS = (Output("angle", "rad", "measured angle"), Output("speed", "rad/s", "measured speed"))
    PARAMETERS = (
        Parameter("stiffness", "1/s^2", "g / l", 9.81, (0.0, math.inf)),
        Parameter("damping", "1/s", "damping", 0.3, (0.0, math.inf)),
    )
    FEEDTHROUGH: dict = {}
    rhs = staticmethod(_pendulum_rhs)
    output = staticmethod(_pendulum_output)


MODEL = Pendulum().model()
OPTIONS = dict(
    measured={"angle": 0.02, "speed": 0.1},
    initial_std={"angle": 0.1, "speed": 0.3},
    process_noise={"angle": 0.01, "speed": 0.1},
    estimate=[EstimatedParameter("damping", 0.1, 0.01)],
    max_step=0.02,
    condition_warning=None,
)

samples = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.01, 0.05, 0.3, 2.0]),  # interval before the sample [s], including repeats and short gaps
        st.floats(-3.0, 3.0),  # angle noise in standard deviations
        st.floats(-3.0, 3.0),  # speed noise in standard deviations
        st.sampled_from(["both", "angle", "speed", "none"]),
    ),
    min_size=1,
    max_size=40,
)
TRUE_PARAMETERS = MODEL.parameter_vector({"damping": 0.25})


def arrays(rows):
    """Sample times and readings of the true pendulum (compiled RK4 at 10 ms) with the drawn noise and gaps."""
    times = np.cumsum([r[0] for r in rows])
    x = np.array([0.5, 0.0])
    measurements = np.empty((len(rows), 2))
    for k, row in enumerate(rows):
        x = integrate(MODEL.rhs, 0.0, x, np.zeros(0), TRUE_PARAMETERS, row[0], 0.01, 0)
        measurements[k] = x + np.array([row[1], row[2]]) * [0.02, 0.1]
        if row[3] in ("speed", "none"):
            measurements[k, 0] = np.nan
        if row[3] in ("angle", "none"):
            measurements[k, 1] = np.nan
    return times, measurements


@pytest.mark.parametrize("kind", ["sr-ukf", "ukf", "ekf"])
@given(rows=samples)
def test_covariance_stays_symmetric_positive_semidefinite(kind, rows):
    times, measurements = arrays(rows)
    result, _ = create_filter(kind, MODEL, **OPTIONS).run(times, None, measurements)
    p = result["covariance"].values
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, np.swapaxes(p, 1, 2), rtol=0, atol=1e-14 * np.max(np.abs(p)))
    scale = np.max(np.abs(p), axis=(1, 2))
    assert np.all(np.linalg.eigvalsh(p)[:, 0] >= -1e-12 * scale)


@given(rows=samples)
def test_square_root_ukf_equals_the_classic_ukf(rows):
    times, measurements = arrays(rows)
    classic, _ = create_filter("ukf", MODEL, **OPTIONS).run(times, None, measurements)
    square_root, _ = create_filter("sr-ukf", MODEL, **OPTIONS).run(times, None, measurements)
    np.testing.assert_allclose(square_root["mean_transformed"].values, classic["mean_transformed"].values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(square_root["covariance"].values, classic["covariance"].values, rtol=1e-8, atol=1e-14)


matrices = st.integers(1, 5).flatmap(
    lambda d: st.tuples(st.just(d), st.integers(d, 3 * d), st.integers(0, 2**32 - 1), st.sampled_from([1e-6, 1.0, 1e6]))
)


@given(case=matrices)
def test_triangularisation_keeps_the_product(case):
    d, columns, seed, scale = case
    a = np.random.default_rng(seed).normal(size=(d, columns)) * scale
    out = np.empty((d, d))
    tria(np.ascontiguousarray(a), columns, np.empty((columns, d)), out)
    assert np.allclose(np.triu(out, 1), 0.0)
    assert np.all(np.diag(out) >= 0)
    np.testing.assert_allclose(out @ out.T, a @ a.T, rtol=1e-12, atol=1e-12 * scale**2 * columns)


@given(case=matrices, sign=st.sampled_from([1.0, -1.0]))
def test_rank_one_update_and_downdate(case, sign):
    d, columns, seed, scale = case
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, columns + d)) * scale
    matrix = a @ a.T
    factor = np.linalg.cholesky(matrix)
    vector = rng.normal(size=d) * scale * (0.3 if sign < 0 else 1.0)
    target = matrix + sign * np.outer(vector, vector)
    updated = factor.copy()
    ok = cholupdate(updated, vector.copy(), sign)
    if np.linalg.eigvalsh(target)[0] > 1e-8 * np.max(np.abs(matrix)):
        assert ok
    if ok:
        np.testing.assert_allclose(updated @ updated.T, target, rtol=1e-9, atol=1e-9 * np.max(np.abs(matrix)))


@given(angle=st.floats(-1e6, 1e6))
def test_wrapped_angles_lie_in_the_half_open_interval_and_keep_their_direction(angle):
    wrapped = wrap_angle(angle)
    assert -math.pi < wrapped <= math.pi
    turns = (angle - wrapped) / (2 * math.pi)
    assert abs(turns - round(turns)) < 1e-9 * max(1.0, abs(angle))
