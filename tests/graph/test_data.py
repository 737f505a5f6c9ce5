"""AtomGraph construction, batching and the bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk, molecule

from ennp_lab.graph import AtomGraph, neighbor_list


def test_edge_vectors_match_the_neighbor_list(triclinic_cu):
    graph = AtomGraph.from_atoms(triclinic_cu, 4.0)
    i, j, s, d = neighbor_list(triclinic_cu.positions, triclinic_cu.cell[:], True, 4.0)
    assert graph.num_edges == len(i)
    np.testing.assert_array_equal(graph.edge_index.numpy(), np.stack([i, j]))
    np.testing.assert_allclose(graph.edge_vectors().norm(dim=1).numpy(), d, atol=1e-12)
    assert graph.shifts.dtype == torch.int64 and graph.positions.dtype == torch.float64


def test_batch_offsets_and_indices(triclinic_cu):
    water = molecule("H2O")
    graph = AtomGraph.from_atoms([triclinic_cu, water], 3.0)
    single = AtomGraph.from_atoms(water, 3.0)
    n = len(triclinic_cu)
    assert graph.num_graphs == 2 and graph.num_atoms == n + 3
    assert graph.atoms_per_graph.tolist() == [n, 3]
    tail = graph.edge_index[:, graph.edge_index[0] >= n] - n
    np.testing.assert_array_equal(tail.numpy(), single.edge_index.numpy())
    assert graph.pbc.tolist() == [[True] * 3, [False] * 3]
    # edges never connect different structures
    assert torch.equal(graph.batch[graph.edge_index[0]], graph.batch[graph.edge_index[1]])
    np.testing.assert_allclose(graph.volumes()[0].item(), triclinic_cu.get_volume())
    assert graph.volumes()[1].item() == 0.0


def test_to_changes_dtype_of_floats_only(triclinic_cu):
    graph = AtomGraph.from_atoms(triclinic_cu, 3.0).to(dtype=torch.float32)
    assert graph.positions.dtype == torch.float32 and graph.cell.dtype == torch.float32
    assert graph.edge_index.dtype == torch.int64 and graph.numbers.dtype == torch.int64


def _cu(n=2):
    return bulk("Cu", "fcc", a=3.6, cubic=True).repeat(n)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Atoms(), "empty Atoms"),
        (lambda: Atoms("X2", positions=[[0, 0, 0], [1.5, 0, 0]]), "unknown element"),
        (lambda: _nan(np.nan), "non-finite"),
        (lambda: _nan(np.inf), "non-finite"),
        (lambda: Atoms("Cu2", positions=[[0, 0, 0], [1, 1, 1]], cell=[[3, 0, 0], [0, 3, 0], [3, 3, 0]], pbc=True), "zero-volume"),
        (lambda: Atoms("Cu", cell=np.zeros((3, 3)), pbc=True), "zero-volume"),
        (lambda: Atoms("Cu", cell=[[3, 0, 0], [6, 0, 0], [0, 0, 0]], pbc=[True, True, False]), "zero-area"),
        (lambda: Atoms("Cu2", positions=[[0, 0, 0], [0.05, 0, 0]]), "closer than 0.1"),
        (lambda: Atoms("Cu2", positions=[[0, 0, 0], [2.95, 0, 0]], cell=[3, 3, 3], pbc=True), "closer than 0.1"),
        (lambda: Atoms("Cu", cell=[0.2, 0.2, 0.2], pbc=True), "too large for this cell"),
    ],
)
def test_bad_input_gives_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        AtomGraph.from_atoms(make(), 5.0)


def _nan(value):
    atoms = _cu(1)
    atoms.positions[2, 1] = value
    return atoms


def test_bad_batch_names_the_structure():
    good = _cu(1)
    bad = Atoms("Cu2", positions=[[0, 0, 0], [0.01, 0, 0]])
    with pytest.raises(ValueError, match="structure 1: atoms 0 and 1"):
        AtomGraph.from_atoms([good, bad], 3.0)
    with pytest.raises(ValueError, match="no structures"):
        AtomGraph.from_atoms([], 3.0)
    with pytest.raises(ValueError, match="cutoff"):
        AtomGraph.from_atoms(good, 0.0)


def test_collate_equals_batched_construction(triclinic_cu):
    water = molecule("H2O")
    together = AtomGraph.from_atoms([triclinic_cu, water, triclinic_cu], 3.0)
    parts = AtomGraph.collate([AtomGraph.from_atoms(a, 3.0) for a in (triclinic_cu, water, triclinic_cu)])
    for name in ("positions", "numbers", "cell", "pbc", "edge_index", "shifts", "batch"):
        assert torch.equal(getattr(together, name), getattr(parts, name)), name
    with pytest.raises(ValueError, match="different cutoffs"):
        AtomGraph.collate([AtomGraph.from_atoms(water, 3.0), AtomGraph.from_atoms(water, 4.0)])
