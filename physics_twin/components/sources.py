r"""Sources: a supply voltage (DC, step or pulse, sine) and a piecewise-linear speed profile.

Sources have no states and no inputs; their output is a function of time computed in the kernel, so
they can drive a :class:`~physics_twin.core.system.System`. A source whose output jumps (a voltage
step) or kinks (the corners of a speed profile) must tell the solver where: each source has
:meth:`breakpoints`, and :func:`source_breakpoints` collects those of every source in a system, to
pass as ``simulate(..., breakpoints=...)``. An adaptive solver that is not told can step over a
short pulse entirely. Measured profiles (many points) are better fed as an
:class:`~physics_twin.core.simulate.InputTable` on a system input, which ``simulate`` splits at by
itself.

**VoltageSource**: :math:`V(t) = V_{dc} + V_{step}\,[t_0 \le t < t_0 + \Delta] + \hat V \sin(2\pi f t + \varphi)`
(a step for :math:`\Delta = \infty`, a pulse otherwise).

**SpeedProfile**: linear interpolation through up to eight points :math:`(t_k, \omega_k)`, holding
the first and last value outside; the acceleration output is the slope of the current segment.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np

from physics_twin.core._jit import jit
from physics_twin.core.component import Component, no_derivatives
from physics_twin.core.declarations import Output, Parameter
from physics_twin.errors import ParameterError, ShapeError

__all__ = ["SpeedProfile", "VoltageSource", "source_breakpoints"]

ANY = (-math.inf, math.inf)
MAX_POINTS = 8


# -- voltage -----------------------------------------------------------------------------------------------


@jit
def voltage_output(t, x, u, p, y):
    dc, step, start, duration, amplitude, frequency, phase = p[0], p[1], p[2], p[3], p[4], p[5], p[6]
    value = dc + amplitude * math.sin(2.0 * math.pi * frequency * t + phase)
    if start <= t < start + duration:
        value += step
    y[0] = value


class VoltageSource(Component):
    """A supply voltage: DC level, a step or pulse, and a sine; see the module docstring."""

    OUTPUTS = (Output("voltage", "V", "source voltage"),)
    PARAMETERS = (
        Parameter("dc_voltage", "V", "constant part V_dc", 0.0, ANY, "none by default"),
        Parameter("step_voltage", "V", "height of the step or pulse V_step", 24.0, ANY, "illustrative default"),
        Parameter("step_time", "s", "time t0 at which the step or pulse starts", 0.0, ANY, "at the start"),
        Parameter("pulse_duration", "s", "duration of the pulse (a huge value makes a step)", 1e300, (0.0, math.inf), "a step"),
        Parameter("amplitude", "V", "amplitude of the sine", 0.0, ANY, "none by default"),
        Parameter("frequency", "Hz", "frequency of the sine", 50.0, (0.0, math.inf), "50 Hz grid"),
        Parameter("phase", "rad", "phase of the sine at t = 0", 0.0, ANY, "zero"),
    )
    FEEDTHROUGH = {}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(voltage_output)

    def breakpoints(self) -> list[float]:
        """Times at which the voltage jumps: the start and the end of the step or pulse. [s]"""
        start, duration = self.parameter("step_time"), self.parameter("pulse_duration")
        end = start + duration
        return [start] if not math.isfinite(end) or end > 1e299 else [start, end]


# -- speed profile -----------------------------------------------------------------------------------------


@jit
def profile_output(t, x, u, p, y):
    count = int(p[0])
    times = p[1 : 1 + MAX_POINTS]
    speeds = p[1 + MAX_POINTS : 1 + 2 * MAX_POINTS]
    if t <= times[0]:
        y[0] = speeds[0]
        y[1] = 0.0
        return
    if t >= times[count - 1]:
        y[0] = speeds[count - 1]
        y[1] = 0.0
        return
    k = 0
    while times[k + 1] <= t:
        k += 1
    slope = (speeds[k + 1] - speeds[k]) / (times[k + 1] - times[k])
    y[0] = speeds[k] + slope * (t - times[k])
    y[1] = slope


_PROFILE_DEFAULT = ((0.0, 0.0), (1.0, 150.0), (4.0, 150.0), (5.0, 0.0))


def _profile_parameters() -> tuple[Parameter, ...]:
    records = [
        Parameter(
            "point_count",
            "1",
            "number of profile points used (2 to 8)",
            float(len(_PROFILE_DEFAULT)),
            (2.0, MAX_POINTS),
            "illustrative trapezoid",
        )
    ]
    for k in range(MAX_POINTS):
        time = _PROFILE_DEFAULT[k][0] if k < len(_PROFILE_DEFAULT) else _PROFILE_DEFAULT[-1][0] + k
        records.append(Parameter(f"time_{k}", "s", f"time of profile point {k}", time, ANY, "illustrative trapezoid"))
    for k in range(MAX_POINTS):
        speed = _PROFILE_DEFAULT[k][1] if k < len(_PROFILE_DEFAULT) else _PROFILE_DEFAULT[-1][1]
        records.append(Parameter(f"speed_{k}", "rad/s", f"speed at profile point {k}", speed, ANY, "illustrative trapezoid"))
    return tuple(records)


class SpeedProfile(Component):
    """A piecewise-linear speed set-point through up to eight points; see the module docstring."""

    OUTPUTS = (
        Output("speed", "rad/s", "speed set-point"),
        Output("acceleration", "rad/s^2", "slope of the profile (0 outside it)"),
    )
    PARAMETERS = _profile_parameters()
    FEEDTHROUGH = {}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(profile_output)

    @classmethod
    def from_points(cls, name: str, times: Sequence[float], speeds: Sequence[float]) -> SpeedProfile:
        """A profile through the points ``(times[k], speeds[k])``, 2 to 8 of them, times strictly increasing. [s, rad/s]"""
        times_array = np.asarray(times, dtype=float)
        speeds_array = np.asarray(speeds, dtype=float)
        if times_array.ndim != 1 or times_array.shape != speeds_array.shape or not 2 <= times_array.size <= MAX_POINTS:
            raise ShapeError(
                f"`times` and `speeds` must be 1-D of equal length between 2 and {MAX_POINTS}; "
                f"got {times_array.shape} and {speeds_array.shape}."
            )
        values: dict[str, float] = {"point_count": float(times_array.size)}
        for k in range(MAX_POINTS):
            index = min(k, times_array.size - 1)
            values[f"time_{k}"] = float(times_array[index] + (k - index))
            values[f"speed_{k}"] = float(speeds_array[index])
        return cls(name, **values)

    @classmethod
    def parameter_problems(cls, values):
        count = values["point_count"]
        if count != round(count):
            return [f"`point_count` must be a whole number; got {count!r}."]
        times = [values[f"time_{k}"] for k in range(int(count))]
        if any(b <= a for a, b in itertools.pairwise(times)):
            return [f"`time_0` ... `time_{int(count) - 1}` must be strictly increasing; got {times}."]
        return []

    def breakpoints(self) -> list[float]:
        """The profile's corner times, where the acceleration jumps. [s]"""
        return [self.parameter(f"time_{k}") for k in range(int(self.parameter("point_count")))]


def source_breakpoints(components: Iterable[Component] | object) -> list[float]:
    """Sorted breakpoints of every source among ``components`` (a sequence of components or a System). [s]

    Pass the result to ``simulate(model, t_eval, breakpoints=...)``.
    """
    members = getattr(components, "components", components)
    if not isinstance(members, Iterable):
        raise ParameterError(f"`components` must be a System or a sequence of components; got {type(components).__name__}.")
    times = {float(t) for c in members if hasattr(c, "breakpoints") for t in c.breakpoints()}
    return sorted(t for t in times if math.isfinite(t))
