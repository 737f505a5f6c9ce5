"""The piezoelectric tensor of a field-aware model: autograd (clamped + internal strain)
against finite differences of P under strain with relaxation, the point groups' zero
patterns, and rotation as a rank-3 polar tensor."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from scipy.spatial.transform import Rotation

from ennp_lab import ENNPCalculator
from ennp_lab.properties.piezo import compute_piezoelectric_tensor
from ennp_lab.testing import tiny_model


@pytest.fixture(scope="module")
def calc():
    return ENNPCalculator(tiny_model(["Na", "Cl"], seed=1, electric_field=True), device="cpu")


def _zincblende():
    return bulk("NaCl", "zincblende", a=5.0)  # class 4̄3m: forces vanish by symmetry


def test_autograd_equals_strain_differences_with_relaxation(calc):
    atoms = _zincblende()
    hessian = calc.get_hessian(atoms).reshape(6, 6)
    assert np.linalg.eigvalsh(0.5 * (hessian + hessian.T))[3:].min() > 0.05  # a minimum: relaxation is defined
    exact = compute_piezoelectric_tensor(atoms, calc, relaxed=True)
    for relaxation, tol in (("bfgs", 1e-5), ("internal-strain", 1e-3)):  # the latter: the FD Hessian step
        numeric = compute_piezoelectric_tensor(atoms, calc, relaxed=True, method="finite-difference",
                                               relaxation=relaxation, fmax=1e-9)
        for part in ("clamped", "full"):
            a, b = getattr(exact, part), getattr(numeric, part)
            assert np.abs(a - b).max() <= tol * np.abs(a).max(), (relaxation, part)
    assert np.abs(exact.full - exact.clamped).max() > 0.1 * np.abs(exact.clamped).max()  # relaxation matters


def test_zero_patterns_of_zincblende_and_rock_salt(calc):
    e = compute_piezoelectric_tensor(_zincblende(), calc).voigt
    scale = np.abs(e).max()
    assert scale > 0
    np.testing.assert_allclose([e[0, 3], e[1, 4], e[2, 5]], e[0, 3], rtol=1e-10)  # e14 = e25 = e36
    mask = np.zeros((3, 6), bool)
    mask[0, 3] = mask[1, 4] = mask[2, 5] = True
    assert np.abs(e[~mask]).max() <= 1e-10 * scale
    rocksalt = compute_piezoelectric_tensor(bulk("NaCl", "rocksalt", a=5.64), calc)
    assert np.abs(rocksalt.full).max() <= 1e-10 * scale  # centrosymmetric: no piezoelectricity


def test_the_tensor_rotates_as_a_rank_three_polar_tensor(calc):
    atoms = _zincblende()
    rotation = Rotation.from_euler("zyx", [30, 50, -20], degrees=True).as_matrix()
    turned = atoms.copy()
    turned.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=True)  # rotate the whole crystal
    e = compute_piezoelectric_tensor(atoms, calc)
    e_turned = compute_piezoelectric_tensor(turned, calc)
    expected = e.rotated(rotation)
    assert np.abs(e_turned.full - expected.full).max() <= 1e-10 * np.abs(e.full).max()
    assert np.abs(e_turned.clamped - expected.clamped).max() <= 1e-10 * np.abs(e.clamped).max()


def test_bad_input_is_named(calc):
    molecule = _zincblende()
    molecule.pbc = False
    with pytest.raises(ValueError, match="periodic in all three"):
        compute_piezoelectric_tensor(molecule, calc)
    with pytest.raises(ValueError, match="takes an electric field"):
        compute_piezoelectric_tensor(_zincblende(), ENNPCalculator(tiny_model(["Na", "Cl"]), device="cpu"))
    with pytest.raises(ValueError, match="relaxation must be"):
        compute_piezoelectric_tensor(_zincblende(), calc, relaxation="newton")
    with pytest.raises(ValueError, match="strain_step"):
        compute_piezoelectric_tensor(_zincblende(), calc, method="finite-difference", strain_step=-1)


def test_symmetry_zero_patterns_from_the_point_group():
    from ennp_lab.data.quartz import alpha_quartz
    from ennp_lab.properties.piezo import symmetry_zero_pattern

    def allowed(atoms):
        return {(i + 1, j + 1) for i, j in zip(*np.nonzero(~symmetry_zero_pattern(atoms)))}

    assert allowed(alpha_quartz()) == {(1, 1), (1, 2), (1, 4), (2, 5), (2, 6)}  # class 32
    assert allowed(_zincblende()) == {(1, 4), (2, 5), (3, 6)}  # 4̄3m
    assert allowed(bulk("ZnO", "wurtzite", a=3.25, c=5.2)) == {(1, 5), (2, 4), (3, 1), (3, 2), (3, 3)}  # 6mm
    assert allowed(bulk("NaCl", "rocksalt", a=5.64)) == set()  # centrosymmetric


def test_longitudinal_response_is_the_triple_contraction(calc):
    from ennp_lab.properties.piezo import longitudinal_response

    e = compute_piezoelectric_tensor(_zincblende(), calc)
    n = np.array([1.0, 1.0, 1.0]) / np.sqrt(3)
    # 4̄3m: e_L([111]) = 6 n_x n_y n_z e14 = (2/√3) e14, and zero along a cube axis
    assert longitudinal_response(e, n) == pytest.approx(2 / np.sqrt(3) * e.voigt[0, 3], rel=1e-12)
    assert abs(longitudinal_response(e, np.array([1.0, 0.0, 0.0]))) <= 1e-12 * abs(e.voigt[0, 3])
