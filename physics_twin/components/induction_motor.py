r"""Squirrel-cage induction motor: dynamic dq model in the synchronous frame, thermal network, insulation ageing.

States are the stator and rotor flux linkages in a reference frame rotating at the supply angular
frequency :math:`\omega_s` (an input), rotor quantities referred to the stator (Krause's
arbitrary-frame model with :math:`\omega = \omega_s` and a short-circuited rotor):

.. math::

    \frac{d\psi_{ds}}{dt} &= v_{ds} - R_s i_{ds} + \omega_s \psi_{qs}, &\qquad
    \frac{d\psi_{qs}}{dt} &= v_{qs} - R_s i_{qs} - \omega_s \psi_{ds}, \\
    \frac{d\psi_{dr}}{dt} &= -R_r i_{dr} + (\omega_s - \omega_r) \psi_{qr}, &\qquad
    \frac{d\psi_{qr}}{dt} &= -R_r i_{qr} - (\omega_s - \omega_r) \psi_{dr},

with :math:`\psi_s = L_s i_s + L_m i_r`, :math:`\psi_r = L_r i_r + L_m i_s`,
:math:`L_s = L_{ls} + L_m`, :math:`L_r = L_{lr} + L_m`, the electrical rotor speed
:math:`\omega_r = p\,\omega` and

.. math::

    \tau_e = \tfrac32\,p\,(\psi_{ds} i_{qs} - \psi_{qs} i_{ds}), \qquad
    J \frac{d\omega}{dt} = \tau_e - b\,\omega - \tau_L .

The transform is amplitude-invariant: a balanced supply of rms phase voltage :math:`V` appears as
:math:`v_{qs} = \sqrt2\,V`, :math:`v_{ds} = 0` (for a line-to-line rms voltage :math:`V_{LL}`,
:math:`v_{qs} = \sqrt{2/3}\,V_{LL}`). The stator resistance rises with the winding temperature; the
rotor resistance is constant. The core loss is a conductance :math:`G_c` across the terminals, as in
the approximate equivalent circuit, so it does not change the torque.

**Steady state.** At constant supply and speed the dq model reduces to the per-phase equivalent
circuit (:math:`X = \omega_s L`, slip :math:`s = (\omega_s - \omega_r)/\omega_s`). With the
magnetising branch kept exactly by the Thevenin equivalent seen from the rotor branch,

.. math::

    V_{th} = V \frac{j X_m}{R_s + j(X_{ls} + X_m)}, \qquad
    Z_{th} = R_{th} + j X_{th} = \frac{j X_m (R_s + j X_{ls})}{R_s + j(X_{ls} + X_m)},

    T(s) = \frac{3\,p\,|V_{th}|^2 R_r / s}{\omega_s\,[(R_{th} + R_r/s)^2 + (X_{th} + X_{lr})^2]} ;

this is exact, not the approximation that moves the magnetising branch to the terminals. The
validation case ``validation/components/induction_motor_torque_slip.py`` and the unit tests check
the dq steady state against it.

Losses heat the thermal network of :mod:`physics_twin.components.thermal_network`: the stator
copper loss the winding; the rotor cage loss (which crosses the air gap) and the core loss the iron
node; friction the housing. Power balance (exact): with
:math:`P_e = \tfrac32 (v_{ds}(i_{ds} + G_c v_{ds}) + v_{qs}(i_{qs} + G_c v_{qs}))`,

.. math::

    P_e = \tfrac32 R_s |i_s|^2 + \tfrac32 R_r |i_r|^2 + \tfrac32 G_c |v|^2 + b\omega^2 + \tau_L\omega
          + \frac{d}{dt}\Big(\tfrac34\,(i_s \cdot \psi_s + i_r \cdot \psi_r) + \tfrac12 J\omega^2\Big).

Assumptions: linear magnetics (no saturation), single cage without skin effect, sinusoidal
windings, balanced supply; rotor resistance independent of temperature. The defaults are the
3 hp, 4-pole, 220 V, 60 Hz machine of Krause et al. (reactances at 60 Hz: :math:`X_{ls} = X'_{lr}`
= 0.754 Ω, :math:`X_M` = 26.13 Ω; :math:`r_s` = 0.435 Ω, :math:`r'_r` = 0.816 Ω, J = 0.089 kg·m²);
losses and thermal values are illustrative.

References
----------
Krause, P. C., Wasynczuk, O., Sudhoff, S. D., Pekarek, S. (2013). *Analysis of Electric Machinery
and Drive Systems*, 3rd ed., chapter on symmetrical induction machines. Wiley.
doi:10.1002/9781118524336.
Chapman, S. J. (2012). *Electric Machinery Fundamentals*, 5th ed., ch. 6 (Thevenin form of the
torque–speed characteristic). McGraw-Hill.
"""

