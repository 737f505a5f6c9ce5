"""Long-range electrostatics on torch-pme, against the Madelung constant, the REFERENCES
table of truncated sums, and an independent Ewald (matscipy)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase import units as ase_units

from ennp_lab import AtomGraph, ENNPCalculator, keys
from ennp_lab.data.ionic import CoulombReference, PairCoulomb, rocksalt_nacl
from ennp_lab.derivatives import compute_properties
from ennp_lab.models.electrostatics import ChargedENNP, Electrostatics, FixedChargeModel
from ennp_lab.testing import ModelSuite, assert_forces_match_finite_differences, assert_stress_matches_finite_differences
from ennp_lab.testing import tiny_model
from ennp_lab.units import COULOMB_EV_A

MADELUNG = 1.747565  # REFERENCES.md, per nearest-neighbour distance
A = 5.64
R_NN = A / 2
K_MATSCIPY = 14.399645  # matscipy's rounded e²/4πε₀


def _energy(model, atoms) -> float:
    graph = AtomGraph.from_atoms(atoms, model.cutoff, inputs=model.inputs)
    return float(compute_properties(model, graph, {keys.ENERGY})[keys.ENERGY][0])


def test_the_prefactor_is_ases_and_the_energy_is_sum_q_v():
    assert COULOMB_EV_A == pytest.approx(ase_units.Hartree * ase_units.Bohr, rel=1e-15)
    pair = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]], charges=[1.0, -1.0])
    model = FixedChargeModel(["Na", "Cl"])
    assert _energy(model, pair) == pytest.approx(-COULOMB_EV_A / 2.5, rel=1e-14)  # E = Σ q_i V_i, not twice it


@pytest.mark.parametrize("method", ["ewald", "pme", "auto"])
def test_madelung_constant_of_rock_salt(method):
    for repeat in (1, 2):
        crystal = rocksalt_nacl(repeat)
        model = FixedChargeModel(["Na", "Cl"], Electrostatics(10.0, 1e-10, method=method))
        per_pair = _energy(model, crystal) / (len(crystal) // 2)
        assert -per_pair * R_NN / COULOMB_EV_A == pytest.approx(MADELUNG, abs=1e-6)


def test_truncated_sums_reproduce_the_references_table():
    """REFERENCES.md: a cut 1/r sum does not converge (+4.17, +0.75, −1.61, +2.91 q²/r_nn per
    ion pair at 3, 5, 7, 9 r_nn); a Yukawa sum with κ = 1/r_nn does (−0.606, −0.921, −0.934,
    −0.934). The cutoffs sit on shells: the table counts a shell at the cutoff out."""
    crystal = rocksalt_nacl(1)
    table = {None: [4.17, 0.75, -1.61, 2.91], 1 / R_NN: [-0.606, -0.921, -0.934, -0.934]}
    for screening, expected in table.items():
        for m, value in zip((3, 5, 7, 9), expected):
            model = FixedChargeModel(["Na", "Cl"], Electrostatics(m * R_NN * (1 - 1e-9), screening=screening, method="direct"))
            assert _energy(model, crystal) / 4 * R_NN / COULOMB_EV_A == pytest.approx(value, abs=6e-3)


def _structures():
    rattled = rocksalt_nacl(2)
    rattled.rattle(0.08, seed=1)
    strained = rocksalt_nacl(2)
    strained.set_cell(strained.cell[:] @ np.diag([1.03, 0.98, 1.01]), scale_atoms=True)
    schottky = rocksalt_nacl(2)
    del schottky[[0, 5]]  # one Na and one Cl: still neutral
    schottky.rattle(0.05, seed=2)
    sheared = rocksalt_nacl(1)
    sheared.set_cell(sheared.cell[:] @ np.array([[1, 0.03, 0], [0, 1, 0.02], [0.01, 0, 1]]), scale_atoms=True)
    sheared.rattle(0.05, seed=4)
    return {"rattled": rattled, "strained": strained, "Schottky pair": schottky, "triclinic": sheared}


@pytest.mark.parametrize("name", ["rattled", "strained", "Schottky pair", "triclinic"])
def test_energy_forces_and_stress_match_an_independent_ewald(name):
    atoms = _structures()[name]
    assert abs(atoms.get_initial_charges().sum()) < 1e-12
    ref = atoms.copy()
    ref.calc = CoulombReference(1e-12, 12.0)
    ours = atoms.copy()
    ours.calc = ENNPCalculator(FixedChargeModel(["Na", "Cl"], Electrostatics(12.0, 1e-12)), device="cpu")
    scale = K_MATSCIPY / COULOMB_EV_A  # the two codes' e²/4πε₀ differ by 2.4e-8
    for quantity in ("get_potential_energy", "get_forces", "get_stress"):
        mine, theirs = scale * np.asarray(getattr(ours, quantity)()), np.asarray(getattr(ref, quantity)())
        floor = {"get_potential_energy": 1.0, "get_forces": 1.0, "get_stress": 1e-2}[quantity]  # eV, eV/Å, eV/Å³
        assert np.abs(mine - theirs).max() <= 1e-8 * max(np.abs(theirs).max(), floor), quantity


def test_molecules_and_the_screened_kernel_match_pair_sums():
    cluster = Atoms("Na3Cl3", positions=np.random.default_rng(0).uniform(0, 6, size=(6, 3)),
                    charges=[1, 1, 1, -1, -1, -1])
    for screening, model in ((None, FixedChargeModel(["Na", "Cl"])),
                             (0.8, FixedChargeModel(["Na", "Cl"], Electrostatics(None, 1e-12, screening=0.8)))):
        ref = cluster.copy()
        ref.calc = PairCoulomb(screening)
        ours = cluster.copy()
        ours.calc = ENNPCalculator(model, device="cpu")
        scale = K_MATSCIPY / COULOMB_EV_A
        assert scale * ours.get_potential_energy() == pytest.approx(ref.get_potential_energy(), rel=1e-12)
        np.testing.assert_allclose(scale * ours.get_forces(), ref.get_forces(), rtol=0, atol=1e-10)
    periodic = _structures()["rattled"]
    ref, ours = periodic.copy(), periodic.copy()
    ref.calc = PairCoulomb(1.0)
    ours.calc = ENNPCalculator(FixedChargeModel(["Na", "Cl"], Electrostatics(None, 1e-10, screening=1.0)), device="cpu")
    assert K_MATSCIPY / COULOMB_EV_A * ours.get_potential_energy() == pytest.approx(ref.get_potential_energy(), rel=1e-8)


def _triclinic():
    """The 2-ion primitive rock-salt cell (60° angles) repeated 2×2×2 and rattled."""
    from ase.build import bulk

    atoms = bulk("NaCl", "rocksalt", a=A).repeat(2)
    atoms.set_initial_charges(np.where(atoms.numbers == 11, 1.0, -1.0))
    atoms.rattle(0.08, seed=3)
    return atoms


@pytest.mark.parametrize("method, screening", [("ewald", None), ("pme", None), ("auto", 1.5)])
def test_derivatives_are_exact_in_a_triclinic_cell(method, screening):
    """Forces and stress are −gradients of the energy each method computes (PME's of PME's;
    the screened kernel's tapered real-space sum)."""
    atoms = _triclinic()
    electrostatics = Electrostatics(7.0, 1e-6, screening=screening, method=method)
    calc = ENNPCalculator(FixedChargeModel(["Na", "Cl"], electrostatics), device="cpu")
    assert_forces_match_finite_differences(calc, atoms)
    assert_stress_matches_finite_differences(calc, atoms)


def test_ewald_and_pme_agree_in_a_triclinic_cell():
    atoms = _triclinic()
    results = {}
    for method in ("ewald", "pme"):
        a = atoms.copy()
        a.calc = ENNPCalculator(FixedChargeModel(["Na", "Cl"], Electrostatics(7.0, 1e-8, method=method)), device="cpu")
        results[method] = (a.get_potential_energy(), a.get_forces())
    assert results["pme"][0] == pytest.approx(results["ewald"][0], rel=1e-6)
    assert np.abs(results["pme"][1] - results["ewald"][1]).max() < 1e-4 * np.abs(results["ewald"][1]).max()


def test_latent_charges_keep_each_structures_total_charge_exactly():
    local = tiny_model(["Na", "Cl"], seed=0, heads={keys.CHARGES: "0e"})
    model = ChargedENNP(local, Electrostatics(6.0, 1e-6))
    frames = [rocksalt_nacl(1), Atoms("Na2Cl", positions=[[0, 0, 0], [2.8, 0, 0], [1.4, 2.3, 0]])]
    frames[1].info["charge"] = 1.0
    graph = AtomGraph.from_atoms(frames, model.cutoff, inputs=model.inputs)
    out = compute_properties(model, graph, {keys.ENERGY, keys.FORCES})
    q = out[keys.per_atom(keys.CHARGES)][:, 0].numpy()
    np.testing.assert_allclose([q[:8].sum(), q[8:].sum()], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(out[keys.CHARGES][:, 0].numpy(), [0.0, 1.0], atol=0)
    assert np.ptp(q[:8]) > 1e-6  # the charges are the model's, not zeros
    with pytest.raises(ValueError, match="per-atom head 'charges'"):
        ChargedENNP(tiny_model(["Na", "Cl"]))


def test_bad_input_is_named():
    crystal = rocksalt_nacl(1)
    charged = crystal.copy()
    charged.set_initial_charges(np.full(len(crystal), 0.5))
    strict = FixedChargeModel(["Na", "Cl"], Electrostatics(8.0, background=False))
    with pytest.raises(ValueError, match="net charge 4 e in a periodic cell, and background=False"):
        _energy(strict, charged)
    nan = crystal.copy()
    nan.set_initial_charges([np.nan] + [1.0] * 7)
    with pytest.raises(ValueError, match="charges.*NaN"):
        _energy(FixedChargeModel(["Na", "Cl"]), nan)
    tiny = Atoms("NaCl", positions=[[0, 0, 0], [1.0, 1.0, 1.0]], cell=np.eye(3) * 2.0, pbc=True, charges=[1, -1])
    with pytest.raises(ValueError, match="too small for PME"):
        _energy(FixedChargeModel(["Na", "Cl"], Electrostatics(6.0, 1e-3, method="pme")), tiny)
    slab = crystal.copy()
    slab.pbc = (True, True, False)
    with pytest.raises(ValueError, match="slabs and wires"):
        _energy(FixedChargeModel(["Na", "Cl"]), slab)
    with pytest.raises(ValueError, match="unknown electrostatics method"):
        Electrostatics(method="p3m")


_NOT_LOCAL = {"test_isolated_atoms_are_additive": "Coulomb is long-ranged: isolated charges interact",
              "test_separated_fragments_are_additive": "Coulomb is long-ranged: separated charges interact",
              "test_smooth_at_cutoff": "a molecule's Coulomb sum has no cutoff"}


class TestFixedChargeModel(ModelSuite):
    skip = _NOT_LOCAL

    def build_model(self):
        return FixedChargeModel(["Na", "Cl"], Electrostatics(6.0, 1e-12))


class TestChargedENNP(ModelSuite):
    skip = _NOT_LOCAL

    def build_model(self):
        return ChargedENNP(tiny_model(["Na", "Cl"], seed=1, heads={keys.CHARGES: "0e"}), Electrostatics(6.0, 1e-12))


def test_madelung_and_lattice_sums_through_the_property_functions():
    from ennp_lab.properties.electrostatics import madelung_constant, truncated_lattice_sum

    assert madelung_constant(Electrostatics(10.0, 1e-10)) == pytest.approx(MADELUNG, abs=1e-6)
    assert madelung_constant(Electrostatics(10.0, 1e-10), a=4.0) == pytest.approx(MADELUNG, abs=1e-6)  # scale free
    assert truncated_lattice_sum(9) == pytest.approx(2.91, abs=6e-3)
    assert truncated_lattice_sum(9, screening=1 / R_NN) == pytest.approx(-0.934, abs=6e-3)
    with pytest.raises(ValueError, match="shells"):
        truncated_lattice_sum(-1)


def test_nacl_data_are_neutral_labelled_and_share_frames_across_kernels():
    from ennp_lab.data.ionic import generate_nacl_dataset, generate_nacl_test_set

    counts = dict(n_rattled=1, n_strained=1, n_schottky=1, n_molten=1, n_pairs=2, repeat=1)
    bare = generate_nacl_dataset(None, seed=3, **counts)
    screened = generate_nacl_dataset(2.0, seed=3, **counts)
    test = generate_nacl_test_set(None, n_per_kind=1, repeat=1, seed=3)
    assert [a.info["config_type"] for a in bare] == ["rattled", "strained", "schottky", "molten", "ion_pair", "ion_pair"]
    for a, b in zip(bare, screened):
        np.testing.assert_array_equal(a.positions, b.positions)  # the same frames, other physics
        assert abs(a.get_initial_charges().sum()) < 1e-12 and a.get_potential_energy() != b.get_potential_energy()
    assert sorted(set(len(a) for a in bare)) == [2, 6, 8]  # pairs, Schottky (two ions fewer), full cells
    assert not any(np.allclose(a.positions, t.positions) for a in bare for t in test if len(a) == len(t))


def test_a_hybrid_model_file_round_trips_with_its_electrostatics(tmp_path):
    from ennp_lab.models import load_model, save_model

    model = ChargedENNP(tiny_model(["Na", "Cl"], seed=2, heads={keys.CHARGES: "0e"}), Electrostatics(7.0, 1e-7, method="pme"))
    model.electrostatics.smearing = 1.234  # a tuned value survives too
    loaded = load_model(save_model(model, tmp_path / "hybrid.pt"))
    assert isinstance(loaded, ChargedENNP) and loaded.electrostatics.to_dict() == model.electrostatics.to_dict()
    atoms = _triclinic()
    assert _energy(loaded, atoms) == pytest.approx(_energy(model, atoms), rel=1e-14)
    with pytest.raises(ValueError, match="electrostatics settings must name exactly"):
        Electrostatics.from_dict({"accuracy": 1e-6})


def test_orienting_the_charges_flips_their_sign_and_keeps_the_energy():
    from ennp_lab.properties.electrostatics import predict_charges

    model = ChargedENNP(tiny_model(["Na", "Cl"], seed=4, heads={keys.CHARGES: "0e"}), Electrostatics(6.0, 1e-8))
    atoms = _triclinic()
    q = predict_charges(model, atoms)[0]
    energy = _energy(model, atoms)
    positive = "Na" if q[atoms.numbers == 11].mean() < 0 else "Cl"  # the element that will be flipped
    assert model.orient_charges(atoms, positive=positive)
    np.testing.assert_allclose(predict_charges(model, atoms)[0], -q, atol=1e-14)
    assert _energy(model, atoms) == pytest.approx(energy, rel=1e-13)
    assert not model.orient_charges(atoms, positive=positive)  # already oriented
    with pytest.raises(ValueError, match="holds no 'K'"):
        model.orient_charges(atoms, positive="K")
    with pytest.raises(ValueError, match="predicts no charges"):
        predict_charges(FixedChargeModel(["Na", "Cl"]), atoms)


def test_the_separation_curve_of_the_reference_is_coulombs_law():
    from ennp_lab.data.ionic import ion_pair_curve
    from ennp_lab.properties.electrostatics import compute_separation_curve

    distances = np.array([12.0, 15.0, 20.0, 30.0])  # beyond the short-range cutoff: pure Coulomb
    pure = ENNPCalculator(FixedChargeModel(["Na", "Cl"]), device="cpu")
    curve = compute_separation_curve(ion_pair_curve(distances), {"rigid ions": pure}, cutoff=4.0)
    expected = -K_MATSCIPY * (1 / distances - 1 / distances[0])
    np.testing.assert_allclose(curve.reference, expected, rtol=1e-10)
    np.testing.assert_allclose(curve.predicted["rigid ions"], -COULOMB_EV_A * (1 / distances - 1 / distances[0]), rtol=1e-12)
    with pytest.raises(ValueError, match="must increase"):
        compute_separation_curve(ion_pair_curve(distances[::-1]), {}, 4.0)


def test_torch_pme_tuned_ewald_meets_its_force_accuracy():
    atoms = rocksalt_nacl(2)
    atoms.rattle(0.1, seed=0)
    tuned = Electrostatics.tuned(atoms, atoms.get_initial_charges(), accuracy=1e-3, cutoff=5.0)
    results = {}
    for name, electrostatics in (("tuned", tuned), ("tight", Electrostatics(8.0, 1e-12))):
        a = atoms.copy()
        a.calc = ENNPCalculator(FixedChargeModel(["Na", "Cl"], electrostatics), device="cpu")
        results[name] = a.get_forces()
    rms = np.sqrt(np.mean((results["tuned"] - results["tight"]) ** 2))
    assert rms <= 1e-3  # measured 4e-4 eV/Å (5e-2 without the halved λ)
    with pytest.raises(ValueError, match="Ewald tuner only"):
        Electrostatics.tuned(atoms, atoms.get_initial_charges(), method="pme")
    with pytest.raises(ValueError, match="3D-periodic"):
        Electrostatics.tuned(Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]]), [1, -1])


