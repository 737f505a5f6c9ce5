"""The shipped cu-emt model: loading, size, symmetry and accuracy on held-out EMT data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import bulk

from ennp_lab import ENNPCalculator
from ennp_lab.data import generate_emt_test_set
from ennp_lab.learning import evaluate
from ennp_lab.pretrained import load_pretrained, pretrained_path
from ennp_lab.testing import assert_equivariant


@pytest.fixture(scope="module")
def cu_emt():
    return load_pretrained("cu-emt")


def test_shipped_file_is_small_and_loads(cu_emt):
    assert pretrained_path("cu-emt").stat().st_size <= 2 * 1024 * 1024
    assert cu_emt.species == (29,) and cu_emt.dtype == torch.float64
    assert load_pretrained("cu-emt", dtype=None).dtype == torch.float32
    with pytest.raises(ValueError, match="unknown pretrained model"):
        load_pretrained("fe-dft")


def test_shipped_model_is_equivariant(cu_emt):
    atoms = bulk("Cu", "fcc", a=3.59).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=1)
    assert_equivariant(ENNPCalculator(cu_emt, device="cpu"), atoms)


@pytest.mark.slow
def test_shipped_model_accuracy_on_held_out_emt(cu_emt):
    """Issue targets: forces ≤ 15 meV/Å, energy ≤ 2 meV/atom, stress ≤ 1 meV/Å³ (MAE)."""
    test = generate_emt_test_set("Cu")  # MD 300/900/1500 K, strains, vacancies, (111) slab
    kinds = {f.info["config_type"] for f in test}
    assert kinds == {"md_300K", "md_900K", "md_1500K", "strained", "vacancy", "slab_111"}
    ev = evaluate(cu_emt, test)
    assert ev.force_mae <= 0.015  # eV/Å
    assert ev.energy_mae <= 0.002  # eV/atom
    assert ev.stress_mae <= 0.001  # eV/Å³


@pytest.mark.slow
def test_shipped_model_phonons_at_x_and_l_within_three_percent_of_emt(cu_emt):
    import numpy as np
    from ase.calculators.emt import EMT

    from ennp_lab.properties.phonons import compute_force_constants, compute_frequencies

    cell = bulk("Cu", "fcc", a=3.5898)
    q = [[0.5, 0.0, 0.5], [0.5, 0.5, 0.5]]  # X, L
    reference = compute_frequencies(compute_force_constants(cell, EMT(), supercell=4), q)
    predicted = compute_frequencies(compute_force_constants(cell, ENNPCalculator(cu_emt, device="cpu"), supercell=4), q)
    assert np.all(np.abs(predicted / reference - 1) < 0.03)


@pytest.mark.slow
def test_smooth_ennp_trained_on_a_noisy_reference_allows_a_longer_time_step():
    """The noisy-reference demonstration: the ripple stiffens EMT; the ENNP fitted to it does not follow it."""
    from ase.calculators.emt import EMT

    from ennp_lab.data.reference import rippled_emt
    from ennp_lab.properties.stability import compute_timestep_limits

    atoms = bulk("Cu", "fcc", a=3.5898, cubic=True).repeat(2)
    ripple_model = ENNPCalculator(load_pretrained("cu-ripple"), device="cpu")
    rows = {r.name: r for r in compute_timestep_limits(atoms, {"EMT": EMT(), "EMT+ripple": rippled_emt(), "ENNP": ripple_model})}
    assert rows["EMT"].lambda_max == pytest.approx(17.23, abs=0.01)
    assert rows["EMT+ripple"].lambda_max > 1.5 * rows["EMT"].lambda_max
    # the ENNP sits much closer to the smooth curvature than to the rippled one
    assert rows["ENNP"].lambda_max < rows["EMT+ripple"].lambda_max - 0.5 * (rows["EMT+ripple"].lambda_max - rows["EMT"].lambda_max)
    assert rows["ENNP"].dt_max > 1.1 * rows["EMT+ripple"].dt_max


@pytest.mark.slow
def test_shipped_model_elastic_constants_within_five_percent_of_emt(cu_emt):
    from ase.calculators.emt import EMT

    from ennp_lab.properties.elasticity import compute_elastic_tensor

    cell = bulk("Cu", "fcc", a=3.5898, cubic=True)
    reference = compute_elastic_tensor(cell, EMT()).voigt
    predicted = compute_elastic_tensor(cell, ENNPCalculator(cu_emt, device="cpu")).voigt  # autograd
    for i, j in [(0, 0), (0, 1), (3, 3)]:  # C11, C12, C44
        assert predicted[i, j] == pytest.approx(reference[i, j], rel=0.05)


@pytest.mark.slow
def test_shipped_model_surface_energies_ordered_and_within_five_percent_of_emt(cu_emt):
    from ase.calculators.emt import EMT

    from ennp_lab.properties.surfaces import compute_surface_energy

    cell = bulk("Cu", "fcc", a=3.5898, cubic=True)
    calc = ENNPCalculator(cu_emt, device="cpu")
    facets = [(1, 1, 1), (1, 0, 0), (1, 1, 0)]
    reference = [compute_surface_energy(cell, EMT(), m).gamma for m in facets]
    predicted = [compute_surface_energy(cell, calc, m).gamma for m in facets]
    assert predicted[0] < predicted[1] < predicted[2]  # γ(111) < γ(100) < γ(110), as EMT
    for p, r in zip(predicted, reference):
        assert p == pytest.approx(r, rel=0.05)


def test_shipped_nacl_models_load_as_local_and_hybrid():
    from ennp_lab.data.ionic import rocksalt_nacl
    from ennp_lab.models.electrostatics import ChargedENNP
    from ennp_lab.properties.electrostatics import load_cutoff_scan, predict_charges
    from ennp_lab.pretrained import record_path

    local, hybrid = load_pretrained("nacl-local"), load_pretrained("nacl-hybrid")
    assert not isinstance(local, ChargedENNP) and isinstance(hybrid, ChargedENNP)
    assert local.cutoff == hybrid.local.cutoff == 4.0 and hybrid.dtype == torch.float64
    crystal = rocksalt_nacl(2)
    crystal.rattle(0.05, seed=0)
    q = predict_charges(hybrid, crystal)[0]
    assert q[crystal.numbers == 11].min() > 0 > q[crystal.numbers == 17].max()  # oriented Na > 0 when shipped
    assert abs(q.sum()) < 1e-12
    # rotations, mirrors, translations, permutations: to rounding; torch-pme keeps the k vectors of a box in the
    # reciprocal basis, so another lattice basis of the same crystal changes E at the requested accuracy (1e-5)
    report = assert_equivariant(ENNPCalculator(hybrid, device="cpu"), crystal, tol=1e-5)
    exact = [report.value(op, out) for op in report.operations for out in report.outputs if "lattice basis" not in op]
    assert len(exact) > 10 and max(exact) <= 1e-10
    scan = load_cutoff_scan(record_path("nacl-cutoff-scan"))
    assert set(scan.local) == set(scan.hybrid) and len(scan.local) == 2


def test_shipped_quartz_field_model_takes_a_field_and_keeps_the_sum_rule():
    from ennp_lab.data.quartz import alpha_quartz
    from ennp_lab.properties.dielectric import compute_born_charges

    model = load_pretrained("quartz-field")
    assert [s.name for s in model.inputs] == ["electric_field"] and model.species == (8, 14)
    born = compute_born_charges(alpha_quartz(), ENNPCalculator(model, device="cpu")).charges
    assert np.abs(born.sum(axis=0)).max() < 1e-10 and born[0, 0, 0] > 1.5 > 0 > -0.5 > born[3, 0, 0]
