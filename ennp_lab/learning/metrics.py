"""Accuracy of a model on labelled frames: MAE/RMSE of energy, forces, stress, per element."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import keys
from ennp_lab.derivatives import compute_properties
from ennp_lab.learning.dataset import Sample, build_samples, collate
from ennp_lab.models.interface import declared_inputs
from ennp_lab.nn.embedding import symbol_of
from ennp_lab.validation import as_int

__all__ = ["Evaluation", "evaluate", "evaluate_samples"]


@dataclass(frozen=True)
class Evaluation:
    """Predictions and errors on a set of frames, in ASE units (meV only at the display edge).

    Attributes:
        energy_per_atom_true, energy_per_atom_pred: (B,) eV/atom.
        forces_true, forces_pred: (N, 3) eV/Å.
        numbers: (N,) atomic numbers.
        stress_true, stress_pred: (M, 6) eV/Å³ for the M frames with a stress label.
        atoms_per_frame: (B,) number of atoms of each frame.
        config_types: (B,) the frames' ``info["config_type"]`` (or "").
    """

    energy_per_atom_true: np.ndarray
    energy_per_atom_pred: np.ndarray
    forces_true: np.ndarray
    forces_pred: np.ndarray
    numbers: np.ndarray
    stress_true: np.ndarray
    stress_pred: np.ndarray
    atoms_per_frame: np.ndarray
    config_types: tuple[str, ...] = field(default_factory=tuple)

    @property
    def energy_mae(self) -> float:
        """Energy MAE, eV/atom."""
        return _mae(self.energy_per_atom_pred, self.energy_per_atom_true)

    @property
    def force_mae(self) -> float:
        """Force-component MAE, eV/Å."""
        return _mae(self.forces_pred, self.forces_true)

    @property
    def force_rmse(self) -> float:
        """Force-component RMSE, eV/Å."""
        return float(np.sqrt(np.mean((self.forces_pred - self.forces_true) ** 2)))

    @property
    def stress_mae(self) -> float:
        """Stress-component MAE (Voigt), eV/Å³ (NaN without stress labels)."""
        return _mae(self.stress_pred, self.stress_true) if len(self.stress_true) else float("nan")

    def per_element(self) -> dict[str, dict[str, float]]:
        """Force MAE and RMSE (eV/Å) and the number of atoms, per element."""
        out = {}
        for z in np.unique(self.numbers):
            sel = self.numbers == z
            err = self.forces_pred[sel] - self.forces_true[sel]
            out[symbol_of(int(z))] = {"force_mae": float(np.mean(np.abs(err))), "force_rmse": float(np.sqrt(np.mean(err**2))),
                                      "atoms": int(sel.sum())}
        return out

    def by_config_type(self) -> dict[str, dict[str, float]]:
        """Energy MAE (eV/atom) and force MAE (eV/Å) for each ``config_type``."""
        if len(self.config_types) != len(self.atoms_per_frame):
            return {}
        frame_of_atom = np.repeat(np.arange(len(self.atoms_per_frame)), self.atoms_per_frame)
        types = np.asarray(self.config_types)
        out = {}
        for name in dict.fromkeys(self.config_types):
            frames = types == name
            atoms = frames[frame_of_atom]
            out[name] = {
                "frames": int(frames.sum()),
                "energy_mae": _mae(self.energy_per_atom_pred[frames], self.energy_per_atom_true[frames]),
                "force_mae": _mae(self.forces_pred[atoms], self.forces_true[atoms]),
            }
        return out

    def summary(self) -> dict[str, float]:
        """The headline numbers, in eV (energy per atom), eV/Å and eV/Å³."""
        return {"energy_mae": self.energy_mae, "force_mae": self.force_mae, "force_rmse": self.force_rmse,
                "stress_mae": self.stress_mae, "frames": len(self.energy_per_atom_true), "atoms": len(self.numbers)}


def _mae(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(np.abs(pred - true)))


def evaluate_samples(model, samples: Sequence[Sample], batch_size: int = 16, config_types: Sequence[str] = ()) -> Evaluation:
    """:func:`evaluate` on precomputed samples (used by the training loop).

    Raises:
        ValueError: no samples, or a batch size below 1.
    """
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if not samples:
        raise ValueError("nothing to evaluate: no frames given")
    e_true, e_pred, f_true, f_pred, numbers, s_true, s_pred, sizes = [], [], [], [], [], [], [], []
    for start in range(0, len(samples), batch_size):
        batch = collate(samples[start : start + batch_size])
        want = {keys.ENERGY, keys.FORCES}
        if bool(batch.graph.pbc.all()):
            want.add(keys.STRESS)
        out = compute_properties(model, batch.graph, want)
        n = batch.graph.atoms_per_graph.to(batch.energy.dtype)
        sizes.append(batch.graph.atoms_per_graph.cpu())
        e_true.append((batch.energy / n).cpu())
        e_pred.append((out[keys.ENERGY] / n).cpu())
        f_true.append(batch.forces.cpu())
        f_pred.append(out[keys.FORCES].cpu())
        numbers.append(batch.graph.numbers.cpu())
        if keys.STRESS in out and bool(batch.has_stress.any()):
            m = batch.has_stress
            s_true.append(batch.stress[m].cpu())
            s_pred.append(out[keys.STRESS][m].cpu())

    def cat(parts, shape):
        return torch.cat(parts).double().numpy() if parts else np.zeros(shape)

    return Evaluation(
        energy_per_atom_true=cat(e_true, (0,)),
        energy_per_atom_pred=cat(e_pred, (0,)),
        forces_true=cat(f_true, (0, 3)),
        forces_pred=cat(f_pred, (0, 3)),
        numbers=torch.cat(numbers).numpy(),
        stress_true=full_3x3_to_voigt_6_stress(cat(s_true, (0, 3, 3))),
        stress_pred=full_3x3_to_voigt_6_stress(cat(s_pred, (0, 3, 3))),
        atoms_per_frame=torch.cat(sizes).numpy(),
        config_types=tuple(config_types),
    )


def evaluate(model, frames: Sequence[Atoms], batch_size: int = 16) -> Evaluation:
    """Evaluate ``model`` against the labels of ``frames``.

    Returns:
        an :class:`Evaluation`: energy MAE (eV/atom), force MAE and RMSE (eV/Å), stress
        MAE (eV/Å³), per element and per ``config_type``.
    """
    if not frames:
        raise ValueError("nothing to evaluate: no frames given")
    samples = build_samples(frames, model.cutoff, model.dtype, model.device, inputs=declared_inputs(model))
    return evaluate_samples(model, samples, batch_size, [str(f.info.get("config_type", "")) for f in frames])
