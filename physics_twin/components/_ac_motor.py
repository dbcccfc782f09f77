"""Declarations and kernel helpers shared by the dq-frame AC motors (PMSM and induction motor).

Both motors expose the same outputs in the same order: six electrical/mechanical signals, the
motor's own extras, then the thermal and ageing tail. The helpers here write those parts of the
output vector so that the two kernels stay short and identical where the physics is.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.declarations import Input, Output, Parameter

__all__ = [
    "AMBIENT_INPUT",
    "HEAD_SIZE",
    "LOAD_INPUT",
    "TAIL_SIZE",
    "VOLTAGE_INPUTS",
    "ac_motor_outputs",
    "machine_parameters",
    "stator_parameters",
    "winding_resistance",
    "write_head",
    "write_tail",
]

POSITIVE = (0.0, math.inf)
NONZERO = (sys.float_info.min, math.inf)

VOLTAGE_INPUTS = (
    Input("voltage_d", "V", "stator voltage, d axis (amplitude-invariant)", 0.0),
    Input("voltage_q", "V", "stator voltage, q axis (amplitude-invariant)", 0.0),
)
LOAD_INPUT = Input("load_torque", "N*m", "torque of the driven load on the shaft", 0.0)
AMBIENT_INPUT = Input("ambient_temperature", "K", "temperature of the cooling air", 293.15)

_HEAD = (
    Output("current_d", "A", "stator winding current, d axis"),
    Output("current_q", "A", "stator winding current, q axis"),
    Output("shaft_speed", "rad/s", "rotor mechanical angular speed"),
    Output("electromagnetic_torque", "N*m", "air-gap torque"),
    Output("electrical_power", "W", "power drawn at the terminals"),
    Output("phase_current_rms", "A", "rms value of the terminal phase current"),
)
_TAIL = (
    Output("winding_temperature", "K", "mean temperature of the stator winding"),
    Output("iron_temperature", "K", "temperature of the stator iron node"),
    Output("housing_temperature", "K", "temperature of the housing node"),
    Output("winding_resistance", "ohm", "hot stator resistance per phase"),
    Output("copper_loss", "W", "resistive loss in the stator winding"),
    Output("iron_loss", "W", "core loss"),
    Output("friction_loss", "W", "bearing and windage friction loss"),
    Output("insulation_life_consumed", "1", "fraction of the insulation's rated thermal life consumed"),
    Output("insulation_ageing_factor", "1", "ageing rate relative to operation at the class temperature"),
)
#: Number of outputs written by :func:`write_head` and :func:`write_tail`.
HEAD_SIZE = len(_HEAD)
TAIL_SIZE = len(_TAIL)


def ac_motor_outputs(extra: tuple[Output, ...] = ()) -> tuple[Output, ...]:
    """The outputs of a dq-frame AC motor: the common head, ``extra``, then the thermal/ageing tail."""
    return (*_HEAD, *extra, *_TAIL)


def stator_parameters(resistance: float, source: str) -> tuple[Parameter, ...]:
    """Stator resistance, its reference temperature and temperature coefficient, in the order the helper reads them.

    Parameters
    ----------
    resistance : float
        Default stator resistance per phase at 20 °C. [Ω]
    source : str
        Where the default comes from.
    """
    return (
        Parameter(
            "stator_resistance", "ohm", "stator resistance per phase at the reference temperature", resistance, POSITIVE, source
        ),
        Parameter(
            "reference_temperature", "K", "temperature at which stator_resistance holds", 293.15, NONZERO, "20 °C by convention"
        ),
        Parameter(
            "resistance_temperature_coefficient",
            "1/K",
            "relative resistance change per kelvin",
            3.93e-3,
            (0.0, 0.01),
            "copper, IEC 60028",
        ),
    )


def machine_parameters(
    pole_pairs: float, inertia: float, source: str, friction: float, core_conductance: float, loss_source: str
) -> tuple[Parameter, ...]:
    """Pole pairs, rotor inertia, viscous friction and core-loss conductance with the given defaults.

    Parameters
    ----------
    pole_pairs : float
        [1]
    inertia : float
        Rotor inertia. [kg·m²]
    source : str
        Source of the pole pairs and inertia.
    friction : float
        Viscous friction coefficient. [N·m·s/rad]
    core_conductance : float
        Core-loss conductance across the terminals, per phase. [S]
    loss_source : str
        Source of the friction and core-loss defaults.
    """
    return (
        Parameter("pole_pairs", "1", "number of pole pairs", pole_pairs, (1.0, 100.0), source),
        Parameter(
            "rotor_inertia", "kg*m^2", "moment of inertia of the rotor and whatever rotates with it", inertia, NONZERO, source
        ),
        Parameter("viscous_friction", "N*m*s/rad", "bearing and windage friction per rad/s", friction, POSITIVE, loss_source),
        Parameter(
            "core_loss_conductance",
            "S",
            "core-loss conductance across the terminals, per phase",
            core_conductance,
            POSITIVE,
            loss_source,
        ),
    )


@jit
def winding_resistance(temperature, p, offset):
    """Hot stator resistance [Ω]; the three stator parameters start at ``p[offset]``."""
    return p[offset] * (1.0 + p[offset + 2] * (temperature - p[offset + 1]))


@jit
def write_head(y, i_d, i_q, speed, torque, v_d, v_q, core_conductance):
    """Write the six head outputs; the terminal current includes the core-loss branch ``G_c v``."""
    terminal_d = i_d + core_conductance * v_d
    terminal_q = i_q + core_conductance * v_q
    y[0] = i_d
    y[1] = i_q
    y[2] = speed
    y[3] = torque
    y[4] = 1.5 * (v_d * terminal_d + v_q * terminal_q)
    y[5] = math.sqrt((terminal_d * terminal_d + terminal_q * terminal_q) / 2.0)


@jit
def write_tail(y, start, temperatures, resistance, copper, core, friction, life, factor):
    """Write the nine tail outputs from ``y[start]``; ``temperatures`` = (winding, iron, housing). [K]"""
    y[start] = temperatures[0]
    y[start + 1] = temperatures[1]
    y[start + 2] = temperatures[2]
    y[start + 3] = resistance
    y[start + 4] = copper
    y[start + 5] = core
    y[start + 6] = friction
    y[start + 7] = life
    y[start + 8] = factor
