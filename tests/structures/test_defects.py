"""Defect builders (matscipy underneath): the dislocation's Burgers circuit closes to
a/2⟨110⟩, the stacking-fault line starts and ends at the perfect crystal and finds EMT's
intrinsic fault energy of REFERENCES.md."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT

from ennp_lab.structures.defects import Dislocation, burgers_circuit, fcc_dislocation, stacking_fault_line
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2

A = 3.59  # EMT Cu (REFERENCES.md)
C_EMT = (176.2, 124.9, 81.8)


@pytest.mark.parametrize("kind", ["screw", "edge"])
def test_the_burgers_circuit_closes_to_half_a_110(kind):
    d = fcc_dislocation("Cu", A, C_EMT, kind=kind, radius=15.0)
    line = np.array([0.0, 0.0, 1.0])
    assert np.linalg.norm(d.burgers) == pytest.approx(A / np.sqrt(2), rel=1e-12)
    assert abs(d.burgers @ line) == pytest.approx(A / np.sqrt(2) if kind == "screw" else 0.0, abs=1e-12)
    for annulus in ((3.0, 6.0), (6.0, 9.0), (None, None)):
        np.testing.assert_allclose(burgers_circuit(d, *annulus), d.burgers, atol=1e-8)
    perfect = Dislocation(d.bulk, d.bulk, d.burgers, d.core, kind, d.elastic_gpa)
    np.testing.assert_allclose(burgers_circuit(perfect), 0.0, atol=1e-8)  # no dislocation, no closure failure
    assert 0 < d.atoms.arrays["fixed"].sum() < len(d.atoms)


def test_a_calculators_own_elastic_constants_and_bad_input():
    from ase.build import bulk

    from ennp_lab.properties.elasticity import compute_elastic_tensor
    from ennp_lab.units import EV_PER_A3_TO_GPA

    d = fcc_dislocation("Cu", A, calc=EMT(), kind="screw", radius=10.0)
    c = compute_elastic_tensor(bulk("Cu", "fcc", a=A, cubic=True), EMT()).voigt * EV_PER_A3_TO_GPA
    assert d.elastic_gpa == pytest.approx((c[0, 0], c[0, 1], c[3, 3]), rel=1e-6)  # the calculator's own C
    with pytest.raises(ValueError, match="kind"):
        fcc_dislocation("Cu", A, C_EMT, kind="mixed")
    with pytest.raises(ValueError, match="not both or neither"):
        fcc_dislocation("Cu", A, C_EMT, calc=EMT())
    with pytest.raises(ValueError, match="not those of a stable cubic crystal"):
        fcc_dislocation("Cu", A, (100.0, 150.0, 50.0))
    with pytest.raises(ValueError, match="only 0 atoms"):
        burgers_circuit(fcc_dislocation("Cu", A, C_EMT, radius=10.0), 30.0, 40.0)


def test_the_stacking_fault_line_ends_at_the_perfect_crystal_and_finds_emts_intrinsic_fault():
    line = stacking_fault_line("Cu", A, EMT(), n_images=4, layers=3, relax=True)  # shifts 0, 1/3, 2/3, 1 of a⟨112⟩/2
    mj = line.gamma * EV_PER_A2_TO_J_PER_M2 * 1e3
    assert abs(mj[0]) < 1e-8 and abs(mj[-1]) < 1e-8  # the perfect crystal's energy at both ends
    assert mj[2] == pytest.approx(-5.4, abs=0.1)  # REFERENCES.md: EMT's intrinsic fault, -5.4 mJ/m² (hcp below fcc)
    assert mj[1] > 500  # the shift that puts a plane atop the one below
    unrelaxed = stacking_fault_line("Cu", A, EMT(), n_images=4, layers=3)
    assert np.all(unrelaxed.gamma >= line.gamma - 1e-12)
    with pytest.raises(ValueError, match="at least 3 images"):
        stacking_fault_line("Cu", A, EMT(), n_images=2)


@pytest.mark.parametrize("sigma, axis, plane, angle", [(5, (0, 0, 1), (1, 3, 0), 36.8699), (3, (1, 1, 0), (-1, 1, 1), 60.0),
                                                       (9, (1, 1, 0), (-2, 2, 1), 38.9424)])
def test_grain_boundaries_have_the_sigma_and_misorientation_asked_for(sigma, axis, plane, angle):
    from ennp_lab.structures.defects import grain_boundary, misorientation

    gb = grain_boundary("Cu", A, sigma, axis, plane, repeats=(2, 2))
    measured, measured_sigma = misorientation(gb)  # from the atoms of the two grains
    assert measured_sigma == sigma and measured == pytest.approx(angle, abs=1e-3)  # CSL tables: Σ3 60°⟨111⟩
    assert set(np.unique(gb.atoms.arrays["grain"])) == {0, 1}


def test_the_coherent_twin_costs_half_the_intrinsic_fault_and_the_scan_keeps_the_lowest():
    from ennp_lab.structures.defects import grain_boundary, grain_boundary_energy, translation_scan

    twin, _ = grain_boundary_energy(grain_boundary("Cu", A, 3, (1, 1, 0), (-1, 1, 1), repeats=(2, 2)), EMT())
    fault = stacking_fault_line("Cu", A, EMT(), n_images=4).gamma[2]
    assert twin == pytest.approx(fault / 2, rel=0.02)  # one hcp-like plane vs two (next-nearest-plane model)
    scan = translation_scan("Cu", A, 5, (0, 0, 1), (1, 3, 0), EMT(), grid=(2, 2), relax=True, repeats=(2, 2))
    assert scan.gamma.min() == pytest.approx(grain_boundary_energy(scan.best, EMT(), relax=True)[0], rel=1e-6)
    assert np.ptp(scan.gamma) > 1e-4  # the shift matters (EMT: 976 vs 1027 mJ/m²)
    unrelaxed, _ = grain_boundary_energy(scan.best, EMT())
    assert scan.gamma.min() < unrelaxed
    with pytest.raises(ValueError, match="cannot build"):
        grain_boundary("Cu", A, 11, (1, 1, 0), (1, 1, 3))


def test_vacancy_clusters_and_interstitials():
    from ase.build import bulk

    from ennp_lab.properties.stress_test import environment_classes
    from ennp_lab.structures.defects import interstitial, vacancy_cluster

    nn = A / np.sqrt(2)
    sites = bulk("Cu", "fcc", a=A, cubic=True).repeat(3)
    for n in (1, 2, 4):
        kept = vacancy_cluster("Cu", A, n)
        missing = [i for i, p in enumerate(sites.positions) if np.min(np.linalg.norm(kept.positions - p, axis=1)) > 1e-6]
        assert len(kept) == 108 - n and len(missing) == n
        pairs = sites.get_all_distances(mic=True)[np.ix_(missing, missing)][np.triu_indices(n, 1)]
        assert np.allclose(pairs, nn)  # mutual nearest neighbours: a divacancy, a tetrahedron
    octahedral = interstitial("Cu", A, "octahedral")
    distances = np.sort(octahedral.get_distances(len(octahedral) - 1, range(len(octahedral) - 1), mic=True))
    assert np.allclose(distances[:6], A / 2) and distances[6] > A / 2 + 0.5  # six neighbours at a/2
    dumbbell = interstitial("Cu", A, "dumbbell")
    labels, _, _ = environment_classes(dumbbell)
    assert len(dumbbell) == 109 and (labels != "bulk").sum() >= 2
    from ase.optimize import BFGS

    from ennp_lab.data.eam import MishinCu

    site = dumbbell.positions[-1] - [0.3 * A, 0.0, 0.0]  # the shared lattice site, midway
    pair = np.argsort(np.linalg.norm(dumbbell.positions - site, axis=1))[:2]  # the two atoms split about it
    built = np.linalg.norm(np.subtract(*dumbbell.positions[pair]))
    relaxed = dumbbell.copy()
    relaxed.calc = MishinCu()
    BFGS(relaxed, logfile=None).run(fmax=0.02, steps=200)
    # built close to the EAM's own dumbbell (measured: 0.600 a built, 0.597 a relaxed)
    assert np.linalg.norm(np.subtract(*relaxed.positions[pair])) == pytest.approx(built, rel=0.05)
    with pytest.raises(ValueError, match="kind"):
        interstitial("Cu", A, "tetrahedral")
    with pytest.raises(ValueError, match="n must be"):
        vacancy_cluster("Cu", A, 0)


@pytest.mark.slow
def test_a_quenched_melt_stays_a_glass_when_relaxed():
    from ase.build import bulk
    from ase.optimize import BFGS

    from ennp_lab.properties.stress_test import environment_classes
    from ennp_lab.structures.defects import quenched_glass

    glass = quenched_glass("Cu", A, EMT())  # 108 atoms: 2 ps at 3000 K, 1 ps down to 300 K
    glass.calc = EMT()
    BFGS(glass, logfile=None).run(fmax=0.02, steps=600)
    crystal = bulk("Cu", "fcc", a=A * 1.06 ** (1 / 3), cubic=True)  # at the glass's density
    crystal.calc = EMT()
    excess = glass.get_potential_energy() / len(glass) - crystal.get_potential_energy() / len(crystal)
    assert excess > 0.03  # measured 0.077 eV/atom: relaxing does not find the crystal again
    assert (environment_classes(glass)[0] == "bulk").mean() < 0.2  # measured 1 %


def test_the_defect_suite_holds_each_kind_with_its_defect_visible():
    from ennp_lab.properties.stress_test import environment_classes
    from ennp_lab.structures.defects import DEFECT_AREA, defect_suite

    suite = defect_suite("Cu", A, EMT(), radius=12.0)
    assert list(suite) == ["screw dislocation", "edge dislocation", "Σ5(310) boundary", "intrinsic stacking fault",
                           "(111) surface", "trivacancy", "dumbbell interstitial"]
    for name, atoms in suite.items():
        labels, _, _ = environment_classes(atoms)
        assert (labels == "bulk").any() and ((labels == "defect") | (labels == "undercoordinated")).any(), name
    planar = {name for name, atoms in suite.items() if DEFECT_AREA in atoms.info}
    assert planar == {"Σ5(310) boundary", "intrinsic stacking fault", "(111) surface"}
    assert tuple(suite["screw dislocation"].pbc) == (False, False, True)  # an isolated cylinder along its line
    assert list(defect_suite("Cu", A, EMT(), quick=True)) == ["screw dislocation", "Σ5(310) boundary", "trivacancy"]


@pytest.mark.parametrize("kind", ["screw", "edge"])
def test_dissociated_dislocations_hold_two_shockley_partials_around_one_burgers_vector(kind):
    from ennp_lab.properties.stress_test import environment_classes

    elastic = (169.9, 122.6, 76.2)
    perfect = fcc_dislocation("Cu", 3.615, elastic, kind=kind, radius=20.0)
    split = fcc_dislocation("Cu", 3.615, elastic, kind=kind, radius=20.0, partial_distance=4)
    # a circuit enclosing both partials closes to the full a/2⟨110⟩ vector
    np.testing.assert_allclose(burgers_circuit(split, r_inner=12.0, r_outer=16.0), split.burgers, atol=1e-8)

    def ribbon(d):  # extent along the glide direction (x) of the atoms the environment calls "defect"
        labels, _, _ = environment_classes(d.atoms)
        x = d.atoms.positions[labels == "defect", 0]
        return x.max() - x.min()

    # measured (Å): screw 2.2 → 10.1, edge 5.8 → 8.4 (the fault ribbon between the partials opens)
    assert ribbon(split) > ribbon(perfect) + 2.0
    with pytest.raises(ValueError, match="whole number"):
        fcc_dislocation("Cu", 3.615, elastic, kind=kind, partial_distance=-1)
