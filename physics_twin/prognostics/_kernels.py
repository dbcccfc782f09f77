"""Compiled loop of the RUL predictors: every sample forward in time until its failure condition is met.

One entry point, :func:`time_to_failure`, takes the model kernels as first-class functions (the
``KERNEL`` type) with an explicit signature, so it compiles once, is cached on disk and serves
every model. It works on a precomputed grid of evaluation steps (``step_ends``, in operating
seconds since the estimate) with the piecewise-constant input of each step, and returns per
sample the time of the first crossing, a status code and the signal values at start and end.

Crossing location
-----------------
The failure signal is evaluated at the end of every step. When a step crosses, the crossing time
is first placed by linear interpolation of the signal inside the step; with ``refine_iterations``
> 0 it is then refined by the Illinois (modified regula falsi) method on the trajectory
re-integrated from the start of the step, until the bracket is shorter than ``time_tolerance``.
A step whose end state is not finite (a blow-up such as damage growth with exponent m > 1) counts
as crossed; the bracket is then halved (bisection) until its ends are finite. With process noise
the path inside a step is not defined (noise is added at the step ends), so the crossing time is
the linear interpolation between the two noisy step ends and no refinement is done.
"""

from __future__ import annotations

import math

import numpy as np

from physics_twin.core._jit import KERNEL, jit, types
from physics_twin.core.integrators import integrate_into
from physics_twin.estimation._kernels import LOG, decode

# status of a sample after the run
CENSORED, CROSSED, FAILED_AT_START, DIVERGED, INVALID_START = 0, 1, 2, 3, 4

STATE_SIGNAL, OUTPUT_SIGNAL = 0, 1


@jit
def signal_margin(output, t, x, u, p, kind, index, threshold, direction, y):
    """Signed distance to the threshold (>= 0: failed) and the signal value (``y``: scratch for all outputs)."""
    if kind == STATE_SIGNAL:
        value = x[index]
    else:
        output(t, x, u, p, y)
        value = y[index]
    return direction * (value - threshold), value


@jit
def _finite_vector(x):
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]):
            return False
    return True


@jit
def _crossed(margin):
    """True when a margin says failed; a non-finite margin (blow-up) counts as failed."""
    return (not math.isfinite(margin)) or margin >= 0.0


@jit
def _refine(
    rhs,
    output,
    t_abs,
    x,
    u,
    p,
    h,
    margin_start,
    margin_end,
    max_step,
    method,
    kind,
    index,
    threshold,
    direction,
    refine_iterations,
    time_tolerance,
    xc,
    y,
    work,
):
    """Crossing time inside one step [0, h] of the trajectory starting at ``x``; see the module docstring.

    ``xc`` (n_x), ``y`` (n_outputs) and ``work`` (the integrator's scratch) are scratch."""
    a, fa = 0.0, margin_start
    b, fb = h, margin_end
    side = 0
    for _ in range(refine_iterations):
        if b - a <= time_tolerance:
            break
        if math.isfinite(fb):
            c = a + (b - a) * (-fa) / (fb - fa)
            # keep the trial point strictly inside the bracket
            c = min(max(c, a + 1e-3 * (b - a)), b - 1e-3 * (b - a))
        else:
            c = 0.5 * (a + b)
        for j in range(x.shape[0]):
            xc[j] = x[j]
        integrate_into(rhs, t_abs, xc, u, p, c, max_step, method, work)
        if _finite_vector(xc):
            fc, _ = signal_margin(output, t_abs + c, xc, u, p, kind, index, threshold, direction, y)
        else:
            fc = math.inf
        if fc == 0.0:
            return c
        if _crossed(fc):
            b, fb = c, fc
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            a, fa = c, fc
            if side == -1 and math.isfinite(fb):
                fb *= 0.5
            side = -1
    if math.isfinite(fb) and fb != fa:
        return a + (b - a) * (-fa) / (fb - fa)
    return b


