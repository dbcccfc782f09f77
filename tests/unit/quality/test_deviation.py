"""Deviation flags: score, persistence, start times, baseline checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics_twin.errors import ParameterError, ShapeError
from physics_twin.quality import track_deviation


def test_step_change_is_flagged_from_its_first_sample(rng):
    times = np.arange(200.0)
    estimate = np.exp(rng.normal(0.0, 0.01, 200))
    estimate[120:160] *= 1.5  # +50 % for 40 s
    std = np.full(200, 0.001)
    track = track_deviation("K", times, estimate, std, (0, 100), confidence=0.999, min_duration=5.0)
    assert len(track.events) == 1
    event = track.events[0]
    assert (event.start, event.end, event.direction) == (120.0, 159.0, "increase")
    assert event.peak_change == pytest.approx(0.5, rel=0.05)
    assert track.flag[120:160].all() and not track.flag[:120].any() and not track.flag[160:].any()
    # threshold is the two-sided normal quantile of 0.999
    assert track.threshold == pytest.approx(3.2905267, rel=1e-6)


def test_short_excursions_shorter_than_min_duration_do_not_flag(rng):
    times = np.arange(200.0)
    estimate = np.exp(rng.normal(0.0, 0.01, 200))
    estimate[150:153] *= 2.0  # 3 samples only
    track = track_deviation("K", times, estimate, np.full(200, 0.001), (0, 100), min_duration=5.0)
    assert track.events == [] and not track.flag.any()


def test_score_uses_posterior_and_baseline_spread():
    # z = (log θ - mean log θ_b) / sqrt(σ_k² + s_b²): with baseline values exp(±0.1) the sample std (ddof 1)
    # of log θ over the window [-0.1, 0.1, -0.1, 0.1] is 0.11547; the posterior relative std is 0.05.
    times = np.arange(6.0)
    estimate = np.exp(np.array([-0.1, 0.1, -0.1, 0.1, 0.5, 0.5]))
    std = 0.05 * estimate
    track = track_deviation("K", times, estimate, std, (0, 4), min_duration=0.0)
    expected = 0.5 / math.sqrt(0.05**2 + np.std([-0.1, 0.1, -0.1, 0.1], ddof=1) ** 2)
    assert track.score[4] == pytest.approx(expected, rel=1e-12)


def test_ongoing_deviation_has_no_end():
    times = np.arange(50.0)
    estimate = np.ones(50)
    estimate[:20] *= np.exp(np.tile([-0.01, 0.01], 10))
    estimate[30:] = 3.0
    track = track_deviation("K", times, estimate, np.full(50, 0.01), (0, 20), min_duration=2.0)
    assert track.events[-1].end is None and track.flag[-1]


def test_linear_scale_for_signed_parameters():
    times = np.arange(40.0)
    estimate = np.concatenate([np.tile([-0.1, 0.1], 10), np.full(20, -5.0)])
    track = track_deviation("offset", times, estimate, np.full(40, 0.01), (0, 20), log_scale=False, min_duration=1.0)
    assert track.events[0].direction == "decrease" and track.events[0].peak_change == pytest.approx(-5.0)


def test_bad_arguments_are_named():
    times = np.arange(10.0)
    with pytest.raises(ParameterError, match="baseline window"):
        track_deviation("K", times, np.ones(10), np.ones(10), (100, 200))
    with pytest.raises(ShapeError, match="equal length"):
        track_deviation("K", times, np.ones(9), np.ones(10), (0, 5))
    with pytest.raises(ParameterError, match="`confidence`"):
        track_deviation("K", times, np.ones(10), np.ones(10), (0, 5), confidence=1.5)
    with pytest.raises(ParameterError, match="> 0 for log-scale"):
        track_deviation("K", times, -np.ones(10), np.ones(10), (0, 5))
