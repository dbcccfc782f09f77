"""The generic Python path: the unscented filter over models whose kernels are not compiled.

A :class:`~physics_twin.core.model.Model` whose ``rhs`` or ``output`` is a plain Python callable
(a wrapped simulator, a prototype not yet written for numba) cannot enter the compiled loop. For
such models :meth:`KalmanFilter.run <physics_twin.estimation.KalmanFilter.run>` comes here: filterpy's
``UnscentedKalmanFilter`` does the algebra (Merwe sigma points with the same ``alpha``, ``beta``,
``kappa``), this module supplies the process model (the same transforms, held inputs and fixed-step
integration as the compiled loop, run in Python), the data handling (NaN channels drop out, sensors
update in turn with sigma points redrawn in between, chi-square gating with patience) and the same
result layout. It is slow — every sigma point is a Python call — and exists for correctness, not
speed. FMU co-simulations have their own filter over get/set FMU state
(:class:`physics_twin.fmu.FMUFilter`).

Kept behind this module so that filterpy (unmaintained) can be swapped out in one place.

Not available on this path: the EKF, automatic excitation freezing and ``freeze_parameters``
(filterpy has no way to hold a gain row); they raise :class:`~physics_twin.errors.EstimationError`.
The square-root option runs the classic UKF here (equal in exact arithmetic).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physics_twin.core._jit import python_function
from physics_twin.core.integrators import rk4_step, ros2_step, substeps
from physics_twin.core.model import evaluate_kernel
from physics_twin.errors import EstimationError
from physics_twin.estimation import _kernels as kernels
from physics_twin.estimation._compiled import allocate_results

__all__ = ["run_generic"]

# the plain-Python integrator steps: their compiled versions cannot take a Python kernel
_rk4_step, _ros2_step, _substeps = python_function(rk4_step), python_function(ros2_step), python_function(substeps)


def _wrap(angle: np.ndarray | float) -> np.ndarray | float:
    """Angles into (-π, π] (unchanged inside)."""
    a = np.asarray(angle, dtype=float)
    wrapped = np.pi - np.mod(np.pi - a, 2.0 * np.pi)
    return np.where((a > -np.pi) & (a <= np.pi), a, wrapped)


def _circular(flags: np.ndarray):
    """filterpy mean and residual functions that treat the flagged coordinates as angles."""
    flags = np.asarray(flags, dtype=bool)

    def mean(sigmas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        result = weights @ sigmas
        if flags.any():
            ref = sigmas[0, flags]
            result[flags] = _wrap(ref + weights @ _wrap(sigmas[:, flags] - ref))
        return result

    def residual(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = np.subtract(a, b)
        if flags.any():
            d = np.array(d, dtype=float)
            d[flags] = _wrap(d[flags])
        return d

    return mean, residual


def run_generic(flt: Any, times, inputs, measurements, state, gate, freeze) -> tuple:
    """Run ``flt`` (a :class:`~physics_twin.estimation.KalmanFilter`) on filterpy; same return layout as the compiled loop."""
    from filterpy.kalman import MerweScaledSigmaPoints
    from filterpy.kalman import UnscentedKalmanFilter as FilterpyUKF

    if flt.kind in ("ekf", "dual-ukf"):
        raise EstimationError(
            f"the {flt._label} needs compiled model kernels; over plain-Python kernels use the joint UKF (kind "
            "'ukf' or 'sr-ukf')."
        )
    if flt.excitation_threshold is not None or np.any(freeze):
        raise EstimationError(
            "freezing parameter updates (`excitation_threshold`, `freeze_parameters`) needs compiled model kernels; "
            "the generic path over plain-Python kernels cannot hold a gain row."
        )
    model = flt.model
    rhs, output = model.rhs, model.output
    n_states = len(model.states)
    names = flt.names
    nz = len(names)
    transforms, lower, upper = flt._transforms, flt._lower, flt._upper
    p_base, parameter_index = flt.parameter_values, flt._parameter_index
    to_physical = python_function(kernels.to_physical)
    to_transformed = python_function(kernels.to_transformed)

    def decode(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.array([to_physical(z[i], transforms[i], lower[i], upper[i]) for i in range(n_states)])
        p = p_base.copy()
        for j, index in enumerate(parameter_index):
            k = n_states + j
            p[index] = to_physical(z[k], transforms[k], lower[k], upper[k])
        return x, p

    def fx(z: np.ndarray, dt: float, t: float, u: np.ndarray) -> np.ndarray:
        x, p = decode(z)
        steps = _substeps(dt, flt.max_step)
        h = dt / steps
        work = np.empty((5 + n_states, n_states))
        for s in range(steps):
            if flt.integrator == 1:
                _ros2_step(rhs, t + s * h, x, u, p, h, work[0], work[1], work[2], work[5:])
            else:
                _rk4_step(rhs, t + s * h, x, u, p, h, work[0], work[1], work[2], work[3], work[4])
        result = np.array(z, dtype=float)
        for i in range(n_states):
            result[i] = to_transformed(x[i], transforms[i], lower[i], upper[i])
        return result

    def hx(z: np.ndarray, t: float, u: np.ndarray, channels: np.ndarray) -> np.ndarray:
        x, p = decode(z)
        return evaluate_kernel(output, len(model.outputs), t, x, u, p)[flt._output_index[channels]]

    points = MerweScaledSigmaPoints(nz, flt.alpha, flt.beta, flt.kappa)
    x_mean, x_residual = _circular(flt._angles)
    ukf = FilterpyUKF(nz, 1, 1.0, hx, fx, points, x_mean_fn=x_mean, residual_x=x_residual)
    ukf.x = np.array(state.mean, dtype=float)
    ukf.P = 0.5 * (state.covariance + state.covariance.T)
    ukf.sigmas_f = points.sigma_points(ukf.x, ukf.P)

    n, m = times.size, len(flt.measured)
    groups = [flt._group_channels[flt._group_start[g] : flt._group_start[g + 1]] for g in range(len(flt._group_start) - 1)]
    n_groups = len(groups)
    (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen) = allocate_results(
        n, nz, m, n_groups, nz - n_states
    )
    consecutive = np.zeros(n_groups, dtype=int)
    t_last = state.time
    u_last = np.array(state.last_input if state.last_input.size == inputs.shape[1] else inputs[0], dtype=float)
    try:
        for k in range(n):
            dt = times[k] - t_last
            if dt > 0:
                ukf.Q = np.diag(flt._q_rate * dt)
                ukf.predict(dt=dt, t=t_last, u=u_last)
            u = inputs[k]
            for g, channels in enumerate(groups):
                y_mean, y_residual = _circular(flt._output_angles[channels])
                sigmas_h = np.array([hx(s, times[k], u, channels) for s in ukf.sigmas_f])
                predicted = y_mean(sigmas_h, ukf.Wm)
                deviation = y_residual(sigmas_h, predicted[None, :])
                r_now = flt._r_diag[channels] + flt._r_relative[channels] * predicted**2
                y_pred[k, channels] = predicted
                innovation_var[k, channels] = np.einsum("i,ic,ic->c", ukf.Wc, deviation, deviation) + r_now
                available = ~np.isnan(measurements[k, channels])
                if not available.any():
                    continue
                used = channels[available]
                x_before, p_before = ukf.x.copy(), ukf.P.copy()
                ukf.z_mean, ukf.residual_z = _circular(flt._output_angles[used])
                ukf.update(measurements[k, used], R=np.diag(r_now[available]), hx=hx, t=times[k], u=u, channels=used)
                value = float(ukf.y @ np.linalg.solve(ukf.S, ukf.y))
                innovation[k, used] = ukf.y
                nis[k, g], dof[k, g] = value, used.size
                if value > gate[used.size] and consecutive[g] < flt.gate_patience:
                    ukf.x, ukf.P = x_before, p_before
                    gated[k, g] = 1
                    consecutive[g] += 1
                else:
                    consecutive[g] = 0
                    ukf.x = x_residual(ukf.x, np.zeros(nz))  # wrap the posterior angles
                ukf.sigmas_f = points.sigma_points(ukf.x, ukf.P)
            if not np.all(np.isfinite(ukf.x)):
                return (
                    z_post,
                    p_post,
                    y_pred,
                    innovation,
                    innovation_var,
                    nis,
                    dof,
                    gated,
                    excitation,
                    frozen,
                    kernels.NOT_FINITE,
                    k,
                )
            z_post[k], p_post[k] = ukf.x, ukf.P
            t_last, u_last = times[k], u.copy()
    except np.linalg.LinAlgError:
        return (
            z_post,
            p_post,
            y_pred,
            innovation,
            innovation_var,
            nis,
            dof,
            gated,
            excitation,
            frozen,
            kernels.NOT_POSITIVE_DEFINITE,
            k,
        )
    return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, kernels.OK, -1
