r"""Coulomb friction with stiction that sticks exactly, for any integrator: a sliding body.

A body of mass :math:`m` on a horizontal surface, pushed by a force :math:`F`, with kinetic friction
:math:`F_k = \mu_k m g`, static (breakaway) friction :math:`F_s = \mu_s m g \ge F_k` and viscous
friction :math:`c\,v`:

.. math::

    m \dot v = F - F_k\,\mathrm{sign}(v) - c\,v \quad (v \ne 0), \qquad
    \dot v = 0 \text{ while } v = 0 \text{ and } |F| \le F_s .

**Why a kernel cannot do this with** :math:`v` **as its state.** A fixed-step integrator that crosses
:math:`v = 0` inside a step evaluates the sign function on both sides, so it either chatters around
zero or, for RK4, can freeze at a small non-zero speed (the four stage slopes −a, +a, −a, +a cancel).
No right-hand side :math:`f(v)` can make RK4 land exactly on zero for every step size: for a step
:math:`h` slightly longer than the time to stop, the fourth-stage slope would have to depend on
:math:`v_n` and :math:`h`, which a kernel does not see.

**The stick band (used here).** The state is a *slip coordinate* :math:`\sigma`; the velocity is its
dead zone of half-width :math:`b` (the ``stick_band``):

.. math::

    v = \sigma - b \ (\sigma > b), \qquad v = 0 \ (|\sigma| \le b), \qquad v = \sigma + b \ (\sigma < -b).

Outside the band :math:`m\dot\sigma` is the sliding law above. Inside the band the body is stuck
(:math:`v = 0` exactly) unless :math:`|F| > F_s`. While stuck, the outer half of the band
(:math:`b/2 \le |\sigma| \le b`) continues the sliding law towards the centre, clipped at zero
(:math:`\min(F - F_k, 0)` above, :math:`\max(F + F_k, 0)` below), and the inner half relaxes
linearly, :math:`m\dot\sigma = F - F_k\,\sigma/(b/2)`. At breakaway (:math:`|F| > F_s`) the state
crosses the band at :math:`(|F| - F_k)/m`, at least :math:`F_k/m`.

Consequences, for every integrator that is exact on straight lines (RK4, ROS2, scipy's solvers):

- while decelerating, the derivative does not change when :math:`\sigma` enters the band, so the
  trajectory is the exact straight line and :math:`v` reaches zero **exactly** at
  :math:`t = v_0 m/(F_k - F)` (with :math:`c = 0`), and stays exactly zero: no chatter, no creep
  (the position integrates :math:`v`);
- fixed steps need :math:`b \ge 2 h F_k/m` (the stages of the step that enters the band stay in the
  outer half) and, for RK4's stability in the inner half, :math:`b > 0.72\,h F_k/m`; adaptive solvers
  accept any :math:`b > 0`;
- breakaway is delayed by the time the state needs to cross the band, at most
  :math:`1.5\,b\,m/F_k` (three steps at the smallest admissible band).

The initial slip for a speed :math:`v_0` is :math:`v_0 + b\,\mathrm{sign}(v_0)`
(:meth:`FrictionBody.slip_for_velocity`). The idea is Karnopp's stick band (a velocity window in
which the body is held), moved from the velocity into the state so that the stop is exact.

References
----------
Karnopp, D. (1985). Computer simulation of stick-slip friction in mechanical dynamic systems.
*J. Dyn. Syst. Meas. Control* 107(1), 100–103. doi:10.1115/1.3140698.
Olsson, H., Åström, K. J., Canudas de Wit, C., Gäfvert, M., Lischinsky, P. (1998). Friction models
and friction compensation. *Eur. J. Control* 4(3), 176–195. doi:10.1016/S0947-3580(98)70113-X.
"""

from __future__ import annotations

