"""Shared fixtures: tiny seeded float64 models and small structures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk, molecule

from ennp_lab.testing import tiny_model


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cu_model():
    return tiny_model(["Cu"], seed=0)


@pytest.fixture(scope="session")
def alloy_model():
    return tiny_model(["Cu", "Au"], seed=1)


@pytest.fixture(scope="session")
def molecule_model():
    return tiny_model(["H", "C", "O"], seed=2, r_max=3.5)


def make_triclinic_cu(seed: int = 0, alloy: bool = False) -> Atoms:
    """A rattled, sheared 2×2×2 supercell of the FCC primitive cell (8 atoms).

    Its perpendicular width (~4.1 Å) is below 2 r_max, so periodic self-images and
    several images of one neighbor are in every neighbor list.
    """
    rng = np.random.default_rng(seed)
    atoms = bulk("Cu", "fcc", a=3.6).repeat((2, 2, 2))
    strain = np.eye(3) + 0.04 * rng.normal(size=(3, 3))
    atoms.set_cell(atoms.cell[:] @ strain, scale_atoms=True)
    atoms.positions += rng.normal(scale=0.08, size=atoms.positions.shape)
    if alloy:
        atoms.symbols[[1, 4, 6]] = "Au"
    return atoms


@pytest.fixture
def triclinic_cu() -> Atoms:
    return make_triclinic_cu()


@pytest.fixture
def triclinic_alloy() -> Atoms:
    return make_triclinic_cu(seed=1, alloy=True)


@pytest.fixture
def ethanol() -> Atoms:
    atoms = molecule("CH3CH2OH")
    atoms.positions += np.random.default_rng(3).normal(scale=0.03, size=atoms.positions.shape)
    return atoms
