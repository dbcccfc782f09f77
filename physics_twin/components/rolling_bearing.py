r"""Rolling bearing: defect frequencies from geometry, ISO 281 rating life and fatigue damage as a state.

**Kinematics.** With :math:`Z` rolling elements of diameter :math:`D_w` on the pitch diameter
:math:`D_{pw}`, contact angle :math:`\alpha`, stationary outer ring and shaft frequency :math:`f_r`
(no slip), the characteristic defect frequencies are (Harris & Kotzalas 2007, §1.2; Randall &
Antoni 2011, eq. 1–4), with :math:`\gamma = (D_w/D_{pw})\cos\alpha`:

.. math::

    f_{FTF} = \tfrac{f_r}{2}(1-\gamma), \quad
    f_{BPFO} = \tfrac{Z f_r}{2}(1-\gamma), \quad
    f_{BPFI} = \tfrac{Z f_r}{2}(1+\gamma), \quad
    f_{BSF} = \tfrac{D_{pw} f_r}{2 D_w}(1-\gamma^2).

A spall on a rolling element strikes both races once per spin revolution, so ball faults show at
:math:`2 f_{BSF}`. Real bearings slip 1–2 %, so measured lines sit slightly below these values.

**Rating life (ISO 281:2007).** Basic rating life in millions of revolutions and hours,

.. math::

    L_{10} = (C/P)^p, \qquad L_{10h} = \frac{10^6 L_{10}}{60\,n}, \qquad p = 3 \text{ (ball)},\ 10/3 \text{ (roller)},

and the modified rating life :math:`L_{nm} = a_1\,a_{ISO}\,L_{10}`. The reliability factor follows the
Weibull law behind ISO 281 Table 12, :math:`a_1 = 0.95\,(\ln(1/R)/\ln(1/0.9))^{2/3} + 0.05`
(1 at 90 %, 0.25 at 99 %). The life modification factor :math:`a_{ISO}(\kappa, e_C C_u/P)` is the
standard's formula for radial bearings (ISO 281:2007, eq. 15–20), e.g. for ball bearings and
:math:`1 \le \kappa \le 4`:

.. math::

    a_{ISO} = 0.1\left[1 - \left(2.5671 - \frac{1.9987}{\kappa^{0.071739}}\right)^{0.83}
              \left(\frac{e_C C_u}{P}\right)^{1/3}\right]^{-9.3},

with the other :math:`\kappa` ranges and the roller constants in :func:`life_modification_factor`;
:math:`\kappa` is clipped to 4 above, and :math:`a_{ISO}` is limited to 50 (as the standard says).

**Damage.** Palmgren–Miner over the load and speed history: the consumed fraction of the rating
life grows with each revolution by :math:`1/(10^6 L_{nm}(P))`,

.. math::

    \frac{dD}{dt} = \frac{|\omega|/(2\pi)}{10^6\,L_{nm}(P)},

so :math:`D = 1` when the modified rating life is used up (10 % failure probability for
:math:`a_1 = 1`). Under a load spectrum with :math:`U_i` revolutions at :math:`P_i` and constant
:math:`a_{ISO}`, :math:`D = \sum U_i / L(P_i)`, which equals the damage of all revolutions at the
equivalent load :math:`P_{eq} = (\sum U_i P_i^p / \sum U_i)^{1/p}` (ISO 281 §7.1 / Harris &
Kotzalas vol. 2, §8).

Validity: radial bearings (thrust bearings use :math:`C_{ua}/(3 P_a)` resp. :math:`/(2.5 P_a)` in
:math:`a_{ISO}`, not implemented); the equivalent dynamic load :math:`P` is an input (compute it with
ISO 281's X and Y factors upstream). Fatigue life only: wear, lubricant breakdown and spall growth
after initiation are outside this model (see :mod:`bearing_degradation`).

References
----------
ISO 281:2007 Rolling bearings — Dynamic load ratings and rating life. §6–§9, Table 12, eq. (15)–(20).
Harris, T. A., Kotzalas, M. N. (2007). *Rolling Bearing Analysis*, 5th ed. CRC Press.
doi:10.1201/9781420006582 (vol. 1) and doi:10.1201/9781420006605 (vol. 2).
Randall, R. B., Antoni, J. (2011). Rolling element bearing diagnostics — a tutorial. *Mech. Syst.
Signal Process.* 25(2), 485–520. doi:10.1016/j.ymssp.2010.07.017.
Smith, W. A., Randall, R. B. (2015). Rolling element bearing diagnostics using the Case Western
Reserve University data: a benchmark study. *Mech. Syst. Signal Process.* 64–65, 100–131.
doi:10.1016/j.ymssp.2015.04.021.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.errors import ParameterError, ShapeError

__all__ = [
    "DefectFrequencies",
    "RollingBearing",
    "basic_rating_life",
    "defect_frequencies",
    "envelope_spectrum",
    "equivalent_load",
    "life_modification_factor",
    "modified_rating_life",
    "rating_life_hours",
    "reliability_factor",
]

POSITIVE = (0.0, math.inf)
#: For parameters that divide in the kernels: zero is excluded (the smallest normal float is the lower bound).
NONZERO = (sys.float_info.min, math.inf)
TWO_PI = 2.0 * math.pi
A_ISO_LIMIT = 50.0  # ISO 281:2007 §9.3.1: a_ISO <= 50

# SKF 6205-2RS JEM, the CWRU drive-end bearing: geometry from the CWRU bearing information page
_INCH = 0.0254
STATES = (State("fatigue_damage", "1", "consumed fraction of the modified rating life L_nm (Miner sum)", 0.0, nonnegative=True),)
INPUTS = (
    Input("shaft_speed", "rad/s", "speed of the inner ring relative to the stationary outer ring", 1797 * TWO_PI / 60),
    Input("equivalent_load", "N", "dynamic equivalent radial load P (ISO 281)", 1000.0),
)
OUTPUTS = (
    Output("fatigue_damage", "1", "consumed fraction of the modified rating life L_nm (Miner sum)"),
    Output("damage_rate", "1/s", "rate of fatigue damage at the present speed and load"),
    Output("rating_life", "s", "modified rating life L_nm at the present speed and load (inf at standstill)"),
    Output("ball_pass_frequency_outer", "Hz", "BPFO: rolling elements passing a point of the outer race"),
    Output("ball_pass_frequency_inner", "Hz", "BPFI: rolling elements passing a point of the inner race"),
    Output("ball_spin_frequency", "Hz", "BSF: rolling-element spin about its own axis"),
    Output("fundamental_train_frequency", "Hz", "FTF: cage rotation"),
)
PARAMETERS = (
    Parameter("ball_count", "1", "number of rolling elements Z", 9.0, (1.0, 1000.0), "SKF 6205 (CWRU)"),
    Parameter("ball_diameter", "m", "rolling-element diameter D_w", 0.3126 * _INCH, NONZERO, "SKF 6205 (CWRU): 0.3126 in"),
    Parameter("pitch_diameter", "m", "pitch diameter D_pw", 1.537 * _INCH, NONZERO, "SKF 6205 (CWRU): 1.537 in"),
    Parameter("contact_angle", "rad", "nominal contact angle alpha", 0.0, (0.0, math.pi / 2), "deep-groove ball bearing"),
    Parameter("dynamic_load_rating", "N", "basic dynamic load rating C", 14800.0, NONZERO, "SKF 6205 catalogue value"),
    Parameter("fatigue_load_limit", "N", "fatigue load limit C_u", 335.0, POSITIVE, "SKF 6205 catalogue value (P_u)"),
    Parameter(
        "contamination_factor", "1", "contamination factor e_C (ISO 281 Table 13)", 0.5, (0.0, 1.0), "ISO 281: normal cleanliness"
    ),
    Parameter(
        "viscosity_ratio", "1", "viscosity ratio kappa = nu/nu_1 (clipped to 4 above)", 1.0, (0.1, math.inf), "ISO 281 reference"
    ),
    Parameter(
        "reliability_factor", "1", "life modification factor a1 for reliability", 1.0, (0.05, 1.0), "ISO 281 Table 12: 90 %"
    ),
    Parameter(
        "roller_elements", "1", "0 for ball bearings (p = 3), 1 for roller bearings (p = 10/3)", 0.0, (0.0, 1.0), "ISO 281"
    ),
    Parameter("modified_life", "1", "1: L_nm = a1 a_ISO L10; 0: a1 L10 (a_ISO = 1)", 1.0, (0.0, 1.0), "ISO 281 §9"),
)


@dataclass(frozen=True)
class DefectFrequencies:
    """Characteristic defect frequencies of a rolling bearing. [Hz]"""

    ball_pass_frequency_outer: float
    ball_pass_frequency_inner: float
    ball_spin_frequency: float
    fundamental_train_frequency: float


@jit
def _frequencies(shaft_frequency, z, ball_diameter, pitch_diameter, contact_angle):
    gamma = ball_diameter / pitch_diameter * math.cos(contact_angle)
    ftf = 0.5 * shaft_frequency * (1.0 - gamma)
    bpfo = z * ftf
    bpfi = 0.5 * z * shaft_frequency * (1.0 + gamma)
    bsf = 0.5 * pitch_diameter / ball_diameter * shaft_frequency * (1.0 - gamma * gamma)
    return bpfo, bpfi, bsf, ftf


def defect_frequencies(
    shaft_frequency: float, ball_count: float, ball_diameter: float, pitch_diameter: float, contact_angle: float = 0.0
) -> DefectFrequencies:
    """Defect frequencies of a bearing with stationary outer ring, without slip.

    Parameters
    ----------
    shaft_frequency : float
        Inner-ring (shaft) rotation frequency. [Hz]
    ball_count : float
        Number of rolling elements. [1]
    ball_diameter, pitch_diameter : float
        Rolling-element and pitch diameters. [m]
    contact_angle : float
        Contact angle. [rad]

    Returns
    -------
    DefectFrequencies
        BPFO, BPFI, BSF (spin; ball faults show at 2·BSF) and FTF. [Hz]

    Examples
    --------
    >>> f = defect_frequencies(1.0, 9, 0.3126, 1.537)  # SKF 6205, in orders of shaft speed
    >>> round(f.ball_pass_frequency_inner, 4), round(f.ball_pass_frequency_outer, 4)
    (5.4152, 3.5848)
    """
    problems = []
    if not ball_count >= 1:
        problems.append(f"`ball_count` must be >= 1; got {ball_count!r}.")
    if not (ball_diameter > 0 and pitch_diameter > ball_diameter):
        problems.append(f"`pitch_diameter` must exceed `ball_diameter` > 0 [m]; got {pitch_diameter!r} and {ball_diameter!r}.")
    if problems:
        raise ParameterError(" ".join(problems))
    return DefectFrequencies(
        *(
            float(v)
            for v in _frequencies(
                float(shaft_frequency), float(ball_count), float(ball_diameter), float(pitch_diameter), float(contact_angle)
            )
        )
    )


@jit
def life_modification_factor(viscosity_ratio, contamination_load_ratio, roller):
    """ISO 281:2007 life modification factor a_ISO for radial bearings (eq. 15–20).

    Parameters
    ----------
    viscosity_ratio : float
        kappa = nu / nu_1, clipped to [0.1, 4] (the standard's range; above 4 use 4). [1]
    contamination_load_ratio : float
        e_C · C_u / P. [1]
    roller : float
        0 for ball bearings, 1 for roller bearings.

    Returns
    -------
    float
        a_ISO, at most 50. [1]
    """
    kappa = min(max(viscosity_ratio, 0.1), 4.0)
    ratio = max(contamination_load_ratio, 0.0)
    if roller < 0.5:
        if kappa < 0.4:
            stress = (2.5671 - 2.2649 / kappa**0.054381) ** 0.83
        elif kappa < 1.0:
            stress = (2.5671 - 1.9987 / kappa**0.19087) ** 0.83
        else:
            stress = (2.5671 - 1.9987 / kappa**0.071739) ** 0.83
        base = 1.0 - stress * ratio ** (1.0 / 3.0)
        exponent = -9.3
    else:
        if kappa < 0.4:
            stress = 1.5859 - 1.3993 / kappa**0.054381
        elif kappa < 1.0:
            stress = 1.5859 - 1.2348 / kappa**0.19087
        else:
            stress = 1.5859 - 1.2348 / kappa**0.071739
        base = 1.0 - stress * ratio**0.4
        exponent = -9.185
    if base <= 0.0:
        return A_ISO_LIMIT
    return min(0.1 * base**exponent, A_ISO_LIMIT)


def reliability_factor(reliability: float) -> float:
    """Life modification factor a1 for a reliability R (ISO 281:2007 Table 12 from its Weibull law).

    ``a1 = 0.95 (ln(1/R) / ln(1/0.9))^(2/3) + 0.05``; 1 at R = 0.90, 0.25 at R = 0.99.

    Parameters
    ----------
    reliability : float
        Probability of survival, 0.9 <= R < 1. [1]
    """
    if not 0.9 <= reliability < 1.0:
        raise ParameterError(f"`reliability` must be within [0.9, 1) (ISO 281 Table 12); got {reliability!r}.")
    return 0.95 * (math.log(1.0 / reliability) / math.log(1.0 / 0.9)) ** (2.0 / 3.0) + 0.05


def _life_exponent(roller: float) -> float:
    return 10.0 / 3.0 if roller >= 0.5 else 3.0


def basic_rating_life(dynamic_load_rating: float, equivalent_load: float, roller: bool = False) -> float:
    """ISO 281 basic rating life L10 = (C/P)^p. [10⁶ revolutions]

    Parameters
    ----------
    dynamic_load_rating : float
        Basic dynamic load rating C. [N]
    equivalent_load : float
        Dynamic equivalent load P. [N]
    roller : bool
        True for roller bearings (p = 10/3), False for ball bearings (p = 3).
    """
    if not (dynamic_load_rating > 0 and equivalent_load > 0):
        raise ParameterError(
            f"`dynamic_load_rating` and `equivalent_load` must be > 0 [N]; got {dynamic_load_rating!r} and {equivalent_load!r}."
        )
    return (dynamic_load_rating / equivalent_load) ** _life_exponent(float(roller))


def rating_life_hours(life: float, speed_rpm: float) -> float:
    """Rating life in operating hours, L_h = 10⁶ L / (60 n). [h]

    Parameters
    ----------
    life : float
        Rating life. [10⁶ revolutions]
    speed_rpm : float
        Rotational speed n (the edge unit of ISO 281). [rpm]
    """
    if not speed_rpm > 0:
        raise ParameterError(f"`speed_rpm` must be > 0 [rpm]; got {speed_rpm!r}.")
    return 1e6 * life / (60.0 * speed_rpm)


def modified_rating_life(
    dynamic_load_rating: float,
    equivalent_load: float,
    *,
    fatigue_load_limit: float,
    contamination_factor: float,
    viscosity_ratio: float,
    reliability: float = 0.9,
    roller: bool = False,
) -> float:
    """ISO 281 modified rating life L_nm = a1 · a_ISO · L10. [10⁶ revolutions]

    Parameters
    ----------
    dynamic_load_rating, equivalent_load, fatigue_load_limit : float
        C, P and C_u. [N]
    contamination_factor, viscosity_ratio : float
        e_C and kappa. [1]
    reliability : float
        Probability of survival R (0.9 gives L10m). [1]
    roller : bool
        True for roller bearings.
    """
    l10 = basic_rating_life(dynamic_load_rating, equivalent_load, roller)
    a_iso = life_modification_factor(
        float(viscosity_ratio), contamination_factor * fatigue_load_limit / equivalent_load, float(roller)
    )
    return reliability_factor(reliability) * a_iso * l10


def equivalent_load(loads, revolutions, roller: bool = False) -> float:
    """Equivalent constant load of a load spectrum, P_eq = (Σ Uᵢ Pᵢ^p / Σ Uᵢ)^(1/p). [N]

    Parameters
    ----------
    loads : array_like
        Load of each block. [N]
    revolutions : array_like
        Revolutions (or time at constant speed) spent in each block. [1]
    roller : bool
        True for roller bearings (p = 10/3).
    """
    loads = np.asarray(loads, dtype=float)
    revolutions = np.asarray(revolutions, dtype=float)
    if loads.shape != revolutions.shape or loads.ndim != 1 or loads.size == 0:
        raise ShapeError(
            f"`loads` and `revolutions` must be 1-D of equal, non-zero length; got {loads.shape} and {revolutions.shape}."
        )
    if np.any(loads < 0) or np.any(revolutions < 0) or revolutions.sum() <= 0:
        raise ParameterError("`loads` and `revolutions` must be >= 0 with a positive total of revolutions.")
    p = _life_exponent(float(roller))
    return float((np.sum(revolutions * loads**p) / np.sum(revolutions)) ** (1.0 / p))


def envelope_spectrum(signal, sampling_rate: float, band: tuple[float, float], padding: int = 4):
    """Envelope spectrum: band-pass, Hilbert envelope, amplitude spectrum of the (mean-free) envelope.

    Parameters
    ----------
    signal : array_like, shape (n,)
        Vibration signal (any unit).
    sampling_rate : float
        Samples per second. [Hz]
    band : (float, float)
        Pass band around a structural resonance excited by the impacts. [Hz]
    padding : int
        Zero-padding factor of the FFT (finer interpolation of peak positions).

    Returns
    -------
    frequency, amplitude : numpy.ndarray
        Frequencies [Hz] and envelope amplitudes [signal unit].
    """
    from scipy import signal as sps

    x = np.asarray(signal, dtype=float).ravel()
    low, high = band
    if not 0 < low < high < sampling_rate / 2:
        raise ParameterError(f"`band` must satisfy 0 < low < high < sampling_rate/2 = {sampling_rate / 2:g} Hz; got {band!r}.")
    sos = sps.butter(4, [low, high], btype="bandpass", fs=sampling_rate, output="sos")
    envelope = np.abs(sps.hilbert(sps.sosfiltfilt(sos, x - x.mean())))
    envelope -= envelope.mean()
    n = envelope.size
    window = np.hanning(n)
    amplitude = np.abs(np.fft.rfft(envelope * window, padding * n)) * 2.0 / window.sum()
    return np.fft.rfftfreq(padding * n, 1.0 / sampling_rate), amplitude


@jit
def _rating_life(load, p):
    # modified rating life [1e6 rev] at load P; inf for P <= 0
    if load <= 0.0:
        return math.inf
    roller = p[9]
    exponent = 10.0 / 3.0 if roller >= 0.5 else 3.0
    a_iso = 1.0
    if p[10] >= 0.5:
        a_iso = life_modification_factor(p[7], p[6] * p[5] / load, roller)
    return p[8] * a_iso * (p[4] / load) ** exponent


@jit
def _damage_rate(u, p):
    life = _rating_life(abs(u[1]), p)
    return abs(u[0]) / TWO_PI / (1e6 * life)


@jit
def rhs(t, x, u, p, dx):
    dx[0] = _damage_rate(u, p)


@jit
def output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = _damage_rate(u, p)
    revolutions_per_second = abs(u[0]) / TWO_PI
    life = _rating_life(abs(u[1]), p)
    y[2] = 1e6 * life / revolutions_per_second if revolutions_per_second > 0.0 else math.inf
    bpfo, bpfi, bsf, ftf = _frequencies(revolutions_per_second, p[0], p[1], p[2], p[3])
    y[3] = bpfo
    y[4] = bpfi
    y[5] = bsf
    y[6] = ftf


class RollingBearing(Component):
    """Rolling bearing with defect frequencies, ISO 281 rating life and fatigue damage; see the module docstring."""

    STATES = STATES
    INPUTS = INPUTS
    OUTPUTS = OUTPUTS
    PARAMETERS = PARAMETERS
    FEEDTHROUGH = {
        "damage_rate": ("shaft_speed", "equivalent_load"),
        "rating_life": ("shaft_speed", "equivalent_load"),
        "ball_pass_frequency_outer": ("shaft_speed",),
        "ball_pass_frequency_inner": ("shaft_speed",),
        "ball_spin_frequency": ("shaft_speed",),
        "fundamental_train_frequency": ("shaft_speed",),
    }
    rhs = staticmethod(rhs)
    output = staticmethod(output)

    @classmethod
    def parameter_problems(cls, values):
        problems = []
        if values["pitch_diameter"] <= values["ball_diameter"]:
            problems.append(
                f"`pitch_diameter` must exceed `ball_diameter`; got {values['pitch_diameter']!r} m "
                f"<= {values['ball_diameter']!r} m."
            )
        for flag in ("roller_elements", "modified_life", "ball_count"):
            if values[flag] != round(values[flag]):
                problems.append(f"`{flag}` must be a whole number; got {values[flag]!r}.")
        return problems