def test_a_sum_of_a_local_ennp_and_fixed_charges_is_one_potential():
    """SumModel(ENNP, FixedChargeModel): energies add; forces, stress and Hessian come from the
    one derivatives module through both parts."""
    from ennp_lab.models import SumModel
    from ennp_lab.testing import assert_hessian_matches_finite_differences

    local = tiny_model(["Na", "Cl"], seed=5)
    charges = FixedChargeModel(["Na", "Cl"], Electrostatics(6.0, 1e-10))
    total = SumModel([local, charges])
    atoms = rocksalt_nacl(1)
    atoms.rattle(0.05, seed=6)
    assert _energy(total, atoms) == pytest.approx(_energy(local, atoms) + _energy(charges, atoms), rel=1e-13)
    assert_forces_match_finite_differences(ENNPCalculator(total, device="cpu"), atoms)
    assert_hessian_matches_finite_differences(ENNPCalculator(total, device="cpu"), atoms)


def test_auto_takes_ewald_for_small_cells_and_pme_for_large_ones(monkeypatch):
    from ennp_lab.models import electrostatics as module

    auto = Electrostatics(8.0, 1e-8)
    assert auto.method_for(module.PME_ATOMS) == "ewald" and auto.method_for(module.PME_ATOMS + 1) == "pme"
    assert Electrostatics(method="pme").method_for(8) == "pme"
    crystal = _triclinic()
    energies = {m: _energy(FixedChargeModel(["Na", "Cl"], Electrostatics(7.0, 1e-8, method=m)), crystal) for m in ("ewald", "pme")}
    assert energies["ewald"] != energies["pme"]
    monkeypatch.setattr(module, "PME_ATOMS", len(crystal) - 1)  # this cell now counts as large
    assert _energy(FixedChargeModel(["Na", "Cl"], Electrostatics(7.0, 1e-8)), crystal) == energies["pme"]


