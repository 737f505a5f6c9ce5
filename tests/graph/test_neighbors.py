"""The vesin neighbor list against brute force and ase.neighborlist (REFERENCES.md cases)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from ase.neighborlist import neighbor_list as ase_neighbor_list

from ennp_lab.graph import brute_force_neighbor_list, minimum_image, neighbor_list, perpendicular_widths
from ennp_lab.graph.neighbors import minimum_image_shifts

SKEWED = np.array([[5.0, 0.0, 0.0], [4.6, 2.0, 0.0], [1.5, 1.2, 4.0]])


def _triples(i, j, s):
    return sorted(zip(i.tolist(), j.tolist(), map(tuple, np.asarray(s).tolist())))


def _assert_same_lists(positions, cell, pbc, cutoff):
    i, j, s, d = neighbor_list(positions, cell, pbc, cutoff)
    bi, bj, bs, bd = brute_force_neighbor_list(positions, cell, pbc, cutoff)
    atoms = Atoms(positions=positions, cell=cell, pbc=pbc)
    ai, aj, a_s = ase_neighbor_list("ijS", atoms, cutoff, self_interaction=False)
    assert len(i) == len(bi) == len(ai)
    assert _triples(i, j, s) == _triples(bi, bj, bs) == _triples(ai, aj, a_s)
    np.testing.assert_allclose(d, bd, atol=1e-12)
    # distances are consistent with the shifts: d = |x_j - x_i + S cell|
    vec = positions[j] - positions[i] + s @ np.asarray(cell)
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), d, atol=1e-12)
    assert np.all(d < cutoff) and np.all(d > 0)
    return len(i)


@pytest.mark.parametrize("cutoff,count", [(2.6, 12), (3.7, 18), (4.5, 42), (6.0, 78)])
def test_cu_primitive_cell_counts(cutoff, count):
    """One-atom cell: every neighbor is a periodic self-image (REFERENCES.md)."""
    atoms = bulk("Cu", "fcc", a=3.6)
    np.testing.assert_allclose(perpendicular_widths(atoms.cell[:]).min(), 2.0785, atol=1e-4)
    n = _assert_same_lists(atoms.positions, atoms.cell[:], True, cutoff)
    assert n == count


def test_skewed_cell_reference_case():
    """REFERENCES.md: 1112 directed pairs at 3.0 Å; naive rounding wrong for 134 of 400 pairs."""
    positions = np.random.default_rng(0).random((20, 3)) @ SKEWED
    assert _assert_same_lists(positions, SKEWED, True, 3.0) == 1112

    vectors = positions[None, :, :] - positions[:, None, :]
    mic = minimum_image(vectors, SKEWED, True)
    frac = vectors @ np.linalg.inv(SKEWED)
    naive = (frac - np.round(frac)) @ SKEWED
    # brute-force minimum over a generous grid of images
    best = np.full((20, 20), np.inf)
    for n in itertools.product(range(-4, 5), repeat=3):
        best = np.minimum(best, np.linalg.norm((frac + np.array(n)) @ SKEWED, axis=-1))
    np.testing.assert_allclose(np.linalg.norm(mic, axis=-1), best, atol=1e-12)
    wrong = np.abs(np.linalg.norm(naive, axis=-1) - best) > 1e-9
    assert wrong.sum() == 134
    # the minimum image differs from the input by a lattice vector
    shifts = minimum_image_shifts(vectors, SKEWED, True)
    np.testing.assert_allclose(mic, vectors + shifts @ SKEWED, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_random_triclinic_cells(seed):
    """Random cells, random atoms, cutoffs up to twice the smallest perpendicular width."""
    rng = np.random.default_rng(seed)
    cell = np.eye(3) * rng.uniform(3.0, 6.0, size=3) + rng.uniform(-2.0, 2.0, size=(3, 3))
    n = int(rng.integers(1, 12))
    positions = rng.random((n, 3)) @ cell + rng.normal(scale=2.0, size=(n, 3))  # some outside the cell
    width = perpendicular_widths(cell).min()
    for factor in (0.4, 1.1, 2.0):
        _assert_same_lists(positions, cell, True, factor * width + 0.01234)


def test_nonperiodic_molecule():
    atoms = molecule("C6H6")
    n = _assert_same_lists(atoms.positions, np.zeros((3, 3)), False, 2.5)
    assert n > 0
    brute = np.linalg.norm(atoms.positions[None] - atoms.positions[:, None], axis=-1)
    assert n == int(((brute < 2.5) & (brute > 0)).sum())


@pytest.mark.parametrize("pbc", [(True, True, False), (False, False, True), (True, False, True)])
def test_mixed_periodicity(pbc):
    rng = np.random.default_rng(7)
    cell = np.array([[4.0, 0.3, 0.0], [1.1, 3.5, 0.2], [0.4, -0.6, 5.0]])
    positions = rng.random((10, 3)) @ cell
    for cutoff in (2.9, 6.5):
        _assert_same_lists(positions, cell, pbc, cutoff)
    # shifts appear only along periodic directions
    _, _, s, _ = neighbor_list(positions, cell, pbc, 6.5)
    assert np.all(s[:, ~np.array(pbc)] == 0)


def test_minimum_image_leaves_nonperiodic_components():
    cell = np.diag([4.0, 4.0, 4.0])
    v = np.array([[3.0, 3.0, 3.0]])
    np.testing.assert_allclose(minimum_image(v, cell, (True, False, True)), [[-1.0, 3.0, -1.0]])
    np.testing.assert_allclose(minimum_image(v, cell, False), v)


def test_minimum_image_random_cells_against_brute_force():
    rng = np.random.default_rng(11)
    for _ in range(5):
        cell = rng.normal(size=(3, 3)) * 1.5 + np.eye(3) * 3.0
        vectors = rng.normal(scale=3.0, size=(50, 3))
        # |s_k + n_k| <= |r| / width_k, so the grid below holds every candidate image
        assert np.linalg.norm(vectors, axis=1).max() / perpendicular_widths(cell).min() < 11
        got = minimum_image(vectors, cell)
        frac = vectors @ np.linalg.inv(cell)
        best = np.full(50, np.inf)
        for n in itertools.product(range(-12, 13), repeat=3):
            best = np.minimum(best, np.linalg.norm((frac + np.array(n)) @ cell, axis=-1))
        np.testing.assert_allclose(np.linalg.norm(got, axis=-1), best, atol=1e-10)
