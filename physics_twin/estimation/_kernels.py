"""Compiled building blocks of the filters: transforms, Cholesky with a status flag, the UKF loop.

Everything here works on float64 arrays and integer codes so that the whole filter loop runs in
nopython mode. The augmented vector ``z`` holds the model states followed by the estimated
parameters, each in its own transformed space (identity, log, or logit between bounds).
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import KERNEL, jit, types
from physics_twin.core.integrators import integrate

IDENTITY, LOG, LOGIT = 0, 1, 2
TINY = 1e-300

# status codes returned by the compiled loop
OK, NOT_POSITIVE_DEFINITE, NOT_FINITE = 0, 1, 2


@jit
def to_physical(value, transform, lower, upper):
    """Physical value of one transformed coordinate."""
    if transform == LOG:
        return math.exp(value)
    if transform == LOGIT:
        return lower + (upper - lower) / (1.0 + math.exp(-value))
    return value


@jit
def to_transformed(value, transform, lower, upper):
    """Transformed coordinate of one physical value (clamped into the open domain)."""
    if transform == LOG:
        return math.log(max(value, TINY))
    if transform == LOGIT:
        fraction = (value - lower) / (upper - lower)
        fraction = min(max(fraction, 1e-15), 1.0 - 1e-15)
        return math.log(fraction / (1.0 - fraction))
    return value


@jit
def decode(z, n_states, p_base, parameter_index, transforms, lower, upper):
    """Split an augmented vector into the physical state and the full parameter vector."""
    x = np.empty(n_states)
    for i in range(n_states):
        x[i] = to_physical(z[i], transforms[i], lower[i], upper[i])
    p = p_base.copy()
    for j in range(parameter_index.shape[0]):
        k = n_states + j
        p[parameter_index[j]] = to_physical(z[k], transforms[k], lower[k], upper[k])
    return x, p


@jit
def cholesky(a):
    """Lower Cholesky factor of a symmetric matrix and a flag (False when not positive definite)."""
    n = a.shape[0]
    factor = np.zeros((n, n))
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= factor[j, k] * factor[j, k]
        if not s > 0.0:
            return factor, False
        factor[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            s = a[i, j]
            for k in range(j):
                s -= factor[i, k] * factor[j, k]
            factor[i, j] = s / factor[j, j]
    return factor, True


@jit
def robust_cholesky(a):
    """Cholesky with growing diagonal jitter for matrices that lost definiteness to rounding."""
    factor, ok = cholesky(a)
    if ok:
        return factor, True
    n = a.shape[0]
    scale = 0.0
    for i in range(n):
        scale = max(scale, abs(a[i, i]))
    jitter = max(scale, 1e-300) * 1e-12
    for _ in range(8):
        b = a.copy()
        for i in range(n):
            b[i, i] += jitter
        factor, ok = cholesky(b)
        if ok:
            return factor, True
        jitter *= 100.0
    return factor, False


@jit
def sigma_weights(n, alpha, beta, kappa):
    """Merwe scaled sigma-point weights (mean, covariance) and the spread factor sqrt(n + lambda)."""
    lam = alpha * alpha * (n + kappa) - n
    wm = np.full(2 * n + 1, 0.5 / (n + lam))
    wc = wm.copy()
    wm[0] = lam / (n + lam)
    wc[0] = lam / (n + lam) + (1.0 - alpha * alpha + beta)
    return wm, wc, math.sqrt(n + lam)


@jit
def propagate(rhs, t, z, u, dt, n_states, p_base, parameter_index, transforms, lower, upper, max_step, method):
    """Move one augmented point forward by ``dt``: decode, integrate the states, encode."""
    x, p = decode(z, n_states, p_base, parameter_index, transforms, lower, upper)
    x_next = integrate(rhs, t, x, u, p, dt, max_step, method)
    result = z.copy()
    for i in range(n_states):
        result[i] = to_transformed(x_next[i], transforms[i], lower[i], upper[i])
    return result


@jit
def measure(output, t, z, u, n_states, p_base, parameter_index, transforms, lower, upper, output_index):
    """Predicted measurement of one augmented point (the measured outputs only)."""
    x, p = decode(z, n_states, p_base, parameter_index, transforms, lower, upper)
    y = output(t, x, u, p)
    result = np.empty(output_index.shape[0])
    for k in range(output_index.shape[0]):
        result[k] = y[output_index[k]]
    return result


_F1, _F2, _F3, _I1, _B1, _f8, _i8 = types.F1, types.F2, types.F3, types.I1, types.B1, types.f8, types.i8


@jit(signature=(
    KERNEL, KERNEL, _F1, _F2, _F2, _F1, _F2, _f8, _F1, _F1, _F1,
    _i8, _F1, _I1, _I1, _F1, _F1, _I1,
    _f8, _i8, _f8, _f8, _f8, _F1, _i8, _B1,
))
def ukf_run(
    rhs, output, times, inputs, measurements, z0, p0, t_prior, q_rate, r_diag, r_relative,
    n_states, p_base, parameter_index, transforms, lower, upper, output_index,
    max_step, method, alpha, beta, kappa, gate, gate_patience, freeze,
):
    """Unscented Kalman filter over a whole batch of samples.

    Parameters (arrays are float64 unless said otherwise)
    ------------------------------------------------------
    times : (n,)            sample times [s], non-decreasing
    inputs : (n, n_u)       measured inputs, held from each sample to the next
    measurements : (n, m)   measured outputs, NaN where a channel did not report
    z0, p0 :                prior mean and covariance at ``t_prior`` (transformed space)
    q_rate : (nz,)          process-noise density: each step adds diag(q_rate * dt)
    r_diag : (m,)           measurement-noise variances (absolute part)
    r_relative : (m,)       relative measurement-noise variances: channel c's variance is
                            r_diag[c] + r_relative[c] * (predicted value)²
    gate : (m + 1,)         chi-square gate per degree of freedom (inf = no gating)
    gate_patience : int     after this many consecutive gated samples the next one is accepted: a
                            persistent jump is a change of the asset, not an outlier
    freeze : (n,) bool      True where parameter updates are frozen at that sample

    Returns
    -------
    z_post (n, nz), p_post (n, nz, nz), y_pred (n, m), innovation (n, m), innovation_var (n, m),
    nis (n,), dof (n,) int, gated (n,) bool, status int, index of the failing sample (or -1)
    """
    n = times.shape[0]
    nz = z0.shape[0]
    m = output_index.shape[0]
    wm, wc, spread = sigma_weights(nz, alpha, beta, kappa)
    n_sigma = 2 * nz + 1
    z_post = np.full((n, nz), np.nan)
    p_post = np.full((n, nz, nz), np.nan)
    y_pred = np.full((n, m), np.nan)
    innovation = np.full((n, m), np.nan)
    innovation_var = np.full((n, m), np.nan)
    nis = np.full(n, np.nan)
    dof = np.zeros(n, dtype=np.int64)
    gated = np.zeros(n, dtype=np.bool_)
    z = z0.copy()
    cov = p0.copy()
    t_last = t_prior
    u_last = inputs[0].copy()
    sig = np.empty((n_sigma, nz))
    consecutive_gated = 0
    for k in range(n):
        t = times[k]
        dt = t - t_last
        # -- predict: sigma points of the last posterior through the model --------------------
        factor, ok = robust_cholesky(cov)
        if not ok:
            return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, NOT_POSITIVE_DEFINITE, k
        for i in range(n_sigma):
            point = z.copy()
            if i > 0:
                column = (i - 1) % nz
                sign = 1.0 if i <= nz else -1.0
                for r in range(nz):
                    point[r] += sign * spread * factor[r, column]
            if dt > 0.0:
                sig[i] = propagate(rhs, t_last, point, u_last, dt, n_states, p_base, parameter_index, transforms, lower, upper, max_step, method)
            else:
                sig[i] = point
        for i in range(n_sigma):
            for r in range(nz):
                if not math.isfinite(sig[i, r]):
                    return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, NOT_FINITE, k
        z = np.zeros(nz)
        for i in range(n_sigma):
            z += wm[i] * sig[i]
        cov = np.zeros((nz, nz))
        for i in range(n_sigma):
            d = sig[i] - z
            cov += wc[i] * np.outer(d, d)
        for r in range(nz):
            cov[r, r] += q_rate[r] * max(dt, 0.0)
        u = inputs[k]
        # -- update with the channels that reported ---------------------------------------------
        available = np.zeros(m, dtype=np.bool_)
        count = 0
        for c in range(m):
            if not math.isnan(measurements[k, c]):
                available[c] = True
                count += 1
        ysig = np.empty((n_sigma, m))
        for i in range(n_sigma):
            ysig[i] = measure(output, t, sig[i], u, n_states, p_base, parameter_index, transforms, lower, upper, output_index)
        for i in range(n_sigma):
            for c in range(m):
                if not math.isfinite(ysig[i, c]):
                    return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, NOT_FINITE, k
        ymean = np.zeros(m)
        for i in range(n_sigma):
            ymean += wm[i] * ysig[i]
        y_pred[k] = ymean
        full_s = np.zeros((m, m))
        for i in range(n_sigma):
            d = ysig[i] - ymean
            full_s += wc[i] * np.outer(d, d)
        r_now = np.empty(m)
        for c in range(m):
            r_now[c] = r_diag[c] + r_relative[c] * ymean[c] * ymean[c]
            innovation_var[k, c] = full_s[c, c] + r_now[c]
        if count > 0:
            index = np.flatnonzero(available)
            s = np.empty((count, count))
            cross = np.zeros((nz, count))
            nu = np.empty(count)
            for a in range(count):
                nu[a] = measurements[k, index[a]] - ymean[index[a]]
                for b in range(count):
                    s[a, b] = full_s[index[a], index[b]]
                s[a, a] += r_now[index[a]]
            for i in range(n_sigma):
                dz = sig[i] - z
                for a in range(count):
                    cross[:, a] += wc[i] * dz * (ysig[i, index[a]] - ymean[index[a]])
            s_inv = np.linalg.inv(s)
            value = nu @ s_inv @ nu
            for a in range(count):
                innovation[k, index[a]] = nu[a]
            nis[k] = value
            dof[k] = count
            if value > gate[count] and consecutive_gated < gate_patience:
                gated[k] = True
                consecutive_gated += 1
            else:
                consecutive_gated = 0
                gain = cross @ s_inv
                if freeze[k]:
                    for r in range(n_states, nz):
                        gain[r, :] = 0.0
                z = z + gain @ nu
                # general form, valid also for the suboptimal gain of frozen parameters
                cov = cov - gain @ cross.T - cross @ gain.T + gain @ s @ gain.T
        cov = 0.5 * (cov + cov.T)
        for r in range(nz):
            if not math.isfinite(z[r]):
                return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, NOT_FINITE, k
        z_post[k] = z
        p_post[k] = cov
        t_last = t
        u_last = u.copy()
    return z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, OK, -1
