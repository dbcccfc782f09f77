r"""Compiled fixed-step integrators used inside filters and Monte-Carlo predictors.

``integrate(rhs, t, x, u, p, dt, max_step, method)`` advances ``x`` by ``dt`` with the input ``u``
held constant, in ``ceil(dt / max_step)`` equal sub-steps, so irregular sample intervals and long
gaps are integrated over their true length.

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

__all__ = ["METHODS", "integrate", "method_code"]

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
def _rk4_step(rhs, t, x, u, p, h):
    k1 = rhs(t, x, u, p)
    k2 = rhs(t + 0.5 * h, x + 0.5 * h * k1, u, p)
    k3 = rhs(t + 0.5 * h, x + 0.5 * h * k2, u, p)
    k4 = rhs(t + h, x + h * k3, u, p)
    return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


@jit
def _ros2_step(rhs, t, x, u, p, h):
    n = x.shape[0]
    f0 = rhs(t, x, u, p)
    jac = np.empty((n, n))
    for j in range(n):
        delta = 1.4901161193847656e-08 * max(abs(x[j]), 1.0)
        shifted = x.copy()
        shifted[j] += delta
        jac[:, j] = (rhs(t, shifted, u, p) - f0) / delta
    w = np.eye(n) - ROS2_GAMMA * h * jac
    k1 = np.linalg.solve(w, f0)
    k2 = np.linalg.solve(w, rhs(t + h, x + h * k1, u, p) - 2.0 * k1)
    return x + 1.5 * h * k1 + 0.5 * h * k2


@jit(signature=(KERNEL, types.f8, types.F1, types.F1, types.F1, types.f8, types.f8, types.i8))
def integrate(rhs, t, x, u, p, dt, max_step, method):
    """Advance ``x`` from ``t`` by ``dt`` [s] in equal sub-steps no longer than ``max_step`` [s]."""
    if dt <= 0.0 or x.shape[0] == 0:
        return x.copy()
    steps = max(1, math.ceil(dt / max_step - 1e-12))
    h = dt / steps
    state = x.copy()
    for k in range(steps):
        tk = t + k * h
        if method == 1:
            state = _ros2_step(rhs, tk, state, u, p, h)
        else:
            state = _rk4_step(rhs, tk, state, u, p, h)
    return state


@jit(signature=(KERNEL, KERNEL, types.F1, types.F2, types.F1, types.F1, types.I1, types.f8, types.f8, types.i8))
def simulate_samples(rhs, output, times, inputs, x0, p, output_index, warmup, max_step, method):
    """Outputs at the sample times with inputs held from each sample to the next (as the filters do).

    ``x0`` is the state at ``times[0] - warmup``; the first input is held during the warm-up [s].
    Returns an array (n, len(output_index)) of the selected outputs; rows after a non-finite state
    are NaN.
    """
    n = times.shape[0]
    result = np.full((n, output_index.shape[0]), np.nan)
    x = integrate(rhs, times[0] - warmup, x0, inputs[0], p, warmup, max_step, method)
    for k in range(n):
        if k > 0:
            x = integrate(rhs, times[k - 1], x, inputs[k - 1], p, times[k] - times[k - 1], max_step, method)
        finite = True
        for i in range(x.shape[0]):
            if not np.isfinite(x[i]):
                finite = False
        if not finite:
            break
        y = output(times[k], x, inputs[k], p)
        for c in range(output_index.shape[0]):
            result[k, c] = y[output_index[c]]
    return result
