"""Aleatoric vs epistemic uncertainty: a per-atom noise head next to the ensemble spread.

Labels can be noisy (an unconverged DFT run, a stochastic reference): that *aleatoric*
noise does not shrink with more data. The *epistemic* uncertainty, the disagreement of an
ensemble, does. A model built with ``heads=noise_head()`` predicts, per atom, the log
variance s_i = log σ_i² of the noise on each force component, trained by Gaussian NLL
(``TrainConfig(noise_head=NOISE_HEAD)``, see :mod:`ennp_lab.learning.train`). For an
ensemble of K such models, the predictive distribution of the force on atom i is the
mixture of the members' Gaussians, whose variance (summed over the three components) is

    σ²_tot,i = 3 · (1/K) Σ_k exp(s_k,i)  +  (1/K) Σ_k |F_k,i − F̄_i|²
             =        σ²_ale,i           +         σ²_epi,i

(law of total variance; computed by :class:`~ennp_lab.models.ensemble.EnsemblePrediction`).
:func:`decompose_uncertainty` reports both terms per atom and per structure and, for
labelled frames, the calibration of the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from ase import Atoms

from ennp_lab.learning.calibration import CalibrationReport, calibration_report
from ennp_lab.learning.prediction import predict_ensemble
from ennp_lab.models.ensemble import NOISE_HEAD

__all__ = ["noise_head", "UncertaintyDecomposition", "decompose_uncertainty"]


def noise_head() -> dict[str, str]:
    """The ``heads`` entry that gives a model the noise head: ``{NOISE_HEAD: "0e"}``
    (an invariant scalar: the noise level cannot depend on the orientation)."""
    return {NOISE_HEAD: "0e"}


@dataclass
class UncertaintyDecomposition:
    """Per-atom aleatoric/epistemic/total σ (eV/Å) of each frame, their per-frame means,
    and, for labelled frames, the per-frame force MAE (eV/Å) and the calibration of the
    total σ on the force components (σ per component = σ_tot,i / √3)."""

    aleatoric: list[np.ndarray]
    epistemic: list[np.ndarray]
    error: np.ndarray | None = None
    calibration: CalibrationReport | None = None
    labels: list[str] = field(default_factory=list)

    @property
    def total(self) -> list[np.ndarray]:
        return [np.sqrt(a**2 + e**2) for a, e in zip(self.aleatoric, self.epistemic)]

    def frame_means(self) -> dict[str, np.ndarray]:
        """Per-frame mean over atoms of each σ (eV/Å)."""
        return {"aleatoric": np.array([a.mean() for a in self.aleatoric]),
                "epistemic": np.array([e.mean() for e in self.epistemic]),
                "total": np.array([t.mean() for t in self.total])}

    def by_label(self) -> dict[str, dict[str, float]]:
        """Mean aleatoric, epistemic, total σ (and MAE when labelled) over the frames of
        each label (``atoms.info["config_type"]``), in eV/Å."""
        means = self.frame_means()
        out: dict[str, dict[str, float]] = {}
        for label in dict.fromkeys(self.labels):
            pick = np.array([lab == label for lab in self.labels])
            row = {k: float(v[pick].mean()) for k, v in means.items()}
            if self.error is not None:
                row["force_mae"] = float(self.error[pick].mean())
            out[label] = row
        return out


def decompose_uncertainty(calc, frames: Sequence[Atoms], labelled: bool | None = None) -> UncertaintyDecomposition:
    """Aleatoric and epistemic σ per atom on ``frames`` from an
    :class:`~ennp_lab.calculator.EnsembleCalculator` whose members have the noise head.

    Args:
        calc: the ensemble calculator.
        frames: structures; those with forces attached are compared with the mean.
        labelled: use the frames' forces as labels (default: when all frames have them).

    Raises:
        ValueError: members without the noise head; no frames.
    """
    if not frames:
        raise ValueError("decompose_uncertainty needs at least one frame")
    if labelled is None:
        labelled = all(f.calc is not None and "forces" in f.calc.results for f in frames)
    aleatoric, epistemic, errors, residuals, sigmas = [], [], [], [], []
    for frame, p in zip(frames, predict_ensemble(calc, frames)):
        if p.aleatoric is None:
            raise ValueError("the ensemble members have no noise head: build them with heads=noise_head() and train "
                             "with TrainConfig(noise_head=NOISE_HEAD)")
        aleatoric.append(p.aleatoric)
        epistemic.append(p.epistemic)
        if labelled:
            residual = p.forces - frame.get_forces()
            errors.append(float(np.abs(residual).mean()))
            residuals.append(residual.ravel())
            sigmas.append(p.component_sigma(total=True).ravel())
    labels = [str(f.info.get("config_type", "")) for f in frames]
    result = UncertaintyDecomposition(aleatoric, epistemic, labels=labels)
    if labelled:
        result.error = np.array(errors)
        r = np.concatenate(residuals)
        result.calibration = calibration_report(np.zeros_like(r), np.concatenate(sigmas), r)
    return result
