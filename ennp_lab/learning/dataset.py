"""Labelled frames → precomputed graphs + label tensors, batching and data statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
from ase import Atoms

from ennp_lab import keys
from ennp_lab.data.io import frame_labels
from ennp_lab.graph.data import AtomGraph
from ennp_lab.graph.neighbors import neighbor_list
from ennp_lab.learning.targets import Target, default_targets, read_label
from ennp_lab.spec import InputSpec

__all__ = ["Sample", "Batch", "build_samples", "collate", "average_num_neighbors", "fit_energy_shift", "force_rms"]


class _Labels:
    """Named access to the classic labels of a :class:`Sample` or :class:`Batch`."""

    labels: dict[str, torch.Tensor]

    @property
    def energy(self) -> torch.Tensor:
        return self.labels[keys.ENERGY]

    @property
    def forces(self) -> torch.Tensor:
        return self.labels[keys.FORCES]


@dataclass(frozen=True)
class Sample(_Labels):
    """One labelled structure: its graph and its labels, target key → tensor, per atom
    (n, ...) or per structure (1, ...) (energy (1,) eV, forces (n, 3) eV/Å, stress
    (1, 3, 3) eV/Å³, a head's or a derived quantity's labels in their units)."""

    graph: AtomGraph
    labels: dict[str, torch.Tensor]
    atom_labels: frozenset[str] = frozenset({keys.FORCES})

    @property
    def stress(self) -> torch.Tensor | None:
        return self.labels.get(keys.STRESS)


@dataclass(frozen=True)
class Batch(_Labels):
    """B labelled structures: ``labels`` concatenated (per structure (B, ...), per atom
    (N, ...); zeros where a structure has no label) and ``masks`` (B,) marking the
    structures that carry each label (e.g. stress)."""

    graph: AtomGraph
    labels: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    atom_labels: frozenset[str] = frozenset({keys.FORCES})

    @property
    def stress(self) -> torch.Tensor:
        if keys.STRESS in self.labels:
            return self.labels[keys.STRESS]
        ref = self.energy
        return torch.zeros(self.graph.num_graphs, 3, 3, dtype=ref.dtype, device=ref.device)

    @property
    def has_stress(self) -> torch.Tensor:
        if keys.STRESS in self.masks:
            return self.masks[keys.STRESS]
        return torch.zeros(self.graph.num_graphs, dtype=torch.bool, device=self.graph.positions.device)


def build_samples(frames: Sequence[Atoms], cutoff: float, dtype: torch.dtype, device: torch.device | str = "cpu",
                  targets: Sequence[Target] | None = None, inputs: Sequence[InputSpec] = (),
                  per_atom: Iterable[str] = ()) -> list[Sample]:
    """Neighbor graphs and label tensors for each frame (built once, reused every epoch).

    Args:
        frames: labelled structures.
        cutoff, dtype, device: of the graphs.
        targets: whose labels to read (default: energy, forces and, where present, stress).
        inputs: the model's declared inputs, read into each graph.
        per_atom: names of per-atom targets besides forces (e.g. ``keys.per_atom(head)``).

    Raises:
        ValueError: a frame without energy/forces labels (named by index) when those are
            targets, or a bad structure or label.
    """
    targets = list(targets) if targets is not None else list(default_targets(1.0, 1.0, 1.0))
    per_atom = set(per_atom)
    samples = []
    for k, atoms in enumerate(frames):
        try:
            graph = AtomGraph.from_atoms(atoms, cutoff, dtype=dtype, device=device, inputs=inputs)
        except ValueError as exc:
            raise ValueError(f"frame {k}: {exc}") from exc
        labels, atom_labels = {}, set()
        for target in targets:
            if target.key in labels:
                continue
            is_per_atom = target.name in per_atom or target.name == keys.FORCES
            value = read_label(atoms, target, k, per_atom=is_per_atom)
            if value is not None:
                labels[target.key] = torch.as_tensor(value, dtype=dtype, device=device)
                if is_per_atom:
                    atom_labels.add(target.key)
        samples.append(Sample(graph, labels, frozenset(atom_labels)))
    return samples


def collate(samples: Sequence[Sample]) -> Batch:
    """Concatenate samples into a :class:`Batch` (a label some samples lack is zero-filled
    there and masked)."""
    samples = list(samples)
    graph = AtomGraph.collate([s.graph for s in samples])
    labels, masks, atom_labels = {}, {}, set()
    for key in dict.fromkeys(k for s in samples for k in s.labels):
        ref = next(s.labels[key] for s in samples if key in s.labels)
        per_atom = any(key in s.atom_labels for s in samples)
        if per_atom:
            atom_labels.add(key)
        parts = []
        for s in samples:
            if key in s.labels:
                parts.append(s.labels[key])
            else:
                shape = (s.graph.num_atoms if per_atom else 1, *ref.shape[1:])
                parts.append(torch.zeros(shape, dtype=ref.dtype, device=ref.device))
        labels[key] = torch.cat(parts)
        masks[key] = torch.tensor([key in s.labels for s in samples], device=ref.device)
    return Batch(graph, labels, masks, frozenset(atom_labels))


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
