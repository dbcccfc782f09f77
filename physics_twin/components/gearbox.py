r"""Gear stage with speed- and direction-dependent mesh losses, bearing friction, a compliant output
shaft with backlash, and tooth damage accumulated by Miner's rule over an ISO 6336-style S–N curve.

**Kinematics and compliance.** The input shaft is rigid with the driving machine (add the pinion
inertia to the motor's rotor inertia); the wheel turns at :math:`\omega_g = \omega_{in}/i`. Between
the wheel and the output inertia :math:`J_o` sits a torsional spring :math:`k` with damper
:math:`c` and a total angular clearance (backlash) :math:`\beta`, all referred to the output. The
twist :math:`\theta` (wheel angle minus output angle) enters a dead zone:

.. math::

    \delta = \begin{cases} \theta - \beta/2 & \theta > \beta/2 \\ 0 & |\theta| \le \beta/2 \\
             \theta + \beta/2 & \theta < -\beta/2 \end{cases}, \qquad
    \tau_s = k\,\delta + c\,\dot\theta \ \text{in contact, clipped so that the flanks never pull,}

    \dot\theta = \omega_g - \omega_o, \qquad J_o\,\dot\omega_o = \tau_s - \tau_L .

(The dead-zone model of Nordin & Gutman (2002) with the non-physical pulling torque removed.)

**Losses.** The mesh loses the fraction :math:`\lambda` of the power it transmits. The fraction
depends on the direction of power flow (driving, :math:`\tau_s\omega_g \ge 0`, or back-driven) and
on speed through the mean tooth friction coefficient, which falls with the sum velocity as
:math:`v^{-0.2}` (Niemann's formula in ISO/TR 14179-2):

.. math::

    \lambda = \lambda_{f|b}\,\Big(\frac{\omega_{ref}}{\max(|\omega_{in}|,\ 10^{-3}\omega_{ref})}\Big)^{a},
    \ \lambda \le 0.95, \qquad
    \tau_{in} = \begin{cases} \dfrac{\tau_s}{i\,(1 - \lambda)} & \text{driving} \\[1ex]
                 \dfrac{\tau_s (1 - \lambda)}{i} & \text{back-driven} \end{cases}
    \ + \ \tau_c \tanh(\omega_{in}/\omega_\epsilon) + b\,\omega_{in},

the last two terms being the load-independent bearing and seal drag (Coulomb, smoothed over
:math:`\omega_\epsilon`, and viscous). In steady state :math:`\omega_o = \omega_{in}/i` and
:math:`\tau_L = i\,\eta\,(\tau_{in} - \tau_{bearing})` with :math:`\eta = 1 - \lambda` when driving
(gear-ratio reciprocity). Power balance (exact):
:math:`\tau_{in}\omega_{in} = \tau_L\omega_o + P_{mesh} + P_{bearing} + P_{damper}
+ \frac{d}{dt}(\tfrac12 J_o\omega_o^2 + \tfrac12 k\delta^2)`.

**Tooth damage.** The tooth stress follows the transmitted torque, :math:`\sigma = \sigma_{ref}
(|\tau_s|/\tau_{ref})^{e}` with :math:`e = 1/2` for the Hertzian contact stress :math:`\sigma_H`
(ISO 6336-2: :math:`\sigma_H \propto \sqrt{F_t}`) or :math:`e = 1` for the root bending stress
:math:`\sigma_F` (ISO 6336-3). The S–N curve has its knee at :math:`(N_D, \sigma_{lim})` and slope
exponent :math:`k_N`, and each tooth is loaded :math:`n_c` times per input revolution; Miner's
rule accumulates

.. math::

    \frac{dD}{dt} = \frac{n_c\,|\omega_{in}|}{2\pi\,N(\sigma)}, \qquad
    N(\sigma) = N_D \Big(\frac{\sigma_{lim}}{\sigma}\Big)^{k_N} \ (\sigma > \sigma_{lim}),
    \quad N = \infty \ (\sigma \le \sigma_{lim}),

so :math:`D = 1` marks pitting (or root breakage) life. Both flanks add to one sum, so under a reversing
load the damage is conservative for either flank. Defaults: the contact S–N of case-hardened steel,
:math:`\sigma_{Hlim}` = 1500 MPa (ISO 6336-5, quality MQ), knee at 5·10⁷ cycles and
:math:`k_N = 1/0.0756 = 13.2` (the life factor :math:`Z_{NT} = (5\cdot10^7/N_L)^{0.0756}` of
ISO 6336-2); for bending use :math:`e = 1`, knee 3·10⁶, :math:`k_N = 1/0.115 = 8.7` (ISO 6336-3
:math:`Y_{NT}`) and :math:`\sigma_{Flim}` of the material. Below the endurance limit no damage
accrues (elementary Miner with a horizontal endurance line); above the static limit the curve is not
capped. The reference stress at the reference torque comes from an ISO 6336-2/-3 rating of the
actual gear pair (the default, 1200 MPa at 100 N·m, is illustrative).

Several stages in series are several ``Gearbox`` components connected output to input; see
:func:`gear_train`.

References
----------
ISO 6336-2:2019, -3:2019, -5:2016, -6:2019 Calculation of load capacity of spur and helical gears
(surface durability, tooth bending strength, material strength, service life under variable load).
ISO/TR 14179-2:2001 Gears — Thermal capacity — Part 2: Thermal load-carrying capacity (mesh losses).
Nordin, M., Gutman, P.-O. (2002). Controlling mechanical systems with backlash — a survey.
*Automatica* 38(10), 1633–1649. doi:10.1016/S0005-1098(02)00047-X.
Miner, M. A. (1945). Cumulative damage in fatigue. *J. Appl. Mech.* 12(3), A159–A164.
doi:10.1115/1.4009458.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping, Sequence

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State, index_of
from physics_twin.errors import ParameterError

__all__ = ["Gearbox", "gear_train"]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
_MAX_LOSS = 0.95
_MIN_SPEED_FRACTION = 1e-3
_STAGE = "typical single spur/helical stage, 98–99 % (Niemann & Winter, Maschinenelemente II)"

STATES = (
    State("shaft_twist", "rad", "wheel angle minus output angle (includes the backlash clearance)", 0.0),
    State("output_speed", "rad/s", "angular speed of the output shaft", 0.0),
    State("tooth_damage", "1", "Miner damage sum of the tracked gear teeth (1 = end of life)", 0.0, nonnegative=True),
)
INPUTS = (
    Input("input_speed", "rad/s", "angular speed of the input (pinion) shaft", 0.0),
    Input("load_torque", "N*m", "torque of the driven load on the output shaft", 0.0),
)
OUTPUTS = (
    Output("input_torque", "N*m", "torque the gearbox takes from its input shaft (the driver's load torque)"),
    Output("output_speed", "rad/s", "angular speed of the output shaft"),
    Output("shaft_torque", "N*m", "torque transmitted by the compliant output shaft"),
    Output("mesh_efficiency", "1", "mesh efficiency for the present speed and direction of power flow"),
    Output("power_loss", "W", "mesh, bearing and damper losses"),
    Output("tooth_stress", "Pa", "tooth stress from the transmitted torque"),
    Output("tooth_damage", "1", "Miner damage sum of the tracked gear teeth"),
)
PARAMETERS = (
    Parameter("gear_ratio", "1", "input speed over output speed", 5.0, NONZERO, "illustrative default"),
    Parameter(
        "forward_mesh_loss",
        "1",
        "fraction of the transmitted power lost in the mesh when driving, at reference speed",
        0.015,
        (0.0, 0.5),
        _STAGE,
    ),
    Parameter(
        "backward_mesh_loss",
        "1",
        "fraction of the transmitted power lost in the mesh when back-driven, at reference speed",
        0.015,
        (0.0, 0.9),
        _STAGE,
    ),
    Parameter(
        "reference_speed",
        "rad/s",
        "input speed at which the mesh losses hold",
        2.0 * math.pi * 1500.0 / 60.0,
        NONZERO,
        "1500 rpm",
    ),
    Parameter(
        "loss_speed_exponent",
        "1",
        "exponent a of the mesh-loss speed law",
        0.2,
        (0.0, 1.0),
        "ISO/TR 14179-2 (Niemann: mesh friction ~ v^-0.2)",
    ),
    Parameter(
        "bearing_drag_torque",
        "N*m",
        "load-independent Coulomb drag of bearings and seals, input-referred",
        0.05,
        POSITIVE,
        "illustrative default",
    ),
    Parameter(
        "bearing_viscous_coefficient",
        "N*m*s/rad",
        "viscous drag of bearings and churning, input-referred",
        1.0e-4,
        POSITIVE,
        "illustrative default",
    ),
    Parameter(
        "friction_smoothing_speed",
        "rad/s",
        "speed over which the Coulomb drag changes sign (tanh)",
        0.1,
        NONZERO,
        "numerical regularisation",
    ),
    Parameter(
        "torsional_stiffness",
        "N*m/rad",
        "stiffness of the output shaft and mesh, output-referred",
        1.0e4,
        NONZERO,
        "illustrative default",
    ),
    Parameter(
        "torsional_damping",
        "N*m*s/rad",
        "damping of the output shaft and mesh, output-referred",
        5.0,
        POSITIVE,
        "illustrative default",
    ),
    Parameter(
        "backlash", "rad", "total angular clearance of the mesh, output-referred", 1.0e-3, POSITIVE, "illustrative default"
    ),
    Parameter("output_inertia", "kg*m^2", "inertia of the wheel and output shaft", 0.01, NONZERO, "illustrative default"),
    Parameter(
        "reference_stress",
        "Pa",
        "tooth stress at the reference torque (from an ISO 6336 rating)",
        1.2e9,
        NONZERO,
        "illustrative default",
    ),
    Parameter("reference_torque", "N*m", "output torque at which reference_stress holds", 100.0, NONZERO, "illustrative default"),
    Parameter(
        "stress_torque_exponent",
        "1",
        "stress ~ torque^e: 0.5 contact (σ_H), 1 root bending (σ_F)",
        0.5,
        (0.1, 2.0),
        "ISO 6336-2 (σ_H ∝ √F_t)",
    ),
    Parameter(
        "endurance_limit",
        "Pa",
        "stress at the knee of the S–N curve",
        1.5e9,
        NONZERO,
        "ISO 6336-5: σ_Hlim case-hardened steel, MQ",
    ),
    Parameter(
        "knee_cycles", "1", "load cycles at the knee of the S–N curve", 5.0e7, NONZERO, "ISO 6336-2: Z_NT = 1 from 5e7 cycles"
    ),
    Parameter(
        "sn_exponent",
        "1",
        "slope exponent of the S–N curve, N ~ σ^-k",
        1.0 / 0.0756,
        (1.0, 50.0),
        "ISO 6336-2: Z_NT = (5e7/N)^0.0756, case-hardened",
    ),
    Parameter(
        "cycles_per_input_revolution",
        "1",
        "load cycles of a tracked tooth per input revolution",
        1.0,
        POSITIVE,
        "pinion tooth: 1; wheel tooth: 1/gear_ratio",
    ),
)

_I = index_of(PARAMETERS, "gear_ratio")
_LF = index_of(PARAMETERS, "forward_mesh_loss")
_LB = index_of(PARAMETERS, "backward_mesh_loss")
_WREF = index_of(PARAMETERS, "reference_speed")
_A = index_of(PARAMETERS, "loss_speed_exponent")
_TC = index_of(PARAMETERS, "bearing_drag_torque")
_CB = index_of(PARAMETERS, "bearing_viscous_coefficient")
_WEPS = index_of(PARAMETERS, "friction_smoothing_speed")
_K = index_of(PARAMETERS, "torsional_stiffness")
_C = index_of(PARAMETERS, "torsional_damping")
_BETA = index_of(PARAMETERS, "backlash")
_JO = index_of(PARAMETERS, "output_inertia")
_SREF = index_of(PARAMETERS, "reference_stress")
_TREF = index_of(PARAMETERS, "reference_torque")
_E = index_of(PARAMETERS, "stress_torque_exponent")
_SLIM = index_of(PARAMETERS, "endurance_limit")
_ND = index_of(PARAMETERS, "knee_cycles")
_KN = index_of(PARAMETERS, "sn_exponent")
_NC = index_of(PARAMETERS, "cycles_per_input_revolution")


@jit
def _shaft(twist, twist_rate, p):
    """Shaft torque [N·m] and spring deflection beyond the clearance [rad]."""
    half = 0.5 * p[_BETA]
    if twist > half:
        deflection = twist - half
        torque = max(p[_K] * deflection + p[_C] * twist_rate, 0.0)
    elif twist < -half:
        deflection = twist + half
        torque = min(p[_K] * deflection + p[_C] * twist_rate, 0.0)
    else:
        deflection = 0.0
        torque = 0.0
    return torque, deflection


@jit
def _mesh(shaft_torque, input_speed, p):
    """Mesh torque on the input side [N·m] and mesh efficiency [1] for the present direction of power flow."""
    effective = max(abs(input_speed), _MIN_SPEED_FRACTION * p[_WREF])
    factor = (p[_WREF] / effective) ** p[_A]
    if shaft_torque * input_speed >= 0.0:  # driving: power flows from input to output
        loss = min(p[_LF] * factor, _MAX_LOSS)
        return shaft_torque / (p[_I] * (1.0 - loss)), 1.0 - loss
    loss = min(p[_LB] * factor, _MAX_LOSS)
    return shaft_torque * (1.0 - loss) / p[_I], 1.0 - loss


@jit
def _bearing(input_speed, p):
    return p[_TC] * math.tanh(input_speed / p[_WEPS]) + p[_CB] * input_speed


@jit
def _stress(shaft_torque, p):
    return p[_SREF] * (abs(shaft_torque) / p[_TREF]) ** p[_E]


@jit
def rhs(t, x, u, p, dx):
    twist_rate = u[0] / p[_I] - x[1]
    torque = _shaft(x[0], twist_rate, p)[0]
    stress = _stress(torque, p)
    dx[0] = twist_rate
    dx[1] = (torque - u[1]) / p[_JO]
    if stress > p[_SLIM]:
        dx[2] = p[_NC] * abs(u[0]) / (2.0 * math.pi * p[_ND]) * (stress / p[_SLIM]) ** p[_KN]
    else:
        dx[2] = 0.0


@jit
def output(t, x, u, p, y):
    input_speed = u[0]
    wheel_speed = input_speed / p[_I]
    twist_rate = wheel_speed - x[1]
    torque, deflection = _shaft(x[0], twist_rate, p)
    mesh_torque, efficiency = _mesh(torque, input_speed, p)
    bearing = _bearing(input_speed, p)
    y[0] = mesh_torque + bearing
    y[1] = x[1]
    y[2] = torque
    y[3] = efficiency
    y[4] = (mesh_torque * input_speed - torque * wheel_speed) + bearing * input_speed + (torque - p[_K] * deflection) * twist_rate
    y[5] = _stress(torque, p)
    y[6] = x[2]


class Gearbox(Component):
    """One gear stage with losses, compliance, backlash and tooth damage; see the module docstring.

    Connect ``input_speed``/``input_torque`` to the driver's ``shaft_speed``/``load_torque`` and
    ``output_speed``/``load_torque`` to the driven machine.

    Examples
    --------
    >>> gearbox = Gearbox("gear", gear_ratio=4.0, bearing_drag_torque=0.0, bearing_viscous_coefficient=0.0)
    >>> result = gearbox.simulate([0.0, 2.0], inputs={"input_speed": 157.08, "load_torque": 40.0}, method="LSODA")
    >>> round(float(result["output_speed"][-1]), 2), round(float(result["input_torque"][-1]), 3)
    (39.27, 10.152)
    """

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "input_torque": ("input_speed",),
        "shaft_torque": ("input_speed",),
        "mesh_efficiency": ("input_speed",),
        "power_loss": ("input_speed",),
        "tooth_stress": ("input_speed",),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)


def gear_train(stages: Sequence[Mapping[str, float]], prefix: str = "stage") -> tuple[list[Gearbox], list[tuple[str, str]]]:
    """Several :class:`Gearbox` stages in series, ready for a :class:`~physics_twin.core.system.System`.

    Parameters
    ----------
    stages : sequence of mapping
        Parameters of each stage, first (input) stage first. [SI]
    prefix : str
        Stage names are ``prefix1``, ``prefix2``, ...

    Returns
    -------
    components : list of Gearbox
    connections : list of (str, str)
        Each stage's ``output_speed`` to the next stage's ``input_speed`` and the next stage's
        ``input_torque`` back to this stage's ``load_torque``. The first stage's ``input_speed`` and the
        last stage's ``load_torque`` stay open (connect or expose them).

    Raises
    ------
    ParameterError
        When ``stages`` is empty or a stage's parameters are invalid.
    """
    if len(stages) == 0:
        raise ParameterError("`stages` must list at least one stage; got an empty sequence.")
    components = [Gearbox(f"{prefix}{k + 1}", **dict(stage)) for k, stage in enumerate(stages)]
    connections: list[tuple[str, str]] = []
    for upstream, downstream in itertools.pairwise(components):
        connections.append((f"{upstream.name}.output_speed", f"{downstream.name}.input_speed"))
        connections.append((f"{downstream.name}.input_torque", f"{upstream.name}.load_torque"))
    return components, connections
