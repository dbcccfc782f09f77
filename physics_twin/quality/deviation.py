r"""Deviation flags: a calibrated parameter leaving its healthy baseline.

For each tracked parameter the filter gives a posterior median :math:`\hat\theta_k` and a standard
deviation in its own (log or identity) space, :math:`\sigma_k`. The baseline is the mean
:math:`\bar\theta_b` of the estimates over a healthy window and their spread :math:`s_b` there (the
filter's own wander on healthy data). The deviation score is

.. math::

    z_k = \frac{\hat\theta_k - \bar\theta_b}{\sqrt{\sigma_k^2 + s_b^2}},

computed on :math:`\log\theta` for positive parameters (a relative change). A flag rises when
:math:`|z_k|` stays above the two-sided normal quantile of ``confidence`` for at least
``min_duration`` seconds; its start time is the first sample of that run. It clears when
:math:`|z_k|` stays below the threshold for ``min_duration`` again (hysteresis by persistence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from physics_twin.errors import ParameterError, ShapeError

__all__ = ["DeviationEvent", "DeviationTrack", "track_deviation"]


@dataclass(frozen=True)
class DeviationEvent:
    """One flagged period.

    Attributes
    ----------
    parameter : str
        The parameter that deviated.
    start, end : float
        First and last flagged times [s]; ``end`` is None while the flag is still raised.
    direction : str
        "increase" or "decrease".
    peak_score : float
        Largest |z| during the event.
    peak_change : float
        Relative change of the parameter at the peak (log-tracked) or absolute change. [1 or unit]
    """

    parameter: str
    start: float
    end: float | None
    direction: str
    peak_score: float
    peak_change: float


@dataclass(frozen=True)
class DeviationTrack:
    """Score and flag of one parameter over time.

    Attributes
    ----------
    parameter : str
    score : numpy.ndarray
        z per sample (NaN before the baseline exists).
    flag : numpy.ndarray of bool
        True while the flag is raised.
    threshold : float
        |z| threshold from ``confidence``.
    baseline : float
        Baseline value of the parameter. [parameter unit]
    events : list of DeviationEvent
    """

    parameter: str
    score: np.ndarray
    flag: np.ndarray
    threshold: float
    baseline: float
    events: list[DeviationEvent]


def track_deviation(
    parameter: str,
    times: np.ndarray,
    estimate: np.ndarray,
    std: np.ndarray,
    baseline_window: tuple[float, float],
    *,
    log_scale: bool = True,
    confidence: float = 0.999,
    min_duration: float = 10.0,
) -> DeviationTrack:
    """Score a parameter's posterior against its healthy baseline and raise persistent flags.

    Parameters
    ----------
    parameter : str
        Name (for the events).
    times : numpy.ndarray, shape (n,)
        Sample times, non-decreasing. [s]
    estimate, std : numpy.ndarray, shape (n,)
        Posterior estimate and standard deviation in the parameter's unit. [unit]
    baseline_window : (float, float)
        Healthy period ``[start, stop)``. [s]
    log_scale : bool
        Score the relative change (log of a positive parameter).
    confidence : float
        Two-sided confidence of the threshold (0.999 -> |z| > 3.29).
    min_duration : float
        How long |z| must stay beyond (or back within) the threshold to raise (or clear) the flag. [s]

    Raises
    ------
    ParameterError
        Fewer than two finite estimates in the baseline window, or invalid settings.
    """
    times = np.asarray(times, float)
    estimate = np.asarray(estimate, float)
    std = np.asarray(std, float)
    if not (times.shape == estimate.shape == std.shape and times.ndim == 1):
        raise ShapeError(
            f"`times`, `estimate` and `std` must be 1-D of equal length; got {times.shape}, {estimate.shape}, {std.shape}."
        )
    if not 0 < confidence < 1:
        raise ParameterError(f"`confidence` must be in (0, 1); got {confidence!r}.")
    if not (math.isfinite(min_duration) and min_duration >= 0):
        raise ParameterError(f"`min_duration` must be >= 0 [s]; got {min_duration!r}.")
    if log_scale:
        if np.any(estimate[np.isfinite(estimate)] <= 0):
            raise ParameterError(f"`estimate` of {parameter!r} must be > 0 for log-scale tracking.")
        value = np.log(estimate)
        spread = std / estimate
    else:
        value, spread = estimate, std
    start, stop = baseline_window
    in_window = (times >= start) & (times < stop) & np.isfinite(value)
    if in_window.sum() < 2:
        raise ParameterError(
            f"baseline window [{start}, {stop}) s of {parameter!r} holds {int(in_window.sum())} finite estimates; at "
            f"least 2 are needed (the estimates cover {f'[{times[0]:g}, {times[-1]:g}] s' if times.size else 'no time at all'})."
        )
    center = float(np.mean(value[in_window]))
    wander = float(np.std(value[in_window], ddof=1))
    score = (value - center) / np.sqrt(spread**2 + wander**2)
    score[times < stop] = np.where(in_window[times < stop], score[times < stop], np.nan)
    threshold = float(stats.norm.ppf(0.5 + confidence / 2))
    flag = np.zeros(times.shape, dtype=bool)
    events: list[DeviationEvent] = []
    raised = False
    run_start: int | None = None
    event_start = 0
    for k in range(times.size):
        beyond = bool(np.isfinite(score[k]) and abs(score[k]) > threshold)
        if beyond != raised:
            if run_start is None:
                run_start = k
            if times[k] - times[run_start] >= min_duration:
                if not raised:
                    event_start = run_start
                    flag[run_start : k + 1] = True
                else:
                    events.append(_event(parameter, times, score, value, center, log_scale, event_start, run_start - 1))
                    flag[run_start:k] = False
                raised = beyond
                run_start = None
            elif raised:
                flag[k] = True
        else:
            run_start = None
            flag[k] = raised
    if raised:
        events.append(_event(parameter, times, score, value, center, log_scale, event_start, None))
    return DeviationTrack(parameter, score, flag, threshold, float(math.exp(center) if log_scale else center), events)


def _event(parameter, times, score, value, center, log_scale, first, last) -> DeviationEvent:
    stop = times.size if last is None else last + 1
    segment = np.abs(score[first:stop])
    peak = first + int(np.nanargmax(segment))
    change = math.expm1(value[peak] - center) if log_scale else value[peak] - center
    return DeviationEvent(
        parameter=parameter,
        start=float(times[first]),
        end=None if last is None else float(times[last]),
        direction="increase" if score[peak] > 0 else "decrease",
        peak_score=float(abs(score[peak])),
        peak_change=float(change),
    )
