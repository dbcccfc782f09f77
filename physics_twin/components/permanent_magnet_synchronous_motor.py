r"""Permanent-magnet synchronous motor in the rotor (dq) frame, with thermal network and insulation ageing.

The d axis is aligned with the magnet flux. With the amplitude-invariant Park transform (a dq
quantity has the amplitude of the phase quantity, hence the factor 3/2 in power and torque), the
stator voltage equations with their cross-coupling, the torque and the rotor are

.. math::

    L_d \frac{di_d}{dt} &= v_d - R\,i_d + \omega_e L_q i_q, \\
    L_q \frac{di_q}{dt} &= v_q - R\,i_q - \omega_e L_d i_d - \omega_e \psi, \\
    \tau_e &= \tfrac32\,p\,\big(\psi\,i_q + (L_d - L_q)\,i_d i_q\big), \\
    J \frac{d\omega}{dt} &= \tau_e - b\,\omega - \tau_L,

with :math:`\omega_e = p\,\omega` and the winding resistance rising with temperature,
:math:`R = R_{ref}(1 + \alpha(T_w - T_{ref}))`. The core loss is represented by a conductance
:math:`G_c` across the terminals (the approximate equivalent circuit): the terminal current is
:math:`i + G_c v`, the core loss :math:`\tfrac32 G_c (v_d^2 + v_q^2)`; at a fixed volts-per-hertz
ratio it grows with the square of the frequency, as eddy-current loss does.

Losses heat the thermal network of :mod:`physics_twin.components.thermal_network`: copper loss
:math:`\tfrac32 R (i_d^2 + i_q^2)` the winding, core loss the iron, friction :math:`b\omega^2` the
housing; the insulation ages as in :mod:`physics_twin.components.insulation_ageing`.

Power balance (exact): with :math:`P_e = \tfrac32 (v_d (i_d + G_c v_d) + v_q (i_q + G_c v_q))`,

.. math::

    P_e = P_{cu} + P_{fe} + b\omega^2 + \tau_L\omega
          + \frac{d}{dt}\Big(\tfrac34 (L_d i_d^2 + L_q i_q^2) + \tfrac12 J \omega^2\Big).

Assumptions: sinusoidal back-EMF, no saturation or cross-saturation, magnet flux independent of
temperature (the rotor temperature is not a node), no damper winding; inverter voltages are
averages over a switching period. The rotor angle is not a state (it grows without bound);
integrate :math:`\omega_e` outside when the abc quantities are needed.

The defaults are the permanent-magnet machine of the Modelica Standard Library (record
``SM_PermanentMagnetData``: 50 Hz, 4 poles, R = 0.03 Ω, L = 0.4/(2π·50) H in both axes, open-circuit
112.3 V rms per phase at 50 Hz, J = 0.29 kg·m²); losses and thermal values are illustrative.

References
----------
Krause, P. C., Wasynczuk, O., Sudhoff, S. D., Pekarek, S. (2013). *Analysis of Electric Machinery
and Drive Systems*, 3rd ed., chapter on permanent-magnet ac machines. Wiley.
doi:10.1002/9781118524336.
Pillay, P., Krishnan, R. (1989). Modeling, simulation, and analysis of permanent-magnet motor
drives, Part I. *IEEE Trans. Ind. Appl.* 25(2), 265–273. doi:10.1109/28.25541.
Modelica Standard Library 4.0, ``Modelica.Electrical.Machines.Utilities.ParameterRecords.SM_PermanentMagnetData``.
"""

from __future__ import annotations

import math
import sys

from physics_twin.components._ac_motor import (
    AMBIENT_INPUT,
    HEAD_SIZE,
    LOAD_INPUT,
    VOLTAGE_INPUTS,
    ac_motor_outputs,
    machine_parameters,
    stator_parameters,
    winding_resistance,
    write_head,
    write_tail,
)
from physics_twin.components.insulation_ageing import ageing_rate, insulation_parameters, insulation_state
from physics_twin.components.thermal_network import network_rates, thermal_parameters, thermal_states
from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Parameter, State, index_of

