r"""Compiled dual unscented filter: one filter for the states, one for the parameters (Wan & Nelson).

Joint estimation (:mod:`physics_twin.estimation._compiled`) carries states and parameters in one vector with their
cross-covariance; dual estimation runs two unscented filters side by side and ignores it:

- the **state filter** predicts and updates the model states with the parameters held at their current estimate;
- the **parameter filter** treats the parameters as a random walk; its measurement model is
  :math:`y(\theta) = h(F(\hat x_{k-1}, \theta; \Delta t), \theta)` — the previous state posterior propagated over the
  sample interval with each parameter sigma point — so it learns from the same readings through the dynamics.

Both use the same reading. The update order per sample is: the state filter's prediction and innovation (its NIS is
the one gated and recorded), then the parameter update, then the state update. Dual estimation costs fewer sigma
points than joint (2 n_x + 1 and 2 n_θ + 1 instead of 2 (n_x + n_θ) + 1) and cannot build the cross-covariance,
which makes it more robust when states and parameters are weakly coupled and slower to learn when they are strongly
coupled. The recorded covariance is block diagonal.

Reference: Wan, E. A., van der Merwe, R., Nelson, A. T. (2000). Dual estimation and the unscented transformation.
*Advances in Neural Information Processing Systems* 12, 666–672.
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import KERNEL, jit, types
from physics_twin.estimation._compiled import (
    allocate_results,
    finite_rows,
    measure_points,
    propagate_points,
    select_channels,
    sigma_deviations,
    sigma_mean,
    wrap_angle,
    wrap_state,
)
from physics_twin.estimation._kernels import NOT_FINITE, NOT_POSITIVE_DEFINITE, OK, cholesky_into, robust_cholesky, sigma_weights


@jit
def block_factor(cov, first, size, factor):
    """Lower Cholesky factor of the diagonal block ``cov[first:first+size, first:first+size]`` into ``factor``."""
    block = np.empty((size, size))
    for r in range(size):
        for c in range(size):
            block[r, c] = cov[first + r, first + c]
    if cholesky_into(block, size, factor):
        return True
    new, ok = robust_cholesky(block)
    if not ok:
        return False
    for r in range(size):
        for c in range(size):
            factor[r, c] = new[r, c]
    return True


@jit
def draw_block(z, factor, first, size, spread, sig):
    """Sigma points perturbing only coordinates ``first .. first + size - 1`` of ``z`` (2 size + 1 rows of ``sig``)."""
    nz = z.shape[0]
    for i in range(2 * size + 1):
        for r in range(nz):
            sig[i, r] = z[r]
    for j in range(size):
        for r in range(size):
            step = spread * factor[r, j]
            sig[1 + j, first + r] += step
            sig[1 + size + j, first + r] -= step


@jit
def block_update(sig, ysig, count_points, wm, wc, first, size, used, count, s_factor, nu, cov, z, work):
    """Kalman update of the block ``first .. first + size - 1`` from sigma points and their predicted readings.

    ``ysig[:, used[a]]`` are the readings of the sigma points, ``s_factor`` the Cholesky factor of the innovation
    covariance (count × count), ``nu`` the innovation. The block's mean and covariance in ``z`` and ``cov`` change.
    """
    cross = np.zeros((size, count))
    ymean = np.zeros(count)
    for a in range(count):
        for i in range(count_points):
            ymean[a] += wm[i] * ysig[i, used[a]]
    for i in range(count_points):
        for r in range(size):
            d = sig[i, first + r] - z[first + r]
            for a in range(count):
                cross[r, a] += wc[i] * d * (ysig[i, used[a]] - ymean[a])
    gain = np.empty((size, count))
    solved = np.empty(count)
    for r in range(size):
        for a in range(count):
            solved[a] = cross[r, a]
        for a in range(count):
            s = solved[a]
            for b in range(a):
                s -= s_factor[a, b] * solved[b]
            solved[a] = s / s_factor[a, a]
        for a in range(count - 1, -1, -1):
            s = solved[a]
            for b in range(a + 1, count):
                s -= s_factor[b, a] * solved[b]
            solved[a] = s / s_factor[a, a]
        for a in range(count):
            gain[r, a] = solved[a]
    for r in range(size):
        s = 0.0
        for a in range(count):
            s += gain[r, a] * nu[a]
        z[first + r] += s
    # P − K S Kᵀ with S = Ls Lsᵀ: subtract (K Ls)(K Ls)ᵀ
    for r in range(size):
        for a in range(count):
            s = 0.0
            for b in range(a, count):
                s += gain[r, b] * s_factor[b, a]
            work[r, a] = s
    for r in range(size):
        for c in range(r + 1):
            s = 0.0
            for a in range(count):
                s += work[r, a] * work[c, a]
            cov[first + r, first + c] -= s
            cov[first + c, first + r] = cov[first + r, first + c]


@jit
def innovation_factor(
    ysig, count_points, wm, wc, used, count, r_now, nu_out, measurements_row, channels, output_angles, s_sub, s_factor
):
    """Predicted reading, innovation and Cholesky factor of the innovation covariance for the ``used`` channels."""
    ymean = np.zeros(count)
    for a in range(count):
        for i in range(count_points):
            ymean[a] += wm[i] * ysig[i, used[a]]
    for a in range(count):
        for b in range(a + 1):
            s = 0.0
            for i in range(count_points):
                s += wc[i] * (ysig[i, used[a]] - ymean[a]) * (ysig[i, used[b]] - ymean[b])
            s_sub[a, b] = s
            s_sub[b, a] = s
        s_sub[a, a] += r_now[used[a]]
        channel = channels[used[a]]
        d = measurements_row[channel] - ymean[a]
        nu_out[a] = wrap_angle(d) if output_angles[channel] != 0 else d
    return cholesky_into(s_sub, count, s_factor)


_F1, _F2, _I1, _B1, _f8, _i8 = types.F1, types.F2, types.I1, types.B1, types.f8, types.i8


@jit(
    signature=(
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
def dual_run(
    rhs,
    output,
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
    """Dual unscented filter over a batch; arguments and results as :func:`physics_twin.estimation._compiled.filter_run`
    (``codes[0]`` and ``codes[3]`` are ignored; the excitation output stays NaN)."""
    method = codes[1]
    patience = codes[4]
    max_step = settings[0]
    n = times.shape[0]
    nz = z0.shape[0]
    m = output_index.shape[0]
    n_x = n_states
    n_p = nz - n_states
    n_groups = group_start.shape[0] - 1
    (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen) = allocate_results(
        n, nz, m, n_groups, n_p
    )
    wm_x, wc_x, spread_x = sigma_weights(max(n_x, 1), settings[1], settings[2], settings[3])
    wm_p, wc_p, spread_p = sigma_weights(max(n_p, 1), settings[1], settings[2], settings[3])
    points_x = 2 * n_x + 1
    points_p = 2 * n_p + 1
    big = max(points_x, points_p)
    x = np.empty(n_x)
    p = np.empty(p_base.shape[0])
    steps_work = np.empty((5 + n_x, n_x))
    y_all = np.empty(codes[2])
    sig = np.empty((big, nz))
    prop = np.empty((big, nz))
    dev = np.empty((big, nz))
    ysig = np.empty((big, m))
    factor_x = np.zeros((max(n_x, 1), max(n_x, 1)))
    factor_p = np.zeros((max(n_p, 1), max(n_p, 1)))
    channels = np.empty(m, dtype=np.int64)
    used = np.empty(m, dtype=np.int64)
    r_now = np.empty(m)
    nu = np.empty(m)
    nu_p = np.empty(m)
    s_sub = np.empty((m, m))
    s_factor = np.empty((m, m))
    work = np.empty((nz, max(m, 1)))
    previous = np.empty(nz)
    consecutive = np.zeros(n_groups, dtype=np.int64)
    z = z0.copy()
    cov = np.zeros((nz, nz))
    for r in range(nz):
        for c in range(nz):
            same_block = (r < n_x) == (c < n_x)
            cov[r, c] = 0.5 * (p0[r, c] + p0[c, r]) if same_block else 0.0
    t_last = t_prior
    u_last = inputs[0].copy()
    dt = 0.0
    for k in range(n):
        t = times[k]
        dt = t - t_last
        for r in range(nz):
            previous[r] = z[r]
        if dt > 0.0:
            # parameter filter: random walk; state filter: the states through the model with the parameters at their mean
            for j in range(n_p):
                cov[n_x + j, n_x + j] += q_rate[n_x + j] * dt
            if n_x > 0:
                if not block_factor(cov, 0, n_x, factor_x):
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
                draw_block(z, factor_x, 0, n_x, spread_x, sig)
                propagate_points(
                    rhs,
                    t_last,
                    sig,
                    0,
                    points_x,
                    u_last,
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
                if not finite_rows(prop, points_x, nz):
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
                sigma_mean(prop, n_x, wm_x, angles, z)
                sigma_deviations(prop, n_x, z, angles, dev)
                for r in range(n_x):
                    for c in range(r + 1):
                        s = 0.0
                        for i in range(points_x):
                            s += wc_x[i] * dev[i, r] * dev[i, c]
                        cov[r, c] = s
                        cov[c, r] = s
                    cov[r, r] += q_rate[r] * dt
        u = inputs[k]
        for g in range(n_groups):
            size, count = select_channels(measurements[k], group_start, group_channels, g, channels, used)
            # the state filter's prediction of every channel of the group
            if not block_factor(cov, 0, n_x, factor_x) and n_x > 0:
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
            draw_block(z, factor_x, 0, n_x, spread_x, sig)
            measure_points(
                output,
                t,
                sig,
                0,
                points_x,
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
            if not finite_rows(ysig, points_x, size):
                return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, NOT_FINITE, k)
            for a in range(size):
                channel = channels[a]
                mean = 0.0
                for i in range(points_x):
                    mean += wm_x[i] * ysig[i, a]
                r_now[a] = r_diag[channel] + r_relative[channel] * mean * mean
                var = r_now[a]
                for i in range(points_x):
                    var += wc_x[i] * (ysig[i, a] - mean) * (ysig[i, a] - mean)
                y_pred[k, channel] = mean
                innovation_var[k, channel] = var
            if count == 0:
                continue
            if not innovation_factor(
                ysig, points_x, wm_x, wc_x, used, count, r_now, nu, measurements[k], channels, output_angles, s_sub, s_factor
            ):
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
            value = 0.0
            solved = nu[:count].copy()
            for a in range(count):
                s = solved[a]
                for b in range(a):
                    s -= s_factor[a, b] * solved[b]
                solved[a] = s / s_factor[a, a]
                value += solved[a] * solved[a]
            for a in range(count):
                innovation[k, channels[used[a]]] = nu[a]
            nis[k, g] = value
            dof[k, g] = count
            if value > gate[count] and consecutive[g] < patience:
                gated[k, g] = 1
                consecutive[g] += 1
                continue
            consecutive[g] = 0
            # parameter filter: readings of the previous state posterior moved over dt with each parameter sigma point
            if n_p > 0 and not freeze[k]:
                if not block_factor(cov, n_x, n_p, factor_p):
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
                for r in range(n_x):
                    previous[r] = previous[r] if dt > 0.0 else z[r]
                for r in range(n_p):
                    previous[n_x + r] = z[n_x + r]
                draw_block(previous, factor_p, n_x, n_p, spread_p, sig)
                propagate_points(
                    rhs,
                    t_last,
                    sig,
                    0,
                    points_p,
                    u_last,
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
                measure_points(
                    output,
                    t,
                    prop,
                    0,
                    points_p,
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
                if not finite_rows(ysig, points_p, size):
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
                if not innovation_factor(
                    ysig,
                    points_p,
                    wm_p,
                    wc_p,
                    used,
                    count,
                    r_now,
                    nu_p,
                    measurements[k],
                    channels,
                    output_angles,
                    s_sub,
                    s_factor,
                ):
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
                block_update(sig, ysig, points_p, wm_p, wc_p, n_x, n_p, used, count, s_factor, nu_p, cov, z, work)
            elif n_p > 0:
                for j in range(n_p):
                    frozen[k, j] = 1
            # state filter update with the sigma points of its prediction
            if n_x > 0:
                draw_block(z, factor_x, 0, n_x, spread_x, sig)
                measure_points(
                    output,
                    t,
                    sig,
                    0,
                    points_x,
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
                innovation_factor(
                    ysig, points_x, wm_x, wc_x, used, count, r_now, nu, measurements[k], channels, output_angles, s_sub, s_factor
                )
                block_update(sig, ysig, points_x, wm_x, wc_x, 0, n_x, used, count, s_factor, nu, cov, z, work)
                wrap_state(z, angles)
        for r in range(nz):
            if not math.isfinite(z[r]):
                return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, NOT_FINITE, k)
            z_post[k, r] = z[r]
            for c in range(nz):
                p_post[k, r, c] = cov[r, c]
        t_last = t
        for i in range(u.shape[0]):
            u_last[i] = u[i]
    return (z_post, p_post, y_pred, innovation, innovation_var, nis, dof, gated, excitation, frozen, OK, -1)
