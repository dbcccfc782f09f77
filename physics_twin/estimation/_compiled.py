r"""Compiled filter loops: UKF, square-root UKF and EKF over first-class model kernels.

One entry point, :func:`filter_run`, runs a whole batch of samples in nopython mode for all three
filters; it is compiled once (explicit signature with the ``KERNEL`` function type), cached on disk
and serves every model. Work arrays are allocated once per batch; the model kernels write into them
(the kernels of a System allocate one scratch vector per call, single components none).

Conventions (shared by the three filters)
-----------------------------------------
- The augmented vector ``z`` holds the model states, then the estimated parameters, each in its
  transformed space (identity, log, logit; see :mod:`physics_twin.estimation._kernels`).
- Prediction integrates the model over the true sample interval ``dt`` with the input of the
  previous sample held (RK4 or ROS2, sub-steps no longer than ``max_step``) and adds
  ``diag(q_rate) * dt``: process noise scales with the time step.
- Unscented filters redraw the sigma points from the predicted mean and covariance before the
  measurement update (as filterpy does), so the linear case is the exact Kalman filter.
- The square-root UKF propagates a lower-triangular factor ``L`` (``P = L Lᵀ``) by Householder
  triangularisation of the weighted sigma deviations (van der Merwe & Wan 2001); the update uses
  the Joseph-like compound form

  .. math:: P^+ = \sum_i W_i^c (\chi_i - \hat z - K \Delta y_i)(\cdot)^T + K R K^T,

  valid for any gain (also one with frozen parameter rows), so no rank-one downdates of ``L`` are
  needed except for a negative centre weight.
- The EKF linearises the transformed discrete-time map: analytic state Jacobians (variational
  equations of the RK4 steps) where the model provides them, otherwise central differences;
  Joseph form in the update.
- Measurement channels form groups (sensors). With sequential updates each group updates the
  estimate in turn (unscented filters redraw their sigma points in between); otherwise one group
  holds every channel. A NaN channel drops out of its group's update.
- Angles: coordinates flagged in ``angles`` (states) and ``output_angles`` (outputs) are averaged
  circularly around the centre sigma point, their residuals are wrapped into (-π, π] and the
  posterior angle is wrapped.

References
----------
van der Merwe, R., Wan, E. A. (2001). The square-root unscented Kalman filter for state and
parameter estimation. *Proc. IEEE ICASSP 2001*, 3461–3464. doi:10.1109/ICASSP.2001.940586.
Julier, S. J., Uhlmann, J. K. (2004). Unscented filtering and nonlinear estimation. *Proc. IEEE*
92(3), 401–422. doi:10.1109/JPROC.2003.823141.
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import KERNEL, jit, types
from physics_twin.core.integrators import integrate_into, substeps
from physics_twin.estimation._kernels import (
    LOG,
    LOGIT,
    NOT_FINITE,
    NOT_POSITIVE_DEFINITE,
    OK,
    TINY,
    cholesky_into,
    robust_cholesky,
    sigma_weights,
    to_physical,
    to_transformed,
)

UKF, SR_UKF, EKF = 0, 1, 2
KIND_NAMES = {"ukf": UKF, "sr-ukf": SR_UKF, "ekf": EKF}
#: bits of the ``jacobian_flags`` code
RHS_JACOBIAN, OUTPUT_JACOBIAN = 1, 2
TWO_PI = 2.0 * math.pi


# -- small numerical helpers ---------------------------------------------------------------------
@jit
def wrap_angle(angle):
    """``angle`` wrapped into (-π, π]. [rad]"""
    if -math.pi < angle <= math.pi:
        return angle  # exact for the small residuals that matter most
    r = angle + math.pi
    r -= TWO_PI * math.floor(r / TWO_PI)
    if r <= 0.0:
        r += TWO_PI
    elif r > TWO_PI:
        r -= TWO_PI
    return r - math.pi


@jit
def transform_slope(value, transform, lower, upper):
    """d(transformed)/d(physical) at a physical ``value``."""
    if transform == LOG:
        return 1.0 / max(value, TINY)
    if transform == LOGIT:
        return (upper - lower) / max((value - lower) * (upper - value), TINY)
    return 1.0


@jit
def tria(a, columns, work, out):
    """Lower-triangular ``out`` with ``out @ out.T == a[:, :columns] @ a[:, :columns].T`` (Householder QR).

    ``work`` is scratch of shape at least (columns, rows); the diagonal of ``out`` is made non-negative.
    """
    d = a.shape[0]
    for i in range(columns):
        for j in range(d):
            work[i, j] = a[j, i]
    for j in range(d):
        if j >= columns:
            break
        norm = 0.0
        for i in range(j, columns):
            norm += work[i, j] * work[i, j]
        norm = math.sqrt(norm)
        if norm == 0.0:
            continue
        head = work[j, j]
        beta = -norm if head > 0.0 else norm
        v0 = head - beta
        vv = v0 * v0
        for i in range(j + 1, columns):
            vv += work[i, j] * work[i, j]
        if vv > 0.0:
            for c in range(j + 1, d):
                s = v0 * work[j, c]
                for i in range(j + 1, columns):
                    s += work[i, j] * work[i, c]
                f = 2.0 * s / vv
                work[j, c] -= f * v0
                for i in range(j + 1, columns):
                    work[i, c] -= f * work[i, j]
        work[j, j] = beta
    for r in range(d):
        for c in range(d):
            out[r, c] = 0.0
    for c in range(d):
        if c >= columns:
            break
        sign = -1.0 if work[c, c] < 0.0 else 1.0
        for r in range(c, d):
            out[r, c] = sign * work[c, r]


@jit
def cholupdate(factor, vector, sign):
    """Rank-one update (sign > 0) or downdate (sign < 0) of a lower Cholesky factor in place.

    ``vector`` is overwritten. Returns False when a downdate would lose positive definiteness (the
    factor is then partly modified and must be rebuilt by the caller).
    """
    n = factor.shape[0]
    for k in range(n):
        diagonal = factor[k, k]
        r2 = diagonal * diagonal + sign * vector[k] * vector[k]
        if not r2 > 0.0 or diagonal == 0.0:
            if vector[k] == 0.0 and diagonal == 0.0:
                continue
            return False
        r = math.sqrt(r2)
        c = r / diagonal
        s = vector[k] / diagonal
        factor[k, k] = r
        for i in range(k + 1, n):
            factor[i, k] = (factor[i, k] + sign * s * vector[i]) / c
            vector[i] = c * vector[i] - s * factor[i, k]
    return True


@jit
def lower_solve(factor, b, count):
    """Solve ``factor[:count, :count] @ y = b[:count]`` in place (forward substitution)."""
    for i in range(count):
        s = b[i]
        for j in range(i):
            s -= factor[i, j] * b[j]
        b[i] = s / factor[i, i]


@jit
def congruence(left, middle, rows, inner, work, out):
    """``out[:rows, :rows] = left[:rows, :inner] @ middle[:inner, :inner] @ left[:rows, :inner].T``.

    ``out`` may be ``middle`` (it is read completely before ``out`` is written).
    """
    for r in range(rows):
        for a in range(inner):
            s = 0.0
            for b in range(inner):
                s += left[r, b] * middle[b, a]
            work[r, a] = s
    for r in range(rows):
        for c in range(r + 1):
            s = 0.0
            for a in range(inner):
                s += work[r, a] * left[c, a]
            out[r, c] = s
            out[c, r] = s


@jit
def allocate_results(n, nz, m, n_groups, n_par):
    """The result arrays of a filter run, filled with NaN (zeros for the integer ones)."""
    return (
        np.full((n, nz), np.nan),
        np.full((n, nz, nz), np.nan),
        np.full((n, m), np.nan),
        np.full((n, m), np.nan),
        np.full((n, m), np.nan),
        np.full((n, n_groups), np.nan),
        np.zeros((n, n_groups), dtype=np.int64),
        np.zeros((n, n_groups), dtype=np.int64),
        np.full((n, n_par), np.nan),
        np.zeros((n, n_par), dtype=np.int64),
    )


@jit
def eigenvalue_range(a, work):
    """Smallest and largest eigenvalue of the symmetric matrix ``a`` by cyclic Jacobi rotations (``work``: n × n scratch).

    Jacobi with the relative stopping test |a_pq| <= 1e-8 sqrt(|a_pp a_qq|) (an off-diagonal remainder moves the
    eigenvalues by its square: 1e-16 relative) finds even the small eigenvalues of graded
    matrices (variances from 1e-9 to 1e7) to high relative accuracy (Demmel & Veselić 1992, doi:10.1137/0613074).
    """
    n = a.shape[0]
    for r in range(n):
        for c in range(n):
            work[r, c] = a[r, c]
    for _ in range(60):
        converged = True
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = work[p, q]
                if abs(apq) <= 1e-8 * math.sqrt(abs(work[p, p] * work[q, q])):
                    continue
                converged = False
                theta = (work[q, q] - work[p, p]) / (2.0 * apq)
                t = (1.0 if theta >= 0.0 else -1.0) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):
                    kp, kq = work[k, p], work[k, q]
                    work[k, p] = c * kp - s * kq
                    work[k, q] = s * kp + c * kq
                for k in range(n):
                    pk, qk = work[p, k], work[q, k]
                    work[p, k] = c * pk - s * qk
                    work[q, k] = s * pk + c * qk
        if converged:
            break
    smallest = work[0, 0]
    largest = work[0, 0]
    for r in range(1, n):
        smallest = min(smallest, work[r, r])
        largest = max(largest, work[r, r])
    return smallest, largest


@jit
def condition_numbers_of(covariances, scaled):
    """2-norm condition numbers λmax/λmin of a stack (n, k, k) of covariances (inf when not positive definite, NaN when
    not finite); with ``scaled`` those of the correlation matrices."""
    n = covariances.shape[0]
    k = covariances.shape[1]
    result = np.empty(n)
    matrix = np.empty((k, k))
    work = np.empty((k, k))
    for i in range(n):
        finite = True
        for r in range(k):
            for c in range(k):
                value = covariances[i, r, c]
                if not math.isfinite(value):
                    finite = False
                matrix[r, c] = value
        if not finite:
            result[i] = np.nan
            continue
        if k == 0:
            result[i] = 1.0
            continue
        if scaled:
            for r in range(k):
                for c in range(k):
                    d = math.sqrt(max(covariances[i, r, r], 0.0) * max(covariances[i, c, c], 0.0))
                    matrix[r, c] = covariances[i, r, c] / d if d > 0.0 else (1.0 if r == c else 0.0)
        smallest, largest = eigenvalue_range(matrix, work)
        result[i] = largest / smallest if smallest > 0.0 else np.inf
    return result


@jit
def select_channels(row, group_start, group_channels, g, channels, used):
    """The channels of update group ``g`` into ``channels`` and the positions of those that reported (not NaN in ``row``)
    into ``used``; returns (channels in the group, channels that reported)."""
    size = group_start[g + 1] - group_start[g]
    count = 0
    for a in range(size):
        channel = group_channels[group_start[g] + a]
        channels[a] = channel
        if not math.isnan(row[channel]):
            used[count] = a
            count += 1
    return size, count


# -- model evaluation on augmented points ------------------------------------------------------------
@jit
def decode_into(z, n_states, p_base, parameter_index, transforms, lower, upper, x, p):
    """Physical state ``x`` and full parameter vector ``p`` of the augmented point ``z`` (in place)."""
    for i in range(n_states):
        x[i] = to_physical(z[i], transforms[i], lower[i], upper[i])
    for j in range(p_base.shape[0]):
        p[j] = p_base[j]
    for j in range(parameter_index.shape[0]):
        k = n_states + j
        p[parameter_index[j]] = to_physical(z[k], transforms[k], lower[k], upper[k])


@jit
def advance_with_sensitivity(rhs, jacobian, t, x, u, p, dt, max_step, stage, phi):
    """RK4 steps (as in :func:`propagate_points`) plus the exact derivative ``phi`` = d x(t + dt) / d x(t) of the RK4 map.

    ``jacobian(t, x, u, p, out)`` writes ∂f/∂x flattened row-major. For one step,
    ``K1 = J(x)``, ``K2 = J(x2) (I + h/2 K1)``, ``K3 = J(x3) (I + h/2 K2)``, ``K4 = J(x4) (I + h K3)``,
    ``dx'/dx = I + h/6 (K1 + 2 K2 + 2 K3 + K4)``; steps multiply.
    """
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            phi[i, j] = 1.0 if i == j else 0.0
    if dt <= 0.0 or n == 0:
        return
    steps = substeps(dt, max_step)
    h = dt / steps
    k_all = np.empty((4, n, n))
    step = np.empty((n, n))
    total = np.empty((n, n))
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    j1, j2, j3, j4 = np.empty(n * n), np.empty(n * n), np.empty(n * n), np.empty(n * n)
    for s in range(steps):
        tk = t + s * h
        rhs(tk, x, u, p, k1)
        jacobian(tk, x, u, p, j1)
        for i in range(n):
            for j in range(n):
                k_all[0, i, j] = j1[i * n + j]
        for i in range(n):
            stage[i] = x[i] + 0.5 * h * k1[i]
        rhs(tk + 0.5 * h, stage, u, p, k2)
        jacobian(tk + 0.5 * h, stage, u, p, j2)
        for i in range(n):
            stage[i] = x[i] + 0.5 * h * k2[i]
        rhs(tk + 0.5 * h, stage, u, p, k3)
        jacobian(tk + 0.5 * h, stage, u, p, j3)
        for i in range(n):
            stage[i] = x[i] + h * k3[i]
        rhs(tk + h, stage, u, p, k4)
        jacobian(tk + h, stage, u, p, j4)
        for stage_index in range(1, 4):
            weight = h if stage_index == 3 else 0.5 * h
            for i in range(n):
                for j in range(n):
                    acc = 0.0
                    for r in range(n):
                        previous = k_all[stage_index - 1, r, j] * weight + (1.0 if r == j else 0.0)
                        jr = j2[i * n + r] if stage_index == 1 else j3[i * n + r] if stage_index == 2 else j4[i * n + r]
                        acc += jr * previous
                    k_all[stage_index, i, j] = acc
        for i in range(n):
            for j in range(n):
                step[i, j] = (1.0 if i == j else 0.0) + (h / 6.0) * (
                    k_all[0, i, j] + 2.0 * k_all[1, i, j] + 2.0 * k_all[2, i, j] + k_all[3, i, j]
                )
        for i in range(n):
            for j in range(n):
                acc = 0.0
                for r in range(n):
                    acc += step[i, r] * phi[r, j]
                total[i, j] = acc
        for i in range(n):
            for j in range(n):
                phi[i, j] = total[i, j]
        for i in range(n):
            x[i] = x[i] + (h / 6.0) * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


@jit
def propagate_points(
    rhs,
    t,
    points,
    first,
    count,
    u,
    dt,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    max_step,
    method,
    x,
    p,
    steps_work,
    out,
):
    """Rows ``first .. first + count - 1`` of ``points`` moved forward by ``dt`` [s] into the same rows of ``out``.

    Each augmented point is decoded (physical states, full parameter vector), its states integrated in equal
    sub-steps no longer than ``max_step`` with the input ``u`` held (:func:`~physics_twin.core.integrators.integrate_into`,
    RK4 or ROS2; ``steps_work`` is its (5 + n_states, n_states) scratch), and encoded again.
    """
    nz = points.shape[1]
    steps = substeps(dt, max_step) if dt > 0.0 and n_states > 0 else 0
    h = dt / steps if steps > 0 else 0.0
    k1, k2, k3, k4, stage = steps_work[0], steps_work[1], steps_work[2], steps_work[3], steps_work[4]
    for i in range(first, first + count):
        for r in range(n_states):
            x[r] = to_physical(points[i, r], transforms[r], lower[r], upper[r])
        for j in range(p_base.shape[0]):
            p[j] = p_base[j]
        for j in range(parameter_index.shape[0]):
            k = n_states + j
            p[parameter_index[j]] = to_physical(points[i, k], transforms[k], lower[k], upper[k])
        if method != 0:
            integrate_into(rhs, t, x, u, p, dt, max_step, method, steps_work)
        else:
            # RK4 written out (the arithmetic of integrators.rk4_step): calling that function per point made the whole
            # UKF step 0.4-0.6 µs slower (9 calls with 8 array arguments each), even with numba inlining it
            for s in range(steps):
                tk = t + s * h
                rhs(tk, x, u, p, k1)
                for r in range(n_states):
                    stage[r] = x[r] + 0.5 * h * k1[r]
                rhs(tk + 0.5 * h, stage, u, p, k2)
                for r in range(n_states):
                    stage[r] = x[r] + 0.5 * h * k2[r]
                rhs(tk + 0.5 * h, stage, u, p, k3)
                for r in range(n_states):
                    stage[r] = x[r] + h * k3[r]
                rhs(tk + h, stage, u, p, k4)
                for r in range(n_states):
                    x[r] = x[r] + (h / 6.0) * (k1[r] + 2.0 * k2[r] + 2.0 * k3[r] + k4[r])
        for r in range(n_states, nz):
            out[i, r] = points[i, r]
        for r in range(n_states):
            out[i, r] = to_transformed(x[r], transforms[r], lower[r], upper[r])


@jit
def measure_points(
    output,
    t,
    points,
    first,
    count,
    u,
    channels,
    size,
    output_index,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    x,
    p,
    y,
    out,
):
    """Predicted values of the measured channels ``channels[:size]`` at rows ``first ..`` of ``points`` (into ``out``).

    ``y`` is scratch for all the model's outputs."""
    for i in range(first, first + count):
        for r in range(n_states):
            x[r] = to_physical(points[i, r], transforms[r], lower[r], upper[r])
        for j in range(p_base.shape[0]):
            p[j] = p_base[j]
        for j in range(parameter_index.shape[0]):
            k = n_states + j
            p[parameter_index[j]] = to_physical(points[i, k], transforms[k], lower[k], upper[k])
        output(t, x, u, p, y)
        for a in range(size):
            out[i, a] = y[output_index[channels[a]]]


