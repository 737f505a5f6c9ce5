"""Born charges, the dielectric tensor, IR intensities and the LO–TO splitting: autograd
against finite differences in a field, and rigid-ion NaCl against Lyddane–Sachs–Teller."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from ennp_lab import ENNPCalculator
from ennp_lab.data.ionic import NACL_A0, nacl_reference
from ennp_lab.properties.dielectric import (BornCharges, compute_born_charges, compute_dielectric_tensor,
                                            compute_ir_spectrum, compute_lo_to_frequencies)
from ennp_lab.properties.hessian import compute_hessian
from ennp_lab.properties.modes import compute_normal_modes
from ennp_lab.properties.phonons import compute_force_constants
from ennp_lab.testing import tiny_model
from ennp_lab.units import COULOMB_EV_A, OMEGA_TO_THZ


def _crystal():
    atoms = bulk("NaCl", "rocksalt", a=5.64).repeat((2, 1, 1))
    atoms.rattle(0.05, seed=1)
    return atoms


@pytest.fixture(scope="module")
def model():
    return tiny_model(["Na", "Cl"], seed=3, electric_field=True)


def test_born_charges_and_epsilon_by_autograd_equal_finite_differences(model):
    atoms = _crystal()
    exact = compute_born_charges(atoms, ENNPCalculator(model, device="cpu"))
    numeric = compute_born_charges(atoms, ENNPCalculator(model, device="cpu"), method="finite-difference", field_step=1e-4)
    scale = np.abs(exact.charges).max()
    assert scale > 1e-3 and np.abs(exact.charges - numeric.charges).max() <= 1e-6 * scale
    fixed = exact.with_sum_rule()
    assert fixed.sum_rule_violation <= 1e-12 < exact.sum_rule_violation + 1e-12
    eps = compute_dielectric_tensor(atoms, ENNPCalculator(model, device="cpu"))
    eps_fd = compute_dielectric_tensor(atoms, ENNPCalculator(model, device="cpu"), method="finite-difference",
                                       field_step=1e-4)
    np.testing.assert_allclose(eps, eps.T, atol=1e-14)
    assert np.abs(eps - np.eye(3)).max() > 1e-8  # the model does polarise
    np.testing.assert_allclose(eps, eps_fd, rtol=0, atol=1e-6 * np.abs(eps - np.eye(3)).max())


def _rigid_ions():
    primitive = bulk("NaCl", "rocksalt", a=NACL_A0)
    primitive.set_initial_charges([1.0, -1.0])
    masses = primitive.get_masses()
    return primitive, masses.prod() / masses.sum(), BornCharges(np.array([np.eye(3), -np.eye(3)]))


def test_lo_to_splitting_of_rigid_ion_nacl_obeys_lyddane_sachs_teller():
    """Rigid ions: Z* = ±1, ε∞ = 1, so ω_LO² − ω_TO² = 4πk Z²/(Ω μ ε∞) exactly."""
    primitive, mu, born = _rigid_ions()
    fc = compute_force_constants(primitive, nacl_reference(), supercell=2, primitive_matrix="P")
    for direction in ((1, 0, 0), (1, 1, 1)):
        to, lo = compute_lo_to_frequencies(fc, born, np.eye(3), direction)
        assert np.abs(to[:3]).max() < 1e-4 and np.abs(lo[:3]).max() < 1e-4  # acoustic
        np.testing.assert_allclose(to[3:], to[3], rtol=1e-8)  # a triply degenerate TO at Γ without the correction
        np.testing.assert_allclose(lo[3:5], to[3], rtol=1e-8)  # two transverse ones stay
        omega_to = to[3] / OMEGA_TO_THZ
        expected = np.sqrt(omega_to**2 + 4 * np.pi * COULOMB_EV_A / (primitive.get_volume() * mu)) * OMEGA_TO_THZ
        assert lo[5] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="non-zero 3-vector"):
        compute_lo_to_frequencies(fc, born, np.eye(3), (0, 0, 0))


def test_ir_intensities_of_rigid_ion_nacl_and_the_sum_rule():
    primitive, mu, born = _rigid_ions()
    modes = compute_normal_modes(primitive, hessian=compute_hessian(primitive, nacl_reference()))
    spectrum = compute_ir_spectrum(modes, born)
    assert len(spectrum.intensities) == 3  # the three translations removed: the T1u triplet
    np.testing.assert_allclose(spectrum.intensities, 1 / mu, rtol=1e-6)  # |Z_m|² = Z²/μ
    # sum rule: Σ_m |Z_m|² = Σ_κ |Z*_κ|²/m_κ when Σ_κ Z*_κ = 0
    total = sum(np.sum(z**2) / m for z, m in zip(born.charges, primitive.get_masses()))
    assert spectrum.intensities.sum() == pytest.approx(total, rel=1e-6)
    with pytest.raises(ValueError, match="do not match modes"):
        compute_ir_spectrum(modes, BornCharges(np.zeros((3, 3, 3))))


def test_field_responses_need_a_field_input_and_a_periodic_cell(model):
    atoms = _crystal()
    with pytest.raises(ValueError, match="takes an electric field"):
        compute_born_charges(atoms, ENNPCalculator(tiny_model(["Na", "Cl"]), device="cpu"))
    with pytest.raises(ValueError, match="takes an electric field"):
        compute_born_charges(atoms, nacl_reference())
    molecule = atoms.copy()
    molecule.pbc = False
    with pytest.raises(ValueError, match="periodic in all three"):
        compute_dielectric_tensor(molecule, ENNPCalculator(model, device="cpu"))
    with pytest.raises(ValueError, match="field_step"):
        compute_born_charges(atoms, ENNPCalculator(model, device="cpu"), method="finite-difference", field_step=0)


def test_the_callers_field_setting_is_kept(model):
    calc = ENNPCalculator(model, device="cpu", electric_field=[0.0, 0.0, 0.05])
    compute_born_charges(_crystal(), calc, method="finite-difference")
    compute_dielectric_tensor(_crystal(), calc)
    np.testing.assert_array_equal(calc.parameters["electric_field"], [0.0, 0.0, 0.05])
