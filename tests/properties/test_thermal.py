"""Anharmonic force constants and κ through phono3py: autograd Φ₃ = finite differences,
its symmetries, the symmetry-reduced route = all rows, phono3py accepting it (κ equal to the
displacement route's), the pipeline = phono3py run directly, Grüneisen = d ln ω / d ln V."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator
from ennp_lab.data.silicon import diamond_silicon, stillinger_weber, sw_lattice_constant
from ennp_lab.models import build_ennp
from ennp_lab.properties.phonons import compute_force_constants, compute_frequencies
from ennp_lab.properties.thermal import (compute_gruneisen, compute_thermal_conductivity,
                                         compute_third_order_force_constants, kappa_mesh_convergence)


@pytest.fixture(scope="module")
def tiny():
    model = build_ennp(["Si"], r_max=3.0, l_max=1, channels=4, layers=2, seed=3, dtype="float64")
    return ENNPCalculator(model)


@pytest.fixture(scope="module")
def sw():
    return stillinger_weber()


def _forces(atoms, calc, positions):
    probe = atoms.copy()
    probe.positions = positions
    probe.calc = calc
    return probe.get_forces()


def test_autograd_third_derivatives_equal_finite_differences_of_forces(tiny):
    atoms = diamond_silicon(1)
    atoms.rattle(0.05, seed=1)  # no symmetry left to hide an error
    rows = tiny.get_third_order(atoms, indices=[0, 5])  # (2, 3, N, 3, N, 3)
    x0 = atoms.get_positions()
    scale = np.abs(rows).max()
    for r, i, a, j, b in [(0, 0, 0, 1, 2), (0, 0, 2, 0, 2), (1, 5, 1, 3, 0), (1, 5, 0, 5, 1)]:
        def mixed(h):
            def shifted(si, sj):
                x = x0.copy()
                x[i, a] += si * h
                x[j, b] += sj * h
                return _forces(atoms, tiny, x)
            # Φ_{ia,jb,kc} = −∂²F_kc/∂x_ia∂x_jb by the mixed central difference, error O(h²)
            return -(shifted(1, 1) - shifted(1, -1) - shifted(-1, 1) + shifted(-1, -1)) / (4 * h * h)
        fd = (4 * mixed(5e-4) - mixed(1e-3)) / 3  # Richardson: error O(h⁴)
        np.testing.assert_allclose(rows[r, a, j, b], fd, rtol=0, atol=1e-6 * scale)


def test_third_derivatives_are_symmetric_and_obey_the_translational_sum_rule(tiny):
    atoms = diamond_silicon(1, cubic=False)
    atoms.rattle(0.05, seed=2)
    phi = tiny.get_third_order(atoms)  # all rows: (N, 3, N, 3, N, 3)
    flat = phi.reshape(6, 6, 6)
    scale = np.abs(flat).max()
    assert scale > 0.1
    for axes in [(1, 0, 2), (0, 2, 1), (2, 1, 0), (1, 2, 0)]:
        assert np.abs(flat - flat.transpose(axes)).max() < 1e-12 * scale
    # a rigid translation of all atoms costs nothing: Σ_k Φ_{ia,jb,kc} = 0 (periodic cell)
    assert np.abs(phi.sum(axis=4)).max() < 1e-12 * scale


def test_symmetry_reduced_autograd_equals_all_rows(tiny):
    # only one of the two primitive atoms, only the irreducible second atoms of its site
    # symmetry: the rotations and phono3py's distribution must give every row exactly
    cell = diamond_silicon(1)
    fc = compute_third_order_force_constants(cell, tiny, supercell=1, method="autograd", symmetrize=False)
    assert fc.method == "autograd" and fc.evaluations < 8
    supercell = fc.phono3py().supercell
    from ennp_lab.structures.convert import phonopy_to_atoms
    p2s = fc.phono3py().primitive.p2s_map
    full = tiny.get_third_order(phonopy_to_atoms(supercell), indices=p2s).transpose(0, 2, 4, 1, 3, 5)
    assert np.abs(full).max() > 0.1
    np.testing.assert_allclose(fc.fc3, full, rtol=0, atol=1e-10)


def test_autograd_and_displacement_force_constants_agree_and_symmetrise(tiny):
    cell = diamond_silicon(1)
    exact = compute_third_order_force_constants(cell, tiny, supercell=1, method="autograd")
    numeric = compute_third_order_force_constants(cell, tiny, supercell=1, method="displacement", displacement=0.005)
    assert numeric.method == "displacement" and numeric.evaluations > exact.evaluations
    scale = np.abs(exact.fc3).max()
    # phono3py's ± displacement pairs: error O(δ²)
    assert np.abs(exact.fc3 - numeric.fc3).max() < 1e-3 * scale
    assert np.abs(exact.fc3.sum(axis=2)).max() < 1e-10 * scale
    np.testing.assert_allclose(exact.fc2, numeric.fc2, atol=2e-3 * np.abs(exact.fc2).max())


def _direct_phono3py_kappa(calc, supercell, mesh, temperature):
    """phono3py driven by hand on the reference calculator, nothing from ennp_lab."""
    from ase import Atoms
    from ase.build import bulk
    from phono3py import Phono3py
    from phonopy.structure.atoms import PhonopyAtoms

    si = bulk("Si", "diamond", a=sw_lattice_constant(), cubic=True)
    unit = PhonopyAtoms(symbols=si.get_chemical_symbols(), cell=si.cell[:], scaled_positions=si.get_scaled_positions())
    fcc = [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    ph3 = Phono3py(unit, supercell_matrix=np.eye(3, dtype=int) * supercell, primitive_matrix=fcc, log_level=0)
    ph3.generate_displacements(distance=0.03)
    forces = []
    for sc in ph3.supercells_with_displacements:
        atoms = Atoms(sc.symbols, cell=sc.cell, scaled_positions=sc.scaled_positions, pbc=True)
        atoms.calc = calc
        forces.append(atoms.get_forces())
    ph3.forces = np.array(forces)
    ph3.produce_fc3()
    ph3.symmetrize_fc3()
    ph3.symmetrize_fc2()
    ph3.mesh_numbers = [mesh] * 3
    ph3.init_phph_interaction()
    ph3.run_thermal_conductivity(temperatures=[temperature], log_level=0)
    return float(np.mean(ph3.thermal_conductivity.kappa[0, 0, :3]))


@pytest.mark.slow
def test_reference_kappa_through_the_pipeline_equals_phono3py_run_directly(sw):
    fc = compute_third_order_force_constants(diamond_silicon(1), sw, supercell=2)
    assert fc.method == "displacement" and fc.evaluations == 111  # phono3py's Si pairs in 64 atoms
    kappa = compute_thermal_conductivity(fc, mesh=11, temperatures=(300.0,)).at(300.0)
    direct = _direct_phono3py_kappa(sw, 2, 11, 300.0)
    assert 300 < direct < 1000  # Stillinger–Weber's κ of Si is several hundred W/(m K)
    assert kappa == pytest.approx(direct, rel=0.01)


def test_kappa_result_is_consistent(sw):
    fc = compute_third_order_force_constants(diamond_silicon(1), sw, supercell=1)
    rta = compute_thermal_conductivity(fc, mesh=7, temperatures=(300.0, 600.0))
    assert rta.kappa_wmk.shape == (2, 6) and rta.weights.sum() == 7**3
    np.testing.assert_allclose(rta.kappa_wmk[:, :3], rta.kappa_wmk[:, :1].repeat(3, axis=1), rtol=1e-8)  # cubic
    assert np.abs(rta.kappa_wmk[:, 3:]).max() < 1e-8 * rta.kappa_wmk[0, 0]
    # three-phonon scattering grows with T: κ falls roughly as 1/T
    assert 1.6 < rta.at(300.0) / rta.at(600.0) < 2.4
    assert rta.by_branch(300.0).sum() == pytest.approx(rta.at(300.0), rel=1e-10)
    assert rta.by_branch(300.0)[:3].sum() > 0.8 * rta.at(300.0)  # acoustic phonons carry the heat
    frequencies, cumulative = rta.cumulative(300.0)
    assert np.all(np.diff(frequencies) >= 0) and cumulative[-1] == pytest.approx(rta.at(300.0), rel=1e-10)
    finite = np.isfinite(rta.lifetimes_ps)
    np.testing.assert_allclose(rta.lifetimes_ps[finite] * rta.linewidths_thz[finite] * 2 * np.pi, 1.0)
    # the direct solution of the linearised BTE lies above the RTA (normal processes do not relax κ)
    lbte = compute_thermal_conductivity(fc, mesh=7, temperatures=(300.0,), method="LBTE")
    assert lbte.method == "LBTE" and 1.0 < lbte.at(300.0) / rta.at(300.0) < 1.3
    meshes = kappa_mesh_convergence(fc, [5, 7])
    assert meshes[7] == pytest.approx(rta.at(300.0), rel=1e-10) and meshes[5] != meshes[7]


def test_gruneisen_from_third_order_equals_volume_derivative_of_frequencies(sw):
    q = np.array([[0.5, 0.5, 0.5], [0.5, 0.0, 0.5], [0.25, 0.0, 0.25]])
    fc = compute_third_order_force_constants(diamond_silicon(1), sw, supercell=2, displacement=0.01)
    gruneisen = compute_gruneisen(fc, q)
    a0, h = sw_lattice_constant(), 0.002
    w = [compute_frequencies(compute_force_constants(diamond_silicon(1, a=a0 * s), sw, supercell=2,
                                                     method="displacement", displacement=0.01), q)
         for s in (1 + h, 1 - h)]
    # γ = −d ln ω / d ln V with V ∝ a³ (diamond: no internal relaxation under hydrostatic strain)
    oracle = -(np.log(w[0]) - np.log(w[1])) / (3 * 2 * h)
    np.testing.assert_allclose(gruneisen.gamma, oracle, atol=5e-4)
    assert gruneisen.tensor.shape == (3, 6, 3, 3)
    assert gruneisen.gamma[0, :2].max() < 0  # the TA modes at L soften under compression (γ < 0)


def test_bad_input_is_rejected(sw, tiny):
    molecule = diamond_silicon(1)
    molecule.pbc = False
    with pytest.raises(ValueError, match="periodic"):
        compute_third_order_force_constants(molecule, sw)
    with pytest.raises(ValueError, match="cannot differentiate"):
        compute_third_order_force_constants(diamond_silicon(1), EMT(), method="autograd")
    with pytest.raises(ValueError, match="method"):
        compute_third_order_force_constants(diamond_silicon(1), sw, method="finite")
    with pytest.raises(ValueError, match="displacement must be positive"):
        compute_third_order_force_constants(diamond_silicon(1), sw, supercell=1, displacement=0.0)
    fc = compute_third_order_force_constants(diamond_silicon(1), sw, supercell=1)
    with pytest.raises(ValueError, match="temperatures"):
        compute_thermal_conductivity(fc, mesh=3, temperatures=(-5.0,))
    with pytest.raises(ValueError, match="'RTA' or 'LBTE'"):
        compute_thermal_conductivity(fc, mesh=3, method="GK")
    with pytest.raises(ValueError, match="300"):
        compute_thermal_conductivity(fc, mesh=3, temperatures=(300.0,)).at(400.0)
    with pytest.raises(ValueError, match="qpoints"):
        compute_gruneisen(fc, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="third derivatives asked"):
        tiny.get_third_order(diamond_silicon(1), indices=[9])


@pytest.fixture(scope="module")
def shipped():
    from ennp_lab.pretrained import load_pretrained

    return ENNPCalculator(load_pretrained("si-sw"))


@pytest.mark.slow
def test_shipped_silicon_kappa_within_15_percent_of_stillinger_weber(shipped, sw):
    cell = diamond_silicon(1)
    model = compute_thermal_conductivity(compute_third_order_force_constants(cell, shipped, supercell=2), mesh=11)
    reference = compute_thermal_conductivity(compute_third_order_force_constants(cell, sw, supercell=2), mesh=11)
    assert model.at(300.0) == pytest.approx(reference.at(300.0), rel=0.15)
    # and for the right reason: the acoustic branches, which carry the heat, within 15 % together
    np.testing.assert_allclose(model.by_branch(300.0)[:3].sum(), reference.by_branch(300.0)[:3].sum(), rtol=0.15)


@pytest.mark.slow
def test_phono3py_takes_the_exact_third_derivatives_kappa_equals_displacements(shipped):
    cell = diamond_silicon(1)
    exact = compute_third_order_force_constants(cell, shipped, supercell=2, method="autograd")
    numeric = compute_third_order_force_constants(cell, shipped, supercell=2, method="displacement", displacement=0.01)
    assert exact.evaluations == 10 and numeric.evaluations == 111  # irreducible pairs vs phono3py's displacements
    k_exact = compute_thermal_conductivity(exact, mesh=11).at(300.0)
    k_numeric = compute_thermal_conductivity(numeric, mesh=11).at(300.0)
    assert k_exact == pytest.approx(k_numeric, rel=0.01)


@pytest.mark.slow
def test_copper_second_case_shipped_cu_emt_against_emt():
    from ase.build import bulk

    from ennp_lab.pretrained import load_pretrained

    cu = bulk("Cu", "fcc", a=3.5898, cubic=True)  # EMT's lattice constant (REFERENCES.md)
    model = ENNPCalculator(load_pretrained("cu-emt"))
    reference = compute_thermal_conductivity(compute_third_order_force_constants(cu, EMT(), supercell=2), mesh=11)
    exact = compute_third_order_force_constants(cu, model, supercell=2, method="autograd")
    numeric = compute_third_order_force_constants(cu, model, supercell=2, method="displacement", displacement=0.01)
    assert exact.evaluations < numeric.evaluations
    k_exact = compute_thermal_conductivity(exact, mesh=11).at(300.0)
    assert k_exact == pytest.approx(compute_thermal_conductivity(numeric, mesh=11).at(300.0), rel=0.01)
    assert 5 < reference.at(300.0) < 30  # EMT's phonon κ of Cu: ~13 W/(m K), a soft, strongly anharmonic metal
    assert k_exact == pytest.approx(reference.at(300.0), rel=0.15)
