"""The compiled filters against filterpy (the reference implementation) on a nonlinear joint estimation.

The small DC motor at 1 ms with resistance and viscous friction estimated in log space: filterpy's
UnscentedKalmanFilter with the same Merwe sigma points and weights, the same process function (RK4
over the transformed augmented vector, input held) and the same noise must give the same estimates to
1e-9; the EKF is compared with filterpy's ExtendedKalmanFilter fed with complex-step Jacobians
(exact to rounding), to the accuracy of the central differences the EKF uses for the parameters.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from filterpy.kalman import ExtendedKalmanFilter, MerweScaledSigmaPoints
from filterpy.kalman import UnscentedKalmanFilter as FilterpyUKF

from physics_twin.core._jit import JIT_ENABLED, python_function
from physics_twin.errors import EstimationError
from physics_twin.estimation import EstimatedParameter, create_filter

from .conftest import MOTOR_JACOBIANS

N = 400
OPTIONS = dict(
    measured={"current": 0.05, "shaft_speed": 0.5},
    estimate=[EstimatedParameter("resistance", 0.3, 0.01), EstimatedParameter("viscous_friction", 1e-4, 1e-6)],
    initial_std={"current": 0.1, "shaft_speed": 1.0},
    process_noise={"current": 0.1, "shaft_speed": 1.0},
    max_step=1e-3,
)


def data(motor_data):
    model, times, inputs, measurements, _ = motor_data
    measurements = measurements[:N].copy()
    measurements[5, 0] = np.nan
    measurements[7, :] = np.nan
    measurements[50:60, 1] = np.nan
    return model, times[:N], inputs[:N], measurements


def augmented_map(model, flt):
    """The process function in the filter's transformed space: log-carried parameters, one RK4 step of dt."""
    base = flt.parameter_values.copy()

    def fx(z, dt, u):
        p = base.copy()
        p[0], p[3] = math.exp(z[2]), math.exp(z[3])
        x = np.array(z[:2], dtype=float)
        k1 = model.derivative(0.0, x, u, p)
        k2 = model.derivative(0.0, x + 0.5 * dt * k1, u, p)
        k3 = model.derivative(0.0, x + 0.5 * dt * k2, u, p)
        k4 = model.derivative(0.0, x + dt * k3, u, p)
        out = np.array(z, dtype=float)
        out[:2] = x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        return out

    return fx


def filterpy_ukf(model, flt, times, inputs, measurements, alpha=1.0, beta=2.0, kappa=0.0):
    points = MerweScaledSigmaPoints(4, alpha, beta, kappa)
    ukf = FilterpyUKF(4, 2, 1e-3, lambda z, idx: z[:2][idx], augmented_map(model, flt), points)
    prior = flt.initial_state(times[0], inputs[0])
    ukf.x, ukf.P = prior.mean.copy(), prior.covariance.copy()
    r = np.diag(flt._r_diag)
    means = []
    for k in range(times.size):
        if k:
            dt = times[k] - times[k - 1]
            ukf.Q = np.diag(flt._q_rate * dt)
            ukf.predict(dt=dt, u=inputs[k - 1])
        else:
            ukf.sigmas_f = points.sigma_points(ukf.x, ukf.P)  # no prediction before the first sample
        idx = np.flatnonzero(~np.isnan(measurements[k]))
        if idx.size:
            ukf.update(measurements[k, idx], R=r[np.ix_(idx, idx)], idx=idx)
        means.append(ukf.x.copy())
    return np.array(means), ukf.P


