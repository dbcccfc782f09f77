r"""Thermal ageing of winding insulation: loss of life as a state (halving-interval form of Arrhenius).

The life of an insulation system falls exponentially with its temperature. IEC 60216-1 states a
material's thermal endurance by its temperature index TI (the temperature at which the end point
is reached after 20 000 h) and its halving interval HIC (the temperature rise that halves that
time); the motor thermal classes of IEC 60085 (and IEEE Std 1) name the same kind of temperature
for a whole insulation system. With the hot-spot temperature :math:`T_{hs}` the relative ageing
rate and the consumed life :math:`L \in [0, 1]` are

.. math::

    V = 2^{(T_{hs} - T_{c}) / \mathrm{HIC}}, \qquad \frac{dL}{dt} = \frac{V}{t_{c}}, \qquad
    T_{hs} = T_w + \Delta T_{hs},

where :math:`T_c` is the class temperature, :math:`t_c` the rated life at :math:`T_c` and
:math:`\Delta T_{hs}` the hot-spot allowance over the mean winding temperature. The insulation has
reached its end of life when :math:`L = 1`; at a constant temperature that takes
:math:`t_c\,2^{-(T_{hs} - T_c)/\mathrm{HIC}}`, so :math:`\mathrm{HIC} = 10` K is the "10 K rule"
of motor insulation: each 10 K halves the life (Montsinger (1930) found about 8 K for class A insulation
in oil; the halving-interval law is his). Under a varying temperature the rates add up as in
Miner's rule.

The exponential form is the linearisation of the Arrhenius law :math:`t = A\,e^{E/(k_B T)}` around
:math:`T_c`, with :math:`\mathrm{HIC} = k_B T_c^2 \ln 2 / E`. For class F and HIC = 10 K the two
differ by 1.7 % at ±10 K from :math:`T_c` and by 15–17 % at ±30 K (the exponential form ages faster on
both sides, so it is the conservative one); the standards state HIC at TI, where the forms agree.
The exponent is capped at 100 (a factor of about 1e30) so that absurd trial temperatures of a solver
never overflow.

Thermal classes (IEC 60085:2007, class temperature): 105 (A), 120 (E), 130 (B), 155 (F), 180 (H),
200 (N), 220 (R), 250 °C. The defaults are class 155 (F), HIC = 10 K and 20 000 h, and a hot-spot
allowance of 10 K: IEC 60034-1 limits a class F winding to 105 K rise by resistance over 40 °C
coolant, i.e. a mean of 145 °C, 10 K below the class temperature.

References
----------
IEC 60216-1:2013 Electrical insulating materials — Thermal endurance properties — Part 1: Ageing
procedures and evaluation of test results (TI at 20 000 h, halving interval HIC).
IEC 60085:2007 Electrical insulation — Thermal evaluation and designation (thermal classes).
IEEE Std 1-2000 Recommended Practice — General Principles for Temperature Limits in the Rating of
Electrical Equipment and for the Evaluation of Electrical Insulation.
Montsinger, V. M. (1930). Loading transformers by temperature. *Trans. AIEE* 49(2).
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State, index_of

__all__ = ["CLASS_TEMPERATURES", "InsulationAgeing", "ageing_factor", "insulation_parameters", "insulation_state"]

#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
#: Thermal classes of IEC 60085:2007 -> class temperature [K].
CLASS_TEMPERATURES = {
    "A": 378.15,
    "E": 393.15,
    "B": 403.15,
    "F": 428.15,
    "H": 453.15,
    "N": 473.15,
    "R": 493.15,
}
_MAX_EXPONENT = 100.0
_HOUR = 3600.0


def insulation_state() -> State:
    """The loss-of-life state (fraction of the rated life consumed)."""
    return State(
        "insulation_life_consumed", "1", "fraction of the insulation's rated thermal life consumed", 0.0, nonnegative=True
    )


def insulation_parameters(class_temperature: float = CLASS_TEMPERATURES["F"]) -> tuple[Parameter, ...]:
    """The four ageing parameters, in the order the kernel helper reads them.

    Parameters
    ----------
    class_temperature : float
        Default class temperature (IEC 60085). [K]
    """
    return (
        Parameter(
            "insulation_class_temperature",
            "K",
            "temperature at which the insulation reaches its rated life",
            class_temperature,
            (273.15, 773.15),
            "IEC 60085:2007 thermal class (155 = F by default)",
        ),
        Parameter(
            "insulation_halving_interval",
            "K",
            "temperature rise that halves the insulation life (HIC)",
            10.0,
            (1.0, 50.0),
            "IEC 60216-1:2013 halving interval; the 10 K rule of motor insulation",
        ),
        Parameter(
            "insulation_rated_life",
            "s",
            "insulation life at the class temperature",
            20000.0 * _HOUR,
            NONZERO,
            "IEC 60216-1:2013 temperature index at 20 000 h",
        ),
        Parameter(
            "hot_spot_allowance",
            "K",
            "hot-spot temperature above the mean winding temperature",
            10.0,
            (0.0, 100.0),
            "IEC 60034-1: class F limit 105 K rise over 40 °C, 10 K below 155 °C",
        ),
    )


@jit
def ageing_factor(hot_spot_temperature, class_temperature, halving_interval):
    """Relative ageing rate :math:`2^{(T_{hs} - T_c)/\\mathrm{HIC}}` (1 at the class temperature). [1]"""
    exponent = (hot_spot_temperature - class_temperature) / halving_interval
    return 2.0 ** min(exponent, _MAX_EXPONENT)


@jit
def ageing_rate(winding_temperature, p, offset):
    """Rate of life consumption [1/s] and ageing factor [1]; the four parameters start at ``p[offset]``."""
    factor = ageing_factor(winding_temperature + p[offset + 3], p[offset], p[offset + 1])
    return factor / p[offset + 2], factor


# --------------------------------------------------------------------------------------------------
# Ageing alone as a component
# --------------------------------------------------------------------------------------------------
STATES = (insulation_state(),)
INPUTS = (Input("winding_temperature", "K", "mean winding temperature", 293.15),)
OUTPUTS = (
    Output("insulation_life_consumed", "1", "fraction of the insulation's rated thermal life consumed"),
    Output("insulation_ageing_factor", "1", "ageing rate relative to operation at the class temperature"),
    Output("hot_spot_temperature", "K", "winding hot-spot temperature"),
)
PARAMETERS = insulation_parameters()
_AGEING = index_of(PARAMETERS, "insulation_class_temperature")


@jit
def rhs(t, x, u, p, dx):
    dx[0] = ageing_rate(u[0], p, _AGEING)[0]


@jit
def output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = ageing_rate(u[0], p, _AGEING)[1]
    y[2] = u[0] + p[_AGEING + 3]


class InsulationAgeing(Component):
    """Insulation loss of life driven by a winding temperature; see the module docstring.

    Examples
    --------
    At the class temperature minus the hot-spot allowance the life is consumed at the rated pace:

    >>> ageing = InsulationAgeing("insulation")
    >>> result = ageing.simulate([0.0, 3600.0], inputs={"winding_temperature": 418.15})
    >>> round(float(result["insulation_life_consumed"][-1]) * 20000, 6)
    1.0
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"insulation_ageing_factor": ("winding_temperature",), "hot_spot_temperature": ("winding_temperature",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
