"""Online estimation: compiled Kalman filters, joint state and parameter estimation, consistency."""

from physics_twin.estimation.ukf import EstimatedParameter, FilterState, UnscentedKalmanFilter, nis_summary

__all__ = ["EstimatedParameter", "FilterState", "UnscentedKalmanFilter", "nis_summary"]
