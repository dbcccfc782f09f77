r"""Centrifugal pump curves with cavitation margin (NPSH) and wear states after Daigle & Goebel (2013).

The curves of :class:`~physics_twin.components.centrifugal_pump.CentrifugalPump` (affinity laws,
speed ratio :math:`r = \omega/\omega_r`), extended by three damage processes written in the form of
Daigle & Goebel (2013) and by the suction-side cavitation margin.

**Wear.** The impeller condition :math:`k` (1 new) scales the head the impeller produces and erodes
with the square of the flow through it; wear-ring leakage :math:`Q_l` recirculates from discharge
to suction through an annular gap of area :math:`A_l` (orifice law), so the impeller passes
:math:`Q_i = Q + Q_l` to deliver :math:`Q`; the gap erodes with the leak flow; the bearing friction
coefficient :math:`r_b` grows with the friction work:

.. math::

    H = k H_0 r^2 - a\,Q_i|Q_i|, \qquad Q_l = C_d A_l\,\mathrm{sign}(H)\sqrt{2 g |H|}, \qquad
    \tau = \frac{\omega}{\omega_r^2}(P_0 r + c\,Q_i) + r_b\,\omega,

    \dot k = -w_k Q_i^2, \qquad \dot A_l = w_l Q_l^2, \qquad \dot r_b = w_b\,r_b\,\omega^2,

with :math:`a, c, P_0` as in ``CentrifugalPump``. The leak flow depends on the head, which depends
on the leak flow; the kernel solves this implicit equation by bisection (its residual is monotone).

**Cavitation margin.** Net positive suction head available at the suction flange, with the suction
velocity :math:`v_s = Q/A_s`, and required (3 % head drop, NPSH3), scaled with the affinity law
:math:`\mathrm{NPSH} \propto r^2` and rising quadratically with flow from shut-off to the BEP:

.. math::

    \mathrm{NPSH}_a = \frac{p_s - p_v}{\rho g} + \frac{v_s^2}{2 g}, \qquad
    \mathrm{NPSH}_r = r^2\left[N_0 + (N_{b} - N_0)\left(\frac{Q_i}{r\,Q_b}\right)^2\right],

and the margin :math:`\mathrm{NPSH}_a - \mathrm{NPSH}_r` (cavitation when negative; practice asks
for a ratio NPSH_a/NPSH_r of 1.1–2.5 depending on the application). The quadratic NPSH3 curve is
the usual approximation of the rising branch above part load; recirculation at very low flow is not
modelled.

Assumptions: incompressible single-phase liquid; head and power curves unchanged in shape by wear
(the impeller condition scales the shut-off head only); the leak path is a fixed-length annulus
(discharge coefficient constant).

References
----------
Daigle, M. J., Goebel, K. (2013). Model-based prognostics with concurrent damage progression
processes. *IEEE Trans. Syst. Man Cybern.: Systems* 43(3), 535–546. doi:10.1109/TSMCA.2012.2207109.
Gülich, J. F. (2020). *Centrifugal Pumps*, 4th ed., §3.6 (leakage through annular seals), §6.2
(NPSH3, affinity of NPSH) and §6.7 (NPSH margins). Springer. doi:10.1007/978-3-030-14788-4.
ANSI/HI 9.6.1-2017 Rotodynamic pumps — guideline for NPSH margin.
"""

from __future__ import annotations

import math
import sys

from physics_twin.components.centrifugal_pump import GRAVITY, CentrifugalPump
from physics_twin.components.centrifugal_pump import PARAMETERS as CURVE_PARAMETERS
from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["WearingCentrifugalPump"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)

