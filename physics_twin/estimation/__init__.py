"""Online estimation: compiled Kalman filters, joint state and parameter estimation, consistency."""

from physics_twin.estimation.batch import Experiment, FitResult, fit_parameters
from physics_twin.estimation.ukf import EstimatedParameter, FilterState, UnscentedKalmanFilter, consistency_summary, nis_summary

__all__ = [
    "EstimatedParameter",
    "Experiment",
    "FilterState",
    "FitResult",
    "UnscentedKalmanFilter",
    "consistency_summary",
    "fit_parameters",
    "nis_summary",
]