# -- sigma-point helpers -----------------------------------------------------------------------------
@jit
def draw_sigma_points(z, factor, spread, sig):
    """Merwe sigma points: ``z``, then ``z + spread L[:, j]`` and ``z - spread L[:, j]`` (filterpy's order)."""
    nz = z.shape[0]
    for r in range(nz):
        sig[0, r] = z[r]
    for j in range(nz):
        for r in range(nz):
            step = spread * factor[r, j]
            sig[1 + j, r] = z[r] + step
            sig[1 + nz + j, r] = z[r] - step


@jit
def sigma_mean(points, columns, wm, angle, out):
    """Weighted mean of ``points[:, :columns]``; columns flagged in ``angle`` are averaged circularly.

    The circular mean is taken around the centre point: ``ref + Σ wᵢ wrap(χᵢ − ref)``, wrapped.
    """
    n_points = points.shape[0]
    for c in range(columns):
        if angle[c] != 0:
            ref = points[0, c]
            s = 0.0
            for i in range(n_points):
                s += wm[i] * wrap_angle(points[i, c] - ref)
            out[c] = wrap_angle(ref + s)
        else:
            s = 0.0
            for i in range(n_points):
                s += wm[i] * points[i, c]
            out[c] = s


@jit
def sigma_deviations(points, columns, mean, angle, out):
    """``points - mean`` for the first ``columns`` columns, angle residuals wrapped."""
    for i in range(points.shape[0]):
        for c in range(columns):
            d = points[i, c] - mean[c]
            out[i, c] = wrap_angle(d) if angle[c] != 0 else d