STATES = (
    State("impeller_condition", "1", "impeller head factor k, 1 when new, falls with erosion", 1.0, nonnegative=True),
    State("leak_area", "m^2", "annular gap area of the wear rings", 2.0e-6, nonnegative=True),
    State("bearing_friction", "N*m*s", "bearing friction coefficient r_b", 1.0e-4, nonnegative=True),
)
INPUTS = (
    Input("shaft_speed", "rad/s", "pump shaft angular speed", 2900 * 2 * math.pi / 60),
    Input("flow_rate", "m^3/s", "flow delivered through the discharge", 1.5e-3),
    Input("suction_pressure", "Pa", "absolute static pressure at the suction flange", 101325.0),
)
OUTPUTS = (
    Output("pressure_rise", "Pa", "pressure rise from suction to discharge"),
    Output("discharge_pressure", "Pa", "absolute pressure at the discharge flange"),
    Output("shaft_torque", "N*m", "torque the pump takes from its shaft, bearing friction included"),
    Output("shaft_power", "W", "mechanical power taken from the shaft"),
    Output("hydraulic_power", "W", "power given to the delivered fluid, pressure rise times flow"),
    Output("efficiency", "1", "hydraulic over shaft power"),
    Output("leak_flow", "m^3/s", "recirculation through the wear rings"),
    Output("npsh_available", "m", "net positive suction head available"),
    Output("npsh_required", "m", "net positive suction head required (NPSH3)"),
    Output("cavitation_margin", "m", "NPSH available minus NPSH required; cavitation below 0"),
    Output("impeller_condition", "1", "impeller head factor k"),
)
PARAMETERS = (
    *CURVE_PARAMETERS,
    Parameter("suction_area", "m^2", "flow area of the suction flange", 1.26e-3, NONZERO, "illustrative: DN40"),
    Parameter("vapour_pressure", "Pa", "vapour pressure of the liquid", 2339.0, POSITIVE, "water at 20 °C"),
    Parameter("npsh_required_shutoff", "m", "NPSH3 at zero flow, rated speed", 1.0, POSITIVE, "illustrative default"),
    Parameter("npsh_required_bep", "m", "NPSH3 at the BEP flow, rated speed", 2.5, POSITIVE, "illustrative default"),
    Parameter(
        "leak_discharge_coefficient",
        "1",
        "discharge coefficient of the wear-ring gap",
        0.6,
        POSITIVE,
        "annular seal, Gülich §3.6",
    ),
    Parameter(
        "impeller_wear_rate", "s/m^6", "w_k in dk/dt = -w_k Q_i²", 0.0, POSITIVE, "no wear by default (Daigle & Goebel form)"
    ),
    Parameter("leak_wear_rate", "s/m^4", "w_l in dA_l/dt = w_l Q_l²", 0.0, POSITIVE, "no wear by default"),
    Parameter(
        "bearing_wear_rate", "s", "w_b in dr_b/dt = w_b r_b w²", 0.0, POSITIVE, "no wear by default (Daigle & Goebel form)"
    ),
)


@jit
def _head(impeller_flow, h0, a):
    return h0 - a * impeller_flow * abs(impeller_flow)


@jit
def _leak_mismatch(impeller_flow, flow, h0, a, s):
    head = _head(impeller_flow, h0, a)
    return impeller_flow - flow - s * math.sqrt(abs(head)) * (1.0 if head >= 0.0 else -1.0)


