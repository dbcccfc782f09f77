r"""Permanent-magnet DC motor with a lumped winding-temperature node.

The armature circuit, the rotor and the winding heat balance are

.. math::

    L \frac{di}{dt} = V - R(T_w)\,i - k\,\omega, \qquad
    J \frac{d\omega}{dt} = k\,i - b\,\omega - \tau_L, \qquad
    C_{th} \frac{dT_w}{dt} = R(T_w)\,i^2 - \frac{T_w - T_a}{R_{th}},

with the winding resistance rising linearly with temperature,
:math:`R(T_w) = R_{ref}\,(1 + \alpha\,(T_w - T_{ref}))`, and the torque constant equal to the
back-EMF constant in SI units (N·m/A = V·s/rad).

Assumptions: brush drop, armature reaction, iron losses and magnet temperature drift neglected;
one thermal node for the winding (the body temperature of a small motor follows it with a lag).
Valid for any operating point the linear circuit describes (no saturation).

The defaults are illustrative values of the order of a 100 W permanent-magnet DC motor; every
twin calibrates its own.

References
----------
Krause, P. C., Wasynczuk, O., Sudhoff, S. D. (2013). *Analysis of Electric Machinery and Drive
Systems*, 3rd ed., ch. 2 (DC machine). Wiley. doi:10.1002/9781118524336.
Copper temperature coefficient 3.93e-3 1/K at 20 °C: IEC 60028 (international standard of
resistance for copper).
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["DCMotor"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)

STATES = (
    State("current", "A", "armature current", 0.0),
    State("shaft_speed", "rad/s", "rotor angular speed", 0.0),
    State("winding_temperature", "K", "armature winding temperature", 293.15),
)
INPUTS = (
    Input("voltage", "V", "armature terminal voltage", 0.0),
    Input("load_torque", "N*m", "torque of the driven load on the shaft", 0.0),
    Input("ambient_temperature", "K", "temperature of the surroundings the winding cools to", 293.15),
)
OUTPUTS = (
    Output("current", "A", "armature current"),
    Output("shaft_speed", "rad/s", "rotor angular speed"),
    Output("winding_temperature", "K", "armature winding temperature"),
    Output("electromagnetic_torque", "N*m", "torque produced by the armature current"),
    Output("winding_resistance", "ohm", "hot winding resistance"),
    Output("electrical_power", "W", "power drawn at the terminals"),
)
PARAMETERS = (
    Parameter(
        "reference_resistance", "ohm", "winding resistance at the reference temperature", 1.0, POSITIVE, "illustrative default"
    ),
    Parameter(
        "reference_temperature", "K", "temperature at which reference_resistance holds", 293.15, POSITIVE, "20 °C by convention"
    ),
    Parameter(
        "resistance_temperature_coefficient",
        "1/K",
        "relative resistance change per kelvin",
        3.93e-3,
        (0.0, 0.01),
        "copper, IEC 60028",
    ),
    Parameter("inductance", "H", "armature inductance", 2.0e-3, NONZERO, "illustrative default"),
    Parameter(
        "torque_constant",
        "N*m/A",
        "torque per ampere, equal to the back-EMF constant in V*s/rad",
        0.1,
        POSITIVE,
        "illustrative default",
    ),
    Parameter(
        "rotor_inertia",
        "kg*m^2",
        "moment of inertia of the rotor and whatever rotates with it",
        1.0e-3,
        NONZERO,
        "illustrative default",
    ),
    Parameter(
        "viscous_friction", "N*m*s/rad", "bearing and windage friction per rad/s", 1.0e-4, POSITIVE, "illustrative default"
    ),
    Parameter("thermal_capacitance", "J/K", "heat capacity of the winding node", 400.0, NONZERO, "illustrative default"),
    Parameter("thermal_resistance", "K/W", "winding-to-ambient thermal resistance", 1.5, NONZERO, "illustrative default"),
)


@jit
def _resistance(temperature, p):
    return p[0] * (1.0 + p[2] * (temperature - p[1]))


@jit
def rhs(t, x, u, p, dx):
    current, speed, temperature = x[0], x[1], x[2]
    resistance = _resistance(temperature, p)
    dx[0] = (u[0] - resistance * current - p[4] * speed) / p[3]
    dx[1] = (p[4] * current - p[6] * speed - u[1]) / p[5]
    dx[2] = (resistance * current * current - (temperature - u[2]) / p[8]) / p[7]


@jit
def output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[1]
    y[2] = x[2]
    y[3] = p[4] * x[0]
    y[4] = _resistance(x[2], p)
    y[5] = u[0] * x[0]


class DCMotor(Component):
    """Permanent-magnet DC motor with winding temperature; see the module docstring for the equations."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"electrical_power": ("voltage",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
