"""Ensemble predictions over frames: the one loop that everything uncertain goes through.

:func:`predict_ensemble` evaluates an ensemble on each frame and returns its
:class:`~ennp_lab.models.ensemble.EnsemblePrediction` (mean, per-atom σ, aleatoric and
epistemic parts; the σ convention is defined there, once). Active learning, the
uncertainty map, the aleatoric/epistemic decomposition, calibration and the panels all
use it; :func:`force_errors` and :func:`force_residuals` compare it with labels.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from ase import Atoms

from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.models.ensemble import Ensemble, EnsemblePrediction

__all__ = ["predict_ensemble", "force_errors", "force_residuals"]


def _calculator(ensemble: EnsembleCalculator | Ensemble) -> EnsembleCalculator:
    if isinstance(ensemble, EnsembleCalculator):
        return ensemble
    if isinstance(ensemble, Ensemble):
        return EnsembleCalculator(ensemble, device="cpu")
    raise ValueError(f"expected an Ensemble or an EnsembleCalculator, got {type(ensemble).__name__}")


def predict_ensemble(ensemble: EnsembleCalculator | Ensemble, frames: Sequence[Atoms] | Atoms) -> list[EnsemblePrediction]:
    """The ensemble's prediction for each frame (the frames are not modified).

    Args:
        ensemble: an :class:`~ennp_lab.calculator.EnsembleCalculator`, or an ensemble
            (evaluated on the CPU).
        frames: structures (one ``Atoms`` or a sequence).
    """
    calc = _calculator(ensemble)
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    predictions = []
    for frame in frames:
        a = frame.copy()
        a.calc = calc
        a.get_forces()
        predictions.append(calc.prediction)
    return predictions


def _label_forces(frame: Atoms, k: int) -> np.ndarray:
    if frame.calc is None or "forces" not in frame.calc.results:
        raise ValueError(f"frame {k} has no force labels")
    return frame.get_forces()


def force_errors(ensemble: EnsembleCalculator | Ensemble, frames: Sequence[Atoms]) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: mean |F̄ − F_label| (eV/Å, over atoms and components) and mean σ_F,i (eV/Å)."""
    predictions = predict_ensemble(ensemble, frames)
    errors = [float(np.abs(p.forces - _label_forces(f, k)).mean()) for k, (p, f) in enumerate(zip(predictions, frames))]
    return np.array(errors), np.array([float(p.epistemic.mean()) for p in predictions])


def force_residuals(ensemble: EnsembleCalculator | Ensemble, frames: Sequence[Atoms], total: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Force-component residuals F̄ − F_label (eV/Å) over labelled ``frames`` and the
    ensemble's σ for each component (σ_F,i/√3 of the epistemic σ, or of the total σ when
    ``total``), flattened: inputs for :func:`~ennp_lab.learning.calibration.calibration_report`."""
    predictions = predict_ensemble(ensemble, frames)
    residuals = [(p.forces - _label_forces(f, k)).ravel() for k, (p, f) in enumerate(zip(predictions, frames))]
    sigmas = [p.component_sigma(total=total).ravel() for p in predictions]
    return np.concatenate(residuals), np.concatenate(sigmas)
