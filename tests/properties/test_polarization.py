"""The polarization quantum: moving an ion by a lattice vector changes P by exactly its
quantum, folding undoes it, and a path keeps one branch."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab import keys
from ennp_lab.data.quartz import relaxed_quartz
from ennp_lab.properties.polarization import continuous_branch, fold_polarization, polarization_quanta


@pytest.fixture(scope="module")
def quartz():
    return relaxed_quartz()


def _p(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return np.asarray(calc.get_property(keys.POLARIZATION, a))


def test_moving_an_ion_by_a_lattice_vector_changes_p_by_exactly_a_quantum(quartz):
    crystal, calc = quartz
    atoms = crystal.copy()
    atoms.rattle(0.03, seed=2)
    before = _p(atoms, calc)
    quanta = polarization_quanta(atoms.cell[:], quantum_charge=1.2)  # BKS: charges 2.4 and −1.2
    for ion, vector in ((0, 0), (5, 2)):  # a Si along a, an O along c
        moved = atoms.copy()
        moved.positions[ion] += moved.cell[vector]
        after = _p(moved, calc)
        charge = 2.4 if moved.numbers[ion] == 14 else -1.2
        np.testing.assert_allclose(after - before, charge / 1.2 * quanta[vector], rtol=0, atol=1e-14)
        np.testing.assert_allclose(fold_polarization(after, moved.cell[:], before, 1.2), before, rtol=0, atol=1e-14)
        assert np.abs(after - before).max() > 0.01  # a whole quantum apart before folding


def test_a_path_through_the_cell_keeps_one_branch(quartz):
    crystal, calc = quartz
    path, wrapped = [], []
    for t in np.linspace(0, 1.2, 13):  # drag one O along c by 1.2 lattice vectors, in steps of 0.1 c
        atoms = crystal.copy()
        atoms.positions[4] += t * crystal.cell[2]
        path.append(_p(atoms, calc))
        atoms.wrap()  # what a code that wraps positions would report: jumps by a quantum
        wrapped.append(_p(atoms, calc))
    path, wrapped = np.array(path), np.array(wrapped)
    assert np.abs(np.diff(wrapped, axis=0)).max() > 0.5 * np.abs(polarization_quanta(crystal.cell[:], 1.2)).max()
    np.testing.assert_allclose(continuous_branch(wrapped, crystal.cell[:], 1.2), path, rtol=0, atol=1e-13)


def test_bad_cells_and_shapes_are_named():
    with pytest.raises(ValueError, match="non-zero volume"):
        polarization_quanta(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="quantum_charge"):
        polarization_quanta(np.eye(3), 0.0)
    with pytest.raises(ValueError, match="M cells"):
        continuous_branch(np.zeros((4, 3)), np.zeros((2, 3, 3)))