def test_latent_charges_around_a_field_aware_model_keep_its_field(tmp_path):
    """A ChargedENNP around a field-aware local ENNP takes the field too: P = −(1/Ω)∂E/∂ℰ
    and Z* = ∂F/∂ℰ through both parts equal finite differences in a field, and the field
    survives saving."""
    from ennp_lab.models import load_model, save_model

    model = ChargedENNP(tiny_model(["Na", "Cl"], seed=1, electric_field=True, heads={keys.CHARGES: "0e"}),
                        Electrostatics(6.0, 1e-6))
    assert {spec.name for spec in model.inputs} == {keys.TOTAL_CHARGE, keys.ELECTRIC_FIELD}
    atoms = rocksalt_nacl(1)
    atoms.rattle(0.05, seed=2)
    field, h = np.array([0.02, -0.01, 0.03]), 1e-5

    def results(m, e):
        calc = ENNPCalculator(m, device="cpu", electric_field=e)
        a = atoms.copy()
        a.calc = calc
        return {k: np.asarray(calc.get_property(k, a)) for k in (keys.ENERGY, keys.FORCES, keys.POLARIZATION, keys.BORN_CHARGES)}

    exact = results(model, field)
    assert np.abs(exact[keys.BORN_CHARGES]).max() > 1e-3
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        plus, minus = results(model, field + step), results(model, field - step)
        born = (plus[keys.FORCES] - minus[keys.FORCES]) / (2 * h)
        p = -(plus[keys.ENERGY] - minus[keys.ENERGY]) / (2 * h) / atoms.get_volume()
        np.testing.assert_allclose(exact[keys.BORN_CHARGES][:, i, :], born, atol=1e-6 * np.abs(born).max())
        assert exact[keys.POLARIZATION][i] == pytest.approx(p, rel=1e-6, abs=1e-12)
    reloaded = load_model(save_model(model, tmp_path / "charged-field.pt"))
    np.testing.assert_allclose(results(reloaded, field)[keys.BORN_CHARGES], exact[keys.BORN_CHARGES], rtol=1e-12)
