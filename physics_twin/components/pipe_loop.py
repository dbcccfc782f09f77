r"""A pipe loop with a throttling valve and fluid inertia, driven by a pump's pressure rise.

The water column of the loop accelerates under the pump's pressure rise minus the static lift and
the quadratic losses of the pipe and the valve:

.. math::

    I \frac{dQ}{dt} = \Delta p_{pump} - \rho g H_{st} - \left(K_{pipe} + \frac{K_{valve}}{s^2}\right) Q\,|Q|,
    \qquad I = \frac{\rho L}{A},

where :math:`s \in (0, 1]` is the valve opening (the valve's flow coefficient scales with the
opening, so its loss coefficient scales with :math:`1/s^2`) and :math:`K` are loss coefficients
[Pa·s²/m⁶]. The steady state is the intersection of the pump curve with the system curve
:math:`\Delta p = \rho g H_{st} + K Q^2`. Throttling a valve (SKAB's valve experiments) raises the
system resistance :math:`K_{sys} = K_{pipe} + K_{valve}/s^2`.

Assumptions: incompressible fluid, fully turbulent losses (quadratic in flow), rigid pipe.

References
----------
White, F. M. (2011). *Fluid Mechanics*, 7th ed., §6.9 (minor losses) and §11.6 (pump and system
curves). McGraw-Hill. ISBN 978-0-07-352934-9.
Wylie, E. B., Streeter, V. L. (1993). *Fluid Transients in Systems*, §1.3 (rigid water column).
Prentice Hall. ISBN 978-0-13-322173-6.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["PipeLoop"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
GRAVITY = 9.80665  # standard gravity [m/s²]

STATES = (State("flow_rate", "m^3/s", "volume flow around the loop", 0.0),)
INPUTS = (
    Input("pressure_rise", "Pa", "pressure rise delivered by the pump", 0.0),
    Input("valve_opening", "1", "valve opening, 1 = fully open", 1.0),
)
OUTPUTS = (
    Output("flow_rate", "m^3/s", "volume flow around the loop"),
    Output("system_resistance", "Pa*s^2/m^6", "total loss coefficient of pipe and valve"),
    Output("valve_pressure_drop", "Pa", "pressure lost across the valve"),
)
PARAMETERS = (
    Parameter("fluid_inertance", "kg/m^4", "rho*L/A of the water column", 2.0e7, NONZERO, "illustrative: 10 m of 25 mm pipe"),
    Parameter("static_head", "m", "geodetic lift of the loop (0 for a closed loop)", 0.0, (-math.inf, math.inf), "closed loop"),
    Parameter(
        "pipe_resistance",
        "Pa*s^2/m^6",
        "quadratic loss coefficient of pipe and fittings",
        2.0e10,
        POSITIVE,
        "illustrative default",
    ),
    Parameter(
        "valve_resistance",
        "Pa*s^2/m^6",
        "quadratic loss coefficient of the fully open valve",
        1.0e10,
        POSITIVE,
        "illustrative default",
    ),
    Parameter("fluid_density", "kg/m^3", "density of the fluid", 998.2, POSITIVE, "water at 20 °C"),
)

MINIMUM_OPENING = 1e-6  # a closed valve is modelled as 1e-6 open, keeping the loss coefficient finite


@jit
def _resistance(opening, p):
    s = max(opening, MINIMUM_OPENING)
    return p[2] + p[3] / (s * s)


@jit
def rhs(t, x, u, p, dx):
    flow = x[0]
    dx[0] = (u[0] - p[4] * GRAVITY * p[1] - _resistance(u[1], p) * flow * abs(flow)) / p[0]


@jit
def output(t, x, u, p, y):
    s = max(u[1], MINIMUM_OPENING)
    y[0] = x[0]
    y[1] = _resistance(u[1], p)
    y[2] = p[3] / (s * s) * x[0] * abs(x[0])


class PipeLoop(Component):
    """Pipe loop with valve and fluid inertia; see the module docstring for the equations."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"system_resistance": ("valve_opening",), "valve_pressure_drop": ("valve_opening",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
