"""Rolling bearing: defect frequencies (against CWRU's published orders and real envelope spectra), ISO 281 lives, damage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from physics_twin.components.rolling_bearing import (
    RollingBearing,
    basic_rating_life,
    defect_frequencies,
    envelope_spectrum,
    equivalent_load,
    life_modification_factor,
    modified_rating_life,
    rating_life_hours,
    reliability_factor,
)
from physics_twin.core.simulate import InputTable
from physics_twin.errors import ParameterError, ShapeError

# SKF 6205-2RS JEM as given by the CWRU bearing data center [in]
CWRU_GEOMETRY = {"ball_count": 9, "ball_diameter": 0.3126, "pitch_diameter": 1.537}


def test_defect_orders_match_the_cwru_published_multiples_of_shaft_speed():
    # CWRU site (quoted in shared/data/cwru_bearing/README.md): BPFI 5.4152, BPFO 3.5848, FTF 0.39828, 2*BSF 4.7135,
    # printed to 5 digits (and not quite consistent among themselves: BPFO/9 = 0.39831), hence rtol 1e-4
    f = defect_frequencies(1.0, **CWRU_GEOMETRY)
    assert_allclose(f.ball_pass_frequency_inner, 5.4152, rtol=1e-4)
    assert_allclose(f.ball_pass_frequency_outer, 3.5848, rtol=1e-4)
    assert_allclose(f.fundamental_train_frequency, 0.39828, rtol=1e-4)
    assert_allclose(2.0 * f.ball_spin_frequency, 4.7135, rtol=1e-4)


def test_kinematic_identities():
    # BPFO + BPFI = Z f_r (each element passes the outer race at the cage speed, the inner at f_r - FTF)
    f = defect_frequencies(25.0, 12, 0.01, 0.05, contact_angle=0.3)
    assert_allclose(f.ball_pass_frequency_outer + f.ball_pass_frequency_inner, 12 * 25.0, rtol=1e-14)
    assert_allclose(f.ball_pass_frequency_outer, 12 * f.fundamental_train_frequency, rtol=1e-14)
    # a 90 degree contact angle removes the geometric asymmetry: cage at half shaft speed
    g = defect_frequencies(25.0, 12, 0.01, 0.05, contact_angle=math.pi / 2)
    assert_allclose(g.fundamental_train_frequency, 12.5, rtol=1e-14)


def test_component_outputs_scale_with_speed_and_agree_with_the_function():
    bearing = RollingBearing("b")
    speed = 1797 * 2 * math.pi / 60
    y = bearing.output_values(0.0, np.zeros(1), np.array([speed, 1000.0]), bearing.parameter_values)
    f = defect_frequencies(1797 / 60, **CWRU_GEOMETRY)  # the same geometry in inches: only ratios matter
    assert_allclose(
        y[3:7],
        [f.ball_pass_frequency_outer, f.ball_pass_frequency_inner, f.ball_spin_frequency, f.fundamental_train_frequency],
        rtol=1e-12,
    )


def _shaft_frequency(x: np.ndarray, fs: float, nominal: float) -> float:
    """Shaft frequency from the largest raw-spectrum line within +-3 % of the nominal speed. [Hz]"""
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(x.size), 8 * x.size))
    frequency = np.fft.rfftfreq(8 * x.size, 1.0 / fs)
    window = (frequency > 0.97 * nominal) & (frequency < 1.03 * nominal)
    return float(frequency[window][np.argmax(spectrum[window])])


def _envelope_peak(x: np.ndarray, fs: float, expected: float) -> float:
    frequency, amplitude = envelope_spectrum(x, fs, (2000.0, 5000.0), padding=8)
    window = (frequency > expected - 3.0) & (frequency < expected + 3.0)
    return float(frequency[window][np.argmax(amplitude[window])])


@pytest.mark.parametrize(
    ("file", "line"),
    [
        ("1797_IR_7_DE12.npz", "ball_pass_frequency_inner"),
        ("1797_IR_21_DE12.npz", "ball_pass_frequency_inner"),
        ("1797_OR@6_7_DE12.npz", "ball_pass_frequency_outer"),
        ("1797_OR@6_21_DE12.npz", "ball_pass_frequency_outer"),
    ],
)
def test_envelope_spectrum_peaks_of_real_cwru_faults_sit_within_half_a_hertz(shared, file, line):
    # Drive-end accelerometer at 12 kHz; the shaft speed is read from the same record (1x line), since the
    # nominal 1797 rpm is the motor's rating, not a tachometer (Smith & Randall 2015). The envelope of the
    # 2-5 kHz band (resonances excited by the impacts) has its largest line near the fault frequency.
    data = np.load(shared("data", "cwru_bearing", file))
    x = data["DE"][:, 0]
    fs = 12000.0
    shaft = _shaft_frequency(x, fs, 1797 / 60)
    assert abs(shaft - 1797 / 60) < 0.1  # the record really runs at the nominal speed
    expected = getattr(defect_frequencies(shaft, **CWRU_GEOMETRY), line)
    peak = _envelope_peak(x, fs, expected)
    assert abs(peak - expected) < 0.5


def test_envelope_spectrum_finds_a_synthetic_modulation_and_checks_the_band(rng):
    fs = 10000.0
    t = np.arange(20000) / fs
    carrier = np.sin(2 * np.pi * 3000.0 * t)
    x = (1.0 + 0.8 * np.cos(2 * np.pi * 87.0 * t)) * carrier + 0.05 * rng.standard_normal(t.size)
    frequency, amplitude = envelope_spectrum(x, fs, (2000.0, 4000.0))
    window = frequency > 10.0
    assert abs(frequency[window][np.argmax(amplitude[window])] - 87.0) < 0.1
    with pytest.raises(ParameterError, match=r"`band` must satisfy 0 < low < high < sampling_rate/2 = 5000 Hz"):
        envelope_spectrum(x, fs, (2000.0, 6000.0))


# -- ISO 281 -----------------------------------------------------------------------------------------


def test_basic_rating_life_and_hours():
    assert basic_rating_life(20000.0, 10000.0) == pytest.approx(8.0, rel=1e-15)  # (C/P)^3
    assert basic_rating_life(20000.0, 10000.0, roller=True) == pytest.approx(2.0 ** (10.0 / 3.0), rel=1e-15)
    # 8e6 revolutions at 1500 rpm = 8e6 / 90000 h
    assert rating_life_hours(8.0, 1500.0) == pytest.approx(8e6 / 90000.0, rel=1e-15)


@pytest.mark.parametrize(
    ("reliability", "a1"),
    # ISO 281:2007 Table 12 (values printed to two significant digits)
    [(0.90, 1.0), (0.95, 0.64), (0.96, 0.55), (0.97, 0.47), (0.98, 0.37), (0.99, 0.25), (0.999, 0.093), (0.9995, 0.077)],
)
def test_reliability_factor_reproduces_the_standard_table(reliability, a1):
    assert reliability_factor(reliability) == pytest.approx(a1, rel=0.02)


def test_life_modification_factor_limits_and_continuity():
    # no contamination-load margin: a_ISO = 0.1 * 1^-9.3 = 0.1 for either element type
    assert life_modification_factor(1.0, 0.0, 0.0) == pytest.approx(0.1, rel=1e-15)
    assert life_modification_factor(1.0, 0.0, 1.0) == pytest.approx(0.1, rel=1e-15)
    # the standard caps a_ISO at 50
    assert life_modification_factor(4.0, 10.0, 0.0) == 50.0
    # kappa above 4 counts as 4
    assert life_modification_factor(9.0, 0.1, 0.0) == life_modification_factor(4.0, 0.1, 0.0)
    # the three kappa ranges of the standard join (its constants are rounded to 5 digits)
    for roller in (0.0, 1.0):
        for kappa in (0.4, 1.0):
            below = life_modification_factor(kappa * (1 - 1e-12), 0.2, roller)
            above = life_modification_factor(kappa, 0.2, roller)
            assert above == pytest.approx(below, rel=1e-3)
    # better lubrication and a cleaner, less loaded bearing live longer
    kappas = np.linspace(0.1, 4.0, 40)
    values = [life_modification_factor(k, 0.1, 0.0) for k in kappas]
    assert np.all(np.diff(values) > 0)
    ratios = np.linspace(0.0, 0.3, 30)
    assert np.all(np.diff([life_modification_factor(1.0, r, 1.0) for r in ratios]) > 0)


def test_modified_rating_life_multiplies_the_factors():
    l10 = basic_rating_life(14800.0, 1000.0)
    a_iso = life_modification_factor(1.0, 0.5 * 335.0 / 1000.0, 0.0)
    value = modified_rating_life(
        14800.0, 1000.0, fatigue_load_limit=335.0, contamination_factor=0.5, viscosity_ratio=1.0, reliability=0.99
    )
    assert value == pytest.approx(reliability_factor(0.99) * a_iso * l10, rel=1e-14)


def test_equivalent_load_of_a_load_spectrum():
    # two equal blocks at 1 and 2 kN: ((1 + 8)/2)^(1/3) kN
    assert equivalent_load([1000.0, 2000.0], [1.0, 1.0]) == pytest.approx(1000.0 * 4.5 ** (1 / 3), rel=1e-14)
    with pytest.raises(ShapeError, match="`loads` and `revolutions` must be 1-D of equal"):
        equivalent_load([1.0, 2.0], [1.0])
    with pytest.raises(ParameterError, match="positive total of revolutions"):
        equivalent_load([1.0], [0.0])


def test_damage_under_variable_load_and_speed_equals_the_equivalent_load_closed_form():
    # three blocks of (speed, load) held for 100 s each; with a_ISO = 1 the Miner sum equals
    # U_total / L10(P_eq), P_eq = (sum U_i P_i^3 / sum U_i)^(1/3), U_i = revolutions of block i
    speeds = np.array([100.0, 200.0, 150.0])
    loads = np.array([2000.0, 4000.0, 1000.0])
    times = np.array([0.0, 100.0, 200.0])
    bearing = RollingBearing("b", modified_life=0.0, dynamic_load_rating=14800.0)
    result = bearing.simulate(
        np.linspace(0.0, 300.0, 7),
        inputs={"shaft_speed": InputTable(times, speeds), "equivalent_load": InputTable(times, loads)},
        rtol=1e-10,
        atol=1e-16,
    )
    revolutions = speeds * 100.0 / (2 * np.pi)
    p_eq = equivalent_load(loads, revolutions)
    expected = revolutions.sum() / (1e6 * basic_rating_life(14800.0, p_eq))
    assert_allclose(result["fatigue_damage"].values[-1], expected, rtol=1e-8)
    # and block by block (Palmgren-Miner)
    blocks = revolutions / (1e6 * (14800.0 / loads) ** 3)
    assert_allclose(result["fatigue_damage"].values[[2, 4, 6]], np.cumsum(blocks), rtol=1e-8)


def test_damage_with_the_modified_life_and_a_reliability_factor():
    bearing = RollingBearing("b", reliability_factor=reliability_factor(0.99), viscosity_ratio=2.0, roller_elements=1.0)
    speed, load = 150.0, 3000.0
    result = bearing.simulate([0.0, 1000.0], inputs={"shaft_speed": speed, "equivalent_load": load}, rtol=1e-10, atol=1e-16)
    life = modified_rating_life(
        14800.0, load, fatigue_load_limit=335.0, contamination_factor=0.5, viscosity_ratio=2.0, reliability=0.99, roller=True
    )
    assert_allclose(result["fatigue_damage"].values[-1], 1000.0 * speed / (2 * np.pi) / (1e6 * life), rtol=1e-9)
    assert_allclose(result["rating_life"].values[-1], 1e6 * life / (speed / (2 * np.pi)), rtol=1e-12)


def test_standstill_and_unloaded_bearings_do_not_age():
    bearing = RollingBearing("b")
    p = bearing.parameter_values
    assert RollingBearing.derivative(0.0, np.zeros(1), np.array([0.0, 1000.0]), p)[0] == 0.0
    assert RollingBearing.derivative(0.0, np.zeros(1), np.array([100.0, 0.0]), p)[0] == 0.0
    assert RollingBearing.output_values(0.0, np.zeros(1), np.array([0.0, 1000.0]), p)[2] == math.inf


def test_bad_geometry_and_inputs_are_reported_together():
    with pytest.raises(
        ParameterError, match=r"(?s)`pitch_diameter` must exceed `ball_diameter`.*`roller_elements` must be a whole number"
    ):
        RollingBearing("b", pitch_diameter=0.005, roller_elements=0.5)
    with pytest.raises(ParameterError, match=r"`ball_count` must be >= 1; got 0.*`pitch_diameter` must exceed"):
        defect_frequencies(1.0, 0, 0.02, 0.01)
    with pytest.raises(ParameterError, match=r"`reliability` must be within \[0.9, 1\)"):
        reliability_factor(0.5)
    with pytest.raises(ParameterError, match="`dynamic_load_rating` and `equivalent_load` must be > 0"):
        basic_rating_life(1.0, -2.0)
    with pytest.raises(ParameterError, match="`speed_rpm` must be > 0"):
        rating_life_hours(1.0, 0.0)