__all__ = ["PermanentMagnetSynchronousMotor"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
_MSL = "Modelica Standard Library 4.0, SM_PermanentMagnetData"
_OMEGA_NOMINAL = 2.0 * math.pi * 50.0

STATES = (
    State("current_d", "A", "stator current, d axis (along the magnet flux)", 0.0),
    State("current_q", "A", "stator current, q axis (torque-producing)", 0.0),
    State("shaft_speed", "rad/s", "rotor mechanical angular speed", 0.0),
    *thermal_states(),
    insulation_state(),
)
INPUTS = (*VOLTAGE_INPUTS, LOAD_INPUT, AMBIENT_INPUT)
OUTPUTS = ac_motor_outputs()
PARAMETERS = (
    *stator_parameters(0.03, _MSL),
    Parameter("d_axis_inductance", "H", "synchronous inductance of the d axis", 0.4 / _OMEGA_NOMINAL, NONZERO, _MSL),
    Parameter("q_axis_inductance", "H", "synchronous inductance of the q axis", 0.4 / _OMEGA_NOMINAL, NONZERO, _MSL),
    Parameter(
        "magnet_flux_linkage",
        "Wb",
        "peak stator flux linkage of the magnets",
        math.sqrt(2.0) * 112.3 / _OMEGA_NOMINAL,
        POSITIVE,
        _MSL + " (112.3 V rms open circuit at 50 Hz)",
    ),
    *machine_parameters(2.0, 0.29, _MSL, 0.0115, 0.01, "illustrative (friction 1 % at 1500 rpm, core loss ~400 W at 50 Hz)"),
    *thermal_parameters(6000.0, 36000.0, 28000.0, 0.02, 0.01, 0.06, "illustrative default (30 kW machine)"),
    *insulation_parameters(),
)

_RS = index_of(PARAMETERS, "stator_resistance")
_LD = index_of(PARAMETERS, "d_axis_inductance")
_LQ = index_of(PARAMETERS, "q_axis_inductance")
_PSI = index_of(PARAMETERS, "magnet_flux_linkage")
_POLES = index_of(PARAMETERS, "pole_pairs")
_J = index_of(PARAMETERS, "rotor_inertia")
_B = index_of(PARAMETERS, "viscous_friction")
_GC = index_of(PARAMETERS, "core_loss_conductance")
_THERMAL = index_of(PARAMETERS, "winding_thermal_capacitance")
_AGEING = index_of(PARAMETERS, "insulation_class_temperature")
_TAIL = HEAD_SIZE


@jit
def _torque(i_d, i_q, p):
    return 1.5 * p[_POLES] * (p[_PSI] * i_q + (p[_LD] - p[_LQ]) * i_d * i_q)


@jit
def _losses(x, u, p):
    """Hot resistance [Ω] and the copper, core and friction losses [W]."""
    resistance = winding_resistance(x[3], p, _RS)
    copper = 1.5 * resistance * (x[0] * x[0] + x[1] * x[1])
    core = 1.5 * p[_GC] * (u[0] * u[0] + u[1] * u[1])
    return resistance, copper, core, p[_B] * x[2] * x[2]


@jit
def rhs(t, x, u, p, dx):
    i_d, i_q, speed = x[0], x[1], x[2]
    resistance, copper, core, friction = _losses(x, u, p)
    omega_e = p[_POLES] * speed
    dx[0] = (u[0] - resistance * i_d + omega_e * p[_LQ] * i_q) / p[_LD]
    dx[1] = (u[1] - resistance * i_q - omega_e * p[_LD] * i_d - omega_e * p[_PSI]) / p[_LQ]
    dx[2] = (_torque(i_d, i_q, p) - p[_B] * speed - u[2]) / p[_J]
    rates = network_rates(x[3], x[4], x[5], copper, core, friction, u[3], p, _THERMAL)
    dx[3] = rates[0]
    dx[4] = rates[1]
    dx[5] = rates[2]
    dx[6] = ageing_rate(x[3], p, _AGEING)[0]


@jit
def output(t, x, u, p, y):
    resistance, copper, core, friction = _losses(x, u, p)
    write_head(y, x[0], x[1], x[2], _torque(x[0], x[1], p), u[0], u[1], p[_GC])
    write_tail(y, _TAIL, x[3:6], resistance, copper, core, friction, x[6], ageing_rate(x[3], p, _AGEING)[1])


class PermanentMagnetSynchronousMotor(Component):
    """PMSM in the dq frame with thermal network and insulation ageing; see the module docstring.

    Examples
    --------
    With the q-axis current the torque is :math:`\\tfrac32 p \\psi i_q` (no reluctance torque when
    :math:`L_d = L_q`):

    >>> motor = PermanentMagnetSynchronousMotor("pmsm")
    >>> y = motor.output_values(0.0, motor.model().initial_state({"current_q": 10.0}), motor.model().default_inputs(),
    ...                         motor.parameter_values)
    >>> round(float(y[3]), 3)
    15.166
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "electrical_power": ("voltage_d", "voltage_q"),
        "phase_current_rms": ("voltage_d", "voltage_q"),
        "iron_loss": ("voltage_d", "voltage_q"),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)