from __future__ import annotations

import math
import sys

import numpy as np

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
from physics_twin.core.declarations import Input, Output, Parameter, State, index_of

__all__ = ["InductionMotor", "equivalent_circuit_torque"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
_KRAUSE = "Krause et al. (2013), induction machine chapter, 3 hp 220 V 60 Hz machine"
_OMEGA_60 = 2.0 * math.pi * 60.0

STATES = (
    State("stator_flux_d", "Wb", "stator flux linkage, d axis of the synchronous frame", 0.0),
    State("stator_flux_q", "Wb", "stator flux linkage, q axis of the synchronous frame", 0.0),
    State("rotor_flux_d", "Wb", "rotor flux linkage referred to the stator, d axis", 0.0),
    State("rotor_flux_q", "Wb", "rotor flux linkage referred to the stator, q axis", 0.0),
    State("shaft_speed", "rad/s", "rotor mechanical angular speed", 0.0),
    *thermal_states(),
    insulation_state(),
)
INPUTS = (
    *VOLTAGE_INPUTS,
    Input("supply_angular_frequency", "rad/s", "electrical angular frequency of the supply (frame speed)", _OMEGA_60),
    LOAD_INPUT,
    AMBIENT_INPUT,
)
OUTPUTS = ac_motor_outputs(
    (
        Output("slip", "1", "(synchronous - rotor electrical speed) / synchronous speed; 0 when the supply frequency is 0"),
        Output("rotor_copper_loss", "W", "resistive loss in the rotor cage"),
    )
)
PARAMETERS = (
    *stator_parameters(0.435, _KRAUSE),
    Parameter("rotor_resistance", "ohm", "rotor resistance per phase referred to the stator", 0.816, POSITIVE, _KRAUSE),
    Parameter("stator_leakage_inductance", "H", "stator leakage inductance per phase", 0.754 / _OMEGA_60, NONZERO, _KRAUSE),
    Parameter(
        "rotor_leakage_inductance", "H", "rotor leakage inductance per phase, referred", 0.754 / _OMEGA_60, NONZERO, _KRAUSE
    ),
    Parameter("magnetizing_inductance", "H", "magnetizing inductance per phase", 26.13 / _OMEGA_60, NONZERO, _KRAUSE),
    *machine_parameters(
        2.0, 0.089, _KRAUSE, 5.7e-4, 1.24e-3, "illustrative (friction ~20 W at 1800 rpm, core loss ~60 W at 220 V)"
    ),
    *thermal_parameters(1000.0, 6000.0, 5000.0, 0.08, 0.03, 0.12, "illustrative default (2.2 kW TEFC motor)"),
    *insulation_parameters(),
)

_RS = index_of(PARAMETERS, "stator_resistance")
_RR = index_of(PARAMETERS, "rotor_resistance")
_LLS = index_of(PARAMETERS, "stator_leakage_inductance")
_LLR = index_of(PARAMETERS, "rotor_leakage_inductance")
_LM = index_of(PARAMETERS, "magnetizing_inductance")
_POLES = index_of(PARAMETERS, "pole_pairs")
_J = index_of(PARAMETERS, "rotor_inertia")
_B = index_of(PARAMETERS, "viscous_friction")
_GC = index_of(PARAMETERS, "core_loss_conductance")
_THERMAL = index_of(PARAMETERS, "winding_thermal_capacitance")
_AGEING = index_of(PARAMETERS, "insulation_class_temperature")
_SLIP = HEAD_SIZE
_TAIL = HEAD_SIZE + 2


@jit
def _currents(x, p):
    """Stator and rotor currents (ids, iqs, idr, iqr) from the flux linkages. [A]"""
    l_s = p[_LLS] + p[_LM]
    l_r = p[_LLR] + p[_LM]
    l_m = p[_LM]
    det = l_s * l_r - l_m * l_m
    i_ds = (l_r * x[0] - l_m * x[2]) / det
    i_qs = (l_r * x[1] - l_m * x[3]) / det
    i_dr = (l_s * x[2] - l_m * x[0]) / det
    i_qr = (l_s * x[3] - l_m * x[1]) / det
    return i_ds, i_qs, i_dr, i_qr


@jit
def _losses(x, u, p, i_ds, i_qs, i_dr, i_qr):
    """Hot stator resistance [Ω]; stator copper, rotor copper, core and friction losses [W]."""
    resistance = winding_resistance(x[5], p, _RS)
    stator_copper = 1.5 * resistance * (i_ds * i_ds + i_qs * i_qs)
    rotor_copper = 1.5 * p[_RR] * (i_dr * i_dr + i_qr * i_qr)
    core = 1.5 * p[_GC] * (u[0] * u[0] + u[1] * u[1])
    return resistance, stator_copper, rotor_copper, core, p[_B] * x[4] * x[4]


@jit
def rhs(t, x, u, p, dx):
    i_ds, i_qs, i_dr, i_qr = _currents(x, p)
    resistance, stator_copper, rotor_copper, core, friction = _losses(x, u, p, i_ds, i_qs, i_dr, i_qr)
    omega_s = u[2]
    slip_speed = omega_s - p[_POLES] * x[4]
    dx[0] = u[0] - resistance * i_ds + omega_s * x[1]
    dx[1] = u[1] - resistance * i_qs - omega_s * x[0]
    dx[2] = -p[_RR] * i_dr + slip_speed * x[3]
    dx[3] = -p[_RR] * i_qr - slip_speed * x[2]
    torque = 1.5 * p[_POLES] * (x[0] * i_qs - x[1] * i_ds)
    dx[4] = (torque - p[_B] * x[4] - u[3]) / p[_J]
    rates = network_rates(x[5], x[6], x[7], stator_copper, rotor_copper + core, friction, u[4], p, _THERMAL)
    dx[5] = rates[0]
    dx[6] = rates[1]
    dx[7] = rates[2]
    dx[8] = ageing_rate(x[5], p, _AGEING)[0]


@jit
def output(t, x, u, p, y):
    i_ds, i_qs, i_dr, i_qr = _currents(x, p)
    resistance, stator_copper, rotor_copper, core, friction = _losses(x, u, p, i_ds, i_qs, i_dr, i_qr)
    omega_s = u[2]
    write_head(y, i_ds, i_qs, x[4], 1.5 * p[_POLES] * (x[0] * i_qs - x[1] * i_ds), u[0], u[1], p[_GC])
    y[_SLIP] = (omega_s - p[_POLES] * x[4]) / omega_s if omega_s != 0.0 else 0.0
    y[_SLIP + 1] = rotor_copper
    write_tail(y, _TAIL, x[5:8], resistance, stator_copper, core, friction, x[8], ageing_rate(x[5], p, _AGEING)[1])


def equivalent_circuit_torque(
    slip: float | np.ndarray,
    phase_voltage_rms: float,
    supply_angular_frequency: float,
    stator_resistance: float,
    rotor_resistance: float,
    stator_leakage_inductance: float,
    rotor_leakage_inductance: float,
    magnetizing_inductance: float,
    pole_pairs: float,
) -> np.ndarray:
    """Steady-state torque of the per-phase equivalent circuit, magnetising branch exact (Thevenin form).

    Parameters
    ----------
    slip : float or array_like
        Slip, non-zero. [1]
    phase_voltage_rms : float
        Rms phase voltage. [V]
    supply_angular_frequency : float
        Electrical angular frequency of the supply. [rad/s]
    stator_resistance, rotor_resistance : float
        Per phase, rotor referred to the stator. [Ω]
    stator_leakage_inductance, rotor_leakage_inductance, magnetizing_inductance : float
        Per phase. [H]
    pole_pairs : float
        [1]

    Returns
    -------
    numpy.ndarray
        Electromagnetic torque. [N·m]
    """
    s = np.asarray(slip, dtype=float)
    x_ls = supply_angular_frequency * stator_leakage_inductance
    x_lr = supply_angular_frequency * rotor_leakage_inductance
    x_m = supply_angular_frequency * magnetizing_inductance
    denominator = stator_resistance + 1j * (x_ls + x_m)
    v_th = phase_voltage_rms * (1j * x_m) / denominator
    z_th = (1j * x_m) * (stator_resistance + 1j * x_ls) / denominator
    r2s = rotor_resistance / s
    return (
        3.0 * pole_pairs * abs(v_th) ** 2 * r2s / (supply_angular_frequency * ((z_th.real + r2s) ** 2 + (z_th.imag + x_lr) ** 2))
    )


class InductionMotor(Component):
    """Induction motor, dynamic dq model with thermal network and insulation ageing; see the module docstring.

    Examples
    --------
    Starting torque of the default 3 hp machine on 220 V (line) at 60 Hz, from the equivalent circuit:

    >>> import math
    >>> round(float(equivalent_circuit_torque(1.0, 220 / math.sqrt(3), 2 * math.pi * 60, 0.435, 0.816,
    ...     0.754 / (2 * math.pi * 60), 0.754 / (2 * math.pi * 60), 26.13 / (2 * math.pi * 60), 2)), 2)
    52.97
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "electrical_power": ("voltage_d", "voltage_q"),
        "phase_current_rms": ("voltage_d", "voltage_q"),
        "slip": ("supply_angular_frequency",),
        "iron_loss": ("voltage_d", "voltage_q"),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)
