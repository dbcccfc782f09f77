r"""Scoring binary detections against labels: point-wise F1 and the windowed changepoint score.

These are the two evaluations of the Skoltech Anomaly Benchmark (SKAB, Katser & Kozitsin 2020),
implemented here from its description so that the twin's deviation flags can be scored as SKAB scores
data-driven detectors:

- **Point-wise outlier detection**: confusion counts over every scored sample, summed over files;
  :math:`F_1 = TP / (TP + (FP + FN)/2)`, false-alarm rate :math:`FP/(FP + TN)`, missed-alarm rate
  :math:`FN/(FN + TP)`.
- **Changepoint detection (NAB-style)**: each true changepoint :math:`t` opens a window
  :math:`[t, t + w]`. The first predicted changepoint inside a window is a true positive rewarded by
  :math:`A_{fp} + (A_{tp} - A_{fp})\,\tfrac12\,(1 - \tanh(x)/\tanh(\pi/2))`, where
  :math:`x \in [-\pi/2, \pi/2]` is its relative position in the window (full reward :math:`A_{tp}` at the
  window start, :math:`A_{fp}` at its end); further predictions inside the window are ignored; each
  prediction outside every window scores :math:`A_{fp}`; each empty window :math:`A_{fn}`. The score
  is :math:`100\,(S - S_{null})/(S_{perfect} - S_{null})` with :math:`S_{perfect} = n A_{tp}` and
  :math:`S_{null} = n A_{fn}`, sums taken over all files. Profiles :math:`(A_{tp}, A_{fp}, A_{fn})`:
  standard (1, −0.11, −1), low-FP (1, −0.22, −1), low-FN (1, −0.11, −2).

References
----------
Katser, I. D., Kozitsin, V. O. (2020). Skoltech Anomaly Benchmark (SKAB). Kaggle.
doi:10.34740/KAGGLE/DSV/1693952.
Lavin, A., Ahmad, S. (2015). Evaluating real-time anomaly detection algorithms — the Numenta
Anomaly Benchmark. *IEEE ICMLA*, 38–44. doi:10.1109/ICMLA.2015.141.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physics_twin.errors import ParameterError, ShapeError

__all__ = [
    "NAB_PROFILES",
    "Confusion",
    "LabelledScore",
    "WindowScore",
    "changepoint_times",
    "confusion",
    "score_flags",
    "window_score",
]

NAB_PROFILES = {"standard": (1.0, -0.11, -1.0), "low_fp": (1.0, -0.22, -1.0), "low_fn": (1.0, -0.11, -2.0)}


@dataclass(frozen=True)
class Confusion:
    """Point-wise confusion counts; add two with ``+`` to pool files."""

    tp: int
    fp: int
    fn: int
    tn: int

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @property
    def f1(self) -> float:
        """TP / (TP + (FP + FN)/2); NaN without any positive."""
        denominator = self.tp + 0.5 * (self.fp + self.fn)
        return self.tp / denominator if denominator else math.nan

    @property
    def false_alarm_rate(self) -> float:
        """FP / (FP + TN)."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else math.nan

    @property
    def missed_alarm_rate(self) -> float:
        """FN / (FN + TP)."""
        return self.fn / (self.fn + self.tp) if self.fn + self.tp else math.nan


def confusion(predicted: np.ndarray, labels: np.ndarray) -> Confusion:
    """Point-wise confusion of a binary prediction against binary labels (same length)."""
    predicted = np.asarray(predicted).astype(bool)
    labels = np.asarray(labels).astype(bool)
    if predicted.shape != labels.shape or predicted.ndim != 1:
        raise ShapeError(f"`predicted` and `labels` must be 1-D of equal length; got {predicted.shape} and {labels.shape}.")
    return Confusion(
        int(np.sum(predicted & labels)),
        int(np.sum(predicted & ~labels)),
        int(np.sum(~predicted & labels)),
        int(np.sum(~predicted & ~labels)),
    )