@jit
def wrap_state(z, angles):
    for r in range(z.shape[0]):
        if angles[r] != 0:
            z[r] = wrap_angle(z[r])


@jit
def finite_rows(values, rows, columns):
    for i in range(rows):
        for c in range(columns):
            if not math.isfinite(values[i, c]):
                return False
    return True


@jit
def rebuild_factor(factor, covariance):
    """``factor`` from ``covariance`` (with jitter when rounding cost definiteness); False when impossible."""
    if cholesky_into(covariance, covariance.shape[0], factor):
        return True
    new, ok = robust_cholesky(covariance)
    if not ok:
        return False
    for r in range(factor.shape[0]):
        for c in range(factor.shape[1]):
            factor[r, c] = new[r, c]
    return True


@jit
def square_root_covariance(factor, out):
    """``out = factor @ factor.T``."""
    n = factor.shape[0]
    for r in range(n):
        for c in range(r + 1):
            s = 0.0
            for k in range(c + 1):
                s += factor[r, k] * factor[c, k]
            out[r, c] = s
            out[c, r] = s


# -- prediction -------------------------------------------------------------------------------------
@jit
def unscented_predict(
    rhs,
    t,
    dt,
    u,
    z,
    cov,
    factor,
    square_root,
    wm,
    wc,
    spread,
    q_rate,
    angles,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    max_step,
    method,
    x,
    p,
    steps_work,
    sig,
    prop,
    dev,
    tri_in,
    tri_work,
    vector,
    saved,
):
    """Sigma points of the posterior through the model; new mean and covariance (or factor)."""
    nz = z.shape[0]
    n_sigma = 2 * nz + 1
    if not square_root:
        if not rebuild_factor(factor, cov):
            return NOT_POSITIVE_DEFINITE
    draw_sigma_points(z, factor, spread, sig)
    propagate_points(
        rhs,
        t,
        sig,
        0,
        n_sigma,
        u,
        dt,
        n_states,
        p_base,
        parameter_index,
        transforms,
        lower,
        upper,
        max_step,
        method,
        x,
        p,
        steps_work,
        prop,
    )
    if not finite_rows(prop, n_sigma, nz):
        return NOT_FINITE
    sigma_mean(prop, nz, wm, angles, z)
    sigma_deviations(prop, nz, z, angles, dev)
    if not square_root:
        for r in range(nz):
            for c in range(r + 1):
                s = 0.0
                for i in range(n_sigma):
                    s += wc[i] * dev[i, r] * dev[i, c]
                cov[r, c] = s
                cov[c, r] = s
        for r in range(nz):
            cov[r, r] += q_rate[r] * dt
        return OK
    for i in range(1, n_sigma):
        weight = math.sqrt(wc[i])
        for r in range(nz):
            tri_in[r, i - 1] = weight * dev[i, r]
    for j in range(nz):
        for r in range(nz):
            tri_in[r, 2 * nz + j] = math.sqrt(q_rate[r] * dt) if r == j else 0.0
    tria(tri_in, 3 * nz, tri_work, factor)
    return centre_update(factor, dev, wc[0], cov, vector, saved)


