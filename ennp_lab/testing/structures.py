"""Small structures and tiny models for tests (the kit's own, and users')."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.build import bulk

from ennp_lab.models.interface import declared_inputs
from ennp_lab.spec import write_input

__all__ = ["tiny_model", "periodic_cell", "cluster", "with_random_inputs", "default_structures"]


def tiny_model(species: Sequence[int | str] = ("Cu",), seed: int = 0, **options):
    """A small float64 ENNP (4 channels, l_max 2, 2 layers, r_max 4 Å) for unit tests.

    The per-species energy scale is set to 0.1 so energies are of a physical size.
    """
    from ennp_lab.models.ennp import build_ennp

    settings = dict(r_max=4.0, l_max=2, channels=4, layers=2, radial_hidden=16, readout_hidden=8)
    settings.update(options)
    model = build_ennp(species, seed=seed, dtype=torch.float64, **settings)
    with torch.no_grad():
        model.energy_scale.fill_(0.1)
    return model


def periodic_cell(species: Sequence[int], seed: int = 0, a: float = 3.6) -> Atoms:
    """A rattled, sheared 2×2×2 supercell of the FCC primitive cell (8 atoms) holding the
    given elements at random sites: triclinic, with a perpendicular width (~4.1 Å) below
    twice a 4 Å cutoff, so periodic self-images are in every neighbour list."""
    rng = np.random.default_rng(seed)
    atoms = bulk("Cu", "fcc", a=a).repeat((2, 2, 2))
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + 0.04 * rng.normal(size=(3, 3))), scale_atoms=True)
    atoms.positions += rng.normal(scale=0.08, size=atoms.positions.shape)
    atoms.numbers = rng.choice(np.asarray(species), size=len(atoms))
    atoms.numbers[: len(species)] = species  # every element present
    return atoms


def cluster(species: Sequence[int], n_atoms: int = 6, seed: int = 0, spacing: float = 1.5) -> Atoms:
    """A non-periodic random cluster: atoms added one by one at ``spacing`` Å (± 10 %)
    from a random earlier atom and at least 0.9 ``spacing`` from all of them."""
    rng = np.random.default_rng(seed)
    positions = [np.zeros(3)]
    while len(positions) < n_atoms:
        v = rng.normal(size=3)
        p = positions[rng.integers(len(positions))] + spacing * rng.uniform(0.9, 1.1) * v / np.linalg.norm(v)
        if min(np.linalg.norm(p - q) for q in positions) >= 0.9 * spacing:
            positions.append(p)
    numbers = rng.choice(np.asarray(species), size=n_atoms)
    numbers[: len(species)] = species[:n_atoms]
    return Atoms(numbers=numbers, positions=np.array(positions))


def with_random_inputs(atoms: Atoms, model, seed: int = 0, scale: float = 1.0) -> Atoms:
    """A copy of ``atoms`` holding random values of every differentiable input ``model``
    declares (normal, times ``scale``; 0.1 V/Å for a field)."""
    rng = np.random.default_rng(seed)
    out = atoms.copy()
    for spec in declared_inputs(model):
        if not spec.differentiable:
            continue
        size = 0.1 if spec.unit == "V/Å" else 1.0
        write_input(out, spec, scale * size * rng.normal(size=spec.shape(len(atoms))))
    return out


def default_structures(model, seed: int = 0) -> list[Atoms]:
    """A triclinic periodic cell and a cluster of (up to two of) the model's elements,
    each with random values of its declared inputs."""
    species = list(model.species[:2])
    return [with_random_inputs(periodic_cell(species, seed), model, seed),
            with_random_inputs(cluster(species, 6, seed), model, seed + 1)]
