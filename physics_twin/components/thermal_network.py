r"""Lumped three-node thermal network of an electric motor: winding, stator iron, housing.

Heat flows in a chain from the winding through the slot insulation into the stator iron, from the
iron across the core-to-frame interface into the housing, and from the housing to the ambient air
(natural or fan-driven convection and radiation, lumped into one resistance):

.. math::

    C_w \frac{dT_w}{dt} &= Q_w - \frac{T_w - T_i}{R_{wi}}, \\
    C_i \frac{dT_i}{dt} &= Q_i + \frac{T_w - T_i}{R_{wi}} - \frac{T_i - T_h}{R_{ih}}, \\
    C_h \frac{dT_h}{dt} &= Q_h + \frac{T_i - T_h}{R_{ih}} - \frac{T_h - T_a}{R_{ha}},

with the heat sources :math:`Q_w` (copper loss), :math:`Q_i` (core loss, and in the induction
motor the rotor cage loss, which crosses the air gap into the core) and :math:`Q_h` (bearing and
windage friction). At steady state the chain gives the closed form

.. math::

    T_h = T_a + R_{ha}(Q_w + Q_i + Q_h), \quad T_i = T_h + R_{ih}(Q_w + Q_i), \quad T_w = T_i + R_{wi} Q_w .

The network is the reduced form of the lumped-parameter models surveyed by Boglietti et al.
(2009): one node per major heat capacity, resistances constant (the housing-to-ambient resistance
of a self-ventilated motor falls with speed; that dependence is not modelled). The same kernel
helper serves every motor in :mod:`physics_twin.components`; :class:`MotorThermalNetwork` is the
network alone, for motors modelled elsewhere (for example an FMU) that supply their losses.

References
----------
Boglietti, A., Cavagnino, A., Staton, D., Shanel, M., Mueller, M., Mejuto, C. (2009). Evolution and
modern approaches for thermal analysis of electrical machines. *IEEE Trans. Ind. Electron.* 56(3),
871–882. doi:10.1109/TIE.2008.2011622.
Mellor, P. H., Roberts, D., Turner, D. R. (1991). Lumped parameter thermal model for electrical
machines of TEFC design. *IEE Proc. B* 138(5), 205–218. doi:10.1049/ip-b.1991.0025.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State, index_of

__all__ = ["MotorThermalNetwork", "thermal_parameters", "thermal_states", "thermal_steady_state"]

#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)


def thermal_states(start: float = 293.15) -> tuple[State, ...]:
    """The three temperature states of the network, in this order: winding, iron, housing.

    Parameters
    ----------
    start : float
        Default initial temperature of every node. [K]
    """
    return (
        State("winding_temperature", "K", "mean temperature of the stator (armature) winding", start),
        State("iron_temperature", "K", "temperature of the stator iron (core) node", start),
        State("housing_temperature", "K", "temperature of the housing (frame) node", start),
    )


def thermal_parameters(
    winding_capacitance: float,
    iron_capacitance: float,
    housing_capacitance: float,
    winding_iron_resistance: float,
    iron_housing_resistance: float,
    housing_ambient_resistance: float,
    source: str = "illustrative default",
) -> tuple[Parameter, ...]:
    """The six network parameters with the given defaults, in the order the kernel helper reads them.

    Parameters
    ----------
    winding_capacitance, iron_capacitance, housing_capacitance : float
        Heat capacities of the three nodes. [J/K]
    winding_iron_resistance, iron_housing_resistance, housing_ambient_resistance : float
        Thermal resistances of the chain. [K/W]
    source : str
        Where the defaults come from.
    """
    return (
        Parameter(
            "winding_thermal_capacitance", "J/K", "heat capacity of the winding node", winding_capacitance, NONZERO, source
        ),
        Parameter("iron_thermal_capacitance", "J/K", "heat capacity of the stator iron node", iron_capacitance, NONZERO, source),
        Parameter(
            "housing_thermal_capacitance", "J/K", "heat capacity of the housing node", housing_capacitance, NONZERO, source
        ),
        Parameter(
            "winding_iron_thermal_resistance",
            "K/W",
            "winding to stator iron, through the slot insulation",
            winding_iron_resistance,
            NONZERO,
            source,
        ),
        Parameter(
            "iron_housing_thermal_resistance",
            "K/W",
            "stator iron to housing, across the core-frame interface",
            iron_housing_resistance,
            NONZERO,
            source,
        ),
        Parameter(
            "housing_ambient_thermal_resistance",
            "K/W",
            "housing to ambient air (convection and radiation)",
            housing_ambient_resistance,
            NONZERO,
            source,
        ),
    )


@jit
def network_rates(t_w, t_i, t_h, q_w, q_i, q_h, t_a, p, offset):
    """Temperature rates of the three nodes [K/s]; the six parameters start at ``p[offset]``."""
    f_wi = (t_w - t_i) / p[offset + 3]
    f_ih = (t_i - t_h) / p[offset + 4]
    f_ha = (t_h - t_a) / p[offset + 5]
    return (q_w - f_wi) / p[offset], (q_i + f_wi - f_ih) / p[offset + 1], (q_h + f_ih - f_ha) / p[offset + 2]


@jit
def heat_to_ambient(t_h, t_a, p, offset):
    """Heat flow from the housing to the ambient. [W]"""
    return (t_h - t_a) / p[offset + 5]


def thermal_steady_state(
    winding_loss: float,
    iron_loss: float,
    housing_loss: float,
    ambient_temperature: float,
    winding_iron_resistance: float,
    iron_housing_resistance: float,
    housing_ambient_resistance: float,
) -> tuple[float, float, float]:
    """Steady node temperatures ``(T_w, T_i, T_h)`` of the chain for constant losses. [K]

    Parameters
    ----------
    winding_loss, iron_loss, housing_loss : float
        Heat injected at each node. [W]
    ambient_temperature : float
        [K]
    winding_iron_resistance, iron_housing_resistance, housing_ambient_resistance : float
        [K/W]
    """
    housing = ambient_temperature + housing_ambient_resistance * (winding_loss + iron_loss + housing_loss)
    iron = housing + iron_housing_resistance * (winding_loss + iron_loss)
    winding = iron + winding_iron_resistance * winding_loss
    return winding, iron, housing


# --------------------------------------------------------------------------------------------------
# The network alone as a component
# --------------------------------------------------------------------------------------------------
STATES = thermal_states()
INPUTS = (
    Input("winding_loss", "W", "heat generated in the winding (copper loss)", 0.0),
    Input("iron_loss", "W", "heat generated in the stator iron (core loss)", 0.0),
    Input("housing_loss", "W", "heat generated at the housing (bearing and windage friction)", 0.0),
    Input("ambient_temperature", "K", "temperature of the cooling air", 293.15),
)
OUTPUTS = (
    Output("winding_temperature", "K", "mean temperature of the stator winding"),
    Output("iron_temperature", "K", "temperature of the stator iron node"),
    Output("housing_temperature", "K", "temperature of the housing node"),
    Output("heat_to_ambient", "W", "heat flow from the housing to the ambient air"),
)
#: Defaults of the order of a 4 kW totally enclosed fan-cooled motor (copper ~4 kg, core ~20 kg, frame ~15 kg).
PARAMETERS = thermal_parameters(1500.0, 9000.0, 7000.0, 0.05, 0.02, 0.15, "illustrative default (4 kW TEFC motor)")
_THERMAL = index_of(PARAMETERS, "winding_thermal_capacitance")


@jit
def rhs(t, x, u, p, dx):
    dx[0], dx[1], dx[2] = network_rates(x[0], x[1], x[2], u[0], u[1], u[2], u[3], p, _THERMAL)


@jit
def output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[1]
    y[2] = x[2]
    y[3] = heat_to_ambient(x[2], u[3], p, _THERMAL)


class MotorThermalNetwork(Component):
    """Three-node motor thermal network driven by loss inputs; see the module docstring for the equations.

    Examples
    --------
    >>> network = MotorThermalNetwork("thermal")
    >>> result = network.simulate([0.0, 60.0], inputs={"winding_loss": 200.0})
    >>> bool(result["winding_temperature"][-1] > 293.15)
    True
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"heat_to_ambient": ("ambient_temperature",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
