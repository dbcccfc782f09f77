r"""Centrifugal pump with induction motor, bearing temperatures and concurrent wear (Daigle & Goebel 2013).

The model of Daigle & Goebel (2013), §V, written as an ODE in SI units with the paper's parameter
values as defaults, so that it can be run beside progpy's ``CentrifugalPump`` (which implements the
same paper) input for input. States: shaft speed :math:`\omega`, pump flow :math:`Q`, thrust and
radial bearing temperatures :math:`T_t, T_r`, oil temperature :math:`T_o`, and the damage variables
impeller coefficient :math:`A`, bearing friction coefficients :math:`r_t, r_r` and (our extension)
wear-ring leak area :math:`A_l`.

Motor (induction machine, equivalent circuit) with slip :math:`s = (\omega_s - \omega)/\omega_s`
clipped to [−1, 1] and :math:`n` phases, :math:`p` pole pairs:

.. math::

    \tau_e = \frac{n\,p\,R_2\,V^2\,s}{\omega_s\left[(R_1 s + R_2)^2 + (s\,\omega_s L_1)^2\right]}

(the paper's :math:`\frac{n p R_2}{s\,\omega_s}\frac{V^2}{(R_1 + R_2/s)^2 + (\omega_s L_1)^2}`
multiplied through by :math:`s`, so it is finite at synchronous speed). Rotor, pump and flow:

.. math::

    I\dot\omega = \tau_e - (r + r_t + r_r)\,\omega - (a_0\omega^2 + a_1\omega Q_{out} - a_2 Q_{out}^2), \qquad
    p_p = A\omega^2 + b\,\omega Q, \qquad
    \tau_Q \dot Q = c\,\sqrt{|\Delta p|}\,\mathrm{sign}(\Delta p) - Q,

with :math:`\Delta p = p_p + p_s - p_d`, internal leakage through the wear rings from discharge to
suction :math:`Q_l = c_l A_l \sqrt{|p_d - p_s|}\,\mathrm{sign}(p_d - p_s)` and delivered flow
:math:`Q_{out} = Q - Q_l` (negative when the leak exceeds the impeller flow: backflow through the gap;
the paper's :math:`\max(0, Q - Q_l)` hides it). Bearing and oil temperatures:

.. math::

    m_t c_t \dot T_t = r_t\omega^2 - H_{t1}(T_t - T_a) - H_{t2}(T_t - T_o), \quad
    m_r c_r \dot T_r = r_r\omega^2 - H_{r1}(T_r - T_a) - H_{r2}(T_r - T_o),

    m_o c_o \dot T_o = H_{o1}(T_t - T_o) + H_{o2}(T_r - T_o) + H_{o3}(T_a - T_o).

Damage progression (the paper's concurrent wear processes): impeller erosion proportional to the
square of the flow, bearing friction growing with the friction work (:math:`\propto r\omega^2`):

.. math::

    \dot A = -w_A Q^2, \qquad \dot r_t = w_t\,r_t\,\omega^2, \qquad \dot r_r = w_r\,r_r\,\omega^2,
    \qquad \dot A_l = w_l\,Q_l^2 .

The last equation is **our extension**: the paper (and progpy) hold the leak area constant; we let
the wear rings erode like the impeller, with the leak flow as the eroding flow. With :math:`w_l = 0`
(the default) the model is the paper's.

Differences from progpy's discrete implementation: continuous time (progpy steps with explicit
Euler at its ``dt``); no clipping of the delivered flow at zero; the leak flow sign follows the
pressure difference (discharge to suction reduces the delivered flow; progpy's sign is the
opposite, which at the paper's leak area of 1e-10 m² changes the delivered flow by 1e-6 of itself);
wear rates are parameters here (the estimators augment them as random-walk states when asked)
instead of states.

References
----------
Daigle, M. J., Goebel, K. (2013). Model-based prognostics with concurrent damage progression
processes. *IEEE Trans. Syst. Man Cybern.: Systems* 43(3), 535–546. doi:10.1109/TSMCA.2012.2207109.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["DaigleGoebelPump"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
PAPER = "Daigle & Goebel (2013), value as in progpy's CentrifugalPump defaults"

STATES = (
    State("shaft_speed", "rad/s", "rotational speed of motor and pump", 376.991118431),
    State("flow_rate", "m^3/s", "flow through the impeller", 0.0),
    State("thrust_bearing_temperature", "K", "thrust bearing temperature", 290.0),
    State("radial_bearing_temperature", "K", "radial bearing temperature", 290.0),
    State("oil_temperature", "K", "bearing oil temperature", 290.0),
    State(
        "impeller_area",
        "kg/m",
        "impeller coefficient A in p = A w² + b w Q (the paper's 'impeller area')",
        12.7084,
        nonnegative=True,
    ),
    State("radial_friction_coefficient", "N*m*s", "radial bearing friction coefficient r_r", 1.8e-6, nonnegative=True),
    State("thrust_friction_coefficient", "N*m*s", "thrust bearing friction coefficient r_t", 1.4e-6, nonnegative=True),
    State("leak_area", "m^2", "wear-ring leak area A_l", 1.0e-10, nonnegative=True),
)
INPUTS = (
    Input("ambient_temperature", "K", "ambient temperature", 290.0),
    Input("supply_voltage", "V", "motor supply voltage amplitude", 471.2397),
    Input("discharge_pressure", "Pa", "pressure at the pump discharge", 928654.0),
    Input("suction_pressure", "Pa", "pressure at the pump suction", 239179.0),
    Input("synchronous_speed", "rad/s", "synchronous speed of the supply", 376.991118431),
)
OUTPUTS = (
    Output("shaft_speed", "rad/s", "rotational speed of motor and pump"),
    Output("delivered_flow", "m^3/s", "flow leaving the discharge, Q - Q_leak (negative: backflow)"),
    Output("thrust_bearing_temperature", "K", "thrust bearing temperature"),
    Output("radial_bearing_temperature", "K", "radial bearing temperature"),
    Output("oil_temperature", "K", "bearing oil temperature"),
    Output("leak_flow", "m^3/s", "internal leakage from discharge to suction through the wear rings"),
    Output("pump_pressure", "Pa", "pressure the impeller produces, A w² + b w Q"),
    Output("electromagnetic_torque", "N*m", "motor torque"),
    Output("impeller_area", "kg/m", "impeller coefficient A"),
)
PARAMETERS = (
    Parameter(
        "torque_coefficient_0",
        "N*m*s^2",
        "a0 of the load torque a0 w² + a1 w Q - a2 Q²",
        0.00149204,
        (-math.inf, math.inf),
        PAPER,
    ),
    Parameter("torque_coefficient_1", "N*m*s^2/m^3", "a1 of the load torque", 5.77703, (-math.inf, math.inf), PAPER),
    Parameter("torque_coefficient_2", "N*m*s^2/m^6", "a2 of the load torque", 9179.4, (-math.inf, math.inf), PAPER),
    Parameter("pressure_coefficient", "kg/m^4", "b of the pump pressure A w² + b w Q", 17984.6, (-math.inf, math.inf), PAPER),
    Parameter("phase_count", "1", "number of motor phases n", 3.0, (1.0, 12.0), PAPER),
    Parameter("pole_pairs", "1", "motor pole pairs p", 1.0, (1.0, 64.0), PAPER),
    Parameter("inertia", "kg*m^2", "lumped inertia of impeller, shaft and rotor", 50.0, NONZERO, PAPER),
    Parameter("friction_coefficient", "N*m*s", "lumped friction coefficient r without the bearings", 0.008, POSITIVE, PAPER),
    Parameter("stator_resistance", "ohm", "R1 of the motor equivalent circuit", 0.36, POSITIVE, PAPER),
    Parameter("rotor_resistance", "ohm", "R2 of the motor equivalent circuit", 0.076, NONZERO, PAPER),
    Parameter("leakage_inductance", "H", "L1 of the motor equivalent circuit", 0.00063, POSITIVE, PAPER),
    Parameter("fluid_time_constant", "s", "time constant of the flow response (the paper's fluid inertia)", 5.0, NONZERO, PAPER),
    Parameter("pipe_flow_coefficient", "m^3.5/kg^0.5", "c in Q = c sqrt(dp)", 8.24123e-5, POSITIVE, PAPER),
    Parameter("leak_coefficient", "m^1.5/kg^0.5", "c_l in Q_l = c_l A_l sqrt(dp)", 1.0, POSITIVE, PAPER),
    Parameter("thrust_heat_capacity", "J/K", "m c of the thrust bearing", 7.3, NONZERO, PAPER),
    Parameter("thrust_to_ambient_conductance", "W/K", "H_t1", 0.0034, POSITIVE, PAPER),
    Parameter("thrust_to_oil_conductance", "W/K", "H_t2", 0.0026, POSITIVE, PAPER),
    Parameter("radial_heat_capacity", "J/K", "m c of the radial bearing", 2.4, NONZERO, PAPER),
    Parameter("radial_to_ambient_conductance", "W/K", "H_r1", 0.0018, POSITIVE, PAPER),
    Parameter("radial_to_oil_conductance", "W/K", "H_r2", 0.020, POSITIVE, PAPER),
    Parameter("oil_heat_capacity", "J/K", "m c of the oil", 8000.0, NONZERO, PAPER),
    Parameter("oil_thrust_conductance", "W/K", "H_o1 between thrust bearing and oil", 1.0, POSITIVE, PAPER),
    Parameter("oil_radial_conductance", "W/K", "H_o2 between radial bearing and oil", 3.0, POSITIVE, PAPER),
    Parameter("oil_ambient_conductance", "W/K", "H_o3 between oil and ambient", 1.5, POSITIVE, PAPER),
    Parameter(
        "impeller_area_wear_rate",
        "kg*s/m^7",
        "w_A in dA/dt = -w_A Q²",
        0.0,
        POSITIVE,
        "no wear by default; the paper's scenarios use about 1e-2",
    ),
    Parameter(
        "thrust_wear_rate",
        "s",
        "w_t in dr_t/dt = w_t r_t w²",
        0.0,
        POSITIVE,
        "no wear by default; the paper's scenarios use about 1e-10",
    ),
    Parameter(
        "radial_wear_rate",
        "s",
        "w_r in dr_r/dt = w_r r_r w²",
        0.0,
        POSITIVE,
        "no wear by default; the paper's scenarios use about 1e-10",
    ),
    Parameter(
        "leak_wear_rate", "s/m^4", "w_l in dA_l/dt = w_l Q_l² (our extension)", 0.0, POSITIVE, "extension; 0 reproduces the paper"
    ),
)


@jit
def _leak_flow(x, u, p):
    dp = u[2] - u[3]
    return p[13] * max(x[8], 0.0) * math.sqrt(abs(dp)) * (1.0 if dp >= 0.0 else -1.0)


@jit
def _electromagnetic_torque(x, u, p):
    sync = u[4]
    slip = (sync - x[0]) / sync if sync != 0.0 else 0.0
    slip = min(max(slip, -1.0), 1.0)
    r1, r2, l1 = p[8], p[9], p[10]
    denominator = (sync + 1e-5) * ((r1 * slip + r2) ** 2 + (slip * sync * l1) ** 2)
    return p[4] * p[5] * r2 * u[1] * u[1] * slip / denominator


@jit
def rhs(t, x, u, p, dx):
    w, q, tt, tr, to, area, r_radial, r_thrust = x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
    ambient = u[0]
    leak = _leak_flow(x, u, p)
    delivered = q - leak
    load = p[0] * w * w + p[1] * w * delivered - p[2] * delivered * delivered
    friction = (p[7] + r_thrust + r_radial) * w
    pump_pressure = area * w * w + p[3] * w * q
    dp = pump_pressure + u[3] - u[2]
    q_target = p[12] * math.sqrt(abs(dp)) * (1.0 if dp >= 0.0 else -1.0)
    dx[0] = (_electromagnetic_torque(x, u, p) - friction - load) / p[6]
    dx[1] = (q_target - q) / p[11]
    dx[2] = (r_thrust * w * w - p[15] * (tt - ambient) - p[16] * (tt - to)) / p[14]
    dx[3] = (r_radial * w * w - p[18] * (tr - ambient) - p[19] * (tr - to)) / p[17]
    dx[4] = (p[21] * (tt - to) + p[22] * (tr - to) + p[23] * (ambient - to)) / p[20]
    dx[5] = -p[24] * q * q
    dx[6] = p[26] * r_radial * w * w
    dx[7] = p[25] * r_thrust * w * w
    dx[8] = p[27] * leak * leak


@jit
def output(t, x, u, p, y):
    leak = _leak_flow(x, u, p)
    y[0] = x[0]
    y[1] = x[1] - leak
    y[2] = x[2]
    y[3] = x[3]
    y[4] = x[4]
    y[5] = leak
    y[6] = x[5] * x[0] * x[0] + p[3] * x[0] * x[1]
    y[7] = _electromagnetic_torque(x, u, p)
    y[8] = x[5]


class DaigleGoebelPump(Component):
    """Daigle & Goebel (2013) centrifugal pump with motor, bearing temperatures and wear; see the module docstring."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "delivered_flow": ("discharge_pressure", "suction_pressure"),
        "leak_flow": ("discharge_pressure", "suction_pressure"),
        "electromagnetic_torque": ("supply_voltage", "synchronous_speed"),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)
