"""Two-nucleon operators (spectra, rotations, partial waves), one-pion exchange against the
REFERENCES.md table, and Reid's soft core binding the deuteron as published."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ennp_lab.nuclear.deuteron import solve_deuteron, triplet_channel_elements
from ennp_lab.nuclear.references import REID_DEUTERON, opep_radial, reid_triplet_radial
from ennp_lab.nuclear.spin import (
    pair_rotation,
    partial_wave_element,
    sigma1,
    sigma2,
    spin_rotation,
    spin_spin,
    tensor_operator,
)


def test_spectra_hermiticity_and_direction_average():
    np.testing.assert_allclose(np.linalg.eigvalsh(spin_spin()), [-3, 1, 1, 1], atol=1e-12)
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(2000, 3))
    for r in directions[:5]:
        s12 = tensor_operator(r * 3.7)
        np.testing.assert_allclose(s12, s12.conj().T, atol=1e-14)
        np.testing.assert_allclose(np.linalg.eigvalsh(s12), [-4, 0, 2, 2], atol=1e-12)
        assert np.trace(s12).real == pytest.approx(0.0, abs=1e-12)
    mean = np.mean([tensor_operator(r) for r in directions], axis=0)
    assert np.abs(mean).max() < 0.15  # Monte Carlo average → 0 (≈ 1/√2000 scatter)
    nodes = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
    np.testing.assert_allclose(np.mean([tensor_operator(n) for n in nodes], axis=0), 0.0, atol=1e-14)  # exactly, on an octahedron


def test_rotating_r_with_both_spins_rotates_every_operator():
    rng = np.random.default_rng(1)
    for _ in range(5):
        rotation = Rotation.random(random_state=rng).as_matrix()
        u = pair_rotation(rotation)
        np.testing.assert_allclose(u @ u.conj().T, np.eye(4), atol=1e-13)
        r = rng.normal(size=3)
        np.testing.assert_allclose(u @ tensor_operator(r) @ u.conj().T, tensor_operator(rotation @ r), atol=1e-12)
        np.testing.assert_allclose(u @ spin_spin() @ u.conj().T, spin_spin(), atol=1e-12)
        d = spin_rotation(rotation)  # D σ_a D† = Σ_b R_ba σ_b: the spin turns as a vector
        for s in (sigma1(), sigma2()):
            turned = np.einsum("ij,ajk,lk->ail", u, s, u.conj())
            np.testing.assert_allclose(turned, np.einsum("ba,bij->aij", rotation, s), atol=1e-12)
        assert d.shape == (2, 2)
    with pytest.raises(ValueError, match="proper rotation"):
        spin_rotation(-np.eye(3))


def test_partial_wave_elements_of_the_tensor_operator():
    s, d = (0, 1, 1), (2, 1, 1)
    assert partial_wave_element(tensor_operator, s, d).real == pytest.approx(np.sqrt(8.0), abs=1e-10)
    assert partial_wave_element(tensor_operator, d, d).real == pytest.approx(-2.0, abs=1e-10)
    assert partial_wave_element(tensor_operator, s, s).real == pytest.approx(0.0, abs=1e-10)
    assert partial_wave_element(tensor_operator, (0, 0, 0), (0, 0, 0)).real == pytest.approx(0.0, abs=1e-10)  # ¹S₀
    assert partial_wave_element(tensor_operator, (1, 1, 1), (1, 1, 1)).real == pytest.approx(2.0, abs=1e-10)  # ³P₁
    assert partial_wave_element(lambda n: spin_spin(), s, s).real == pytest.approx(1.0, abs=1e-10)  # triplet
    for M in (-1, 0, 1):  # independent of M
        assert partial_wave_element(tensor_operator, s, d, M).real == pytest.approx(np.sqrt(8.0), abs=1e-10)
    with pytest.raises(ValueError, match="no partial wave"):
        partial_wave_element(tensor_operator, (0, 1, 2), s)


def test_one_pion_exchange_reproduces_the_reference_table():
    table = {1.0: ("2.451", "27.99"), 1.5: ("1.152", "7.582"), 2.0: ("0.609", "2.847"), 3.0: ("0.202", "0.627")}  # REFERENCES.md
    for r, printed in table.items():
        for value, entry in zip(opep_radial(r), printed):
            half_digit = 0.5 * 10.0 ** -len(entry.split(".")[1])  # as precise as the table is printed
            assert float(value) == pytest.approx(float(entry), abs=half_digit + 1e-12), (r, entry)
    bare, soft = opep_radial(np.array([0.3, 5.0])), opep_radial(np.array([0.3, 5.0]), regularised=True)
    assert soft[1][0] < 0.2 * bare[1][0] and soft[1][1] == pytest.approx(bare[1][1], rel=1e-10)  # cut inside, not outside
    with pytest.raises(ValueError, match="r > 0"):
        opep_radial(0.0)


def test_reid_soft_core_binds_the_deuteron_as_published_and_not_without_its_tensor_force():
    deuteron = solve_deuteron(reid_triplet_radial)
    assert deuteron.binding_energy == pytest.approx(REID_DEUTERON["binding_energy"], rel=5e-3)  # measured 2.2240
    assert deuteron.d_state_probability == pytest.approx(REID_DEUTERON["d_state_probability"], abs=5e-4)  # 6.469 %
    assert deuteron.quadrupole_moment == pytest.approx(REID_DEUTERON["quadrupole_moment"], abs=2e-3)  # 0.2796 fm²
    assert deuteron.asymptotic_ds_ratio == pytest.approx(0.0262, abs=5e-4)
    assert deuteron.rms_radius == pytest.approx(1.957, abs=0.01)
    assert np.trapezoid(deuteron.u**2 + deuteron.w**2, deuteron.r) == pytest.approx(1.0)
    no_tensor = triplet_channel_elements()
    no_tensor["S12"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="no bound state"):  # the tensor force binds the deuteron
        solve_deuteron(reid_triplet_radial, elements=no_tensor)
    with pytest.raises(ValueError, match="grid spacing"):
        solve_deuteron(reid_triplet_radial, h=0.5)


def test_the_deuteron_density_is_a_dumbbell_or_a_torus_and_carries_the_quadrupole_moment():
    from ennp_lab.nuclear.spin import _sphere

    deuteron = solve_deuteron(reid_triplet_radial)
    along_z, in_plane = np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]])
    for M in (-1, 0, 1):
        # ∫ρ d³r = 1 by radial × angular quadrature
        nodes, weights, _, _ = _sphere()
        radii = deuteron.r[::4]
        shells = [weights @ deuteron.density(nodes * r, M) for r in radii]
        assert np.trapezoid(np.array(shells) * radii**2, radii) == pytest.approx(1.0, abs=2e-3)
    r0 = 0.8  # fm, inside the core region where the D-state shapes the density
    # Forest et al., PRC 54, 646 (1996): a torus for M = 0, a dumbbell along z for M = ±1
    assert deuteron.density(in_plane * r0, 0)[0] > 1.5 * deuteron.density(along_z * r0, 0)[0]
    assert deuteron.density(along_z * r0, 1)[0] > 1.2 * deuteron.density(in_plane * r0, 1)[0]
    np.testing.assert_allclose(deuteron.density(in_plane * r0, 1), deuteron.density(in_plane * r0, -1))
    # Q = ¼ ∫ ρ_{M=1} (3z² − r²) d³r (the proton at r/2): the same number as from u and w
    nodes, weights, _, _ = _sphere()
    radii = deuteron.r[::2]
    shells = [weights @ (deuteron.density(nodes * r, 1) * r**2 * (3 * nodes[:, 2] ** 2 - 1)) for r in radii]
    q = 0.25 * np.trapezoid(np.array(shells) * radii**2, radii)
    assert q == pytest.approx(deuteron.quadrupole_moment, rel=5e-3)
    s_only = type(deuteron)(deuteron.binding_energy, deuteron.r, deuteron.u, 0.0 * deuteron.w)
    assert s_only.density(along_z * r0, 0)[0] == pytest.approx(s_only.density(in_plane * r0, 0)[0], rel=1e-10)  # spherical
    with pytest.raises(ValueError, match="M must be"):
        deuteron.density(along_z, 2)


def test_matrix_elements_check_the_dimension_of_the_states():
    from ennp_lab.nuclear.spin import matrix_element, spin_states

    triplet, singlet = spin_states(1), spin_states(0)
    assert matrix_element(spin_spin(), triplet[1], triplet[1]).real == pytest.approx(1.0)
    assert matrix_element(spin_spin(), singlet[0], singlet[0]).real == pytest.approx(-3.0)
    assert matrix_element(tensor_operator([0, 0, 1]), singlet[0], singlet[0]) == pytest.approx(0.0)  # no tensor force in S = 0
    with pytest.raises(ValueError, match="dimension 4"):
        matrix_element(spin_spin(), np.ones(3), triplet[0])
    with pytest.raises(ValueError, match="4 × 4"):
        matrix_element(np.eye(3), np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="S = 0 or 1"):
        spin_states(2)
