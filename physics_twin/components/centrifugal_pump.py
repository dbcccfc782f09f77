r"""Centrifugal pump: head and shaft-power curves scaled by the affinity laws.

At the rated speed :math:`\omega_r` the head falls quadratically with flow from the shut-off head
through the best-efficiency point (BEP), and the shaft power rises linearly from the shut-off power
to the BEP power :math:`P_b = \rho g H_b Q_b / \eta_b`. With the speed ratio :math:`r = \omega/\omega_r`
the affinity laws (:math:`Q \propto r`, :math:`H \propto r^2`, :math:`P \propto r^3`) give

.. math::

    H(Q, \omega) = H_0 r^2 - a Q^2, \quad a = \frac{H_0 - H_b}{Q_b^2}, \qquad
    P(Q, \omega) = P_0 r^3 + c\, r^2 Q, \quad c = \frac{P_b - P_0}{Q_b},

    \Delta p = \rho g H, \qquad \tau = P/\omega = \frac{\omega}{\omega_r^2}\,(P_0 r + c Q), \qquad
    \eta = \rho g H Q / P.

The torque form has no singularity at standstill. The curves are valid for forward flow up to
roughly 1.5 Q_b; the pump has no states (its fluid inertia belongs to the pipe).

The "BEP" parameters fix a point the head and power curves pass through with efficiency
:math:`\eta_b`. With this curve family that point is the efficiency *peak* only when
:math:`P_0 = 2 P_b (H_0 - H_b)/H_b` (set :math:`d\eta/dQ = 0` at :math:`Q_b`); for other shut-off
powers the peak lies elsewhere (the defaults peak at η = 0.508, Q = 1.73e-3 m³/s). Parameter sets
that would give an efficiency above 1 anywhere are rejected.

References
----------
Gülich, J. F. (2020). *Centrifugal Pumps*, 4th ed., §3.4 (similarity laws) and §4.1 (characteristics).
Springer. doi:10.1007/978-3-030-14788-4.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from physics_twin.core._jit import jit
from physics_twin.core.component import Component, no_derivatives
from physics_twin.core.declarations import Input, Output, Parameter

__all__ = ["CentrifugalPump"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
GRAVITY = 9.80665  # standard gravity [m/s²]

INPUTS = (
    Input("shaft_speed", "rad/s", "pump shaft angular speed", 0.0),
    Input("flow_rate", "m^3/s", "volume flow through the pump", 0.0),
)
OUTPUTS = (
    Output("pressure_rise", "Pa", "pressure rise from suction to discharge"),
    Output("shaft_torque", "N*m", "torque the pump takes from its shaft"),
    Output("shaft_power", "W", "mechanical power taken from the shaft"),
    Output("hydraulic_power", "W", "power given to the fluid, pressure rise times flow"),
    Output("efficiency", "1", "hydraulic over shaft power"),
)
PARAMETERS = (
    Parameter(
        "rated_speed", "rad/s", "speed at which the curves are given", 2900 * 2 * math.pi / 60, NONZERO, "2-pole motor at 50 Hz"
    ),
    Parameter("shutoff_head", "m", "head at zero flow and rated speed", 20.0, POSITIVE, "illustrative default"),
    Parameter("bep_flow", "m^3/s", "flow at the best-efficiency point, rated speed", 2.0e-3, NONZERO, "illustrative default"),
    Parameter("bep_head", "m", "head at the best-efficiency point, rated speed", 15.0, POSITIVE, "illustrative default"),
    Parameter("bep_efficiency", "1", "efficiency at the best-efficiency point", 0.5, (1e-3, 1.0), "illustrative default"),
    Parameter("shutoff_power", "W", "shaft power at zero flow, rated speed", 250.0, POSITIVE, "illustrative default"),
    Parameter("fluid_density", "kg/m^3", "density of the pumped fluid", 998.2, POSITIVE, "water at 20 °C"),
)


@jit
def output(t, x, u, p, y):
    speed, flow = u[0], u[1]
    rated_speed, shutoff_head, bep_flow, bep_head, bep_efficiency, shutoff_power, density = (
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
    )
    ratio = speed / rated_speed
    head_coefficient = (shutoff_head - bep_head) / (bep_flow * bep_flow)
    bep_power = density * GRAVITY * bep_head * bep_flow / bep_efficiency
    power_coefficient = (bep_power - shutoff_power) / bep_flow
    head = shutoff_head * ratio * ratio - head_coefficient * flow * abs(flow)
    # ratio * ratio * ratio, not ratio**3: numba lowers an integer power to multiplications while Python calls pow(),
    # and the two differ in the last bit (the compiled and the plain-Python kernel must agree exactly)
    power = shutoff_power * ratio * ratio * ratio + power_coefficient * ratio * ratio * flow
    y[0] = density * GRAVITY * head
    y[1] = speed / (rated_speed * rated_speed) * (shutoff_power * ratio + power_coefficient * flow)
    y[2] = power
    y[3] = y[0] * flow
    y[4] = y[3] / power if power != 0.0 else 0.0


class CentrifugalPump(Component):
    """Centrifugal pump curves with affinity-law speed scaling; see the module docstring."""

    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {o.name: ("shaft_speed", "flow_rate") for o in OUTPUTS}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(output)

    @classmethod
    def parameter_problems(cls, values):
        problems = []
        if values["bep_head"] >= values["shutoff_head"]:
            problems.append(
                f"`bep_head` must be below `shutoff_head` (a stable, falling head curve); got {values['bep_head']!r} m "
                f">= {values['shutoff_head']!r} m."
            )
        bep_power = values["fluid_density"] * GRAVITY * values["bep_head"] * values["bep_flow"] / values["bep_efficiency"]
        if values["shutoff_power"] >= bep_power:
            problems.append(
                f"`shutoff_power` must be below the BEP shaft power {bep_power:.6g} W "
                f"(rho*g*bep_head*bep_flow/bep_efficiency); got {values['shutoff_power']!r} W."
            )
        if not problems:
            peak, at_flow = _peak_efficiency(values, bep_power)
            if peak > 1.0:
                # d(eta)/dQ = 0 at Q_b when P0 = 2 P_b (H0 - H_b) / H_b, admissible only when that is below P_b
                peak_at_bep = 2.0 * bep_power * (values["shutoff_head"] - values["bep_head"]) / values["bep_head"]
                hint = f"; the BEP is the efficiency peak at {peak_at_bep:.6g} W" if peak_at_bep < bep_power else ""
                problems.append(
                    f"the curves give an efficiency of {peak:.6g} > 1 at {at_flow:.6g} m^3/s (more hydraulic than shaft power): "
                    f"raise `shutoff_power` (got {values['shutoff_power']!r} W{hint}) or lower `bep_efficiency`."
                )
        return problems


def _peak_efficiency(values, bep_power: float) -> tuple[float, float]:
    """Largest efficiency of the curves over forward flow and where it occurs. [1], [m³/s]

    With s = Q / Q_b, eta(s) = rho g (H0 - (H0 - H_b) s²) s Q_b / (P0 + (P_b - P0) s). Its derivative vanishes where
    2 (H0 - H_b)(P_b - P0) s³ + 3 (H0 - H_b) P0 s² - H0 P0 = 0, which has exactly one positive root (the maximum);
    for P0 = 0 the maximum is the limit at s -> 0, rho g H0 Q_b / P_b.
    """
    h0, hb, qb, p0 = values["shutoff_head"], values["bep_head"], values["bep_flow"], values["shutoff_power"]
    rho_g = values["fluid_density"] * GRAVITY
    if p0 <= 0.0:
        return rho_g * h0 * qb / bep_power, 0.0
    roots = np.roots([2.0 * (h0 - hb) * (bep_power - p0), 3.0 * (h0 - hb) * p0, 0.0, -h0 * p0])
    s = float(max(r.real for r in roots if abs(r.imag) <= 1e-9 * abs(r) and r.real > 0.0))
    return rho_g * (h0 - (h0 - hb) * s * s) * s * qb / (p0 + (bep_power - p0) * s), s * qb