@jit(
    signature=(
        KERNEL,
        KERNEL,
        types.F2,
        types.F2,
        types.F1,
        types.I1,
        types.F2,
        types.f8,
        types.f8,
        types.i8,
        types.i8,
        types.i8,
        types.i8,
        types.f8,
        types.f8,
        types.F3,
        types.F1,
        types.I1,
        types.i8,
        types.f8,
    )
)
def time_to_failure(
    rhs,
    output,
    states,
    parameters,
    step_ends,
    step_segment,
    segment_inputs,
    start_time,
    max_step,
    method,
    kind,
    index,
    n_outputs,
    threshold,
    direction,
    noise,
    noise_scale,
    state_transforms,
    refine_iterations,
    time_tolerance,
):
    """Propagate every sample until its failure condition or the end of the grid.

    Parameters (arrays are float64 unless said otherwise)
    ------------------------------------------------------
    states : (n, n_x)          initial states [SI]
    parameters : (n, n_p)      parameter vectors [SI]
    step_ends : (k,)           ends of the evaluation steps, operating seconds since the estimate [s]
    step_segment : (k,) int    input segment of each step
    segment_inputs : (s, n_u)  input vector of each segment [SI]
    start_time : model time at the estimate (passed to the kernels as t) [s]
    kind, index : signal kind (0 state, 1 output) and its index
    n_outputs : the model's number of outputs (the size ``output`` writes)
    threshold, direction : failure when direction * (signal - threshold) >= 0
    noise : (n, k, n_x) standard normal draws, or shape (0, 0, 0) for none
    noise_scale : (n_x,) process-noise intensity in the state's transformed space [unit/sqrt(s)]
    state_transforms : (n_x,) int  0 identity (additive noise), 1 log (multiplicative noise)

    Returns
    -------
    time (n,) [s]: crossing time since the estimate (the last step end when censored, 0 when failed at
    start); status (n,) int; initial signal (n,); final signal (n,) at the end of the crossing step (or the horizon).
    """
    n = states.shape[0]
    n_steps = step_ends.shape[0]
    n_x = states.shape[1]
    horizon = step_ends[n_steps - 1]
    use_noise = noise.shape[0] > 0
    times = np.zeros(n)
    status = np.zeros(n, dtype=np.int64)
    initial = np.full(n, np.nan)
    final = np.full(n, np.nan)
    y = np.empty(n_outputs)
    x_new = np.empty(n_x)
    x_trial = np.empty(n_x)
    work = np.empty((5 + n_x, n_x))
    for i in range(n):
        x = states[i].copy()
        p = parameters[i].copy()
        u = segment_inputs[step_segment[0]].copy()
        if not _finite_vector(x):
            status[i] = INVALID_START
            continue
        margin, value = signal_margin(output, start_time, x, u, p, kind, index, threshold, direction, y)
        initial[i] = value
        if not math.isfinite(margin):
            status[i] = INVALID_START
            continue
        if margin >= 0.0:
            status[i] = FAILED_AT_START
            final[i] = value
            continue
        times[i] = horizon
        t_prev = 0.0
        for k in range(n_steps):
            u = segment_inputs[step_segment[k]].copy()
            h = step_ends[k] - t_prev
            for j in range(n_x):
                x_new[j] = x[j]
            integrate_into(rhs, start_time + t_prev, x_new, u, p, h, max_step, method, work)
            if use_noise:
                root_h = math.sqrt(h)
                for j in range(n_x):
                    if noise_scale[j] > 0.0:
                        increment = noise_scale[j] * root_h * noise[i, k, j]
                        if state_transforms[j] == LOG:
                            x_new[j] = x_new[j] * math.exp(increment)
                        else:
                            x_new[j] = x_new[j] + increment
            finite = _finite_vector(x_new)
            if finite:
                margin_new, value_new = signal_margin(
                    output, start_time + step_ends[k], x_new, u, p, kind, index, threshold, direction, y
                )
            else:
                margin_new, value_new = math.inf, math.nan
            if _crossed(margin_new):
                if use_noise:
                    if math.isfinite(margin_new):
                        offset = h * (-margin) / (margin_new - margin) if margin_new != margin else h
                    else:
                        offset = h
                else:
                    offset = _refine(
                        rhs,
                        output,
                        start_time + t_prev,
                        x,
                        u,
                        p,
                        h,
                        margin,
                        margin_new,
                        max_step,
                        method,
                        kind,
                        index,
                        threshold,
                        direction,
                        refine_iterations,
                        time_tolerance,
                        x_trial,
                        y,
                        work,
                    )
                times[i] = t_prev + min(max(offset, 0.0), h)
                status[i] = CROSSED if finite and math.isfinite(margin_new) else DIVERGED
                final[i] = value_new
                break
            for j in range(n_x):
                x[j] = x_new[j]
            margin = margin_new
            value = value_new
            t_prev = step_ends[k]
        if status[i] == CENSORED:
            final[i] = value
    return times, status, initial, final


@jit
def decode_all(z, n_states, p_base, parameter_index, transforms, lower, upper):
    """Physical states (n, n_states) and full parameter vectors (n, n_p) of augmented rows ``z`` (n, nz)."""
    n = z.shape[0]
    states = np.empty((n, n_states))
    parameters = np.empty((n, p_base.shape[0]))
    for i in range(n):
        x, p = decode(z[i], n_states, p_base, parameter_index, transforms, lower, upper)
        states[i] = x
        parameters[i] = p
    return states, parameters
