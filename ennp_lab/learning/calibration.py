"""Calibration of predicted uncertainties: are the errors as large as the σ says?

For predictions μ_i with standard deviations σ_i and true values y_i, z_i = (μ_i − y_i)/σ_i:

* observed vs expected proportions: for p on a grid of ``n_bins`` points in [0, 1], the
  share of |z_i| ≤ Φ⁻¹(½ + p/2) (inside the central p-interval of N(0, 1));
* miscalibration area = ∫₀¹ |observed(p) − p| dp (piecewise-linear curves, crossings
  handled exactly); RMS calibration error = sqrt(mean_p (observed(p) − p)²);
* Gaussian NLL = mean_i [½ ln(2π σ_i²) + (μ_i − y_i)²/(2σ_i²)];
* Spearman rank correlation between |μ_i − y_i| and σ_i;
* recalibration factor s minimising the NLL of s·σ on a validation set:
  s² = mean_i z_i².

Definitions as in uncertainty-toolbox (Chung et al. 2021), which the tests use as oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "CalibrationReport",
    "calibration_curve",
    "miscalibration_area",
    "rms_calibration_error",
    "gaussian_nll",
    "spearman",
    "recalibration_factor",
    "calibration_report",
]


def _check(predicted, sigma, target) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu, s, y = (np.asarray(a, dtype=float).ravel() for a in (predicted, sigma, target))
    if not (mu.shape == s.shape == y.shape) or mu.size < 2:
        raise ValueError(f"predicted, sigma and target must be matching arrays of ≥ 2 values, got {mu.shape}, {s.shape}, {y.shape}")
    if not np.all(np.isfinite(mu)) or not np.all(np.isfinite(y)) or not np.all(np.isfinite(s)):
        raise ValueError("NaN or inf in predicted, sigma or target")
    if np.any(s <= 0):
        raise ValueError("every predicted σ must be positive")
    return mu, s, y


def calibration_curve(predicted, sigma, target, n_bins: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(expected, observed) proportions inside central Gaussian intervals, each (n_bins,)."""
    mu, s, y = _check(predicted, sigma, target)
    expected = np.linspace(0.0, 1.0, n_bins)
    z = np.abs(mu - y) / s
    bound = stats.norm.ppf(0.5 + expected / 2.0)
    observed = (z[None, :] <= bound[:, None]).mean(axis=1)
    return expected, observed


def _abs_integral(x: np.ndarray, d: np.ndarray) -> float:
    """∫|d| dx for d piecewise linear on x (sign changes inside a segment split it)."""
    total = 0.0
    for x0, x1, a, b in zip(x[:-1], x[1:], d[:-1], d[1:]):
        h = x1 - x0
        if a * b >= 0:
            total += 0.5 * h * (abs(a) + abs(b))
        else:
            total += 0.5 * h * (a * a + b * b) / (abs(a) + abs(b))
    return float(total)


def miscalibration_area(predicted, sigma, target, n_bins: int = 100) -> float:
    """∫₀¹ |observed(p) − p| dp (0: calibrated; 0.5 at worst)."""
    expected, observed = calibration_curve(predicted, sigma, target, n_bins)
    return _abs_integral(expected, observed - expected)


def rms_calibration_error(predicted, sigma, target, n_bins: int = 100) -> float:
    expected, observed = calibration_curve(predicted, sigma, target, n_bins)
    return float(np.sqrt(np.mean((observed - expected) ** 2)))


def gaussian_nll(predicted, sigma, target) -> float:
    """Mean negative log-likelihood of the targets under N(μ, σ²) (nats, in the units' log)."""
    mu, s, y = _check(predicted, sigma, target)
    return float(np.mean(0.5 * np.log(2.0 * np.pi * s**2) + (mu - y) ** 2 / (2.0 * s**2)))


def spearman(predicted, sigma, target) -> float:
    """Spearman rank correlation of |μ − y| with σ."""
    mu, s, y = _check(predicted, sigma, target)
    return float(stats.spearmanr(np.abs(mu - y), s).statistic)


def recalibration_factor(predicted, sigma, target) -> float:
    """s with s² = mean z² (the NLL-optimal scale of σ on these data)."""
    mu, s, y = _check(predicted, sigma, target)
    return float(np.sqrt(np.mean(((mu - y) / s) ** 2)))


@dataclass(frozen=True)
class CalibrationReport:
    """All metrics of one set of predictions (see the module docstring).

    Attributes:
        miscalibration_area, rms_calibration_error, nll, spearman, recalibration_factor:
            the metrics; expected, observed: the calibration curve (n_bins,).
    """

    miscalibration_area: float
    rms_calibration_error: float
    nll: float
    spearman: float
    recalibration_factor: float
    expected: np.ndarray
    observed: np.ndarray


def calibration_report(predicted, sigma, target, n_bins: int = 100) -> CalibrationReport:
    expected, observed = calibration_curve(predicted, sigma, target, n_bins)
    return CalibrationReport(
        miscalibration_area=_abs_integral(expected, observed - expected),
        rms_calibration_error=float(np.sqrt(np.mean((observed - expected) ** 2))),
        nll=gaussian_nll(predicted, sigma, target),
        spearman=spearman(predicted, sigma, target),
        recalibration_factor=recalibration_factor(predicted, sigma, target),
        expected=expected,
        observed=observed,
    )
