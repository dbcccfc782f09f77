r"""Pipes, valves and tanks for liquid networks (incompressible, single phase).

**Pipe** (rigid, the water column accelerates as one mass; Wylie & Streeter 1993, §1.3): with the
flow :math:`Q`, area :math:`A = \pi D^2/4`, mean velocity :math:`v = Q/A` and the geodetic rise
:math:`\Delta z` from inlet to outlet,

.. math::

    \frac{\rho L}{A}\frac{dQ}{dt} = p_{in} - p_{out} - \rho g \Delta z - \Delta p_f(Q), \qquad
    \Delta p_f = \left(f\frac{L}{D} + K\right)\frac{\rho v |v|}{2},

with the Darcy friction factor :math:`f = 64/Re` for :math:`Re \le 2000` (Hagen–Poiseuille), the
Swamee–Jain explicit approximation of Colebrook–White for :math:`Re \ge 4000` (measured against
Colebrook: within 3 % for :math:`10^{-6} \le \epsilon/D \le 10^{-2}`, :math:`5000 \le Re \le 10^8`,
the largest deviation at low Re and high roughness; within 1.2 % for :math:`Re \ge 10^4`,
:math:`\epsilon/D \le 10^{-3}`),

.. math::

    f = 0.25\left[\log_{10}\left(\frac{\epsilon/D}{3.7} + \frac{5.74}{Re^{0.9}}\right)\right]^{-2},

and a linear blend in :math:`Re` between (the transition is not predictable anyway). :math:`K` sums
the minor losses (bends, entry, exit).

**Valve** (IEC 60534-2-1 sizing equation for incompressible flow, SI form): the flow coefficient
:math:`K_v` is the flow of water (1000 kg/m³) at a pressure drop of 1 bar through the open valve, and
the opening :math:`s \in [0, 1]` scales it by the inherent characteristic (linear :math:`s`, or
equal percentage :math:`R^{s-1}` with rangeability :math:`R`):

.. math::

    Q = K_v\,\phi(s)\sqrt{\frac{\Delta p}{\Delta p_0}\frac{\rho_0}{\rho}} \iff
    \Delta p = \Delta p_0 \frac{\rho}{\rho_0}\left(\frac{Q}{K_v\phi(s)}\right)^2 \mathrm{sign}(Q),

with :math:`\Delta p_0 = 10^5` Pa, :math:`\rho_0 = 1000` kg/m³. A closed valve is modelled as
:math:`10^{-6}` open; openings above 1 extrapolate the characteristic. No choking or cavitation limit.

**Tank** (open or pressurised, vertical walls): :math:`A\,\dot h = Q_{in} - Q_{out}`, bottom pressure
:math:`p_b = p_s + \rho g h`. The level is not limited: a negative level means the tank ran dry and
the network around it is no longer valid.

References
----------
White, F. M. (2011). *Fluid Mechanics*, 7th ed., §6.7 (Moody chart, Colebrook) and §6.9 (minor
losses). McGraw-Hill. ISBN 978-0-07-352934-9.
Swamee, P. K., Jain, A. K. (1976). Explicit equations for pipe-flow problems. *J. Hydraul. Div.*
102(5), 657–664. doi:10.1061/JYCEAJ.0004542.
Wylie, E. B., Streeter, V. L. (1993). *Fluid Transients in Systems*, §1.3. Prentice Hall.
IEC 60534-2-1:2011 Industrial-process control valves — Flow capacity — Sizing equations for fluid
flow under installed conditions, eq. (1) (incompressible, non-choked).
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component, no_derivatives
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["Pipe", "Tank", "Valve", "darcy_friction_factor"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
GRAVITY = 9.80665  # standard gravity [m/s²]
WATER = "water at 20 °C"
LAMINAR, TURBULENT = 2000.0, 4000.0
MINIMUM_OPENING = 1e-6
REFERENCE_DROP, REFERENCE_DENSITY = 1e5, 1000.0  # IEC 60534: Kv at 1 bar with water


@jit
def darcy_friction_factor(reynolds, relative_roughness):
    """Darcy friction factor: 64/Re (laminar), Swamee–Jain (turbulent), linear blend for 2000 < Re < 4000. [1]"""
    re = max(reynolds, 1e-12)
    if re <= LAMINAR:
        return 64.0 / re
    turbulent_re = max(re, TURBULENT)
    turbulent = 0.25 / math.log10(relative_roughness / 3.7 + 5.74 / turbulent_re**0.9) ** 2
    if re >= TURBULENT:
        return turbulent
    weight = (re - LAMINAR) / (TURBULENT - LAMINAR)
    return (1.0 - weight) * 64.0 / LAMINAR + weight * turbulent


# -- pipe ------------------------------------------------------------------------------------------------

PIPE_STATES = (State("flow_rate", "m^3/s", "volume flow from inlet to outlet", 0.0),)
PIPE_INPUTS = (
    Input("inlet_pressure", "Pa", "pressure at the pipe inlet", 2.0e5),
    Input("outlet_pressure", "Pa", "pressure at the pipe outlet", 1.0e5),
)
PIPE_OUTPUTS = (
    Output("flow_rate", "m^3/s", "volume flow from inlet to outlet"),
    Output("velocity", "m/s", "mean flow velocity"),
    Output("friction_pressure_drop", "Pa", "pressure lost to wall friction and minor losses"),
    Output("reynolds_number", "1", "Reynolds number of the mean flow"),
)
PIPE_PARAMETERS = (
    Parameter("length", "m", "pipe length L", 10.0, NONZERO, "illustrative default"),
    Parameter("diameter", "m", "inner diameter D", 0.04, NONZERO, "illustrative: DN40"),
    Parameter(
        "roughness", "m", "equivalent sand roughness epsilon", 4.5e-5, POSITIVE, "commercial steel, White (2011) Table 6.1"
    ),
    Parameter(
        "minor_loss_coefficient", "1", "sum of minor loss coefficients K", 2.0, POSITIVE, "illustrative: entry, exit, two bends"
    ),
    Parameter("elevation_rise", "m", "height of the outlet above the inlet", 0.0, (-math.inf, math.inf), "horizontal pipe"),
    Parameter("fluid_density", "kg/m^3", "density of the liquid", 998.2, NONZERO, WATER),
    Parameter("dynamic_viscosity", "Pa*s", "dynamic viscosity of the liquid", 1.002e-3, NONZERO, WATER),
)


@jit
def _pipe_friction(flow, p):
    length, diameter, roughness, minor, density, viscosity = p[0], p[1], p[2], p[3], p[5], p[6]
    area = 0.25 * math.pi * diameter * diameter
    velocity = flow / area
    reynolds = density * abs(velocity) * diameter / viscosity
    if reynolds <= LAMINAR:
        # Hagen–Poiseuille written without 1/Re, finite at rest; minor losses stay quadratic
        return (
            32.0 * viscosity * length * velocity / (diameter * diameter) + minor * 0.5 * density * velocity * abs(velocity),
            velocity,
            reynolds,
        )
    f = darcy_friction_factor(reynolds, roughness / diameter)
    return (f * length / diameter + minor) * 0.5 * density * velocity * abs(velocity), velocity, reynolds


@jit
def pipe_rhs(t, x, u, p, dx):
    area = 0.25 * math.pi * p[1] * p[1]
    friction = _pipe_friction(x[0], p)[0]
    dx[0] = (u[0] - u[1] - p[5] * GRAVITY * p[4] - friction) * area / (p[5] * p[0])


@jit
def pipe_output(t, x, u, p, y):
    friction, velocity, reynolds = _pipe_friction(x[0], p)
    y[0] = x[0]
    y[1] = velocity
    y[2] = friction
    y[3] = reynolds


class Pipe(Component):
    """A rigid pipe with Darcy–Weisbach friction, minor losses, lift and fluid inertia; see the module docstring."""

    STATES = PIPE_STATES
    INPUTS = PIPE_INPUTS
    OUTPUTS = PIPE_OUTPUTS
    PARAMETERS = PIPE_PARAMETERS
    FEEDTHROUGH = {}
    rhs = staticmethod(pipe_rhs)
    output = staticmethod(pipe_output)

    @classmethod
    def parameter_problems(cls, values):
        if values["roughness"] >= values["diameter"]:
            return [f"`roughness` must be below `diameter`; got {values['roughness']!r} m >= {values['diameter']!r} m."]
        return []


# -- valve -----------------------------------------------------------------------------------------------

VALVE_INPUTS = (
    Input("flow_rate", "m^3/s", "volume flow through the valve", 0.0),
    Input("opening", "1", "valve travel, 0 closed to 1 fully open", 1.0),
    Input("outlet_pressure", "Pa", "pressure downstream of the valve", 1.0e5),
)
VALVE_OUTPUTS = (
    Output("inlet_pressure", "Pa", "pressure upstream of the valve"),
    Output("pressure_drop", "Pa", "pressure drop across the valve"),
    Output("relative_flow_coefficient", "1", "inherent characteristic phi(s): Kv(s)/Kv"),
)
VALVE_PARAMETERS = (
    Parameter(
        "flow_coefficient",
        "m^3/s",
        "Kv: water flow at 1 bar drop through the open valve",
        10.0 / 3600.0,
        NONZERO,
        "illustrative: Kv = 10 m³/h",
    ),
    Parameter(
        "equal_percentage", "1", "0: linear characteristic, 1: equal percentage", 0.0, (0.0, 1.0), "IEC 60534-1 characteristics"
    ),
    Parameter(
        "rangeability", "1", "R of the equal-percentage characteristic R^(s-1)", 50.0, (1.0, math.inf), "typical globe valve"
    ),
    Parameter("fluid_density", "kg/m^3", "density of the liquid", 998.2, NONZERO, WATER),
)


@jit
def _characteristic(opening, p):
    s = max(opening, MINIMUM_OPENING)  # above 1 the characteristic is extrapolated
    if p[1] >= 0.5:
        return max(p[2] ** (s - 1.0), MINIMUM_OPENING)
    return s


@jit
def valve_output(t, x, u, p, y):
    phi = _characteristic(u[1], p)
    ratio = u[0] / (p[0] * phi)
    drop = REFERENCE_DROP * p[3] / REFERENCE_DENSITY * ratio * abs(ratio)
    y[0] = u[2] + drop
    y[1] = drop
    y[2] = phi


class Valve(Component):
    """A control valve: IEC 60534 flow coefficient with linear or equal-percentage characteristic; see the module docstring."""

    INPUTS = VALVE_INPUTS
    OUTPUTS = VALVE_OUTPUTS
    PARAMETERS = VALVE_PARAMETERS
    FEEDTHROUGH = {
        "inlet_pressure": ("flow_rate", "opening", "outlet_pressure"),
        "pressure_drop": ("flow_rate", "opening"),
        "relative_flow_coefficient": ("opening",),
    }
    rhs = staticmethod(no_derivatives)
    output = staticmethod(valve_output)

    @classmethod
    def parameter_problems(cls, values):
        if values["equal_percentage"] not in (0.0, 1.0):
            return [f"`equal_percentage` must be 0 or 1; got {values['equal_percentage']!r}."]
        return []


# -- tank ------------------------------------------------------------------------------------------------

TANK_STATES = (State("level", "m", "liquid level above the tank bottom", 1.0),)
TANK_INPUTS = (
    Input("inflow_rate", "m^3/s", "volume flow into the tank", 0.0),
    Input("outflow_rate", "m^3/s", "volume flow out of the tank", 0.0),
    Input("surface_pressure", "Pa", "gas pressure above the liquid", 101325.0),
)
TANK_OUTPUTS = (
    Output("level", "m", "liquid level above the tank bottom"),
    Output("bottom_pressure", "Pa", "pressure at the tank bottom (absolute when the surface pressure is)"),
    Output("volume", "m^3", "liquid volume"),
)
TANK_PARAMETERS = (
    Parameter("cross_section", "m^2", "horizontal cross-section of the tank", 0.5, NONZERO, "illustrative default"),
    Parameter("fluid_density", "kg/m^3", "density of the liquid", 998.2, NONZERO, WATER),
)


@jit
def tank_rhs(t, x, u, p, dx):
    dx[0] = (u[0] - u[1]) / p[0]


@jit
def tank_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = u[2] + p[1] * GRAVITY * x[0]
    y[2] = p[0] * x[0]


class Tank(Component):
    """A tank with vertical walls: level balance and hydrostatic bottom pressure; see the module docstring."""

    STATES = TANK_STATES
    INPUTS = TANK_INPUTS
    OUTPUTS = TANK_OUTPUTS
    PARAMETERS = TANK_PARAMETERS
    FEEDTHROUGH = {"bottom_pressure": ("surface_pressure",)}
    rhs = staticmethod(tank_rhs)
    output = staticmethod(tank_output)