import math
import sys

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["FrictionBody", "slip_velocity", "stick_slip_force"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
GRAVITY = 9.80665  # standard gravity [m/s²]


@jit
def slip_velocity(sigma, band):
    """Velocity of the slip coordinate ``sigma``: its dead zone of half-width ``band``. [m/s or rad/s]"""
    if sigma > band:
        return sigma - band
    if sigma < -band:
        return sigma + band
    return 0.0


@jit
def stick_slip_force(sigma, applied, kinetic, static, viscous, band):
    """Net force (or torque) driving the slip coordinate: ``mass * d(sigma)/dt``.

    Parameters
    ----------
    sigma : float
        Slip coordinate. [m/s or rad/s]
    applied : float
        Applied force or torque. [N or N·m]
    kinetic, static : float
        Kinetic and breakaway friction magnitudes, ``static >= kinetic >= 0``. [N or N·m]
    viscous : float
        Viscous friction coefficient. [N·s/m or N·m·s/rad]
    band : float
        Half-width of the stick band, > 0. [m/s or rad/s]
    """
    if sigma > band:
        return applied - kinetic - viscous * (sigma - band)
    if sigma < -band:
        return applied + kinetic - viscous * (sigma + band)
    if applied > static:
        return max(applied - kinetic, kinetic)
    if applied < -static:
        return min(applied + kinetic, -kinetic)
    half = 0.5 * band
    if sigma >= half:
        return min(applied - kinetic, 0.0)
    if sigma <= -half:
        return max(applied + kinetic, 0.0)
    return applied - kinetic * sigma / half


@jit
def _friction_force(sigma, applied, kinetic, static, viscous, band):
    # force the surface exerts on the body: applied minus the net force (stuck: it balances the push)
    v = slip_velocity(sigma, band)
    if v != 0.0:
        return -kinetic * (1.0 if v > 0.0 else -1.0) - viscous * v
    if abs(applied) <= static:
        return -applied
    return -kinetic * (1.0 if applied > 0.0 else -1.0)


STATES = (
    State("position", "m", "position of the body along its path", 0.0),
    State("slip_velocity", "m/s", "slip coordinate: velocity plus the stick band in the direction of motion", 0.0),
)
INPUTS = (Input("applied_force", "N", "force pushing the body along its path", 0.0),)
OUTPUTS = (
    Output("velocity", "m/s", "velocity of the body (exactly 0 while stuck)"),
    Output("position", "m", "position of the body along its path"),
    Output("friction_force", "N", "force of the surface on the body along the path"),
    Output("stuck", "1", "1 while the velocity is zero (stuck, or crossing the band at breakaway), else 0"),
)
PARAMETERS = (
    Parameter("mass", "kg", "mass of the body", 1.0, NONZERO, "illustrative default"),
    Parameter(
        "kinetic_friction_coefficient",
        "1",
        "sliding friction coefficient mu_k",
        0.3,
        POSITIVE,
        "steel on steel, lubricated: order 0.1-0.3",
    ),
    Parameter(
        "static_friction_coefficient", "1", "breakaway friction coefficient mu_s >= mu_k", 0.4, POSITIVE, "illustrative default"
    ),
    Parameter("linear_viscous_friction", "N*s/m", "viscous friction coefficient c", 0.0, POSITIVE, "none by default"),
    Parameter(
        "gravitational_acceleration",
        "m/s^2",
        "acceleration of gravity g (normal force m g)",
        GRAVITY,
        NONZERO,
        "standard gravity",
    ),
    Parameter(
        "stick_band",
        "m/s",
        "half-width b of the stick band; >= 2 h mu_k g for fixed steps h",
        0.2,
        NONZERO,
        "2 h mu_k g at h = 0.02 s, mu_k = 0.3, plus margin",
    ),
)


@jit
def _forces(p):
    normal = p[0] * p[4]
    return p[1] * normal, p[2] * normal


@jit
def rhs(t, x, u, p, dx):
    kinetic, static = _forces(p)
    dx[0] = slip_velocity(x[1], p[5])
    dx[1] = stick_slip_force(x[1], u[0], kinetic, static, p[3], p[5]) / p[0]


@jit
def output(t, x, u, p, y):
    kinetic, static = _forces(p)
    v = slip_velocity(x[1], p[5])
    y[0] = v
    y[1] = x[0]
    y[2] = _friction_force(x[1], u[0], kinetic, static, p[3], p[5])
    y[3] = 1.0 if v == 0.0 else 0.0


class FrictionBody(Component):
    """A body sliding with Coulomb, static and viscous friction that sticks exactly; see the module docstring."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {"friction_force": ("applied_force",)}
    rhs = staticmethod(rhs)
    output = staticmethod(output)

    @classmethod
    def parameter_problems(cls, values):
        if values["static_friction_coefficient"] < values["kinetic_friction_coefficient"]:
            return [
                f"`static_friction_coefficient` must be >= `kinetic_friction_coefficient`; got "
                f"{values['static_friction_coefficient']!r} < {values['kinetic_friction_coefficient']!r}."
            ]
        return []

    def slip_for_velocity(self, velocity: float) -> float:
        """Initial slip coordinate for a body moving at ``velocity`` [m/s]: v + b·sign(v). [m/s]"""
        band = self.parameter("stick_band")
        return float(velocity + math.copysign(band, velocity)) if velocity != 0.0 else 0.0
