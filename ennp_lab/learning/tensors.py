"""Training an elasticity-tensor model on C tensors of strained and rotated cells.

Data: cells of a cubic crystal under random strains (±``max_strain``) and random
rotations, each labelled with its clamped-ion C from a reference calculator
(:func:`ennp_lab.properties.elasticity.compute_elastic_tensor`). The loss is the mean
squared error over the 81 Cartesian components, in eV/Å³, minimised by the one training
engine with the model's declared output ``elastic_tensor`` as the target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator
from scipy.spatial.transform import Rotation

from ennp_lab.data.generators import strained_frames
from ennp_lab.graph.data import AtomGraph
from ennp_lab.learning.heads import full_batch_config
from ennp_lab.learning.targets import Target
from ennp_lab.learning.train import train
from ennp_lab.models.elastic_head import ELASTIC_TENSOR, ElasticTensorModel
from ennp_lab.properties.elasticity import ElasticTensor, compute_elastic_tensor, full_to_voigt

__all__ = ["ElasticSample", "elastic_tensor_samples", "fit_elastic_model", "predict_elastic_tensor"]


@dataclass(frozen=True)
class ElasticSample:
    """A cell and its reference elasticity tensor (3, 3, 3, 3) eV/Å³."""

    atoms: Atoms
    tensor: np.ndarray


def elastic_tensor_samples(
    cell: Atoms, calc: Calculator, n_samples: int, max_strain: float = 0.03, seed: int = 0, rotate: bool = True
) -> list[ElasticSample]:
    """Strained (and randomly rotated) copies of ``cell`` with their C from ``calc``."""
    rng = np.random.default_rng(seed + 1)  # rotations; the strains come from the data generator's stream
    samples = []
    for atoms in strained_frames(cell, n_samples, max_strain=max_strain, rattle=0.0, seed=seed):
        if rotate:
            r = Rotation.random(random_state=rng.integers(2**31)).as_matrix()
            atoms.set_cell(atoms.cell.array @ r.T, scale_atoms=True)
        samples.append(ElasticSample(atoms, compute_elastic_tensor(atoms, calc).full))
    return samples


def _batch(model: ElasticTensorModel, atoms: Sequence[Atoms]) -> AtomGraph:
    return AtomGraph.from_atoms(list(atoms), model.cutoff, dtype=model.dtype)


def fit_elastic_model(
    model: ElasticTensorModel, samples: Sequence[ElasticSample], epochs: int = 300, lr: float = 0.01, seed: int = 0
) -> list[float]:
    """Full-batch Adam on the MSE of C (eV/Å³)², through the one training engine
    (:func:`~ennp_lab.learning.heads.full_batch_config`: cosine schedule to 1 % of
    ``lr``); returns the loss per epoch. ``seed`` seeds the engine's generator (full
    batches in order draw nothing from it)."""
    frames = []
    for s in samples:
        atoms = s.atoms.copy()
        atoms.info[ELASTIC_TENSOR] = np.asarray(s.tensor, dtype=float)
        frames.append(atoms)
    config = replace(full_batch_config([Target(ELASTIC_TENSOR)], len(frames), epochs, lr), seed=int(seed))
    return list(train(model, frames, None, config).history.train_loss)


def predict_elastic_tensor(model: ElasticTensorModel, atoms: Atoms) -> ElasticTensor:
    """The model's C for one structure."""
    with torch.no_grad():
        full = model(_batch(model, [atoms]))[ELASTIC_TENSOR][0].cpu().numpy().astype(np.float64)
    return ElasticTensor(full_to_voigt(full), relaxed=False, method="tensor-head")