@jit
def centre_update(factor, dev, weight, cov, vector, saved):
    """Fold the centre sigma point's term ``weight * dev[0] dev[0]ᵀ`` into ``factor`` (cholupdate; ``saved`` is scratch)."""
    nz = factor.shape[0]
    if weight == 0.0:
        return OK
    scale = math.sqrt(abs(weight))
    nonzero = False
    for r in range(nz):
        vector[r] = scale * dev[0, r]
        if vector[r] != 0.0:
            nonzero = True
    if not nonzero:
        return OK
    for r in range(nz):
        for c in range(nz):
            saved[r, c] = factor[r, c]
    sign = 1.0 if weight > 0.0 else -1.0
    if cholupdate(factor, vector, sign):
        return OK
    # downdate lost definiteness to rounding: rebuild from the explicit matrix
    square_root_covariance(saved, cov)
    for r in range(nz):
        for c in range(nz):
            cov[r, c] += weight * dev[0, r] * dev[0, c]
    if not rebuild_factor(factor, cov):
        return NOT_POSITIVE_DEFINITE
    return OK


@jit
def transition_jacobian(
    rhs,
    rhs_jacobian,
    use_analytic,
    t,
    dt,
    u,
    z,
    cov,
    angles,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    max_step,
    method,
    fd_step,
    x,
    p,
    steps_work,
    trio,
    moved,
    phi,
    phi_x,
    z_next,
):
    """The predicted mean ``z_next`` and the Jacobian ``phi`` of the transformed discrete-time map at ``z``.

    ``trio`` and ``moved`` are (3, nz) scratch: the centre and the two central-difference points.
    """
    nz = z.shape[0]
    first_fd = 0
    if use_analytic and method == 0:
        decode_into(z, n_states, p_base, parameter_index, transforms, lower, upper, x, p)
        slopes_before = np.empty(n_states)
        for i in range(n_states):
            slopes_before[i] = transform_slope(x[i], transforms[i], lower[i], upper[i])
        advance_with_sensitivity(rhs, rhs_jacobian, t, x, u, p, dt, max_step, steps_work[0], phi_x)
        for r in range(nz):
            z_next[r] = z[r]
        for i in range(n_states):
            z_next[i] = to_transformed(x[i], transforms[i], lower[i], upper[i])
        for i in range(n_states):
            slope_after = transform_slope(x[i], transforms[i], lower[i], upper[i])
            for j in range(n_states):
                phi[i, j] = slope_after * phi_x[i, j] / slopes_before[j]
        first_fd = n_states
    else:
        for r in range(nz):
            trio[0, r] = z[r]
        propagate_points(
            rhs,
            t,
            trio,
            0,
            1,
            u,
            dt,
            n_states,
            p_base,
            parameter_index,
            transforms,
            lower,
            upper,
            max_step,
            method,
            x,
            p,
            steps_work,
            moved,
        )
        for r in range(nz):
            z_next[r] = moved[0, r]
    for j in range(first_fd, nz):
        scale = max(abs(z[j]), math.sqrt(max(cov[j, j], 0.0)))
        delta = fd_step * (scale if scale > 0.0 else 1.0)
        for r in range(nz):
            trio[1, r] = z[r]
            trio[2, r] = z[r]
        trio[1, j] = z[j] + delta
        trio[2, j] = z[j] - delta
        propagate_points(
            rhs,
            t,
            trio,
            1,
            2,
            u,
            dt,
            n_states,
            p_base,
            parameter_index,
            transforms,
            lower,
            upper,
            max_step,
            method,
            x,
            p,
            steps_work,
            moved,
        )
        for i in range(n_states):
            d = moved[1, i] - moved[2, i]
            if angles[i] != 0:
                d = wrap_angle(d)
            phi[i, j] = d / (2.0 * delta)
    for r in range(n_states, nz):
        for c in range(nz):
            phi[r, c] = 1.0 if r == c else 0.0


