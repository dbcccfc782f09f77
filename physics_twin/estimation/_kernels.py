"""Compiled building blocks of the filters: transforms, Cholesky with a status flag, sigma weights.

Everything here works on float64 arrays and integer codes so that the whole filter loop runs in
nopython mode (the loops are in :mod:`physics_twin.estimation._compiled`; the prognostics reuse
the transforms). The augmented vector ``z`` holds the model states followed by the estimated
parameters, each in its own transformed space (identity, log, or logit between bounds).
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import jit

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
def cholesky_into(a, count, out):
    """Lower Cholesky factor of ``a[:count, :count]`` written into ``out``; False when not positive definite."""
    for j in range(count):
        s = a[j, j]
        for k in range(j):
            s -= out[j, k] * out[j, k]
        if not s > 0.0:
            return False
        out[j, j] = math.sqrt(s)
        for i in range(j + 1, count):
            s = a[i, j]
            for k in range(j):
                s -= out[i, k] * out[j, k]
            out[i, j] = s / out[j, j]
        for i in range(j):
            out[i, j] = 0.0
    return True


@jit
def cholesky(a):
    """Lower Cholesky factor of a symmetric matrix and a flag (False when not positive definite)."""
    n = a.shape[0]
    factor = np.zeros((n, n))
    ok = cholesky_into(a, n, factor)
    return factor, ok


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
