"""Design objectives are differentiated correctly, the loop follows them with step control,
stops with a reason (never NaN), and a projected, aligned run does not drift."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator
from ennp_lab.design import (Combined, EnergyCeiling, ForceNorm, MinimumDistance, ModelScalar, Objective, rigid_drift,
                             run_design)
from ennp_lab.properties.hessian import compute_hessian
from ennp_lab.testing import tiny_model


def _fd_gradient(objective, atoms, h=1e-5, atoms_checked=(0, 1, 3)):
    g = np.zeros((len(atoms_checked), 3))
    for row, i in enumerate(atoms_checked):
        for a in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[i, a] += h
            minus.positions[i, a] -= h
            g[row, a] = (objective(plus)[0] - objective(minus)[0]) / (2 * h)
    return g


@pytest.fixture(scope="module")
def model():
    return tiny_model(["H", "C", "O"], seed=2, heads={"q": "0e"})


def _ethanol(rattle=0.05):
    atoms = molecule("CH3CH2OH")
    atoms.rattle(rattle, seed=5)
    return atoms


def test_objective_gradients_are_derivatives_of_their_values(model):
    atoms = _ethanol()
    e0 = ENNPCalculator(model, device="cpu").get_potential_energy(atoms.copy())
    squeezed = atoms.copy()
    squeezed.positions[1] = squeezed.positions[0] + 0.6 * (squeezed.positions[1] - squeezed.positions[0])  # a short C–C
    objectives = [ModelScalar(model, "q", component=0, scale=-2.0), ModelScalar(model, "energy"),
                  EnergyCeiling(ENNPCalculator(model, device="cpu"), e0 - 0.01, 3.0), MinimumDistance(1.2, 5.0),
                  ForceNorm(model, 0.5)]
    for objective, where in zip(objectives, (atoms, atoms, atoms, squeezed, atoms)):
        value, g = objective(where)
        assert value != 0 and np.abs(g).max() > 1e-6, objective.name
        np.testing.assert_allclose(g[[0, 1, 3]], _fd_gradient(objective, where), rtol=0, atol=1e-6 * max(1.0, np.abs(g).max()))
    combined = Combined([(0.5, objectives[0]), (2.0, objectives[1])])
    np.testing.assert_allclose(combined(atoms)[1], 0.5 * objectives[0](atoms)[1] + 2.0 * objectives[1](atoms)[1])
    with pytest.raises(ValueError, match="gives no output 'dipole_z'"):
        ModelScalar(model, "dipole_z")


def test_the_loop_minimises_with_no_drift_and_reports_the_naive_drift(model):
    atoms = _ethanol()
    objective = Combined([(1.0, ModelScalar(model, "q", component=0)), (1.0, MinimumDistance(0.9))])
    projected = run_design(atoms, objective, steps=12, step_size=0.02)
    naive = run_design(atoms, objective, steps=12, step_size=0.02, project=False)
    for run in (projected, naive):
        assert np.all(np.diff(run.values) < 0) and len(run.values) == 13  # every accepted step lowers it
    assert np.abs(projected.drift).max() < 1e-10  # centroid and orientation where they started
    assert naive.drift[-1, 1] >= projected.drift[-1, 1]  # reported: the naive run turns (at second order)
    target = projected.values[6]
    reached = run_design(atoms, objective, steps=50, step_size=0.02, target=target)
    assert reached.stop_reason.startswith("reached the target") and reached.values[-1] <= target
    assert reached.steps_to(target) <= run_design(atoms, objective, steps=50, step_size=0.02, project=False,
                                                  target=target).steps_to(target)
    # a designed structure moved rigidly: the same energy and normal modes
    final = projected.final
    turned = final.copy()
    turned.rotate(37, (1, 2, 0.5), center="COM")
    turned.translate((0.3, -1.0, 2.0))
    calc = ENNPCalculator(model, device="cpu")
    assert abs(calc.get_potential_energy(final.copy()) - calc.get_potential_energy(turned.copy())) < 1e-10
    w = [np.linalg.eigvalsh(np.asarray(compute_hessian(a, calc)).reshape(3 * len(a), -1)) for a in (final, turned)]
    np.testing.assert_allclose(w[0], w[1], atol=1e-10 * np.abs(w[0]).max())


class _Flat(Objective):
    name = "flat"

    def __call__(self, atoms):
        return 1.0, np.zeros((len(atoms), 3))


class _Bowl(Objective):
    """|r_0 − c|²: lowest 0, so a target below 0 is out of reach."""

    name = "bowl"

    def __call__(self, atoms):
        d = atoms.positions[0] - atoms.positions[1:].mean(0)
        g = np.zeros((len(atoms), 3))
        g[0], g[1:] = 2 * d, -2 * d / (len(atoms) - 1)
        return float(d @ d), g


def test_bad_objectives_and_unreachable_targets_stop_with_reasons():
    atoms = _ethanol()
    with pytest.raises(ValueError, match="does not depend on the positions"):
        run_design(atoms, _Flat())
    out = run_design(atoms, _Bowl(), steps=200, step_size=0.1, target=-1.0)
    assert np.all(np.isfinite(out.values)) and out.values[-1] < 1e-6
    assert "stationary point" in out.stop_reason or "no step lowered" in out.stop_reason
    assert max(rigid_drift(atoms, atoms)) < 1e-12
    with pytest.raises(ValueError, match="step_size"):
        run_design(atoms, _Bowl(), step_size=0.0)
    crystal = EMT  # the energy ceiling takes any ASE calculator
    assert EnergyCeiling(crystal(), 1e9)(molecule("H2"))[0] == 0.0


class _Valley(Objective):
    """Σ_k c_k (|r_k − r_0| − d_k)²: an anisotropic valley, invariant under rigid motions."""

    name = "valley"

    def __call__(self, atoms):
        value, g = 0.0, np.zeros((len(atoms), 3))
        for k, (c, d0) in enumerate(zip((1.0, 8.0, 30.0, 3.0, 0.5), (1.3, 1.6, 1.1, 2.0, 1.8)), start=1):
            v = atoms.positions[k] - atoms.positions[0]
            r = np.linalg.norm(v)
            value += c * (r - d0) ** 2
            g[k] += 2 * c * (r - d0) * v / r
            g[0] -= 2 * c * (r - d0) * v / r
        return value, g


def test_lbfgs_needs_fewer_steps_and_keeps_the_projection():
    atoms = _ethanol(0.1)
    gradient = run_design(atoms, _Valley(), steps=300, step_size=0.05, target=1e-6)
    lbfgs = run_design(atoms, _Valley(), steps=300, target=1e-6, method="lbfgs")
    assert lbfgs.stop_reason.startswith("reached the target")
    assert lbfgs.steps_to(1e-6) < gradient.steps_to(1e-6) if gradient.steps_to(1e-6) else True
    assert lbfgs.steps_to(1e-6) <= 40
    assert np.abs(lbfgs.drift).max() < 1e-10
    with pytest.raises(ValueError, match="method"):
        run_design(atoms, _Valley(), method="newton")


def test_the_youngs_modulus_target_is_the_librarys_and_its_gradient_finite_differences():
    from ase.build import bulk

    from ennp_lab.design import YoungsModulusTarget
    from ennp_lab.pretrained import load_pretrained
    from ennp_lab.properties.elasticity import compute_elastic_tensor

    model = load_pretrained("cu-emt")  # a physical (positive) stiffness
    cell = bulk("Cu", "fcc", a=3.61, cubic=True)
    probe = YoungsModulusTarget(model, 1.0, (1, 2, 2))
    library = compute_elastic_tensor(cell, ENNPCalculator(model, device="cpu")).young(probe.direction[None])[0]
    assert float(probe.modulus(cell).detach()) == pytest.approx(float(library), rel=1e-10)
    rattled = cell.copy()
    rattled.rattle(0.03, seed=1)
    objective = YoungsModulusTarget(model, 0.9 * library, (1, 2, 2))
    _, g = objective(rattled)
    np.testing.assert_allclose(g[[0, 1, 3]], _fd_gradient(objective, rattled), rtol=0, atol=1e-6 * np.abs(g).max())
    with pytest.raises(ValueError, match="periodic"):
        probe.modulus(molecule("H2"))


def test_a_field_aware_models_output_takes_its_field():
    from ase.build import bulk

    model = tiny_model(["Na", "Cl"], seed=0, electric_field=True, heads={"q": "0e"})
    crystal = bulk("NaCl", "rocksalt", a=5.64)
    crystal.rattle(0.05, seed=1)
    zero, field = (ModelScalar(model, "q", component=0, values={"electric_field": e}) for e in ([0, 0, 0], [0, 0, 0.05]))
    assert zero(crystal)[0] != field(crystal)[0]  # the field is an input of the head
    assert ModelScalar(model, "q", component=0)(crystal)[0] == zero(crystal)[0]  # no field given: zero field


def test_strain_gradients_are_finite_differences_of_symmetric_strains():
    from ase.build import bulk

    from ennp_lab.design import YoungsModulusTarget, run_cell_design
    from ennp_lab.pretrained import load_pretrained

    model = load_pretrained("cu-emt")
    calc = ENNPCalculator(model, device="cpu")
    cell = bulk("Cu", "fcc", a=3.61, cubic=True)
    cell.rattle(0.02, seed=1)
    squeezed = cell.copy()
    squeezed.set_cell(cell.cell[:] * 0.7, scale_atoms=True)  # neighbours inside 2.0 Å
    e = calc.get_potential_energy(cell.copy())
    terms = [(YoungsModulusTarget(model, 1.0, (1, 1, 1)), cell), (EnergyCeiling(calc, e - 0.1, 2.0), cell),
             (MinimumDistance(2.0, 3.0), squeezed), (ModelScalar(model, "energy"), cell)]
    h = 1e-6
    for objective, atoms in terms:
        _, _, strain = objective.cell_gradient(atoms)
        assert np.abs(strain).max() > 1e-6, objective.name
        for a, b in ((0, 0), (0, 1), (1, 2)):
            eps = np.zeros((3, 3))
            eps[a, b] += h / 2
            eps[b, a] += h / 2
            plus, minus = atoms.copy(), atoms.copy()
            plus.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
            minus.set_cell(atoms.cell[:] @ (np.eye(3) - eps), scale_atoms=True)
            fd = (objective(plus)[0] - objective(minus)[0]) / (2 * h)
            assert fd == pytest.approx(0.5 * (strain[a, b] + strain[b, a]), rel=1e-5, abs=1e-8), objective.name
    with pytest.raises(ValueError, match="no strain gradient"):
        run_cell_design(cell, _Bowl())
    with pytest.raises(ValueError, match="periodic"):
        run_cell_design(_ethanol(), _Bowl())


def test_the_surface_energy_target_is_the_librarys_gamma_and_its_gradient_finite_differences():
    from ase.build import bulk

    from ennp_lab.design import SurfaceEnergyTarget
    from ennp_lab.properties.surfaces import compute_surface_energy
    from ennp_lab.structures.build import build_slab

    cube = bulk("Cu", "fcc", a=3.59, cubic=True)
    library = compute_surface_energy(cube, EMT(), (1, 0, 0), layers=5, relax=False).gamma
    slab = build_slab(cube, (1, 0, 0), 5, 10.0)
    target = SurfaceEnergyTarget(EMT(), cube, 0.8 * library)
    gamma, _ = target.gamma(slab)
    assert gamma == pytest.approx(library, rel=1e-12)
    slab.rattle(0.03, seed=2)
    _, g = target(slab)
    np.testing.assert_allclose(g[[0, 1, 3]], _fd_gradient(target, slab), rtol=0, atol=1e-6 * np.abs(g).max())
    relaxed = run_design(slab, target, steps=30, step_size=0.02, target=1e-4)  # γ lowered by relaxing the faces
    assert relaxed.values[-1] < relaxed.values[0]


def test_the_phonon_target_is_phonopys_frequency_and_its_gradient_finite_differences():
    from ase.build import bulk

    from ennp_lab.design import PhononTarget
    from ennp_lab.pretrained import load_pretrained
    from ennp_lab.properties.phonons import compute_force_constants
    from ennp_lab.units import OMEGA_TO_THZ

    model = load_pretrained("cu-emt")
    cell = bulk("Cu", "fcc", a=3.61, cubic=True)
    phonopy = compute_force_constants(cell, ENNPCalculator(model, device="cpu"), supercell=2,
                                      primitive_matrix="P").phonopy()
    for q in ((0.5, 0.0, 0.0), (0.5, 0.5, 0.5)):
        phonopy.run_qpoints([q])
        expected = np.sort(phonopy.qpoints.frequencies[0])
        for band in (3, 11):
            got = float(PhononTarget(model, q, band, 5.0).frequency(cell).detach()) * OMEGA_TO_THZ
            assert got == pytest.approx(expected[band], rel=1e-6)  # phonopy's THz factor agrees to ~1e-7
    rattled = cell.copy()
    rattled.rattle(0.02, seed=3)
    target = PhononTarget(model, (0.5, 0, 0), 11, 7.0)
    _, g = target(rattled)
    np.testing.assert_allclose(g[[1]], _fd_gradient(target, rattled, atoms_checked=(1,)), rtol=0, atol=1e-6 * np.abs(g).max())
    with pytest.raises(ValueError, match="not commensurate"):
        PhononTarget(model, (0.3, 0, 0), 11, 7.0)
    with pytest.raises(ValueError, match="out of range"):
        PhononTarget(model, (0.5, 0, 0), 12, 7.0).frequency(cell)


class _Bond(Objective):
    """(|r_j − r_i| − d)²: a bond length as the design target (rigid-motion invariant)."""

    def __init__(self, i, j, d):
        self.i, self.j, self.d, self.name = i, j, d, "bond"

    def __call__(self, atoms):
        v = atoms.positions[self.j] - atoms.positions[self.i]
        r = np.linalg.norm(v)
        g = np.zeros((len(atoms), 3))
        g[self.j] = 2 * (r - self.d) * v / r
        g[self.i] = -g[self.j]
        return float((r - self.d) ** 2), g


def test_relaxing_between_steps_walks_the_constrained_minimum_that_ase_finds():
    """Stretch a bond of an EMT Cu₁₃ cluster with relaxation between design steps: the design
    ends at the minimum of the energy at that bond length, as ASE's own FixBondLength
    relaxation finds it, with the forces parallel to the target's gradient (Lagrange); the
    unrelaxed design leaves the rest of the cluster strained. Terms are recorded."""
    from ase.cluster import Icosahedron
    from ase.constraints import FixBondLength
    from ase.optimize import BFGS

    from ennp_lab.design.projector import project_rigid

    cluster = Icosahedron("Cu", 2)
    cluster.rattle(0.02, seed=1)
    cluster.calc = EMT()
    BFGS(cluster, logfile=None).run(fmax=0.005)
    cluster.calc = None
    d = np.linalg.norm(cluster.positions[1] - cluster.positions[0]) + 0.4
    objective = Combined([(1.0, _Bond(0, 1, d)), (1.0, MinimumDistance(1.5))])
    relaxed = run_design(cluster, objective, steps=60, step_size=0.05, target=1e-9, method="lbfgs", relax=EMT(),
                         relax_steps=100, relax_fmax=0.002)
    plain = run_design(cluster, objective, steps=60, step_size=0.05, target=1e-9, method="lbfgs")
    assert relaxed.relaxed and relaxed.stop_reason.startswith("reached the target") and plain.stop_reason.startswith("reached")
    assert set(relaxed.terms) == {"bond", "distances ≥ 1.5 Å"} and len(relaxed.terms["bond"]) == len(relaxed.values)
    np.testing.assert_allclose(relaxed.terms["bond"] + relaxed.terms["distances ≥ 1.5 Å"], relaxed.values, rtol=1e-12)
    assert np.abs(relaxed.drift).max() < 1e-10  # relaxation adds no rigid motion either

    reference = cluster.copy()  # ASE's constrained relaxation at the same bond length
    u = reference.positions[1] - reference.positions[0]
    u /= np.linalg.norm(u)
    reference.positions[0] -= 0.2 * u
    reference.positions[1] += 0.2 * u
    reference.set_constraint(FixBondLength(0, 1))
    reference.calc = EMT()
    BFGS(reference, logfile=None).run(fmax=1e-4, steps=1000)

    def energy(atoms):
        a = atoms.copy()
        a.calc = EMT()
        return a.get_potential_energy(), a.get_forces()

    (e_relaxed, f), (e_plain, _) = energy(relaxed.final), energy(plain.final)
    assert e_relaxed == pytest.approx(reference.get_potential_energy(), abs=2e-4)  # measured 2e-5 eV
    assert e_plain - e_relaxed > 0.1  # measured 0.25 eV: the unrelaxed design is strained
    g = project_rigid(relaxed.final, objective(relaxed.final)[1]).reshape(-1)
    f = f.reshape(-1)
    assert np.abs(f - (f @ g) / (g @ g) * g).max() < 0.002 * np.sqrt(3)  # F ∥ ∇f: a Lagrange point
    from ennp_lab.design import stray_force

    assert stray_force(relaxed.final, EMT(), objective) == pytest.approx(np.abs(f - (f @ g) / (g @ g) * g).max(), rel=1e-12)
    assert stray_force(plain.final, EMT(), objective) > 10 * stray_force(relaxed.final, EMT(), objective)
    with pytest.raises(ValueError, match="relax_fmax"):
        run_design(cluster, objective, relax=EMT(), relax_fmax=0.0)