@jit
def extended_predict(
    rhs,
    rhs_jacobian,
    use_analytic,
    t,
    dt,
    u,
    z,
    cov,
    q_rate,
    angles,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    max_step,
    method,
    fd_step,
    x,
    p,
    steps_work,
    trio,
    moved,
    phi,
    phi_x,
    z_next,
    work,
):
    """EKF prediction: ``z = F(z)``, ``P = Φ P Φᵀ + diag(q) dt``."""
    nz = z.shape[0]
    transition_jacobian(
        rhs,
        rhs_jacobian,
        use_analytic,
        t,
        dt,
        u,
        z,
        cov,
        angles,
        n_states,
        p_base,
        parameter_index,
        transforms,
        lower,
        upper,
        max_step,
        method,
        fd_step,
        x,
        p,
        steps_work,
        trio,
        moved,
        phi,
        phi_x,
        z_next,
    )
    for r in range(nz):
        if not math.isfinite(z_next[r]):
            return NOT_FINITE
        for c in range(nz):
            if not math.isfinite(phi[r, c]):
                return NOT_FINITE
    congruence(phi, cov, nz, nz, work, cov)
    for r in range(nz):
        cov[r, r] += q_rate[r] * dt
    for r in range(nz):
        z[r] = z_next[r]
    wrap_state(z, angles)
    return OK


