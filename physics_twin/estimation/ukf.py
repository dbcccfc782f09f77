"""Compatibility module: the filters moved to :mod:`physics_twin.estimation.filters`.

``UnscentedKalmanFilter`` (square-root form by default), ``EstimatedParameter``, ``FilterState`` and
the consistency helpers keep being importable from here.
"""

from __future__ import annotations

from physics_twin.estimation.consistency import consistency_summary, nis_summary
from physics_twin.estimation.filters import EstimatedParameter, FilterState, UnscentedKalmanFilter

__all__ = ["EstimatedParameter", "FilterState", "UnscentedKalmanFilter", "consistency_summary", "nis_summary"]
