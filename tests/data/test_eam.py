"""The analytic Mishin 2001 Cu EAM against the paper's published properties (Table III),
finite differences, and EMT (whose stacking fault is unphysical)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress
from ase.units import GPa
from matscipy.elasticity import full_3x3x3x3_to_Voigt_6x6, measure_triclinic_elastic_constants
from scipy.optimize import minimize_scalar

from ennp_lab.data.eam import PUBLISHED, MishinCu, density, embedding
from ennp_lab.structures.defects import stacking_fault_line
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2

MJ = EV_PER_A2_TO_J_PER_M2 * 1e3  # eV/Å² → mJ/m²


@pytest.fixture(scope="module")
def equilibrium():
    calc = MishinCu()

    def energy(a):
        atoms = bulk("Cu", "fcc", a=a)
        atoms.calc = calc
        return atoms.get_potential_energy()

    best = minimize_scalar(energy, bracket=(3.5, 3.6, 3.7), tol=1e-10)
    return best.x, -best.fun


def test_published_lattice_constant_and_cohesive_energy(equilibrium):
    a0, e_coh = equilibrium
    assert a0 == pytest.approx(PUBLISHED["a0"], abs=1e-3)
    assert e_coh == pytest.approx(PUBLISHED["cohesive_energy"], abs=5e-3)


def test_density_is_one_and_embedding_at_minimum_scale_in_the_crystal(equilibrium):
    a0, _ = equilibrium
    atoms = bulk("Cu", "fcc", a=a0)
    from matscipy.neighbours import neighbour_list

    d = neighbour_list("d", atoms, MishinCu.cutoff)
    rho_bar = density(d)[0].sum()
    assert rho_bar == pytest.approx(1.0, abs=1e-3)  # the paper's normalisation
    assert embedding(np.array([rho_bar]))[1][0] == pytest.approx(0.0, abs=1e-3)  # F'(1) = 0 by construction


def test_published_elastic_constants(equilibrium):
    cell = bulk("Cu", "fcc", a=equilibrium[0], cubic=True)
    cell.calc = MishinCu()
    c = full_3x3x3x3_to_Voigt_6x6(measure_triclinic_elastic_constants(cell, delta=1e-4)) / GPa
    assert c[0, 0] == pytest.approx(PUBLISHED["C11"], abs=0.5)
    assert c[0, 1] == pytest.approx(PUBLISHED["C12"], abs=0.5)
    assert c[3, 3] == pytest.approx(PUBLISHED["C44"], abs=0.5)
    assert (c[0, 0] + 2 * c[0, 1]) / 3 == pytest.approx(PUBLISHED["bulk_modulus"], abs=0.5)


def test_published_stacking_fault_energies_where_emt_fails(equilibrium):
    line = stacking_fault_line("Cu", equilibrium[0], MishinCu(), n_images=13, relax=True)
    gamma = line.gamma * MJ
    # u = 2/3 of the [1̄21̄] period is the intrinsic fault, 5/6 the unstable fault between it and the crystal
    assert gamma[0] == pytest.approx(0.0, abs=1e-6) and gamma[-1] == pytest.approx(0.0, abs=1e-6)
    assert gamma[8] == pytest.approx(PUBLISHED["intrinsic_stacking_fault"], abs=0.5)
    assert gamma[10] == pytest.approx(PUBLISHED["unstable_stacking_fault"], rel=0.03)
    emt = stacking_fault_line("Cu", 3.5898, EMT(), n_images=13, relax=True).gamma * MJ
    assert emt[8] < 0.0  # EMT puts hcp stacking below fcc: robustness only, no dissociation claims


def test_forces_and_stress_are_derivatives_of_the_energy():
    atoms = bulk("Cu", "fcc", a=3.62, cubic=True).repeat(2)
    atoms.rattle(0.12, seed=3)
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + [[0.01, 0.004, 0.0], [0.0, -0.006, 0.003], [0.0, 0.0, 0.008]]),
                   scale_atoms=True)
    atoms.calc = MishinCu()
    forces, stress = atoms.get_forces(), atoms.get_stress()
    assert np.abs(forces).max() > 0.1
    np.testing.assert_allclose(forces, calculate_numerical_forces(atoms, eps=1e-5), atol=1e-7)
    np.testing.assert_allclose(stress, calculate_numerical_stress(atoms, eps=1e-6), atol=1e-8)
    assert atoms.get_potential_energies().sum() == pytest.approx(atoms.get_potential_energy(), abs=1e-10)


def test_cluster_without_cell_and_clear_errors():
    from ase.cluster import Icosahedron

    cluster = Icosahedron("Cu", 2)
    cluster.rattle(0.05, seed=1)
    cluster.calc = MishinCu()
    np.testing.assert_allclose(cluster.get_forces(), calculate_numerical_forces(cluster, eps=1e-5), atol=1e-7)
    alloy = bulk("Cu", "fcc", a=3.615, cubic=True)
    alloy[0].symbol = "Ag"
    alloy.calc = MishinCu()
    with pytest.raises(ValueError, match="copper only.*Ag"):
        alloy.get_potential_energy()
