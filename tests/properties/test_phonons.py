"""Phonons through phonopy: EMT references, autograd = finite displacements, the chain."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.morse import MorsePotential

from ennp_lab import ENNPCalculator
from ennp_lab.properties.phonons import (
    compute_chain_dispersion,
    compute_band_structure,
    compute_dos,
    compute_force_constants,
    compute_frequencies,
    compute_thermal_properties,
    build_mode_frames,
    compute_transverse_splitting,
)
from ennp_lab.structures.build import build_chain

A0 = 3.5898  # EMT Cu lattice constant, REFERENCES.md
# fractional coordinates in the reciprocal basis of ASE's FCC primitive cell
X, L, W = [0.5, 0.0, 0.5], [0.5, 0.5, 0.5], [0.5, 0.25, 0.75]


@pytest.fixture(scope="module")
def emt_fc():
    return compute_force_constants(bulk("Cu", "fcc", a=A0), EMT(), supercell=4)


def test_emt_copper_phonons_match_references(emt_fc):
    assert emt_fc.method == "displacement"
    nu = compute_frequencies(emt_fc, [X, L, W])
    np.testing.assert_allclose(nu[0], [5.530, 5.530, 8.141], atol=0.005)
    np.testing.assert_allclose(nu[1], [3.549, 3.549, 8.067], atol=0.005)
    np.testing.assert_allclose(nu[2], [5.404, 6.992, 6.992], atol=0.005)


def test_conventional_cell_gives_the_same_phonons(emt_fc):
    # phonopy finds the primitive cell of the 4-atom cube; X and L are commensurate
    # with a 2×2×2 conventional supercell, so they are exact there too.
    fc = compute_force_constants(bulk("Cu", "fcc", a=A0, cubic=True), EMT(), supercell=2)
    assert len(fc.primitive) == 1
    np.testing.assert_allclose(compute_frequencies(fc, [X, L]), compute_frequencies(emt_fc, [X, L]), atol=1e-3)


def test_q_point_x_is_the_conventional_zone_boundary(emt_fc):
    # X = (1, 0, 0) 2π/a in Cartesian coordinates, as REFERENCES.md states it
    reciprocal = emt_fc.primitive.cell.reciprocal()  # rows b_i / 2π
    cartesian = np.array(X) @ reciprocal * A0
    assert sorted(np.abs(cartesian)) == pytest.approx([0, 0, 1])


def test_transverse_branches_degenerate_along_gamma_x_and_gamma_l_split_along_gamma_k(emt_fc):
    bands = compute_band_structure(emt_fc, npoints=21)
    splitting = compute_transverse_splitting(bands)
    assert splitting["Γ–X"] < 1e-6 and splitting["Γ–L"] < 1e-6
    assert splitting["K–Γ"] > 0.5
    positions, labels = bands.ticks
    assert labels == ["Γ", "X", "W", "K", "Γ", "L", "U", "W", "L", "K|U", "X"]
    assert np.all(np.diff(positions) >= 0) and bands.frequencies_thz.shape == (10 * 21, 3)
    np.testing.assert_allclose(bands.frequencies_thz[bands.segment("X", "Γ")][-1], [5.530, 5.530, 8.141], atol=0.005)


def test_dos_and_thermal_properties(emt_fc):
    dos = compute_dos(emt_fc, mesh=16)
    assert np.trapezoid(dos.dos, dos.frequencies_thz) == pytest.approx(3.0, rel=2e-3)
    assert dos.frequencies_thz[dos.dos > 1e-3].max() == pytest.approx(8.128, abs=0.1)
    from ase import units

    tp = compute_thermal_properties(emt_fc, [10, 300, 2000], mesh=12)
    # Dulong–Petit at high temperature, T³ freeze-out at low temperature
    assert tp.heat_capacity[2] == pytest.approx(3 * units.kB, rel=5e-3)
    assert tp.heat_capacity[0] < 0.05 * 3 * units.kB
    assert tp.free_energy[2] < 0 < tp.entropy[1]


@pytest.mark.parametrize("structure", ["primitive", "alloy"])
def test_autograd_and_finite_displacement_force_constants_agree(structure, cu_model, alloy_model):
    if structure == "primitive":
        atoms, model = bulk("Cu", "fcc", a=3.6), cu_model
    else:
        atoms, model = bulk("Cu", "fcc", a=3.7, cubic=True), alloy_model
        atoms.symbols[0] = "Au"
    calc = ENNPCalculator(model, device="cpu")
    exact = compute_force_constants(atoms, calc, supercell=3 if structure == "primitive" else 2)
    assert exact.method == "autograd"
    displaced = compute_force_constants(
        atoms, calc, supercell=3 if structure == "primitive" else 2, method="displacement", displacement=0.005
    )
    q = [X, L, W, [0.1, 0.2, 0.3]] if structure == "primitive" else [[0, 0, 0.5], [0.5, 0.5, 0.5], [0.1, 0.2, 0.3]]
    nu_exact, nu_displaced = compute_frequencies(exact, q), compute_frequencies(displaced, q)
    assert np.abs(nu_exact).max() > 0.1
    assert np.abs(nu_exact - nu_displaced).max() < 1e-3


def test_monatomic_chain_matches_analytic_dispersion():
    a, eps, rho0 = 2.5, 0.5, 4.0
    chain = build_chain("Cu", spacing=a, vacuum=12.0)
    # nearest neighbours only: the cutoff switch (in units of r0) lies between a and 2a
    calc = MorsePotential(epsilon=eps, rho0=rho0, r0=a, rcut1=1.4, rcut2=1.8)
    fc = compute_force_constants(chain, calc, supercell=(8, 1, 1), primitive_matrix="P", displacement=0.002)
    bands = compute_band_structure(fc, path=[("Γ", (0, 0, 0)), ("X", (0.5, 0, 0))], npoints=26)
    spring = 2 * eps * rho0**2 / a**2  # Morse curvature at r0
    expected = compute_chain_dispersion(bands.qpoints[:, 0], spring, chain.get_masses()[0], a)
    longitudinal = bands.frequencies_thz[:, -1]
    np.testing.assert_allclose(longitudinal, expected, rtol=1e-4, atol=1e-3)
    assert expected[-1] == pytest.approx(2 * np.sqrt(spring / chain.get_masses()[0]) * 15.633302, rel=1e-4)


def test_mode_frames_move_atoms_half_a_wavelength_apart_oppositely(emt_fc):
    bands = compute_band_structure(emt_fc, path=[("Γ", (0, 0, 0)), ("X", X)], npoints=3, eigenvectors=True)
    frames, displacements = build_mode_frames(bands, q_index=2, branch=2, repeat=(2, 2, 2), amplitude=0.2, n_frames=8)
    assert len(frames) == 8 and np.abs(displacements).max() <= 0.2 + 1e-12
    u = displacements[0]
    # LA at X: q·R = 1/2 between neighbouring primitive cells along a1 + a3 ... any cell with
    # odd q·R moves opposite to atom 0
    cell = bands.primitive.cell.array
    for index in range(1, len(u)):
        shift = np.linalg.solve(cell.T, frames[0].positions[index] - u[index] - frames[0].positions[0] + u[0])
        sign = np.cos(2 * np.pi * np.dot(X, shift))
        np.testing.assert_allclose(u[index], sign * u[0], atol=1e-10)
    # half a period later every displacement is reversed
    np.testing.assert_allclose(displacements[4], -displacements[0], atol=1e-12)
    # longitudinal: along q
    q_cart = np.array(X) @ bands.primitive.cell.reciprocal()
    assert abs(np.dot(u[0], q_cart)) == pytest.approx(np.linalg.norm(u[0]) * np.linalg.norm(q_cart), rel=1e-8)


def test_phonon_bad_input(emt_fc):
    molecule_like = bulk("Cu", "fcc", a=A0)
    molecule_like.pbc = False
    with pytest.raises(ValueError, match="periodic"):
        compute_force_constants(molecule_like, EMT())
    with pytest.raises(ValueError, match="supercell\\[1\\] must be >= 1, got 0"):
        compute_force_constants(bulk("Cu", "fcc", a=A0), EMT(), supercell=(1, 0, 1))
    with pytest.raises(ValueError, match="EMT cannot differentiate its energy twice; use method=.displacement."):
        compute_force_constants(bulk("Cu", "fcc", a=A0), EMT(), method="autograd")
    with pytest.raises(ValueError, match="unknown special point"):
        compute_band_structure(emt_fc, path="GQX")
    with pytest.raises(ValueError, match="no eigenvectors"):
        build_mode_frames(compute_band_structure(emt_fc, path="GX", npoints=3), 0, 0)


@pytest.mark.parametrize(
    "structure, path, branches",
    [("bcc", "GHNGPH,PN", 3), ("hcp", "GMKGALHA,LM,KH", 6)],
)
def test_standard_paths_for_bcc_and_hcp(structure, path, branches):
    # EMT copper in other lattices: not stable, but the path machinery is what is tested
    atoms = bulk("Cu", structure, a=2.87) if structure == "bcc" else bulk("Cu", "hcp", a=2.55, c=4.16)
    fc = compute_force_constants(atoms, EMT(), supercell=2)
    bands = compute_band_structure(fc, npoints=3)
    assert bands.frequencies_thz.shape[1] == branches
    # ASE's standard path of the lattice phonopy found, special point by special point
    parts = [p.replace("G", "Γ") for p in path.split(",")]
    pairs = [(p[k], p[k + 1]) for p in parts for k in range(len(p) - 1)]
    assert [(a, b) for a, b, *_ in bands.segments] == pairs
