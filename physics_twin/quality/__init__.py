"""Quality: deviation flags on calibrated parameters (and, later, quality predictions and SPC)."""

from physics_twin.quality.deviation import DeviationEvent, DeviationTrack, track_deviation

__all__ = ["DeviationEvent", "DeviationTrack", "track_deviation"]
