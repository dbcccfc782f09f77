"""Quality: deviation flags on calibrated parameters (and, later, quality predictions and SPC)."""

from physics_twin.quality.detection import (
    NAB_PROFILES,
    Confusion,
    LabelledScore,
    WindowScore,
    changepoint_times,
    confusion,
    score_flags,
    window_score,
)
from physics_twin.quality.deviation import DeviationEvent, DeviationTrack, track_deviation

__all__ = [
    "NAB_PROFILES",
    "Confusion",
    "DeviationEvent",
    "DeviationTrack",
    "LabelledScore",
    "WindowScore",
    "changepoint_times",
    "confusion",
    "score_flags",
    "track_deviation",
    "window_score",
]