@jit
def measurement_jacobian(
    output,
    output_jacobian,
    use_analytic,
    t,
    z,
    u,
    cov,
    channels,
    count,
    output_index,
    output_angles,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    fd_step,
    x,
    p,
    y,
    full,
    trio,
    values,
    yhat,
    jac,
):
    """Predicted channels ``yhat`` and their Jacobian ``jac`` (count × nz) with respect to the transformed ``z``.

    ``trio`` (3, nz) and ``values`` (3, m) are scratch: the centre and the two central-difference points; ``y``
    (all outputs) and ``full`` (the flattened output Jacobian, n_outputs × n_states) as well.
    """
    nz = z.shape[0]
    for r in range(nz):
        trio[0, r] = z[r]
    measure_points(
        output,
        t,
        trio,
        0,
        1,
        u,
        channels,
        count,
        output_index,
        n_states,
        p_base,
        parameter_index,
        transforms,
        lower,
        upper,
        x,
        p,
        y,
        values,
    )
    for a in range(count):
        yhat[a] = values[0, a]
    first_fd = 0
    if use_analytic:
        decode_into(z, n_states, p_base, parameter_index, transforms, lower, upper, x, p)
        output_jacobian(t, x, u, p, full)
        for j in range(n_states):
            slope = transform_slope(x[j], transforms[j], lower[j], upper[j])
            for a in range(count):
                jac[a, j] = full[output_index[channels[a]] * n_states + j] / slope
        first_fd = n_states
    for j in range(first_fd, nz):
        scale = max(abs(z[j]), math.sqrt(max(cov[j, j], 0.0)))
        delta = fd_step * (scale if scale > 0.0 else 1.0)
        for r in range(nz):
            trio[1, r] = z[r]
            trio[2, r] = z[r]
        trio[1, j] = z[j] + delta
        trio[2, j] = z[j] - delta
        measure_points(
            output,
            t,
            trio,
            1,
            2,
            u,
            channels,
            count,
            output_index,
            n_states,
            p_base,
            parameter_index,
            transforms,
            lower,
            upper,
            x,
            p,
            y,
            values,
        )
        for a in range(count):
            d = values[1, a] - values[2, a]
            if output_angles[channels[a]] != 0:
                d = wrap_angle(d)
            jac[a, j] = d / (2.0 * delta)


_F1, _F2, _I1, _B1, _f8, _i8 = types.F1, types.F2, types.I1, types.B1, types.f8, types.i8


