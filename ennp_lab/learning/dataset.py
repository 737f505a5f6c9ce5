"""Labelled frames → precomputed graphs + label tensors, batching and data statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.stress import voigt_6_to_full_3x3_stress

from ennp_lab.data.io import frame_labels
from ennp_lab.graph.data import AtomGraph
from ennp_lab.graph.neighbors import neighbor_list

__all__ = ["Sample", "Batch", "build_samples", "collate", "average_num_neighbors", "fit_energy_shift", "force_rms"]


@dataclass(frozen=True)
class Sample:
    """One labelled structure: its graph and labels (energy eV, forces (n, 3) eV/Å,
    stress (1, 3, 3) eV/Å³ or None)."""

    graph: AtomGraph
    energy: torch.Tensor
    forces: torch.Tensor
    stress: torch.Tensor | None


@dataclass(frozen=True)
class Batch:
    """B labelled structures: ``energy`` (B,), ``forces`` (N, 3), ``stress`` (B, 3, 3) with
    ``has_stress`` (B,) marking the structures that carry a stress label."""

    graph: AtomGraph
    energy: torch.Tensor
    forces: torch.Tensor
    stress: torch.Tensor
    has_stress: torch.Tensor


def build_samples(frames: Sequence[Atoms], cutoff: float, dtype: torch.dtype, device: torch.device | str = "cpu") -> list[Sample]:
    """Neighbor graphs and label tensors for each frame (built once, reused every epoch).

    Raises:
        ValueError: a frame without energy/forces labels (named by index) or bad structure.
    """
    samples = []
    for k, atoms in enumerate(frames):
        labels = frame_labels(atoms, k)
        try:
            graph = AtomGraph.from_atoms(atoms, cutoff, dtype=dtype, device=device)
        except ValueError as exc:
            raise ValueError(f"frame {k}: {exc}") from exc
        as_t = dict(dtype=dtype, device=device)
        stress = None
        if "stress" in labels and atoms.pbc.all():
            stress = torch.as_tensor(voigt_6_to_full_3x3_stress(labels["stress"])[None], **as_t)
        samples.append(
            Sample(graph, torch.as_tensor(labels["energy"], **as_t).reshape(1), torch.as_tensor(labels["forces"], **as_t), stress)
        )
    return samples


def collate(samples: Sequence[Sample]) -> Batch:
    """Concatenate samples into a :class:`Batch`."""
    graph = AtomGraph.collate([s.graph for s in samples])
    ref = samples[0].energy
    stress = torch.cat([s.stress if s.stress is not None else torch.zeros(1, 3, 3, dtype=ref.dtype, device=ref.device) for s in samples])
    has_stress = torch.tensor([s.stress is not None for s in samples], device=ref.device)
    return Batch(graph, torch.cat([s.energy for s in samples]), torch.cat([s.forces for s in samples]), stress, has_stress)


def average_num_neighbors(frames: Sequence[Atoms], cutoff: float) -> float:
    """Mean number of neighbors within ``cutoff`` per atom over ``frames`` (for n̄ in the model)."""
    edges = atoms = 0
    for frame in frames:
        edges += len(neighbor_list(frame.positions, frame.cell[:], frame.pbc, cutoff)[0])
        atoms += len(frame)
    if atoms == 0:
        raise ValueError("no atoms in the frames")
    return edges / atoms


def fit_energy_shift(frames: Sequence[Atoms], species: Sequence[int]) -> np.ndarray:
    """Per-species energies μ_s (eV) by least squares: E_b ≈ Σ_s n_bs μ_s.

    Raises:
        ValueError: a frame holds an element outside ``species``.
    """
    species = list(species)
    counts = np.zeros((len(frames), len(species)))
    energies = np.zeros(len(frames))
    for b, frame in enumerate(frames):
        for z in frame.numbers:
            if z not in species:
                raise ValueError(f"frame {b} holds element Z={z}, which the model does not know")
        counts[b] = [np.sum(frame.numbers == z) for z in species]
        energies[b] = frame_labels(frame, b)["energy"]
    shift, *_ = np.linalg.lstsq(counts, energies, rcond=None)
    return shift


def force_rms(frames: Sequence[Atoms]) -> float:
    """Root-mean-square force component (eV/Å) of the labels."""
    forces = np.concatenate([frame_labels(f, k)["forces"].ravel() for k, f in enumerate(frames)])
    return float(np.sqrt(np.mean(forces**2)))
