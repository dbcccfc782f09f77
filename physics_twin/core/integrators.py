r"""Compiled fixed-step integrators used inside filters and Monte-Carlo predictors.

``integrate_into(rhs, t, x, u, p, dt, max_step, method, work)`` advances ``x`` in place by ``dt`` with the
input ``u`` held constant (``integrate`` returns a new array instead), in ``ceil(dt / max_step)`` equal
sub-steps, so irregular sample intervals and long gaps are integrated over their true length.

Methods
-------
``RK4`` (0)
    Classical fourth-order Runge–Kutta; for non-stiff models.
``ROS2`` (1)
    Two-stage, second-order, L-stable Rosenbrock (W-)method of Verwer et al. (1999) with a
    finite-difference Jacobian:

    .. math::

        (I - \gamma h J) k_1 = f(t_n, x_n), \quad
        (I - \gamma h J) k_2 = f(t_n + h, x_n + h k_1) - 2 k_1, \quad
        x_{n+1} = x_n + \tfrac{3}{2} h k_1 + \tfrac{1}{2} h k_2,

    with :math:`\gamma = 1 + 1/\sqrt{2}`. Second order for any approximation of the Jacobian,
    stable for stiff models (fast electrical or hydraulic time constants beside slow thermal ones),
    so a filter with 1 s samples needs a few sub-steps instead of thousands.

References
----------
Verwer, J. G., Spee, E. J., Blom, J. G., Hundsdorfer, W. (1999). A second-order Rosenbrock method
applied to photochemical dispersion problems. *SIAM J. Sci. Comput.* 20(4), 1456–1480.
doi:10.1137/S1064827597326651.
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import KERNEL, jit, types

__all__ = ["METHODS", "integrate", "integrate_into", "method_code", "substeps"]

METHODS = {"RK4": 0, "ROS2": 1}
ROS2_GAMMA = 1.0 + 1.0 / math.sqrt(2.0)


def method_code(name: str) -> int:
    """Integer code of an integrator name (``"RK4"`` or ``"ROS2"``)."""
    from physics_twin.errors import ParameterError

    key = str(name).upper()
    if key not in METHODS:
        raise ParameterError(f"`integrator` must be one of {sorted(METHODS)}; got {name!r}.")
    return METHODS[key]


@jit
def substeps(dt, max_step):
    """Number of equal sub-steps no longer than ``max_step`` (rounding of sample times forgiven: 1e-9 relative).

    Times such as ``k * 1e-3`` carry rounding of ~1e-15 s, so an interval meant to be one ``max_step`` long can come
    out a hair longer; it must not take two sub-steps.
    """
    return max(1, math.ceil(dt / max_step * (1.0 - 1e-9)))


@jit
def rk4_step(rhs, t, x, u, p, h, k1, k2, k3, k4, stage):
    """One classical RK4 step of length ``h`` [s] applied to ``x`` in place (``k1 .. k4``, ``stage``: scratch)."""
    n = x.shape[0]
    rhs(t, x, u, p, k1)
    for r in range(n):
        stage[r] = x[r] + 0.5 * h * k1[r]
    rhs(t + 0.5 * h, stage, u, p, k2)
    for r in range(n):
        stage[r] = x[r] + 0.5 * h * k2[r]
    rhs(t + 0.5 * h, stage, u, p, k3)
    for r in range(n):
        stage[r] = x[r] + h * k3[r]
    rhs(t + h, stage, u, p, k4)
    for r in range(n):
        x[r] = x[r] + (h / 6.0) * (k1[r] + 2.0 * k2[r] + 2.0 * k3[r] + k4[r])


@jit
def ros2_step(rhs, t, x, u, p, h, f0, f1, stage, jac):
    """One ROS2 step of length ``h`` [s] applied to ``x`` in place (``f0``, ``f1``, ``stage``, ``jac``: scratch)."""
    n = x.shape[0]
    rhs(t, x, u, p, f0)
    for j in range(n):
        delta = 1.4901161193847656e-08 * max(abs(x[j]), 1.0)
        for r in range(n):
            stage[r] = x[r]
        stage[j] += delta
        rhs(t, stage, u, p, f1)
        for r in range(n):
            jac[r, j] = (f1[r] - f0[r]) / delta
    if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(f0))):
        # the linear solves would raise on non-finite values: a NaN state instead, which every caller reports
        x[:] = np.nan
        return
    w = np.eye(n) - ROS2_GAMMA * h * jac
    k1 = np.linalg.solve(w, f0)
    for r in range(n):
        stage[r] = x[r] + h * k1[r]
    rhs(t + h, stage, u, p, f1)
    if not np.all(np.isfinite(f1)):
        x[:] = np.nan
        return
    k2 = np.linalg.solve(w, f1 - 2.0 * k1)
    for r in range(n):
        x[r] = x[r] + 1.5 * h * k1[r] + 0.5 * h * k2[r]


@jit
def integrate_into(rhs, t, x, u, p, dt, max_step, method, work):
    """Advance ``x`` in place from ``t`` by ``dt`` [s] in equal sub-steps no longer than ``max_step`` [s].

    ``work`` is scratch of shape (5 + n, n) for n states (allocated once by the caller and reused).
    """
    n = x.shape[0]
    if dt <= 0.0 or n == 0:
        return
    steps = substeps(dt, max_step)
    h = dt / steps
    for k in range(steps):
        tk = t + k * h
        if method == 1:
            ros2_step(rhs, tk, x, u, p, h, work[0], work[1], work[2], work[5:])
        else:
            rk4_step(rhs, tk, x, u, p, h, work[0], work[1], work[2], work[3], work[4])


@jit(signature=(KERNEL, types.f8, types.F1, types.F1, types.F1, types.f8, types.f8, types.i8))
def integrate(rhs, t, x, u, p, dt, max_step, method):
    """``x`` advanced from ``t`` by ``dt`` [s] in equal sub-steps no longer than ``max_step`` [s] (a new array)."""
    state = x.copy()
    integrate_into(rhs, t, state, u, p, dt, max_step, method, np.empty((5 + x.shape[0], x.shape[0])))
    return state


@jit(signature=(KERNEL, KERNEL, types.F1, types.F2, types.F1, types.F1, types.i8, types.I1, types.f8, types.f8, types.i8))
def simulate_samples(rhs, output, times, inputs, x0, p, n_outputs, output_index, warmup, max_step, method):
    """Outputs at the sample times with inputs held from each sample to the next (as the filters do).

    ``x0`` is the state at ``times[0] - warmup``; the first input is held during the warm-up [s].
    ``n_outputs`` is the model's number of outputs (the size ``output`` writes). Returns an array
    (n, len(output_index)) of the selected outputs; rows after a non-finite state are NaN.
    """
    n = times.shape[0]
    n_x = x0.shape[0]
    result = np.full((n, output_index.shape[0]), np.nan)
    work = np.empty((5 + n_x, n_x))
    y = np.empty(n_outputs)
    x = x0.copy()
    integrate_into(rhs, times[0] - warmup, x, inputs[0], p, warmup, max_step, method, work)
    for k in range(n):
        if k > 0:
            integrate_into(rhs, times[k - 1], x, inputs[k - 1], p, times[k] - times[k - 1], max_step, method, work)
        finite = True
        for i in range(n_x):
            if not np.isfinite(x[i]):
                finite = False
        if not finite:
            break
        output(times[k], x, inputs[k], p, y)
        for c in range(output_index.shape[0]):
            result[k, c] = y[output_index[c]]
    return result
