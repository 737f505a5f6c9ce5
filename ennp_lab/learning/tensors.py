"""Training an elasticity-tensor model on C tensors of strained and rotated cells.

Data: cells of a cubic crystal under random strains (±``max_strain``) and random
rotations, each labelled with its clamped-ion C from a reference calculator
(:func:`ennp_lab.properties.elasticity.compute_elastic_tensor`). The loss is the mean
squared error over the 81 Cartesian components, in eV/Å³.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator
from scipy.spatial.transform import Rotation

from ennp_lab.data.generators import strained_frames
from ennp_lab.graph.data import AtomGraph
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
    """Full-batch Adam on the MSE of C (eV/Å³)²; returns the loss per epoch."""
    torch.manual_seed(seed)
    graph = _batch(model, [s.atoms for s in samples])
    target = torch.as_tensor(np.array([s.tensor for s in samples]), dtype=model.dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs, eta_min=lr * 0.01)
    losses = []
    model.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.mean((model(graph)[ELASTIC_TENSOR] - target) ** 2)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
    model.eval()
    return losses


def predict_elastic_tensor(model: ElasticTensorModel, atoms: Atoms) -> ElasticTensor:
    """The model's C for one structure."""
    with torch.no_grad():
        full = model(_batch(model, [atoms]))[ELASTIC_TENSOR][0].cpu().numpy().astype(np.float64)
    return ElasticTensor(full_to_voigt(full), relaxed=False, method="tensor-head")
