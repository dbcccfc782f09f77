r"""Rolling-bearing damage growth driving a vibration health indicator.

Once a surface defect (spall) has initiated, its growth is modelled by a power law of the damage
index :math:`D` (a Paris-type law, with the stress-intensity range growing with defect size), scaled
by load and speed with the Lundberg–Palmgren life exponent :math:`p` of ISO 281 (3 for ball
bearings, 10/3 for roller bearings), since damage per revolution grows as :math:`(P/C)^p`:

.. math::

    \frac{dD}{dt} = c\,\frac{n}{n_{ref}}\left(\frac{P}{P_{ref}}\right)^{p} D^{m},
    \qquad a_{vib} = a_0\,(1 + D).

:math:`D` is the relative rise of the vibration level over its healthy baseline :math:`a_0`, so
the failure threshold "vibration reaches k times its baseline" is :math:`D = k - 1`. For
:math:`m = 1` the growth is exponential, the model of Gebraeel et al. (2005) used widely for the
IMS run-to-failure data; for :math:`m > 1` the damage reaches infinity in finite time, as a growing
spall accelerates. Closed forms at constant load and speed (rate :math:`c'`):
:math:`D = D_0 e^{c' t}` for :math:`m = 1`, else
:math:`D = [D_0^{1-m} + (1-m) c' t]^{1/(1-m)}`.

Assumptions: growth starts from an initiated defect :math:`D_0 > 0` (the initiation period is the
ISO 281 rating life, outside this model); the vibration level is proportional to defect size.

References
----------
Paris, P., Erdogan, F. (1963). A critical analysis of crack propagation laws. *J. Basic Eng.*
85(4), 528–533. doi:10.1115/1.3656900.
Gebraeel, N. Z., Lawley, M. A., Li, R., Ryan, J. K. (2005). Residual-life distributions from
component degradation signals: a Bayesian approach. *IIE Transactions* 37(6), 543–557.
doi:10.1080/07408170590929018.
ISO 281:2007 Rolling bearings — Dynamic load ratings and rating life (life exponent p).
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["BearingDegradation"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)

STATES = (State("damage", "1", "relative rise of the vibration level over the healthy baseline", 1e-3, nonnegative=True),)
INPUTS = (
    Input("shaft_speed", "rad/s", "shaft angular speed", 2000 * 2 * math.pi / 60),
    Input("radial_load", "N", "equivalent dynamic bearing load", 26689.0),
)
OUTPUTS = (
    Output("vibration_level", "m/s^2", "vibration health indicator (mean absolute acceleration)"),
    Output("damage", "1", "relative rise of the vibration level over the healthy baseline"),
)
PARAMETERS = (
    Parameter("baseline_vibration", "m/s^2", "vibration level of the healthy bearing", 1.0, POSITIVE, "calibrate per bearing"),
    Parameter(
        "growth_rate", "1/s", "damage growth coefficient c at reference speed and load", 1e-5, POSITIVE, "calibrate per bearing"
    ),
    Parameter(
        "growth_exponent", "1", "exponent m of the damage in the growth law", 1.0, (0.0, 5.0), "m = 1: Gebraeel et al. (2005)"
    ),
    Parameter("life_exponent", "1", "load-life exponent p", 10.0 / 3.0, (1.0, 10.0), "ISO 281 (roller bearings)"),
    Parameter(
        "reference_speed", "rad/s", "speed at which growth_rate holds", 2000 * 2 * math.pi / 60, NONZERO, "IMS rig, 2000 rpm"
    ),
    Parameter("reference_load", "N", "load at which growth_rate holds", 26689.0, NONZERO, "IMS rig, 6000 lbf"),
)


@jit
def rhs(t, x, u, p, dx):
    damage = max(x[0], 0.0)
    dx[0] = p[1] * (u[0] / p[4]) * (u[1] / p[5]) ** p[3] * damage ** p[2]


@jit
def output(t, x, u, p, y):
    y[0] = p[0] * (1.0 + x[0])
    y[1] = x[0]


class BearingDegradation(Component):
    """Bearing damage growth and vibration health indicator; see the module docstring."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
