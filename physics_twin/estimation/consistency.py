r"""Filter health: NIS and NEES against chi-square bounds, covariance conditioning.

A consistent filter's normalised innovation squared, :math:`\nu^T S^{-1} \nu`, is chi-square
distributed with as many degrees of freedom as channels in the update; the normalised estimation
error squared, :math:`(z - \hat z)^T P^{-1} (z - \hat z)`, is chi-square with the dimension of the
state (the true state is known only in simulations). Averages over N independent samples or runs
are chi-square with N times the degrees of freedom, divided by N (Bar-Shalom, Li & Kirubarajan 2001,
§5.4). The condition number of the covariance shows mixed scales: above about 1e12 rounding eats
the smaller variances and the state should be rescaled.

References
----------
Bar-Shalom, Y., Li, X. R., Kirubarajan, T. (2001). *Estimation with Applications to Tracking and
Navigation*. Wiley. doi:10.1002/0471221279.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr
from scipy import stats

from physics_twin.errors import ShapeError

__all__ = [
    "ConditioningWarning",
    "band_position",
    "chi_square_band",
    "condition_numbers",
    "consistency_summary",
    "nees",
    "nis_summary",
]


class ConditioningWarning(UserWarning):
    """The filter's covariance is badly conditioned (mixed scales): rescale the state."""


def chi_square_band(dof: int | np.ndarray, runs: int = 1, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided band of the mean of ``runs`` chi-square variables with ``dof`` degrees of freedom each.

    The sum of ``runs`` independent chi-square(dof) variables is chi-square(runs × dof), so the band of
    the mean is ``chi2.ppf((1 ∓ confidence) / 2, runs × dof) / runs``. [1]
    """
    total = np.asarray(dof, dtype=float) * runs
    return (stats.chi2.ppf((1 - confidence) / 2, total) / runs, stats.chi2.ppf((1 + confidence) / 2, total) / runs)


def band_position(value: float, lower: float, upper: float) -> str:
    """Where ``value`` lies against the band [lower, upper]: ``"inside"``, ``"below"`` or ``"above"``."""
    return "below" if value < lower else "above" if value > upper else "inside"


def nees(error: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Normalised estimation error squared per row: ``eᵀ P⁻¹ e``. [1]

    Parameters
    ----------
    error : array_like, shape (..., n)
        Estimate minus truth, in the space the covariance belongs to (the filter's transformed space
        for :class:`~physics_twin.estimation.FilterState` and ``mean_transformed``).
    covariance : array_like, shape (..., n, n)
        Covariance of the estimate.
    """
    error = np.asarray(error, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    if covariance.shape != error.shape + error.shape[-1:]:
        raise ShapeError(
            f"`covariance` must have shape {error.shape + error.shape[-1:]} for `error` of shape {error.shape}; got "
            f"{covariance.shape}."
        )
    solved = np.linalg.solve(covariance, error[..., None])[..., 0]
    return np.einsum("...i,...i->...", error, solved)


def condition_numbers(covariance: np.ndarray, scaled: bool = False) -> np.ndarray:
    """2-norm condition number λmax / λmin of each covariance (inf when not positive definite). [1]

    With ``scaled`` the condition number of the correlation matrix ``D^-1/2 P D^-1/2`` (D = diag P): what is left
    after rescaling every coordinate to unit variance, i.e. the part that rescaling cannot remove. Small matrices
    (up to 12 × 12) go through compiled Jacobi rotations, which resolve small eigenvalues of graded matrices to high
    relative accuracy; larger ones through numpy's ``eigvalsh``.
    """
    from physics_twin.estimation._compiled import condition_numbers_of

    covariance = np.asarray(covariance, dtype=float)
    stack = np.ascontiguousarray(covariance.reshape((-1, *covariance.shape[-2:])))
    if stack.shape[-1] <= 12:
        return condition_numbers_of(stack, bool(scaled)).reshape(covariance.shape[:-2])
    if scaled:
        std = np.sqrt(np.clip(np.einsum("...ii->...i", stack), 0.0, None))
        std = np.where(std > 0, std, 1.0)
        stack = stack / (std[..., :, None] * std[..., None, :])
    finite = np.all(np.isfinite(stack), axis=(-2, -1))
    result = np.full(stack.shape[0], np.nan)
    if np.any(finite):
        values = np.linalg.eigvalsh(stack[finite])
        with np.errstate(divide="ignore", invalid="ignore"):
            result[finite] = np.where(values[:, 0] > 0, values[:, -1] / np.where(values[:, 0] > 0, values[:, 0], 1.0), np.inf)
    return result.reshape(covariance.shape[:-2])


def nis_summary(nis: np.ndarray, dof: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean NIS over the updated samples and its two-sided chi-square band.

    The sum of N independent NIS values with d_k degrees of freedom is chi-square with sum(d_k)
    degrees of freedom, so the band of the mean is ``chi2.ppf((1 ± confidence)/2, sum d) / N``.
    """
    nis = np.asarray(nis, dtype=float)
    dof = np.asarray(dof)
    used = dof > 0
    count = int(used.sum())
    if count == 0:
        return {
            "nis_mean": math.nan,
            "nis_expected": math.nan,
            "nis_band_lower": math.nan,
            "nis_band_upper": math.nan,
            "nis_samples": 0,
        }
    total = int(dof[used].sum())
    return {
        "nis_mean": float(np.mean(nis[used])),
        "nis_expected": total / count,
        "nis_band_lower": float(stats.chi2.ppf((1 - confidence) / 2, total) / count),
        "nis_band_upper": float(stats.chi2.ppf((1 + confidence) / 2, total) / count),
        "nis_samples": count,
    }


def consistency_summary(result: xr.Dataset, measured: Sequence[str]) -> dict[str, float]:
    """The run's health from a filter result.

    NIS summary, mean normalised squared innovation per channel (1 for a consistent filter), the
    counts of gated samples and flagged gaps, the largest covariance condition number and, at that
    sample, the condition number of the correlation matrix.
    """
    summary: dict[str, float] = dict(nis_summary(result["nis"].values, result["nis_dof"].values))
    for name in measured:
        normalised = (result[f"{name}_innovation"].values / result[f"{name}_innovation_std"].values) ** 2
        finite = np.isfinite(normalised)
        summary[f"{name}_normalised_innovation_mean"] = float(np.mean(normalised[finite])) if finite.any() else math.nan
    summary["samples_gated"] = int(result["gated"].sum())
    summary["gaps_flagged"] = int(result["gap"].sum())
    if "covariance_condition" in result:
        condition = result["covariance_condition"].values
        if np.any(~np.isnan(condition)):
            worst = int(np.nanargmax(condition))
            summary["covariance_condition_max"] = float(condition[worst])
            # at the same sample, the condition of the correlation matrix: what rescaling the state cannot remove
            summary["correlation_condition_at_max"] = float(condition_numbers(result["covariance"].values[worst], scaled=True))
        else:
            summary["covariance_condition_max"] = summary["correlation_condition_at_max"] = math.nan
    return summary