@pytest.mark.parametrize("kind", ["sr-ukf", "ukf"])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_unscented_filters_equal_filterpy(motor_data, kind, alpha):
    # alpha = 0.5 makes the centre covariance weight negative (λ = 0.25 × 4 - 4 = -3, Wc0 = -3 + 1 - 0.25 + 2 = -0.25):
    # the square-root filter then downdates its factor.
    model, times, inputs, measurements = data(motor_data)
    flt = create_filter(kind, model, alpha=alpha, **OPTIONS)
    result, final = flt.run(times, inputs, measurements)
    expected, covariance = filterpy_ukf(model, flt, times, inputs, measurements, alpha=alpha)
    np.testing.assert_allclose(result["mean_transformed"].values, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(final.covariance, covariance, rtol=1e-9, atol=1e-15)
    assert result.attrs["filter"] == kind.upper()


def test_generic_python_path_equals_the_compiled_filter(motor_data):
    # A model whose kernels are plain Python (not compilable) takes the generic filterpy path: same estimates.
    model, times, inputs, measurements = data(motor_data)
    python_model = dataclasses.replace(model, rhs=python_function(model.rhs), output=python_function(model.output))
    compiled = create_filter("ukf", model, gate_probability=0.999, **OPTIONS)
    generic = create_filter("ukf", python_model, gate_probability=0.999, **OPTIONS)
    assert generic._generic == JIT_ENABLED
    measurements = measurements.copy()
    measurements[100, 0] += 5.0  # an outlier both must gate
    first, _ = compiled.run(times[:200], inputs[:200], measurements[:200])
    second, _ = generic.run(times[:200], inputs[:200], measurements[:200])
    np.testing.assert_allclose(second["mean_transformed"].values, first["mean_transformed"].values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(second["nis"].values, first["nis"].values, rtol=1e-7, atol=1e-9)
    assert first["gated"].values[100] == 1 and second["gated"].values[100] == 1
    assert first.attrs["samples_gated"] == second.attrs["samples_gated"]


@pytest.mark.skipif(not JIT_ENABLED, reason="the generic path exists only when kernels are compiled")
def test_generic_path_refuses_what_it_cannot_do(motor_data):
    model, times, inputs, measurements = data(motor_data)
    python_model = dataclasses.replace(model, rhs=python_function(model.rhs), output=python_function(model.output))
    with pytest.raises(EstimationError, match=r"the EKF needs compiled model kernels"):
        create_filter("ekf", python_model, **OPTIONS).run(times[:5], inputs[:5], measurements[:5])
    with pytest.raises(EstimationError, match=r"freezing parameter updates .* needs compiled model kernels"):
        create_filter("ukf", python_model, **OPTIONS).run(
            times[:5], inputs[:5], measurements[:5], freeze_parameters=np.ones(5, bool)
        )


def complex_step_map(flt, dt, u):
    """The same transformed RK4 map written for complex arguments (equations of the small motor, conftest)."""
    base = flt.parameter_values

    def f(x, resistance, friction):
        return np.array(
            [(u[0] - resistance * x[0] - base[1] * x[1]) / base[2], (base[1] * x[0] - friction * x[1] - u[1]) / base[4]]
        )

    def fx(z):
        resistance, friction = np.exp(z[2]), np.exp(z[3])
        x = z[:2]
        k1 = f(x, resistance, friction)
        k2 = f(x + 0.5 * dt * k1, resistance, friction)
        k3 = f(x + 0.5 * dt * k2, resistance, friction)
        k4 = f(x + dt * k3, resistance, friction)
        return np.concatenate([x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4), z[2:]])

    return fx


def complex_step_jacobian(function, z, h=1e-30):
    """∂f/∂z to rounding: Im f(z + i h e_j) / h (Squire & Trapp 1998, doi:10.1137/S003614459631241X)."""
    columns = []
    for j in range(z.size):
        step = z.astype(complex)
        step[j] += 1j * h
        columns.append(function(step).imag / h)
    return np.array(columns).T


@pytest.mark.parametrize("analytic", [True, False])
def test_ekf_equals_filterpy_with_exact_jacobians(motor_data, analytic):
    model, times, inputs, measurements = data(motor_data)
    jacobians = MOTOR_JACOBIANS if analytic else {}
    flt = create_filter("ekf", model, **OPTIONS, **jacobians)
    result, _ = flt.run(times, inputs, measurements)
    ekf = ExtendedKalmanFilter(4, 2)
    prior = flt.initial_state(times[0], inputs[0])
    ekf.x, ekf.P = prior.mean.copy(), prior.covariance.copy()
    r = np.diag(flt._r_diag)
    h = np.eye(4)[:2]
    expected = []
    for k in range(times.size):
        if k:
            dt = times[k] - times[k - 1]
            fx = complex_step_map(flt, dt, inputs[k - 1])
            jacobian = complex_step_jacobian(fx, ekf.x)
            ekf.x = fx(ekf.x.astype(complex)).real
            ekf.P = jacobian @ ekf.P @ jacobian.T + np.diag(flt._q_rate * dt)
        idx = np.flatnonzero(~np.isnan(measurements[k]))
        if idx.size:
            ekf.update(measurements[k, idx], lambda x, idx=idx: h[idx], lambda x, idx=idx: x[:2][idx], R=r[np.ix_(idx, idx)])
        expected.append(ekf.x.copy())
    # the parameter columns come from central differences (step ε^(1/3) relative: error ~1e-10 relative per step)
    np.testing.assert_allclose(result["mean_transformed"].values, np.array(expected), rtol=0, atol=1e-7)


def test_analytic_and_finite_difference_ekf_agree(motor_data):
    model, times, inputs, measurements = data(motor_data)
    analytic, _ = create_filter("ekf", model, **OPTIONS, **MOTOR_JACOBIANS).run(times, inputs, measurements)
    numeric, _ = create_filter("ekf", model, **OPTIONS).run(times, inputs, measurements)
    np.testing.assert_allclose(analytic["mean_transformed"].values, numeric["mean_transformed"].values, rtol=0, atol=1e-7)
