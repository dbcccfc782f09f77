r"""Shaft loads: constant torque, quadratic (fan and pump) torque, and metal-cutting torque (Kienzle).

All loads are algebraic (no states): they read the shaft speed and give the torque they take from
the shaft and the power they absorb, :math:`P = \tau\,\omega`.

**Constant torque** (hoists, conveyors, positive-displacement machines): :math:`\tau = \tau_0`.

**Quadratic torque** (fans, centrifugal pumps and compressors, by the affinity laws), with the
rated torque :math:`\tau_r` at the rated speed :math:`\omega_r` and a speed-independent part
:math:`\tau_0` (seals, bearings) that opposes rotation:

.. math::

    \tau = \tau_r \frac{\omega|\omega|}{\omega_r^2} + \tau_0\,\mathrm{sign}(\omega).

**Cutting torque** (Kienzle's specific cutting force): the main cutting force on each engaged
cutting edge for the uncut chip thickness :math:`h` and width :math:`b`, with the specific cutting
force :math:`k_{c1.1}` at :math:`h = b = 1` mm and the Kienzle exponent :math:`m_c`,

.. math::

    F_c = z_e\,k_{c1.1}\,b\,h\left(\frac{h}{h_1}\right)^{-m_c}, \quad h_1 = 1\ \mathrm{mm}, \qquad
    \tau = F_c\,R,

where :math:`z_e` is the mean number of edges in cut and :math:`R` the tool (or workpiece) radius at
which the force acts. For milling, :math:`h` is the mean chip thickness of the engagement. The
torque acts against forward rotation (spindles cut turning forward); with no chip it is zero.

References
----------
Kienzle, O., Victor, H. (1957). Spezifische Schnittkräfte bei der Metallbearbeitung.
*Werkstattstechnik und Maschinenbau* 47(5), 224–225.
Altintas, Y. (2012). *Manufacturing Automation*, 2nd ed., §2.1–2.4 (mechanics of cutting).
Cambridge University Press. doi:10.1017/CBO9780511843723.
Gülich, J. F. (2020). *Centrifugal Pumps*, 4th ed., §3.4 (affinity laws). Springer.
doi:10.1007/978-3-030-14788-4.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component, no_derivatives
from physics_twin.core.declarations import Input, Output, Parameter

__all__ = ["ConstantTorqueLoad", "CuttingForceLoad", "QuadraticTorqueLoad"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
REFERENCE_THICKNESS = 1e-3  # h1 = 1 mm of Kienzle's k_c1.1 [m]

SPEED_INPUT = Input("shaft_speed", "rad/s", "angular speed of the driven shaft", 100.0)
TORQUE_OUTPUT = Output("load_torque", "N*m", "torque the load takes from the shaft")
POWER_OUTPUT = Output("load_power", "W", "power the load absorbs, torque times speed")


@jit
def _sign(value):
    if value > 0.0:
        return 1.0
    if value < 0.0:
        return -1.0
    return 0.0


# -- constant ----------------------------------------------------------------------------------------------


@jit
def constant_output(t, x, u, p, y):
    y[0] = p[0]
    y[1] = p[0] * u[0]


class ConstantTorqueLoad(Component):
    """A constant load torque (hoist, conveyor); see the module docstring."""

    INPUTS = (SPEED_INPUT,)
    OUTPUTS = (TORQUE_OUTPUT, POWER_OUTPUT)
    PARAMETERS = (Parameter("torque", "N*m", "constant load torque tau_0", 1.0, (-math.inf, math.inf), "illustrative default"),)
    FEEDTHROUGH = {"load_power": ("shaft_speed",)}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(constant_output)


# -- quadratic ---------------------------------------------------------------------------------------------


@jit
def quadratic_output(t, x, u, p, y):
    speed = u[0]
    torque = p[0] * speed * abs(speed) / (p[1] * p[1]) + p[2] * _sign(speed)
    y[0] = torque
    y[1] = torque * speed


class QuadraticTorqueLoad(Component):
    """A fan or pump load, torque rising with the square of speed; see the module docstring."""

    INPUTS = (SPEED_INPUT,)
    OUTPUTS = (TORQUE_OUTPUT, POWER_OUTPUT)
    PARAMETERS = (
        Parameter("rated_torque", "N*m", "torque at the rated speed (quadratic part)", 10.0, POSITIVE, "illustrative default"),
        Parameter(
            "rated_speed", "rad/s", "speed at which rated_torque holds", 1450 * 2 * math.pi / 60, NONZERO, "4-pole motor at 50 Hz"
        ),
        Parameter("friction_torque", "N*m", "speed-independent torque tau_0 opposing rotation", 0.0, POSITIVE, "none by default"),
    )
    FEEDTHROUGH = {"load_torque": ("shaft_speed",), "load_power": ("shaft_speed",)}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(quadratic_output)


# -- cutting -----------------------------------------------------------------------------------------------


@jit
def cutting_output(t, x, u, p, y):
    speed, thickness, width = u[0], max(u[1], 0.0), max(u[2], 0.0)
    specific, exponent, radius, edges = p[0], p[1], p[2], p[3]
    force = edges * specific * width * thickness * (thickness / REFERENCE_THICKNESS) ** (-exponent) if thickness > 0.0 else 0.0
    torque = force * radius
    y[0] = torque
    y[1] = torque * speed
    y[2] = force


class CuttingForceLoad(Component):
    """Metal-cutting torque from Kienzle's specific cutting force; see the module docstring."""

    INPUTS = (
        SPEED_INPUT,
        Input("chip_thickness", "m", "uncut chip thickness h (feed per tooth times sin of the engagement angle)", 1.0e-4),
        Input("chip_width", "m", "uncut chip width b (axial depth of cut)", 2.0e-3),
    )
    OUTPUTS = (TORQUE_OUTPUT, POWER_OUTPUT, Output("cutting_force", "N", "main cutting force of all engaged edges"))
    PARAMETERS = (
        Parameter(
            "specific_cutting_force",
            "Pa",
            "Kienzle k_c1.1 at h = b = 1 mm",
            1.8e9,
            POSITIVE,
            "order of plain carbon steel (C45: 1.5-2.2 GPa), Kienzle & Victor (1957) tables",
        ),
        Parameter("kienzle_exponent", "1", "Kienzle exponent m_c", 0.25, (0.0, 0.9), "order of steels, Kienzle & Victor (1957)"),
        Parameter("tool_radius", "m", "radius at which the cutting force acts", 0.01, POSITIVE, "illustrative: 20 mm end mill"),
        Parameter("engaged_edges", "1", "mean number of cutting edges in cut", 1.0, POSITIVE, "illustrative default"),
    )
    FEEDTHROUGH = {
        "load_torque": ("chip_thickness", "chip_width"),
        "load_power": ("shaft_speed", "chip_thickness", "chip_width"),
        "cutting_force": ("chip_thickness", "chip_width"),
    }
    rhs = staticmethod(no_derivatives)
    output = staticmethod(cutting_output)
