"""Hessians (autograd and finite differences), normal modes and λ_max by Lanczos."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from ase.calculators.emt import EMT
from ase.calculators.morse import MorsePotential

from ennp_lab import ENNPCalculator
from ennp_lab.properties.hessian import compute_hessian, hessian_vector_product
from ennp_lab.properties.modes import compute_normal_modes, rigid_motions
from ennp_lab.properties.stability import compute_lambda_max, compute_max_stable_timestep
from ennp_lab.units import FS, OMEGA_TO_THZ


def _flat(h: np.ndarray) -> np.ndarray:
    n = h.shape[-2]
    return h.reshape(-1, 3 * n)


@pytest.mark.parametrize("structure", ["triclinic_cu", "ethanol"])
def test_autograd_hessian_equals_finite_differences(structure, request, cu_model, molecule_model):
    atoms = request.getfixturevalue(structure)
    calc = ENNPCalculator(cu_model if structure == "triclinic_cu" else molecule_model, device="cpu")
    exact = compute_hessian(atoms, calc)  # auto → autograd
    numeric = compute_hessian(atoms, calc, method="finite-difference", delta=1e-4)
    assert np.abs(exact - numeric).max() < 1e-6
    h = _flat(exact)
    assert np.abs(h - h.T).max() < 1e-10
    # acoustic sum rule: a rigid translation changes no force
    assert np.abs(exact.sum(axis=2)).max() < 1e-10
    # rows of selected atoms are the same rows
    rows = compute_hessian(atoms, calc, indices=[2, 0])
    np.testing.assert_allclose(rows, exact[[2, 0]], atol=1e-12)


def test_hessian_vector_products_never_form_h_but_agree(triclinic_cu, cu_model):
    calc = ENNPCalculator(cu_model, device="cpu")
    h = _flat(compute_hessian(triclinic_cu, calc))
    v = np.random.default_rng(0).normal(size=(len(triclinic_cu), 3))
    np.testing.assert_allclose(hessian_vector_product(triclinic_cu, calc)(v).ravel(), h @ v.ravel(), atol=1e-10)
    fd = hessian_vector_product(triclinic_cu, calc, method="finite-difference", delta=1e-4)
    np.testing.assert_allclose(fd(v).ravel(), h @ v.ravel(), atol=1e-5 * np.abs(h @ v.ravel()).max())


def test_finite_difference_hessian_of_emt_is_symmetric_with_sum_rule():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=0)
    h = compute_hessian(atoms, EMT())
    flat = _flat(h)
    assert np.abs(flat - flat.T).max() < 1e-4 * np.abs(flat).max()
    assert np.abs(h.sum(axis=2)).max() < 1e-6


def test_hessian_bad_input(triclinic_cu, cu_model):
    with pytest.raises(ValueError, match="cannot differentiate its energy twice"):
        compute_hessian(triclinic_cu, EMT(), method="autograd")
    with pytest.raises(ValueError, match="unknown Hessian method"):
        compute_hessian(triclinic_cu, EMT(), method="magic")
    with pytest.raises(ValueError, match="8 atoms"):
        compute_hessian(triclinic_cu, ENNPCalculator(cu_model, device="cpu"), indices=[8])


def test_rigid_motion_counts():
    assert rigid_motions(bulk("Cu", "fcc", a=3.6)).shape[1] == 3
    assert rigid_motions(molecule("H2O")).shape[1] == 6
    assert rigid_motions(molecule("CO2")).shape[1] == 5
    slab = bulk("Cu", "fcc", a=3.6, cubic=True)
    slab.pbc = (True, True, False)
    assert rigid_motions(slab).shape[1] == 3


def test_dimer_normal_mode_matches_analytic_frequency():
    # Morse dimer at its minimum: one stretch with ω = √(k/μ), k = 2 ε ρ0² / r0².
    eps, rho0, r0 = 0.7, 5.0, 2.3
    atoms = Atoms("Cu2", positions=[[0, 0, 0], [r0, 0, 0]])
    calc = MorsePotential(epsilon=eps, rho0=rho0, r0=r0, rcut1=4.0, rcut2=5.0)
    modes = compute_normal_modes(atoms, hessian=compute_hessian(atoms, calc, delta=1e-3))
    assert modes.n_rigid == 5 and len(modes.omega) == 1
    mu = atoms.get_masses()[0] / 2
    expected = np.sqrt(2 * eps * rho0**2 / r0**2 / mu)
    assert modes.omega[0] == pytest.approx(expected, rel=1e-5)
    assert modes.frequencies_thz[0] == pytest.approx(expected * OMEGA_TO_THZ, rel=1e-5)
    assert modes.wavenumbers_cm1[0] == pytest.approx(modes.frequencies_thz[0] * 33.35641, rel=1e-6)
    # the two atoms move against each other along the bond
    d = modes.displacements[0]
    assert d[0, 0] == pytest.approx(-d[1, 0]) and np.abs(d[:, 1:]).max() < 1e-8


def test_normal_modes_of_a_molecule_remove_six_rigid_motions(ethanol, molecule_model):
    calc = ENNPCalculator(molecule_model, device="cpu")
    modes = compute_normal_modes(ethanol, calc)
    n = len(ethanol)
    assert modes.n_rigid == 6 and len(modes.omega) == 3 * n - 6
    # eigenvectors are orthonormal and orthogonal to every rigid motion
    e = modes.eigenvectors.reshape(len(modes.omega), -1)
    np.testing.assert_allclose(e @ e.T, np.eye(len(e)), atol=1e-10)
    assert np.abs(e @ rigid_motions(ethanol)).max() < 1e-10
    # and diagonalise the projected dynamical matrix
    h = _flat(compute_hessian(ethanol, calc))
    w = np.repeat(1 / np.sqrt(ethanol.get_masses()), 3)
    d = h * w[:, None] * w[None, :]
    for k in (0, len(e) // 2, len(e) - 1):
        assert e[k] @ d @ e[k] == pytest.approx(np.sign(modes.omega[k]) * modes.omega[k] ** 2, rel=1e-8, abs=1e-12)


def test_normal_modes_bad_input(ethanol):
    with pytest.raises(ValueError, match="calculator or a Hessian"):
        compute_normal_modes(ethanol)
    with pytest.raises(ValueError, match="does not match"):
        compute_normal_modes(ethanol, hessian=np.zeros((3, 3)))
    bad = np.zeros((len(ethanol), 3, len(ethanol), 3))
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compute_normal_modes(ethanol, hessian=bad)


@pytest.mark.parametrize("mass_weighted", [False, True])
def test_lanczos_lambda_max_equals_dense_eigenvalue(mass_weighted, cu_model):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 1))
    atoms.rattle(0.05, seed=4)
    calc = ENNPCalculator(cu_model, device="cpu")
    h = _flat(compute_hessian(atoms, calc))
    if mass_weighted:
        w = np.repeat(1 / np.sqrt(atoms.get_masses()), 3)
        h = h * w[:, None] * w[None, :]
    dense = np.linalg.eigvalsh(0.5 * (h + h.T))[-1]
    largest = compute_lambda_max(atoms, calc, mass_weighted=mass_weighted)
    assert largest.eigenvalue == pytest.approx(dense, rel=1e-4)
    if mass_weighted:
        dt = compute_max_stable_timestep(atoms, calc)
        assert dt == pytest.approx(2 / np.sqrt(dense) / FS, rel=1e-4)
    else:
        with pytest.raises(ValueError, match="mass-weighted"):
            largest.omega_max


def test_emt_copper_lambda_max_and_verlet_limit_match_references():
    atoms = bulk("Cu", "fcc", a=3.5898, cubic=True).repeat(4)  # 256 atoms
    largest = compute_lambda_max(atoms, EMT(), tol=1e-6)
    assert largest.eigenvalue == pytest.approx(17.23, abs=0.01)
    assert compute_max_stable_timestep(atoms, EMT(), tol=1e-6) == pytest.approx(39.1, abs=0.05)
    assert largest.n_products < 100  # far fewer than the 768 columns of H
