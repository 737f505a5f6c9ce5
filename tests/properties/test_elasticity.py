"""The elasticity tensor: EMT references, autograd = finite differences, rotations, averages."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS
from scipy.spatial.transform import Rotation

from ennp_lab import ENNPCalculator
from ennp_lab.properties.elasticity import (
    ElasticTensor,
    compute_directional_cut,
    compute_elastic_tensor,
    compute_directional_surface,
    directional_values,
    full_to_voigt,
    voigt_to_full,
)
from ennp_lab.units import EV_PER_A3_TO_GPA as GPA

A0 = 3.5898


@pytest.fixture(scope="module")
def emt_c():
    return compute_elastic_tensor(bulk("Cu", "fcc", a=A0, cubic=True), EMT())


def _cubic_images(n: np.ndarray) -> np.ndarray:
    """The 48 images of n under the cubic point group Oh (permutations and sign flips)."""
    from itertools import permutations, product

    return np.array([np.array(s) * n[list(p)] for p in permutations(range(3)) for s in product((1, -1), repeat=3)])


def test_emt_copper_matches_references(emt_c):
    c = emt_c.voigt * GPA
    assert emt_c.method == "finite-difference" and not emt_c.relaxed
    assert c[0, 0] == pytest.approx(172.6, abs=0.5)
    assert c[0, 1] == pytest.approx(115.4, abs=0.5)
    assert c[3, 3] == pytest.approx(89.9, abs=0.5)
    # the cubic pattern: three equal diagonals of each kind, zeros elsewhere
    np.testing.assert_allclose(np.diag(c)[:3], c[0, 0], atol=1e-3)
    np.testing.assert_allclose(np.diag(c)[3:], c[3, 3], atol=1e-3)
    np.testing.assert_allclose([c[0, 2], c[1, 2]], c[0, 1], atol=1e-3)
    zero = np.ones((6, 6), bool)  # everything but the normal block and the shear diagonal
    zero[:3, :3] = False
    zero[[3, 4, 5], [3, 4, 5]] = False
    assert np.abs(c[zero]).max() < 1e-3
    young = emt_c.young(np.array([[1, 0, 0], [1, 1, 0]])) * GPA
    np.testing.assert_allclose(young, [80.07, 153.31], atol=0.5)
    assert emt_c.shear_hill * GPA == pytest.approx(56.88, abs=0.05)
    assert emt_c.young_hill * GPA == pytest.approx(149.55, abs=0.05)
    assert emt_c.poisson_hill == pytest.approx(0.315, abs=1e-3)
    assert emt_c.zener_anisotropy == pytest.approx(3.146, abs=2e-3)
    assert emt_c.born_stable and emt_c.symmetry_deviation < 1e-6


def test_directional_quantities_have_cubic_symmetry(emt_c):
    n = np.random.default_rng(0).normal(size=3)
    for quantity in ("young", "linear_compressibility", "shear", "poisson"):
        lo, hi = directional_values(emt_c, quantity, _cubic_images(n))
        assert np.ptp(lo) < 1e-8 * np.abs(lo).max() + 1e-10 and np.ptp(hi) < 1e-8 * np.abs(hi).max() + 1e-10
    surface = compute_directional_surface(emt_c, "young", n_theta=19, n_phi=37)
    assert surface.minimum.shape == (19, 37)
    # E(n) of copper is largest along ⟨111⟩ and smallest along ⟨100⟩
    e111 = emt_c.young(np.ones(3))
    assert surface.maximum.max() <= e111 * (1 + 1e-9) and surface.minimum.min() >= emt_c.young([1, 0, 0]) * (1 - 1e-9)
    # a cubic crystal's linear compressibility is isotropic: β = 1/(3K)
    beta = emt_c.linear_compressibility(np.random.default_rng(1).normal(size=(5, 3)))
    np.testing.assert_allclose(beta, 1 / (3 * emt_c.bulk_voigt), rtol=1e-8)


def test_shear_and_poisson_extremes_match_brute_force_over_the_perpendicular_circle(emt_c):
    n = np.array([0.3, -0.5, 0.81])
    n /= np.linalg.norm(n)
    u = np.cross(n, [1.0, 0, 0])
    u /= np.linalg.norm(u)
    w = np.cross(n, u)
    psi = np.linspace(0, np.pi, 20001)
    m = np.cos(psi)[:, None] * u + np.sin(psi)[:, None] * w
    for quantity, fn in (("shear", emt_c.shear), ("poisson", emt_c.poisson)):
        sampled = fn(np.broadcast_to(n, m.shape), m)
        lo, hi = directional_values(emt_c, quantity, n)
        assert lo == pytest.approx(sampled.min(), rel=1e-7) and hi == pytest.approx(sampled.max(), rel=1e-7)


def test_isotropic_tensor_gives_isotropic_shear_and_poisson():
    lam, mu = 0.5, 0.3
    c = np.zeros((6, 6))
    c[:3, :3] = lam
    c[np.arange(3), np.arange(3)] = lam + 2 * mu
    c[np.arange(3, 6), np.arange(3, 6)] = mu
    tensor = ElasticTensor(c)
    directions = np.random.default_rng(2).normal(size=(7, 3))
    lo, hi = directional_values(tensor, "shear", directions)
    np.testing.assert_allclose([lo, hi], mu, rtol=1e-10)
    lo, hi = directional_values(tensor, "poisson", directions)
    np.testing.assert_allclose([lo, hi], lam / (2 * (lam + mu)), rtol=1e-10)
    assert tensor.young_hill == pytest.approx(mu * (3 * lam + 2 * mu) / (lam + mu), rel=1e-12)
    assert tensor.bulk_voigt == pytest.approx(tensor.bulk_reuss, rel=1e-12)
    np.testing.assert_allclose(full_to_voigt(voigt_to_full(c)), c)


def test_rotating_the_crystal_rotates_c_as_a_rank_four_tensor(triclinic_alloy, alloy_model):
    calc = ENNPCalculator(alloy_model, device="cpu")
    c = compute_elastic_tensor(triclinic_alloy, calc)
    assert c.method == "autograd"
    rotation = Rotation.random(random_state=3).as_matrix()
    rotated = triclinic_alloy.copy()
    rotated.set_cell(triclinic_alloy.cell.array @ rotation.T, scale_atoms=True)
    c_rot = compute_elastic_tensor(rotated, calc)
    expected = c.rotated(rotation)
    assert np.abs(c_rot.voigt - expected.voigt).max() < 1e-8 * np.abs(c.voigt).max()
    # and a rotation really changes the Voigt matrix of this anisotropic cell
    assert np.abs(c_rot.voigt - c.voigt).max() > 1e-3 * np.abs(c.voigt).max()


def _relaxed(atoms, calc):
    atoms = atoms.copy()
    atoms.calc = calc
    BFGS(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-7, steps=300)
    atoms.calc = None
    return atoms


@pytest.mark.parametrize("structure", ["fcc", "hcp"])
def test_autograd_equals_stress_strain_differences_for_a_relaxed_cell(structure, cu_model):
    calc = ENNPCalculator(cu_model, device="cpu")
    start = bulk("Cu", "fcc", a=3.6, cubic=True) if structure == "fcc" else bulk("Cu", "hcp", a=2.55, c=4.16)
    cell = _relaxed(start, calc)
    for relaxed in (False, True):
        exact = compute_elastic_tensor(cell, calc, relaxed=relaxed)
        numeric = compute_elastic_tensor(cell, calc, relaxed=relaxed, method="finite-difference", fmax=1e-7)
        assert np.abs(exact.voigt - numeric.voigt).max() < 2e-4 * np.abs(exact.voigt).max()
    clamped = compute_elastic_tensor(cell, calc)
    relaxed = compute_elastic_tensor(cell, calc, relaxed=True)
    softening = np.linalg.eigvalsh(clamped.voigt - relaxed.voigt)
    assert softening.min() > -1e-10  # relaxation can only soften
    if structure == "hcp":  # internal degrees of freedom: a real correction
        assert softening.max() > 1e-3 * np.abs(clamped.voigt).max()
    else:  # a Bravais lattice has none
        assert softening.max() < 1e-10


def test_elasticity_bad_input(cu_model):
    slab = bulk("Cu", "fcc", a=A0, cubic=True)
    slab.pbc = (True, True, False)
    with pytest.raises(ValueError, match="periodic"):
        compute_elastic_tensor(slab, EMT())
    with pytest.raises(ValueError, match="EMT cannot differentiate its energy twice; use method=.finite-difference."):
        compute_elastic_tensor(bulk("Cu", "fcc", a=A0), EMT(), method="autograd")
    with pytest.raises(ValueError, match="non-zero"):
        ElasticTensor(np.eye(6)).young([0, 0, 0])
    with pytest.raises(ValueError, match="unknown quantity"):
        directional_values(ElasticTensor(np.eye(6)), "bulk", [1, 0, 0])


def test_zone_cut_of_emt_copper_matches_references(emt_c):
    """REFERENCES.md: E[100] = 80.07 GPa, E[110] = 153.31 GPa; along the (001) zone they
    alternate every 45°, and G and ν come as min ≤ max over the perpendicular direction."""
    cut = compute_directional_cut(emt_c, "young", (0, 0, 1), n_points=9)  # ψ = 0, 45, ..., 360°
    np.testing.assert_allclose(cut.angles, np.arange(0, 361, 45))
    np.testing.assert_allclose(np.abs(cut.directions @ [0, 0, 1]), 0, atol=1e-15)
    e = cut.maximum * GPA
    assert e[0::2] == pytest.approx(np.full(5, 80.07), abs=0.05)
    assert e[1::2] == pytest.approx(np.full(4, 153.31), abs=0.05)
    shear = compute_directional_cut(emt_c, "shear", (1, 1, 1), n_points=37)
    assert np.all(shear.minimum <= shear.maximum + 1e-15) and np.ptp(shear.maximum) > 0
    with pytest.raises(ValueError, match="plane normal"):
        compute_directional_cut(emt_c, "young", (0, 0, 0))
