r"""Permanent-magnet DC motor with a three-node thermal network and insulation ageing.

The electrical and mechanical equations are those of :class:`~physics_twin.components.dc_motor.DCMotor`
(same state, input and first-parameter names and order, so a twin can swap one for the other), with
the armature iron loss added as a speed-proportional drag torque:

.. math::

    L \frac{di}{dt} = V - R(T_w)\,i - k\,\omega, \qquad
    J \frac{d\omega}{dt} = k\,i - (b + k_{fe})\,\omega - \tau_L,

:math:`R(T_w) = R_{ref}(1 + \alpha (T_w - T_{ref}))`. The losses feed the thermal network of
:mod:`physics_twin.components.thermal_network`: the copper loss :math:`R i^2` heats the winding,
the iron loss :math:`k_{fe}\omega^2` (eddy currents in the rotating armature core) heats the iron
node, and the friction loss :math:`b\,\omega^2` heats the housing (bearings). The insulation
consumes life at the rate of :mod:`physics_twin.components.insulation_ageing`, driven by the
winding temperature plus the hot-spot allowance.

Power balance (exact in the equations above):
:math:`V i = R i^2 + k_{fe}\omega^2 + b\omega^2 + \tau_L\omega + \frac{d}{dt}\left(\tfrac12 L i^2 + \tfrac12 J\omega^2\right)`.

Assumptions: as for ``DCMotor`` (no brush drop, armature reaction, saturation or magnet drift);
hysteresis loss is folded into the eddy-current coefficient; the lumped thermal assumptions of the
network. The defaults are illustrative values for a 100 W motor; every twin calibrates its own.

References
----------
Krause, P. C., Wasynczuk, O., Sudhoff, S. D. (2013). *Analysis of Electric Machinery and Drive
Systems*, 3rd ed., ch. 2. Wiley. doi:10.1002/9781118524336.
See also the references of the thermal-network and insulation-ageing modules.
"""

from __future__ import annotations

import math

from physics_twin.components.dc_motor import INPUTS as _DC_INPUTS
from physics_twin.components.dc_motor import OUTPUTS as _DC_OUTPUTS
from physics_twin.components.dc_motor import PARAMETERS as _DC_PARAMETERS
from physics_twin.components.dc_motor import STATES as _DC_STATES
from physics_twin.components.dc_motor import _resistance
from physics_twin.components.insulation_ageing import ageing_rate, insulation_parameters, insulation_state
from physics_twin.components.thermal_network import network_rates, thermal_parameters, thermal_states
from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Output, Parameter, index_of
from physics_twin.errors import ModelStructureError

__all__ = ["DCMotorThermal"]

STATES = (*_DC_STATES[:2], *thermal_states(), insulation_state())
INPUTS = _DC_INPUTS
OUTPUTS = (
    *_DC_OUTPUTS,
    Output("iron_temperature", "K", "temperature of the stator iron node"),
    Output("housing_temperature", "K", "temperature of the housing node"),
    Output("copper_loss", "W", "resistive loss in the armature winding"),
    Output("iron_loss", "W", "eddy-current loss in the armature core"),
    Output("friction_loss", "W", "bearing and windage friction loss"),
    Output("insulation_life_consumed", "1", "fraction of the insulation's rated thermal life consumed"),
    Output("insulation_ageing_factor", "1", "ageing rate relative to operation at the class temperature"),
)
PARAMETERS = (
    *[d for d in _DC_PARAMETERS if d.name not in ("thermal_capacitance", "thermal_resistance")],
    Parameter(
        "iron_loss_coefficient",
        "N*m*s/rad",
        "armature core loss per (rad/s)², as a drag torque per rad/s",
        2.0e-5,
        (0.0, math.inf),
        "illustrative default",
    ),
    *thermal_parameters(60.0, 250.0, 400.0, 0.6, 0.4, 1.2, "illustrative default (100 W motor)"),
    *insulation_parameters(),
)

_L = index_of(PARAMETERS, "inductance")
_K = index_of(PARAMETERS, "torque_constant")
_J = index_of(PARAMETERS, "rotor_inertia")
_B = index_of(PARAMETERS, "viscous_friction")
_KFE = index_of(PARAMETERS, "iron_loss_coefficient")
_THERMAL = index_of(PARAMETERS, "winding_thermal_capacitance")
_AGEING = index_of(PARAMETERS, "insulation_class_temperature")
if [d.name for d in PARAMETERS[:3]] != [d.name for d in _DC_PARAMETERS[:3]]:  # _resistance reads p[0:3]
    raise ModelStructureError(
        "DCMotorThermal must keep DCMotor's first three parameters in place (the resistance law reads them)."
    )


@jit
def rhs(t, x, u, p, dx):
    current, speed, t_w, t_i, t_h = x[0], x[1], x[2], x[3], x[4]
    resistance = _resistance(t_w, p)
    dx[0] = (u[0] - resistance * current - p[_K] * speed) / p[_L]
    dx[1] = (p[_K] * current - (p[_B] + p[_KFE]) * speed - u[1]) / p[_J]
    rates = network_rates(
        t_w, t_i, t_h, resistance * current * current, p[_KFE] * speed * speed, p[_B] * speed * speed, u[2], p, _THERMAL
    )
    dx[2] = rates[0]
    dx[3] = rates[1]
    dx[4] = rates[2]
    dx[5] = ageing_rate(t_w, p, _AGEING)[0]


@jit
def output(t, x, u, p, y):
    current, speed = x[0], x[1]
    resistance = _resistance(x[2], p)
    y[0] = current
    y[1] = speed
    y[2] = x[2]
    y[3] = p[_K] * current
    y[4] = resistance
    y[5] = u[0] * current
    y[6] = x[3]
    y[7] = x[4]
    y[8] = resistance * current * current
    y[9] = p[_KFE] * speed * speed
    y[10] = p[_B] * speed * speed
    y[11] = x[5]
    y[12] = ageing_rate(x[2], p, _AGEING)[1]


class DCMotorThermal(Component):
    """DC motor with winding/iron/housing temperatures and insulation loss of life; see the module docstring.

    The first two states, all inputs and the first six outputs match :class:`DCMotor`; the
    single-node ``thermal_capacitance``/``thermal_resistance`` are replaced by the network's six.

    Examples
    --------
    >>> motor = DCMotorThermal("motor")
    >>> result = motor.simulate([0.0, 1.0], inputs={"voltage": 12.0})
    >>> bool(result["shaft_speed"][-1] > 0.0)
    True
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"electrical_power": ("voltage",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)
