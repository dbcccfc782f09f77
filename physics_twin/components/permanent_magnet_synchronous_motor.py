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
and Drive Systems*, 3rd ed., ch. 15 (brushless DC / permanent-magnet AC machines). Wiley.
doi:10.1002/9781118524336.
Pillay, P., Krishnan, R. (1989). Modeling, simulation, and analysis of permanent-magnet motor
drives, Part I. *IEEE Trans. Ind. Appl.* 25(2), 265–273. doi:10.1109/28.25541.
Modelica Standard Library 4.0, ``Modelica.Electrical.Machines.Utilities.ParameterRecords.SM_PermanentMagnetData``.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from physics_twin.components.insulation_ageing import ageing_rate, insulation_parameters, insulation_state
from physics_twin.components.thermal_network import network_rates, thermal_parameters, thermal_states
from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State, index_of

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
INPUTS = (
    Input("voltage_d", "V", "stator voltage, d axis (amplitude-invariant)", 0.0),
    Input("voltage_q", "V", "stator voltage, q axis (amplitude-invariant)", 0.0),
    Input("load_torque", "N*m", "torque of the driven load on the shaft", 0.0),
    Input("ambient_temperature", "K", "temperature of the cooling air", 293.15),
)
OUTPUTS = (
    Output("current_d", "A", "stator winding current, d axis"),
    Output("current_q", "A", "stator winding current, q axis"),
    Output("shaft_speed", "rad/s", "rotor mechanical angular speed"),
    Output("electromagnetic_torque", "N*m", "air-gap torque"),
    Output("electrical_power", "W", "power drawn at the terminals"),
    Output("phase_current_rms", "A", "rms value of the terminal phase current"),
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
PARAMETERS = (
    Parameter("stator_resistance", "ohm", "stator resistance per phase at the reference temperature", 0.03, POSITIVE, _MSL),
    Parameter("reference_temperature", "K", "temperature at which stator_resistance holds", 293.15, NONZERO, "20 °C by convention"),
    Parameter("resistance_temperature_coefficient", "1/K", "relative resistance change per kelvin", 3.93e-3, (0.0, 0.01), "copper, IEC 60028"),
    Parameter("d_axis_inductance", "H", "synchronous inductance of the d axis", 0.4 / _OMEGA_NOMINAL, NONZERO, _MSL),
    Parameter("q_axis_inductance", "H", "synchronous inductance of the q axis", 0.4 / _OMEGA_NOMINAL, NONZERO, _MSL),
    Parameter(
        "magnet_flux_linkage", "Wb", "peak stator flux linkage of the magnets",
        math.sqrt(2.0) * 112.3 / _OMEGA_NOMINAL, POSITIVE, _MSL + " (112.3 V rms open circuit at 50 Hz)",
    ),
    Parameter("pole_pairs", "1", "number of pole pairs", 2.0, (1.0, 100.0), _MSL),
    Parameter("rotor_inertia", "kg*m^2", "moment of inertia of the rotor and whatever rotates with it", 0.29, NONZERO, _MSL),
    Parameter("viscous_friction", "N*m*s/rad", "bearing and windage friction per rad/s", 0.0115, POSITIVE, "illustrative (1 % at 1500 rpm)"),
    Parameter("core_loss_conductance", "S", "core-loss conductance across the terminals, per phase", 0.01, POSITIVE, "illustrative (~400 W at 50 Hz)"),
    *thermal_parameters(6000.0, 36000.0, 28000.0, 0.02, 0.01, 0.06, "illustrative default (30 kW machine)"),
    *insulation_parameters(),
)

_RS = index_of(PARAMETERS, "stator_resistance")
_TREF = index_of(PARAMETERS, "reference_temperature")
_ALPHA = index_of(PARAMETERS, "resistance_temperature_coefficient")
_LD = index_of(PARAMETERS, "d_axis_inductance")
_LQ = index_of(PARAMETERS, "q_axis_inductance")
_PSI = index_of(PARAMETERS, "magnet_flux_linkage")
_POLES = index_of(PARAMETERS, "pole_pairs")
_J = index_of(PARAMETERS, "rotor_inertia")
_B = index_of(PARAMETERS, "viscous_friction")
_GC = index_of(PARAMETERS, "core_loss_conductance")
_THERMAL = index_of(PARAMETERS, "winding_thermal_capacitance")
_AGEING = index_of(PARAMETERS, "insulation_class_temperature")


@jit
def _resistance(temperature, p):
    return p[_RS] * (1.0 + p[_ALPHA] * (temperature - p[_TREF]))


@jit
def _torque(i_d, i_q, p):
    return 1.5 * p[_POLES] * (p[_PSI] * i_q + (p[_LD] - p[_LQ]) * i_d * i_q)


@jit
def rhs(t, x, u, p):
    i_d, i_q, speed = x[0], x[1], x[2]
    v_d, v_q = u[0], u[1]
    resistance = _resistance(x[3], p)
    omega_e = p[_POLES] * speed
    dx = np.empty(7)
    dx[0] = (v_d - resistance * i_d + omega_e * p[_LQ] * i_q) / p[_LD]
    dx[1] = (v_q - resistance * i_q - omega_e * p[_LD] * i_d - omega_e * p[_PSI]) / p[_LQ]
    dx[2] = (_torque(i_d, i_q, p) - p[_B] * speed - u[2]) / p[_J]
    copper = 1.5 * resistance * (i_d * i_d + i_q * i_q)
    core = 1.5 * p[_GC] * (v_d * v_d + v_q * v_q)
    rates = network_rates(x[3], x[4], x[5], copper, core, p[_B] * speed * speed, u[3], p, _THERMAL)
    dx[3] = rates[0]
    dx[4] = rates[1]
    dx[5] = rates[2]
    dx[6] = ageing_rate(x[3], p, _AGEING)[0]
    return dx


@jit
def output(t, x, u, p):
    i_d, i_q, speed = x[0], x[1], x[2]
    v_d, v_q = u[0], u[1]
    resistance = _resistance(x[3], p)
    terminal_d = i_d + p[_GC] * v_d
    terminal_q = i_q + p[_GC] * v_q
    y = np.empty(15)
    y[0] = i_d
    y[1] = i_q
    y[2] = speed
    y[3] = _torque(i_d, i_q, p)
    y[4] = 1.5 * (v_d * terminal_d + v_q * terminal_q)
    y[5] = math.sqrt((terminal_d * terminal_d + terminal_q * terminal_q) / 2.0)
    y[6] = x[3]
    y[7] = x[4]
    y[8] = x[5]
    y[9] = resistance
    y[10] = 1.5 * resistance * (i_d * i_d + i_q * i_q)
    y[11] = 1.5 * p[_GC] * (v_d * v_d + v_q * v_q)
    y[12] = p[_B] * speed * speed
    y[13] = x[6]
    y[14] = ageing_rate(x[3], p, _AGEING)[1]
    return y


class PermanentMagnetSynchronousMotor(Component):
    """PMSM in the dq frame with thermal network and insulation ageing; see the module docstring.

    Examples
    --------
    With the q-axis current the torque is :math:`\\tfrac32 p \\psi i_q` (no reluctance torque when
    :math:`L_d = L_q`):

    >>> motor = PermanentMagnetSynchronousMotor("pmsm")
    >>> y = motor.output(0.0, motor.model().initial_state({"current_q": 10.0}), motor.model().default_inputs(),
    ...                  motor.parameter_values)
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
