"""The bond-valence BaTiO₃ reference: its derivatives are consistent, its landscape has the
BaTiO₃ sequence of polar minima with a paraelectric saddle, its polarization lives on the
lattice of quanta, and bad input is named."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from ennp_lab import keys
from ennp_lab.data.perovskite import (BATIO3_CHARGES, BondValenceBaTiO3, batio3_ground_state, cubic_batio3,
                                      generate_batio3_dataset, paraelectric_lattice_constant)
from ennp_lab.properties.dielectric import compute_born_charges
from ennp_lab.properties.polarization import fold_polarization


def _p(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return np.asarray(calc.get_property(keys.POLARIZATION, a))


def _energy(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return a.get_potential_energy()


def test_forces_stress_and_polarization_are_derivatives_of_the_energy():
    para = cubic_batio3()
    calc = BondValenceBaTiO3(reference=para)
    atoms = para.copy()
    atoms.set_cell(para.cell[:] @ (np.eye(3) + [[0.01, 0.004, 0], [0.004, -0.008, 0.002], [0, 0.002, 0.005]]),
                   scale_atoms=True)
    atoms.rattle(0.06, seed=3)
    field = np.array([0.05, -0.02, 0.08])
    calc.set(electric_field=field)
    atoms.calc = calc
    forces = atoms.get_forces()
    np.testing.assert_allclose(forces, calculate_numerical_forces(atoms, 1e-5), rtol=0, atol=1e-6 * np.abs(forces).max())
    stress = atoms.get_stress()  # in the field: a strain moves ions and sites, so the field term has a stress
    np.testing.assert_allclose(stress, calculate_numerical_stress(atoms, 1e-6), rtol=0, atol=1e-8)
    assert np.abs(stress).max() > 1e-3  # a strained, rattled cell is under stress
    # P = −(1/Ω) ∂E/∂ℰ
    h, volume = 1e-4, atoms.get_volume()
    dp = []
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        calc.set(electric_field=e)
        plus = _energy(atoms, calc)
        calc.set(electric_field=-e)
        dp.append(-(plus - _energy(atoms, calc)) / (2 * h) / volume)
    calc.set(electric_field=None)
    np.testing.assert_allclose(dp, _p(atoms, calc), rtol=1e-9, atol=0)
    # rigid ions: Born charges are the charges
    born = compute_born_charges(para, calc, method="finite-difference").charges
    q = np.array([BATIO3_CHARGES[int(z)] for z in para.numbers])
    np.testing.assert_allclose(born, q[:, None, None] * np.eye(3), atol=1e-9)
    assert abs(q.sum()) < 1e-15


def test_the_landscape_has_the_batio3_sequence_and_a_paraelectric_saddle():
    a0 = paraelectric_lattice_constant()
    para = cubic_batio3()
    calc = BondValenceBaTiO3(reference=para)
    atoms = para.copy()
    atoms.calc = calc
    assert np.abs(atoms.get_stress()).max() < 1e-6  # a₀ is stress-free (eV/Å³)
    assert np.abs(atoms.get_forces()).max() < 1e-12  # the cubic structure is stationary by symmetry
    assert 3.95 < a0 < 4.08  # BaTiO₃: 4.00 Å (experiment, cubic ~4.01)
    e_para = atoms.get_potential_energy()
    depth = {}
    for direction in ((1, 1, 1), (1, 1, 0), (0, 0, 1)):
        polar, _, c = batio3_ground_state(direction)
        depth[direction] = e_para - _energy(polar, c)
        p = _p(polar, c)
        np.testing.assert_allclose(np.cross(p, direction), 0, atol=1e-8)  # P along the variant's axis
    assert depth[(1, 1, 1)] > depth[(1, 1, 0)] > depth[(0, 0, 1)] > 0.01  # R below O below T, each > 10 meV
    # the two [111] wells are images under inversion: same energy, opposite P
    polar, _, c = batio3_ground_state()
    flipped = para.copy()
    flipped.positions -= polar.positions - para.positions
    assert abs(_energy(flipped, c) - _energy(polar, c)) < 1e-10
    np.testing.assert_allclose(_p(flipped, c), -_p(polar, c), rtol=0, atol=1e-15)
    # a saddle: the energy falls along the polar mode from λ = 0 (and rises from the minimum)
    step = polar.positions - para.positions
    for lam, below in ((0.1, True), (1.1, False), (0.9, False)):
        probe = para.copy()
        probe.positions += lam * step
        assert (_energy(probe, c) < e_para) if below else (_energy(probe, c) > _energy(polar, c))


def test_moving_an_ion_by_a_lattice_vector_changes_p_by_its_quantum():
    polar, para, calc = batio3_ground_state()
    before = _p(polar, calc)
    moved = polar.copy()
    moved.positions[1] += moved.cell[2]  # Ti along c
    after = _p(moved, calc)
    q = BATIO3_CHARGES[22]
    np.testing.assert_allclose(after - before, q * moved.cell[2] / moved.get_volume(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(fold_polarization(after, moved.cell[:], before, q), before, rtol=0, atol=1e-15)
    assert np.abs(after - before).max() > 10 * np.abs(before).max()


def test_the_data_carry_fields_polarizations_and_bad_input_is_named():
    frames = generate_batio3_dataset(3, seed=1)
    assert len(frames) == 3 and all(np.abs(f.info["electric_field"]).max() > 0 for f in frames)
    assert all(f.info["polarization"].shape == (3,) and f.get_stress().shape == (6,) for f in frames)
    calc = BondValenceBaTiO3(reference=cubic_batio3())
    with pytest.raises(ValueError, match="knows .*'Ba'.* only, got \\['Sr'\\]"):
        strontium = cubic_batio3()
        strontium.numbers[0] = 38
        strontium.calc = calc
        strontium.get_potential_energy()
    with pytest.raises(ValueError, match="reference crystal"):
        calc.get_potential_energy(cubic_batio3(repeat=2))
    with pytest.raises(ValueError, match="3 finite numbers"):
        calc.set(electric_field=[0.0, np.inf, 0.0])
        calc.get_forces(cubic_batio3())
    with pytest.raises(ValueError, match="lattice constant"):
        cubic_batio3(-1.0)
    with pytest.raises(ValueError, match="non-zero"):
        batio3_ground_state((0, 0, 0))