@jit
def _impeller_flow(x, u, p):
    """Impeller flow Q_i = Q + Q_l and the head H, solving Q_l = C_d A_l sign(H) sqrt(2 g |H|), H = k H0 r² - a Q_i|Q_i|.

    The mismatch Q_i - Q - Q_l(Q_i) rises strictly with Q_i (the head falls with it), so the root is unique; it is
    bracketed by doubling steps and found by bisection to the last bit. A negative head (the pump driven as a brake)
    reverses the leak.
    """
    speed, flow = u[0], u[1]
    ratio = speed / p[0]
    a = (p[1] - p[3]) / (p[2] * p[2])
    h0 = x[0] * p[1] * ratio * ratio
    s = p[11] * max(x[1], 0.0) * math.sqrt(2.0 * GRAVITY)
    if s == 0.0:
        return flow, _head(flow, h0, a)
    step = s * math.sqrt(abs(h0) + a * flow * flow) + 1e-300
    low, high = flow, flow
    if _leak_mismatch(flow, flow, h0, a, s) < 0.0:
        high = flow + step
        while _leak_mismatch(high, flow, h0, a, s) < 0.0:
            low = high
            step *= 2.0
            high = flow + step
    else:
        low = flow - step
        while _leak_mismatch(low, flow, h0, a, s) > 0.0:
            high = low
            step *= 2.0
            low = flow - step
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle <= low or middle >= high:
            break
        if _leak_mismatch(middle, flow, h0, a, s) < 0.0:
            low = middle
        else:
            high = middle
    impeller_flow = 0.5 * (low + high)
    return impeller_flow, _head(impeller_flow, h0, a)


@jit
def rhs(t, x, u, p, dx):
    impeller_flow = _impeller_flow(x, u, p)[0]
    leak = impeller_flow - u[1]
    dx[0] = -p[12] * impeller_flow * impeller_flow
    dx[1] = p[13] * leak * leak
    dx[2] = p[14] * x[2] * u[0] * u[0]


@jit
def output(t, x, u, p, y):
    speed, flow, suction = u[0], u[1], u[2]
    rated_speed, bep_flow, bep_head, bep_efficiency, shutoff_power, density = p[0], p[2], p[3], p[4], p[5], p[6]
    ratio = speed / rated_speed
    impeller_flow, head = _impeller_flow(x, u, p)
    bep_power = density * GRAVITY * bep_head * bep_flow / bep_efficiency
    power_coefficient = (bep_power - shutoff_power) / bep_flow
    torque = speed / (rated_speed * rated_speed) * (shutoff_power * ratio + power_coefficient * impeller_flow) + x[2] * speed
    y[0] = density * GRAVITY * head
    y[1] = suction + y[0]
    y[2] = torque
    y[3] = torque * speed
    y[4] = y[0] * flow
    y[5] = y[4] / y[3] if y[3] != 0.0 else 0.0
    y[6] = impeller_flow - flow
    velocity = flow / p[7]
    y[7] = (suction - p[8]) / (density * GRAVITY) + velocity * velocity / (2.0 * GRAVITY)
    relative = impeller_flow / (ratio * bep_flow) if ratio != 0.0 else 0.0
    y[8] = ratio * ratio * (p[9] + (p[10] - p[9]) * relative * relative)
    y[9] = y[7] - y[8]
    y[10] = x[0]


class WearingCentrifugalPump(Component):
    """Centrifugal pump with NPSH margin, impeller erosion, wear-ring leakage and bearing friction growth.

    See the module docstring; the curve parameters are those of ``CentrifugalPump``.
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "pressure_rise": ("shaft_speed", "flow_rate"),
        "discharge_pressure": ("shaft_speed", "flow_rate", "suction_pressure"),
        "shaft_torque": ("shaft_speed", "flow_rate"),
        "shaft_power": ("shaft_speed", "flow_rate"),
        "hydraulic_power": ("shaft_speed", "flow_rate"),
        "efficiency": ("shaft_speed", "flow_rate"),
        "leak_flow": ("shaft_speed", "flow_rate"),
        "npsh_available": ("flow_rate", "suction_pressure"),
        "npsh_required": ("shaft_speed", "flow_rate"),
        "cavitation_margin": ("shaft_speed", "flow_rate", "suction_pressure"),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)

    @classmethod
    def parameter_problems(cls, values):
        problems = CentrifugalPump.parameter_problems(values)
        if values["npsh_required_bep"] < values["npsh_required_shutoff"]:
            problems.append(
                f"`npsh_required_bep` must be >= `npsh_required_shutoff` (NPSH3 rises with flow); got "
                f"{values['npsh_required_bep']!r} m < {values['npsh_required_shutoff']!r} m."
            )
        return problems
