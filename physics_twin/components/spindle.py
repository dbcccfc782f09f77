r"""Machine-tool spindle: rotor on preloaded angular-contact bearings, friction that sticks, thermal growth.

**Rotor.** Inertia :math:`J` driven by the drive torque :math:`\tau_d` against the cutting (load)
torque :math:`\tau_L`, viscous drag :math:`c\,\omega` and the bearings' load-dependent friction
(Palmgren: :math:`M_1 = f_1 P_1 d_m` per bearing, with the preload as :math:`P_1`):

.. math::

    \tau_k = \tau_0 + n_b f_1 F_p d_m, \qquad \tau_s = \rho_s \tau_k \ (\text{breakaway}), \qquad
    J\dot\omega = \tau_d - \tau_L - \tau_k\,\mathrm{sign}(\omega) - c\,\omega .

The speed is the dead zone of a slip coordinate exactly as in :mod:`physics_twin.components.friction`
(stick band :math:`b \ge 2 h \tau_k / J` for fixed steps :math:`h`), so a spindle coasting down
against a breakaway torque larger than the applied torque stops at the exact time and stays at
exactly zero speed.

**Temperatures.** Two nodes: shaft with inner rings (:math:`T_s`, heated by the bearing friction
power :math:`(\tau_k + c|\omega|)|\omega|` and the rotor losses of a motor spindle) and housing with
outer rings (:math:`T_h`, cooled by the coolant at :math:`T_c`):

.. math::

    C_s \dot T_s = (\tau_k + c|\omega|)|\omega| + Q_m - G_{sh}(T_s - T_h), \qquad
    C_h \dot T_h = G_{sh}(T_s - T_h) - G_{hc}(T_h - T_c).

**Thermal growth at the tool tip** (axial, from the locating front bearing over the length
:math:`L`): :math:`\delta = \alpha L (T_s - T_{ref})`.

**Preload change with temperature** (rigid, fixed-position preload of angular-contact ball
bearings; Stein & Tu 1994, Harris & Kotzalas 2007 vol. 2 §1 and §7). A hotter shaft and balls close
the radial clearance; the radial interference :math:`\delta_r` acts along the contact line as an
axial approach :math:`\delta_a = \delta_r/\tan\alpha_c`, and the Hertz contacts answer with
:math:`F \propto \delta^{3/2}`:

.. math::

    \delta_r = \frac{\alpha}{2}\left[d_i (T_s - T_{ref}) - d_o (T_h - T_{ref}) + 2 D_w
               \left(\tfrac{T_s + T_h}{2} - T_{ref}\right)\right], \qquad
    F_p = F_{p0}\left(1 + \frac{\delta_a}{\delta_{a0}}\right)_+^{3/2}, \quad \delta_{a0} = \frac{3 F_{p0}}{2 k_a},

with :math:`d_i, d_o` the inner and outer raceway diameters, :math:`D_w` the ball diameter and
:math:`k_a` the axial stiffness at the initial preload (from the catalogue; the factor 3/2 is the
Hertz relation :math:`k = dF/d\delta = \tfrac32 F/\delta`). Shaft heating raises the preload, which
raises friction and heat: the known thermal run-away of spindles.

**Bearing fatigue** (ISO 281, ball bearings): equivalent load :math:`P = F_r + Y F_p`, damage
:math:`\dot D = (|\omega|/2\pi)/(10^6 (C/P)^3)` as in :mod:`physics_twin.components.rolling_bearing`.

Assumptions: lumped temperatures, one preloaded set (the front pair) carries the load, no
centrifugal or gyroscopic effects on the contacts (valid below about 1 million n·d_m).

References
----------
Stein, J. L., Tu, J. F. (1994). A state-space model for monitoring thermally induced preload in
anti-friction spindle bearings of high-speed machine tools. *J. Dyn. Syst. Meas. Control* 116(3),
372–386. doi:10.1115/1.2899232.
Harris, T. A., Kotzalas, M. N. (2007). *Rolling Bearing Analysis*, 5th ed., vol. 1 ch. 6 (Hertz
contact) and vol. 2 ch. 7 (friction, Palmgren's M1 = f1 P1 dm). CRC Press. doi:10.1201/9781420006605.
Bryan, J. (1990). International status of thermal error research. *CIRP Annals* 39(2), 645–656.
doi:10.1016/S0007-8506(07)63001-7.
"""

