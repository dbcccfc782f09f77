"""Point-wise and windowed (NAB-style) scoring, checked on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics_twin.errors import ParameterError
from physics_twin.quality import changepoint_times, confusion, score_flags, window_score


def test_confusion_and_f1():
    predicted = np.array([1, 1, 0, 0, 1, 0])
    labels = np.array([1, 0, 1, 0, 1, 0])
    counts = confusion(predicted, labels)
    assert (counts.tp, counts.fp, counts.fn, counts.tn) == (2, 1, 1, 2)
    assert counts.f1 == pytest.approx(2 / (2 + 0.5 * (1 + 1)))  # TP / (TP + (FP + FN)/2) = 0.666...
    assert counts.false_alarm_rate == pytest.approx(1 / 3)
    assert counts.missed_alarm_rate == pytest.approx(1 / 3)
    pooled = counts + counts
    assert pooled.f1 == pytest.approx(counts.f1)


def test_changepoints_are_flag_edges():
    times = np.arange(8.0)
    flag = np.array([0, 0, 1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(changepoint_times(times, flag), [2.0, 4.0, 5.0])


def test_window_score_hand_computed():
    # windows [10, 70] and [100, 160]; predictions at 10 (window start: full reward 1), 40 (ignored, same window),
    # 200 (outside: A_fp = -0.11); second window empty: A_fn = -1.
    score = window_score(np.array([10.0, 40.0, 200.0]), np.array([10.0, 100.0]), 60.0)
    assert score.total == pytest.approx(1.0 - 0.11 - 1.0)
    assert (score.true_positives, score.false_positives, score.missed) == (1, 1, 1)
    assert score.null == -2.0 and score.perfect == 2.0
    assert score.score == pytest.approx(100 * (-0.11 + 2.0) / 4.0)
    assert score.delays == (0.0,)


def test_window_reward_at_the_middle_and_end():
    # relative position x = -pi/2 + pi*(t - start)/w: at the middle x = 0, reward = A_fp + (A_tp - A_fp)/2;
    # at the end x = pi/2, reward = A_fp.
    middle = window_score(np.array([30.0]), np.array([0.0]), 60.0)
    assert middle.total == pytest.approx(-0.11 + 1.11 / 2)
    end = window_score(np.array([60.0]), np.array([0.0]), 60.0)
    assert end.total == pytest.approx(-0.11)


def test_profiles_and_bad_arguments():
    low_fn = window_score(np.array([]), np.array([0.0]), 60.0, profile="low_fn")
    assert low_fn.total == -2.0 and math.isclose(low_fn.score, 0.0)
    with pytest.raises(ParameterError, match="`profile`"):
        window_score(np.array([]), np.array([0.0]), 60.0, profile="nab")
    with pytest.raises(ParameterError, match="`window`"):
        window_score(np.array([]), np.array([0.0]), 0.0)


def test_score_flags_counts_delay_and_false_alarms():
    times = np.arange(20.0)
    anomaly = np.zeros(20)
    anomaly[8:14] = 1
    changepoint = np.zeros(20)
    changepoint[[8, 14]] = 1
    flag = np.zeros(20)
    flag[10:15] = 1  # detected 2 s late, 1 s too long
    flag[2:4] = 1  # a false alarm, but before scored_from
    flag[17:19] = 1  # a false alarm in the scored part
    result = score_flags(times, flag, anomaly, changepoint, scored_from=5.0, window=3.0)
    assert result.detection_delays == (2.0,)
    assert result.missed_periods == 0 and result.false_alarms == 1
    assert (result.confusion.tp, result.confusion.fp, result.confusion.fn) == (4, 3, 2)
