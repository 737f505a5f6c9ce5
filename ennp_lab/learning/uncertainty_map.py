"""Predicted σ and true error over a 2D map of configurations: strain × temperature.

For each isotropic strain ε (the cell scaled by 1 + ε) and temperature T, a few snapshots
of Langevin MD driven by the *reference* (the oracle: EMT for metals) are drawn; the
ensemble's mean per-atom force spread σ_F and, against the reference's forces, its force
MAE are recorded for every cell of the grid. Where data were sparse (large strains, hot
structures for a model trained on cool bulk), both should rise together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.data.generators import md_frames
from ennp_lab.learning.prediction import predict_ensemble

__all__ = ["UncertaintyMap", "run_uncertainty_map"]


@dataclass
class UncertaintyMap:
    """Grids (len(strains), len(temperatures_K)) of mean σ_F and force MAE (eV/Å); ``frames``
    and ``atom_sigma`` (per-atom σ_F, eV/Å) hold the last snapshot of each cell."""

    strains: np.ndarray
    temperatures_K: np.ndarray
    sigma: np.ndarray
    error: np.ndarray
    frames: list[list[Atoms]]
    atom_sigma: list[list[np.ndarray]]

    def spearman(self) -> float:
        """Rank correlation of σ and error over the grid's cells."""
        from ennp_lab.learning.calibration import spearman

        e = self.error.ravel()
        return spearman(np.zeros_like(e), self.sigma.ravel(), e)


def run_uncertainty_map(
    calc: Calculator,
    reference: Calculator,
    atoms: Atoms,
    strains: Sequence[float] = (-0.08, -0.04, 0.0, 0.04, 0.08),
    temperatures_K: Sequence[float] = (100.0, 500.0, 900.0, 1300.0),
    n_samples: int = 2,
    interval: int = 10,
    equilibration: int = 30,
    seed: int = 0,
) -> UncertaintyMap:
    """σ and error of ``calc`` (an :class:`~ennp_lab.calculator.EnsembleCalculator`)
    over strain × temperature, on MD snapshots of ``reference`` (module docstring).

    Args:
        calc: the ensemble (:func:`~ennp_lab.learning.prediction.predict_ensemble`).
        reference: drives the MD and gives the true forces.
        atoms: the unstrained periodic structure.
        strains: isotropic strains ε (fractions, > −1).
        temperatures_K: Langevin temperatures (> 0).
        n_samples: snapshots per cell, ``interval`` steps apart after ``equilibration``.

    Raises:
        ValueError: a structure that is not periodic, a strain ≤ −1, a temperature ≤ 0.
    """
    if not atoms.pbc.all():
        raise ValueError("an uncertainty map over strain needs a cell periodic in all three directions")
    strains = np.asarray(strains, dtype=float)
    temps = np.asarray(temperatures_K, dtype=float)
    if strains.size == 0 or temps.size == 0 or np.any(strains <= -1) or np.any(temps <= 0):
        raise ValueError(f"strains must be > -1 and temperatures > 0 (and neither empty); got {strains}, {temps}")
    sigma = np.zeros((strains.size, temps.size))
    error = np.zeros_like(sigma)
    frames: list[list[Atoms]] = []
    atom_sigma: list[list[np.ndarray]] = []
    for i, eps in enumerate(strains):
        strained = atoms.copy()
        strained.set_cell(atoms.cell[:] * (1.0 + eps), scale_atoms=True)
        frames.append([])
        atom_sigma.append([])
        for j, T in enumerate(temps):
            snaps = md_frames(strained, reference, float(T), n_samples, interval=interval, equilibration=equilibration,
                              seed=seed + 100 * i + j)
            predictions = predict_ensemble(calc, snaps)
            s = [float(p.epistemic.mean()) for p in predictions]
            e = []
            for snap, p in zip(snaps, predictions):
                ref = snap.copy()
                ref.calc = reference
                e.append(float(np.abs(p.forces - ref.get_forces()).mean()))
            sigma[i, j], error[i, j] = np.mean(s), np.mean(e)
            frames[i].append(snaps[-1])
            atom_sigma[i].append(predictions[-1].epistemic)
    return UncertaintyMap(strains, temps, sigma, error, frames, atom_sigma)