from __future__ import annotations

import math
import sys

from physics_twin.components.friction import slip_velocity, stick_slip_force
from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State

__all__ = ["Spindle"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
TWO_PI = 2.0 * math.pi
ILLUSTRATIVE = "illustrative: 7014 angular-contact pair, 15 degrees, light preload"

STATES = (
    State("slip_speed", "rad/s", "slip coordinate: speed plus the stick band in the direction of rotation", 0.0),
    State("shaft_temperature", "K", "temperature of shaft and inner rings", 293.15),
    State("housing_temperature", "K", "temperature of housing and outer rings", 293.15),
    State("bearing_damage", "1", "consumed fraction of the front bearings' basic rating life", 0.0, nonnegative=True),
)
INPUTS = (
    Input("drive_torque", "N*m", "torque of the spindle drive", 0.0),
    Input("load_torque", "N*m", "cutting torque against the rotation", 0.0),
    Input("coolant_temperature", "K", "temperature of the housing coolant", 293.15),
    Input("radial_load", "N", "radial cutting load on the front bearings", 0.0),
    Input("motor_heat", "W", "rotor losses of a motor spindle flowing into the shaft", 0.0),
)
OUTPUTS = (
    Output("shaft_speed", "rad/s", "spindle speed (exactly 0 while stuck)"),
    Output("tool_tip_displacement", "m", "axial thermal growth of the spindle at the tool tip"),
    Output("preload", "N", "axial preload of the front bearings at their temperatures"),
    Output("friction_torque", "N*m", "Coulomb friction torque of the bearings (kinetic)"),
    Output("bearing_power_loss", "W", "friction power heating the shaft"),
    Output("shaft_temperature", "K", "temperature of shaft and inner rings"),
    Output("housing_temperature", "K", "temperature of housing and outer rings"),
    Output("bearing_damage", "1", "consumed fraction of the front bearings' basic rating life"),
)
PARAMETERS = (
    Parameter("rotor_inertia", "kg*m^2", "inertia of shaft, tool holder and rotor J", 0.01, NONZERO, "illustrative default"),
    Parameter("viscous_friction", "N*m*s/rad", "viscous (lubricant drag) coefficient c", 1e-4, POSITIVE, "illustrative default"),
    Parameter(
        "base_friction_torque", "N*m", "load-independent friction torque tau_0 (seals)", 0.05, POSITIVE, "illustrative default"
    ),
    Parameter("bearing_count", "1", "number of preloaded bearings n_b", 2.0, (1.0, 16.0), "back-to-back pair"),
    Parameter(
        "friction_factor",
        "1",
        "Palmgren's f1 for the load-dependent friction moment",
        1e-3,
        POSITIVE,
        "Harris & Kotzalas vol. 2 ch. 7: 0.0007-0.002 for angular-contact ball bearings",
    ),
    Parameter("mean_diameter", "m", "bearing pitch diameter d_m", 0.0875, NONZERO, ILLUSTRATIVE),
    Parameter(
        "breakaway_ratio", "1", "breakaway over kinetic friction torque rho_s >= 1", 1.5, (1.0, math.inf), "illustrative default"
    ),
    Parameter(
        "stick_speed_band",
        "rad/s",
        "half-width of the stick band; >= 2 h tau_k / J for fixed steps h",
        1.0,
        NONZERO,
        "2 h tau_k / J at h = 0.02 s with the defaults, doubled",
    ),
    Parameter(
        "shaft_heat_capacity",
        "J/K",
        "heat capacity of shaft and inner rings C_s",
        8000.0,
        NONZERO,
        "illustrative: 17 kg of steel",
    ),
    Parameter(
        "housing_heat_capacity", "J/K", "heat capacity of housing and outer rings C_h", 40000.0, NONZERO, "illustrative default"
    ),
    Parameter("shaft_housing_conductance", "W/K", "conductance through the bearings G_sh", 10.0, NONZERO, "illustrative default"),
    Parameter(
        "housing_coolant_conductance", "W/K", "conductance of the cooling jacket G_hc", 50.0, NONZERO, "illustrative default"
    ),
    Parameter(
        "expansion_coefficient",
        "1/K",
        "linear thermal expansion coefficient alpha of steel",
        11.5e-6,
        POSITIVE,
        "bearing steel 100Cr6",
    ),
    Parameter(
        "growth_length", "m", "axial distance from the locating bearing to the tool tip L", 0.3, POSITIVE, "illustrative default"
    ),
    Parameter(
        "reference_temperature",
        "K",
        "temperature of zero growth and of the initial preload",
        293.15,
        NONZERO,
        "20 °C by convention",
    ),
    Parameter("initial_preload", "N", "axial preload at the reference temperature F_p0", 500.0, NONZERO, ILLUSTRATIVE),
    Parameter("axial_stiffness", "N/m", "axial stiffness of the pair at the initial preload k_a", 1.0e8, NONZERO, ILLUSTRATIVE),
    Parameter("contact_angle", "rad", "contact angle alpha_c", math.radians(15.0), (1e-3, math.pi / 2), ILLUSTRATIVE),
    Parameter("inner_raceway_diameter", "m", "inner raceway diameter d_i", 0.0765, NONZERO, ILLUSTRATIVE),
    Parameter("outer_raceway_diameter", "m", "outer raceway diameter d_o", 0.0985, NONZERO, ILLUSTRATIVE),
    Parameter("ball_diameter", "m", "ball diameter D_w", 0.011, NONZERO, ILLUSTRATIVE),
    Parameter("dynamic_load_rating", "N", "basic dynamic load rating C of one bearing", 39000.0, NONZERO, ILLUSTRATIVE),
    Parameter("axial_load_factor", "1", "Y in P = F_r + Y F_p", 1.0, POSITIVE, "illustrative default"),
)


@jit
def _preload(ts, th, p):
    alpha, reference = p[12], p[14]
    radial = 0.5 * alpha * (p[18] * (ts - reference) - p[19] * (th - reference) + 2.0 * p[20] * (0.5 * (ts + th) - reference))
    axial = radial / math.tan(p[17])
    initial = p[15]
    approach = 1.0 + axial / (1.5 * initial / p[16])
    return initial * max(approach, 0.0) ** 1.5


@jit
def _kinetic_torque(preload, p):
    return p[2] + p[3] * p[4] * preload * p[5]


@jit
def rhs(t, x, u, p, dx):
    ts, th = x[1], x[2]
    preload = _preload(ts, th, p)
    kinetic = _kinetic_torque(preload, p)
    band = p[7]
    speed = slip_velocity(x[0], band)
    heat = (kinetic + p[1] * abs(speed)) * abs(speed)
    load = u[3] + p[22] * preload
    dx[0] = stick_slip_force(x[0], u[0] - u[1], kinetic, p[6] * kinetic, p[1], band) / p[0]
    dx[1] = (heat + u[4] - p[10] * (ts - th)) / p[8]
    dx[2] = (p[10] * (ts - th) - p[11] * (th - u[2])) / p[9]
    dx[3] = abs(speed) / TWO_PI / (1e6 * (p[21] / load) ** 3) if load > 0.0 else 0.0


@jit
def output(t, x, u, p, y):
    preload = _preload(x[1], x[2], p)
    kinetic = _kinetic_torque(preload, p)
    speed = slip_velocity(x[0], p[7])
    y[0] = speed
    y[1] = p[12] * p[13] * (x[1] - p[14])
    y[2] = preload
    y[3] = kinetic
    y[4] = (kinetic + p[1] * abs(speed)) * abs(speed)
    y[5] = x[1]
    y[6] = x[2]
    y[7] = x[3]


class Spindle(Component):
    """Spindle rotor on preloaded bearings with exact stiction, temperatures, tool-tip growth and bearing fatigue.

    See the module docstring for the equations.
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {}
    rhs = staticmethod(rhs)
    output = staticmethod(output)

    @classmethod
    def parameter_problems(cls, values):
        problems = []
        if values["outer_raceway_diameter"] <= values["inner_raceway_diameter"]:
            problems.append(
                f"`outer_raceway_diameter` must exceed `inner_raceway_diameter`; got {values['outer_raceway_diameter']!r} m "
                f"<= {values['inner_raceway_diameter']!r} m."
            )
        return problems

    def slip_for_speed(self, speed: float) -> float:
        """Initial slip coordinate for a spindle turning at ``speed`` [rad/s]: ω + b·sign(ω). [rad/s]"""
        band = self.parameter("stick_speed_band")
        return float(speed + math.copysign(band, speed)) if speed != 0.0 else 0.0
