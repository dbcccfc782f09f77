"""Online estimation: compiled Kalman filters (SR-UKF, UKF, EKF), joint state and parameter estimation,
multi-rate sensors, consistency checks, batch calibration with confidence intervals."""

from physics_twin.estimation.batch import Experiment, FitResult, fit_parameters
from physics_twin.estimation.consistency import (
    ConditioningWarning,
    chi_square_band,
    condition_numbers,
    consistency_summary,
    nees,
    nis_summary,
)
from physics_twin.estimation.filters import (
    FILTER_KINDS,
    EstimatedParameter,
    ExtendedKalmanFilter,
    FilterState,
    KalmanFilter,
    Sensor,
    UnscentedKalmanFilter,
    create_filter,
)

__all__ = [
    "FILTER_KINDS",
    "ConditioningWarning",
    "EstimatedParameter",
    "Experiment",
    "ExtendedKalmanFilter",
    "FilterState",
    "FitResult",
    "KalmanFilter",
    "Sensor",
    "UnscentedKalmanFilter",
    "chi_square_band",
    "condition_numbers",
    "consistency_summary",
    "create_filter",
    "fit_parameters",
    "nees",
    "nis_summary",
]