@jit(
    signature=(
        KERNEL,
        KERNEL,
        KERNEL,
        KERNEL,
        _F1,
        _F2,
        _F2,
        _F1,
        _F2,
        _f8,
        _F1,
        _F1,
        _F1,
        _i8,
        _F1,
        _I1,
        _I1,
        _F1,
        _F1,
        _I1,
        _I1,
        _I1,
        _I1,
        _I1,
        _F1,
        _I1,
        _F1,
        _B1,
    )
)
def filter_run(
    rhs,
    output,
    rhs_jacobian,
    output_jacobian,
    times,
    inputs,
    measurements,
    z0,
    p0,
    t_prior,
    q_rate,
    r_diag,
    r_relative,
    n_states,
    p_base,
    parameter_index,
    transforms,
    lower,
    upper,
    angles,
    output_index,
    output_angles,
    group_start,
    group_channels,
    settings,
    codes,
    gate,
    freeze,
):
    """A Kalman filter (UKF, SR-UKF or EKF) over a whole batch of samples.

    Parameters (arrays float64 unless said otherwise)
    --------------------------------------------------
    rhs, output :             model kernels
    rhs_jacobian, output_jacobian : analytic Jacobian kernels (flattened row-major ∂f/∂x, ∂y/∂x), used
                              by the EKF when the matching bit of ``codes[3]`` is set (pass any kernel otherwise)
    times (n,), inputs (n, n_u), measurements (n, m) : samples; NaN where a channel did not report
    z0 (nz,), p0 (nz, nz), t_prior : prior in the transformed space and its time [s]
    q_rate (nz,) :            process-noise density, each prediction adds diag(q_rate) * dt
    r_diag, r_relative (m,) : channel variance r_diag + r_relative * (predicted value)²
    angles (nz,) int :        1 for angle coordinates; output_angles (m,) int likewise for channels
    output_index (m,) int :   model output of each channel
    group_start (G+1,), group_channels : channels of each update group (CSR layout), in update order
    settings :                [max_step, alpha, beta, kappa, excitation_threshold, excitation_window, fd_step]
    codes int :               [kind (0 UKF, 1 SR-UKF, 2 EKF), integrator, number of model outputs, jacobian bits,
                              gate_patience]
    gate (m + 1,) :           chi-square gate per number of channels in an update (inf: none)
    freeze (n,) bool :        True where every parameter update is frozen

    Returns
    -------
    z_post (n, nz), p_post (n, nz, nz), y_pred (n, m), innovation (n, m), innovation_var (n, m),
    nis (n, G), dof (n, G) int, gated (n, G) int, excitation (n, n_par), frozen (n, n_par) int,
    status int, index of the failing sample (or -1)
    """
    kind = codes[0]
    method = codes[1]
    jacobian_flags = codes[3]
    n_outputs = codes[2]
    patience = codes[4]
    max_step = settings[0]
    threshold = settings[4]
    window = settings[5]
    fd_step = settings[6]
    square_root = kind == SR_UKF
    n = times.shape[0]
    nz = z0.shape[0]
    m = output_index.shape[0]
    n_par = nz - n_states
    n_groups = group_start.shape[0] - 1
    (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen) = allocate_results(
        n, nz, m, n_groups, n_par
    )
    wm, wc, spread = sigma_weights(nz, settings[1], settings[2], settings[3])
    n_sigma = 2 * nz + 1
    # work arrays
    x = np.empty(n_states)
    p = np.empty(p_base.shape[0])
    steps_work = np.empty((5 + n_states, n_states))
    y_all = np.empty(n_outputs)
    output_jacobian_work = np.empty(n_outputs * n_states)
    sig = np.empty((n_sigma, nz))
    prop = np.empty((n_sigma, nz))
    dev = np.empty((n_sigma, nz))
    ysig = np.empty((n_sigma, m))
    ydev = np.empty((n_sigma, m))
    ymean = np.empty(m)
    r_now = np.empty(m)
    channels = np.empty(m, dtype=np.int64)
    used = np.empty(m, dtype=np.int64)
    nu = np.empty(m)
    s_sub = np.empty((m, m))
    s_factor = np.empty((m, m))
    cross = np.empty((nz, m))
    gain = np.empty((nz, m))
    solved = np.empty(m)
    jac = np.empty((m, nz))
    vector = np.empty(nz)
    point = np.empty(nz)
    channel_angles = np.empty(m, dtype=np.int64)
    phi = np.empty((nz, nz))
    trio = np.empty((3, nz))
    moved = np.empty((3, nz))
    trio_values = np.empty((3, m))
    phi_x = np.empty((n_states, n_states))
    z_next = np.empty(nz)
    work = np.empty((nz, max(nz, m)))
    kskt = np.empty((nz, nz))
    tri_in = np.empty((nz, 3 * nz + m))
    tri_work = np.empty((3 * nz + m, nz))
    information = np.zeros(n_par)
    consecutive = np.zeros(n_groups, dtype=np.int64)
    row_frozen = np.zeros(nz, dtype=np.bool_)

    z = z0.copy()
    cov = np.empty((nz, nz))
    for r in range(nz):
        for c in range(nz):
            cov[r, c] = 0.5 * (p0[r, c] + p0[c, r])
    factor = np.zeros((nz, nz))
    saved = np.empty((nz, nz))
    if not rebuild_factor(factor, cov):
        return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, NOT_POSITIVE_DEFINITE, 0)
    t_last = t_prior
    u_last = inputs[0].copy()
    for k in range(n):
        t = times[k]
        dt = t - t_last
        sigma_ready = False
        # -- predict ------------------------------------------------------------------------------
        if dt > 0.0:
            if window > 0.0:
                decay = math.exp(-dt / window)
                for j in range(n_par):
                    information[j] *= decay
            if kind == EKF:
                status = extended_predict(
                    rhs,
                    rhs_jacobian,
                    (jacobian_flags & RHS_JACOBIAN) != 0,
                    t_last,
                    dt,
                    u_last,
                    z,
                    cov,
                    q_rate,
                    angles,
                    n_states,
                    p_base,
                    parameter_index,
                    transforms,
                    lower,
                    upper,
                    max_step,
                    method,
                    fd_step,
                    x,
                    p,
                    steps_work,
                    trio,
                    moved,
                    phi,
                    phi_x,
                    z_next,
                    work,
                )
            else:
                status = unscented_predict(
                    rhs,
                    t_last,
                    dt,
                    u_last,
                    z,
                    cov,
                    factor,
                    square_root,
                    wm,
                    wc,
                    spread,
                    q_rate,
                    angles,
                    n_states,
                    p_base,
                    parameter_index,
                    transforms,
                    lower,
                    upper,
                    max_step,
                    method,
                    x,
                    p,
                    steps_work,
                    sig,
                    prop,
                    dev,
                    tri_in,
                    tri_work,
                    vector,
                    saved,
                )
            if status != OK:
                return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, status, k)
        u = inputs[k]
        # -- updates, one group of channels after the other ---------------------------------------
        for g in range(n_groups):
            size, count = select_channels(measurements[k], group_start, group_channels, g, channels, used)
            if kind == EKF:
                measurement_jacobian(
                    output,
                    output_jacobian,
                    (jacobian_flags & OUTPUT_JACOBIAN) != 0,
                    t,
                    z,
                    u,
                    cov,
                    channels,
                    size,
                    output_index,
                    output_angles,
                    n_states,
                    p_base,
                    parameter_index,
                    transforms,
                    lower,
                    upper,
                    fd_step,
                    x,
                    p,
                    y_all,
                    output_jacobian_work,
                    trio,
                    trio_values,
                    ymean,
                    jac,
                )
                for a in range(size):
                    if not math.isfinite(ymean[a]):
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
                            NOT_FINITE,
                            k,
                        )
                # cross = P Hᵀ for every channel of the group (columns a)
                for r in range(nz):
                    for a in range(size):
                        s = 0.0
                        for c in range(nz):
                            s += cov[r, c] * jac[a, c]
                        cross[r, a] = s
                for a in range(size):
                    channel = channels[a]
                    r_now[a] = r_diag[channel] + r_relative[channel] * ymean[a] * ymean[a]
                    hph = 0.0
                    for c in range(nz):
                        hph += jac[a, c] * cross[c, a]
                    y_pred[k, channel] = ymean[a]
                    innovation_var[k, channel] = hph + r_now[a]
                for a in range(count):
                    for b in range(count):
                        s = 0.0
                        for c in range(nz):
                            s += jac[used[a], c] * cross[c, used[b]]
                        s_sub[a, b] = s
                    s_sub[a, a] += r_now[used[a]]
            else:
                if not sigma_ready:
                    if not square_root and not rebuild_factor(factor, cov):
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
                            NOT_POSITIVE_DEFINITE,
                            k,
                        )
                    draw_sigma_points(z, factor, spread, sig)
                    sigma_deviations(sig, nz, z, angles, dev)
                    sigma_ready = True
                measure_points(
                    output,
                    t,
                    sig,
                    0,
                    n_sigma,
                    u,
                    channels,
                    size,
                    output_index,
                    n_states,
                    p_base,
                    parameter_index,
                    transforms,
                    lower,
                    upper,
                    x,
                    p,
                    y_all,
                    ysig,
                )
                if not finite_rows(ysig, n_sigma, size):
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
                        NOT_FINITE,
                        k,
                    )
                for a in range(size):
                    channel_angles[a] = output_angles[channels[a]]
                sigma_mean(ysig, size, wm, channel_angles, ymean)
                sigma_deviations(ysig, size, ymean, channel_angles, ydev)
                for a in range(size):
                    channel = channels[a]
                    r_now[a] = r_diag[channel] + r_relative[channel] * ymean[a] * ymean[a]
                    s = 0.0
                    for i in range(n_sigma):
                        s += wc[i] * ydev[i, a] * ydev[i, a]
                    y_pred[k, channel] = ymean[a]
                    innovation_var[k, channel] = s + r_now[a]
                for a in range(count):
                    for b in range(a + 1):
                        s = 0.0
                        for i in range(n_sigma):
                            s += wc[i] * ydev[i, used[a]] * ydev[i, used[b]]
                        s_sub[a, b] = s
                        s_sub[b, a] = s
                    s_sub[a, a] += r_now[used[a]]
                for r in range(nz):
                    for a in range(count):
                        s = 0.0
                        for i in range(n_sigma):
                            s += wc[i] * dev[i, r] * ydev[i, used[a]]
                        cross[r, a] = s
            if count == 0:
                continue
            if kind == EKF:
                # the EKF's cross-covariance was computed for all channels: keep the used columns, in order
                for a in range(count):
                    for r in range(nz):
                        gain[r, a] = cross[r, used[a]]
                for a in range(count):
                    for r in range(nz):
                        cross[r, a] = gain[r, a]
            for a in range(count):
                channel = channels[used[a]]
                d = measurements[k, channel] - ymean[used[a]]
                if output_angles[channel] != 0:
                    d = wrap_angle(d)
                nu[a] = d
                innovation[k, channel] = d
            if not cholesky_into(s_sub, count, s_factor):
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
                    NOT_POSITIVE_DEFINITE,
                    k,
                )
            for a in range(count):
                solved[a] = nu[a]
            lower_solve(s_factor, solved, count)
            value = 0.0
            for a in range(count):
                value += solved[a] * solved[a]
            nis[k, g] = value
            dof[k, g] = count
            if value > gate[count] and consecutive[g] < patience:
                gated[k, g] = 1
                consecutive[g] += 1
                continue
            consecutive[g] = 0
            # gain K = cross S⁻¹ row by row: solve Ls y = cross_r, then Lsᵀ k = y
            any_frozen = False
            for r in range(nz):
                for a in range(count):
                    solved[a] = cross[r, a]
                lower_solve(s_factor, solved, count)
                if r >= n_states:
                    j = r - n_states
                    explained = 0.0
                    for a in range(count):
                        explained += solved[a] * solved[a]
                    variance = cov[r, r]
                    if square_root:
                        variance = 0.0
                        for c in range(r + 1):
                            variance += factor[r, c] * factor[r, c]
                    information[j] += explained / max(variance, TINY)
                    row_frozen[r] = freeze[k] or (threshold > 0.0 and information[j] < threshold)
                    if row_frozen[r]:
                        frozen[k, j] = 1
                        any_frozen = True
                else:
                    row_frozen[r] = False
                for a in range(count - 1, -1, -1):
                    s = solved[a]
                    for b in range(a + 1, count):
                        s -= s_factor[b, a] * solved[b]
                    solved[a] = s / s_factor[a, a]
                for a in range(count):
                    gain[r, a] = 0.0 if row_frozen[r] else solved[a]
            for r in range(nz):
                s = 0.0
                for a in range(count):
                    s += gain[r, a] * nu[a]
                z[r] += s
            wrap_state(z, angles)
            # -- covariance ------------------------------------------------------------------------
            if kind == SR_UKF:
                for i in range(1, n_sigma):
                    weight = math.sqrt(wc[i])
                    for r in range(nz):
                        s = dev[i, r]
                        for a in range(count):
                            s -= gain[r, a] * ydev[i, used[a]]
                        tri_in[r, i - 1] = weight * s
                for a in range(count):
                    root = math.sqrt(r_now[used[a]])
                    for r in range(nz):
                        tri_in[r, 2 * nz + a] = gain[r, a] * root
                tria(tri_in, 2 * nz + count, tri_work, factor)
                for r in range(nz):
                    s = dev[0, r]
                    for a in range(count):
                        s -= gain[r, a] * ydev[0, used[a]]
                    point[r] = s
                for r in range(nz):
                    dev[0, r] = point[r]
                status = centre_update(factor, dev, wc[0], cov, vector, saved)
                if status != OK:
                    return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, status, k)
            else:
                # UKF: P − K S Kᵀ (filterpy's form); EKF or frozen rows: P − K Cᵀ − C Kᵀ + K S Kᵀ (C = cross), valid for
                # any gain (the Joseph form for the EKF)
                general = kind == EKF or any_frozen
                congruence(gain, s_sub, nz, count, work, kskt)
                for r in range(nz):
                    for c in range(r + 1):
                        if general:
                            s = kskt[r, c]
                            for a in range(count):
                                s -= gain[r, a] * cross[c, a] + cross[r, a] * gain[c, a]
                        else:
                            s = -kskt[r, c]
                        cov[r, c] += s
                        if c != r:
                            cov[c, r] += s
            sigma_ready = False
        # -- record --------------------------------------------------------------------------------
        for r in range(nz):
            if not math.isfinite(z[r]):
                return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, NOT_FINITE, k)
        if square_root:
            square_root_covariance(factor, cov)
        for r in range(nz):
            z_post[k, r] = z[r]
            for c in range(nz):
                p_post[k, r, c] = cov[r, c]
        for j in range(n_par):
            excitation[k, j] = information[j]
        t_last = t
        for i in range(u.shape[0]):
            u_last[i] = u[i]
    return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, OK, -1)