def changepoint_times(times: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Times of the 0→1 and 1→0 edges of a binary series (the sample where the new value starts). [s]"""
    flag = np.asarray(flag).astype(np.int8)
    edges = np.flatnonzero(np.diff(flag) != 0) + 1
    return np.asarray(times, float)[edges]


@dataclass(frozen=True)
class WindowScore:
    """Raw NAB-style sums of one or more files; add to pool, then read :attr:`score`.

    Attributes
    ----------
    total, null, perfect : float
        The detector's sum, the sum of a detector that finds nothing, the sum of a perfect one.
    true_positives, false_positives, missed : int
        Counts of windows hit, predictions outside windows, empty windows.
    delays : tuple of float
        For each hit window, first prediction time minus window start. [s]
    """

    total: float
    null: float
    perfect: float
    true_positives: int
    false_positives: int
    missed: int
    delays: tuple[float, ...]

    def __add__(self, other: WindowScore) -> WindowScore:
        return WindowScore(
            self.total + other.total,
            self.null + other.null,
            self.perfect + other.perfect,
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.missed + other.missed,
            self.delays + other.delays,
        )

    @property
    def score(self) -> float:
        """100 (S − S_null)/(S_perfect − S_null): 100 for a perfect detector, 0 for one that finds nothing."""
        span = self.perfect - self.null
        return 100.0 * (self.total - self.null) / span if span else math.nan


def window_score(predicted: np.ndarray, true_changepoints: np.ndarray, window: float, profile: str = "standard") -> WindowScore:
    """NAB-style score of predicted changepoint times against true changepoints.

    Parameters
    ----------
    predicted : numpy.ndarray
        Predicted changepoint times (e.g. from :func:`changepoint_times`). [s]
    true_changepoints : numpy.ndarray
        True changepoint times. [s]
    window : float
        Window length after each true changepoint. [s]
    profile : {"standard", "low_fp", "low_fn"}
        Reward and penalty weights.

    Notes
    -----
    Overlapping windows are shortened so that a window ends where the next begins.
    """
    if profile not in NAB_PROFILES:
        raise ParameterError(f"`profile` must be one of {sorted(NAB_PROFILES)}; got {profile!r}.")
    if not (math.isfinite(window) and window > 0):
        raise ParameterError(f"`window` must be > 0 [s]; got {window!r}.")
    a_tp, a_fp, a_fn = NAB_PROFILES[profile]
    predicted = np.sort(np.asarray(predicted, float))
    starts = np.sort(np.asarray(true_changepoints, float))
    ends = starts + window
    ends[:-1] = np.minimum(ends[:-1], starts[1:])
    inside = np.zeros(predicted.size, dtype=bool)
    total, hits, missed, delays = 0.0, 0, 0, []
    for start, end in zip(starts, ends, strict=True):
        in_window = (predicted >= start) & (predicted <= end)
        inside |= in_window
        if not in_window.any():
            total += a_fn
            missed += 1
            continue
        first = float(predicted[in_window][0])
        position = -math.pi / 2 + math.pi * (first - start) / (end - start) if end > start else -math.pi / 2
        total += a_fp + (a_tp - a_fp) * 0.5 * (1.0 - math.tanh(position) / math.tanh(math.pi / 2))
        hits += 1
        delays.append(first - start)
    false_positives = int(np.sum(~inside))
    total += a_fp * false_positives
    return WindowScore(total, a_fn * starts.size, a_tp * starts.size, hits, false_positives, missed, tuple(delays))


@dataclass(frozen=True)
class LabelledScore:
    """A binary flag series scored against point-wise anomaly labels and changepoint labels.

    Attributes
    ----------
    confusion : Confusion
        Point-wise counts over the scored samples.
    windows : dict of str to WindowScore
        Changepoint scores per NAB profile.
    detection_delays : tuple of float
        For each labelled anomaly period that the flag overlaps, the first flagged time minus the
        period's start. [s]
    missed_periods : int
        Labelled anomaly periods without any flagged sample.
    false_alarms : int
        Flag periods (runs of 1) that start outside every labelled anomaly period.
    """

    confusion: Confusion
    windows: dict[str, WindowScore]
    detection_delays: tuple[float, ...]
    missed_periods: int
    false_alarms: int


def score_flags(
    times: np.ndarray, flag: np.ndarray, anomaly: np.ndarray, changepoint: np.ndarray, *, scored_from: float, window: float
) -> LabelledScore:
    """Score a flag series against labels, counting only samples at or after ``scored_from`` [s].

    ``anomaly`` is 1 inside labelled anomaly periods; ``changepoint`` is 1 at labelled changepoints.
    Changepoints predicted by the flag are its edges (:func:`changepoint_times`).
    """
    times = np.asarray(times, float)
    flag = np.asarray(flag).astype(bool)
    anomaly = np.asarray(anomaly).astype(bool)
    changepoint = np.asarray(changepoint).astype(bool)
    if not (times.shape == flag.shape == anomaly.shape == changepoint.shape):
        raise ShapeError(
            f"`times`, `flag`, `anomaly`, `changepoint` must have equal shapes; got {times.shape}, {flag.shape}, "
            f"{anomaly.shape}, {changepoint.shape}."
        )
    scored = times >= scored_from
    counts = confusion(flag[scored], anomaly[scored])
    predicted = changepoint_times(times[scored], flag[scored])
    truth = times[scored & changepoint]
    windows = {profile: window_score(predicted, truth, window, profile) for profile in NAB_PROFILES}
    delays, missed = [], 0
    labelled = _runs(anomaly & scored)
    for first, last in labelled:
        hit = np.flatnonzero(flag[first : last + 1])
        if hit.size:
            delays.append(float(times[first + hit[0]] - times[first]))
        else:
            missed += 1
    false_alarms = sum(1 for first, _ in _runs(flag & scored) if not anomaly[first])
    return LabelledScore(counts, windows, tuple(delays), missed, false_alarms)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(changes[::2], changes[1::2], strict=True)]
