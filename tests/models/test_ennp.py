"""The ENNP: reproducibility, species handling, batching, smoothness at r_max, parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk

from ennp_lab import ENNPCalculator, build_ennp
from ennp_lab.graph import AtomGraph
from ennp_lab.testing import assert_batch_equals_single, tiny_model


def test_seeded_build_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a = build_ennp(["Cu"], channels=4, seed=3)
    b = build_ennp(["Cu"], channels=4, seed=3)
    c = build_ennp(["Cu"], channels=4, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb)
    assert not torch.allclose(pa, pc)
    assert a.dtype == torch.float64


def test_architecture_follows_the_options():
    model = build_ennp(["Cu", "Ag"], r_max=4.2, l_max=1, channels=6, layers=3)
    assert str(model.irreps_sh) == "1x0e+1x1o"
    assert model.irreps_out == model.interactions[-1].irreps_out
    assert len(model.interactions) == 3 and model.cutoff == 4.2
    assert str(model.irreps_out).startswith("6x0e")
    so3 = build_ennp(["Cu"], l_max=2, channels=6, parity=False)
    assert str(so3.irreps_sh) == "1x0e+1x1e+1x2e"
    assert all(ir.p == 1 for _, ir in so3.irreps_out)
    # channel-wise ("uvu") convolutions
    assert all(ins.connection_mode == "uvu" for ins in model.interactions[0].tp.instructions)
    with pytest.raises(ValueError, match="unknown element symbol"):
        build_ennp(["Qq"])
    with pytest.raises(ValueError, match="r_max"):
        build_ennp(["Cu"], r_max=-1.0)


def test_unknown_element_for_the_model_is_named(cu_model):
    atoms = bulk("Ag", "fcc", a=4.1)
    atoms.calc = ENNPCalculator(cu_model, device="cpu")
    with pytest.raises(ValueError, match=r"unknown element for this model: Ag \(the model knows Cu\)"):
        atoms.get_potential_energy()


def test_batched_equals_single(alloy_model, triclinic_alloy):
    other = bulk("Au", "fcc", a=4.08).repeat((2, 1, 1))
    other.rattle(0.05, seed=2)
    cu = bulk("Cu", "fcc", a=3.6, cubic=True)
    cu.rattle(0.05, seed=4)
    assert_batch_equals_single(alloy_model, [triclinic_alloy, other, cu])


def test_per_atom_energies_sum_to_energy(cu_model, triclinic_cu):
    graph = AtomGraph.from_atoms(triclinic_cu, cu_model.cutoff)
    out = cu_model(graph)
    assert out["energies"].shape == (len(triclinic_cu),)
    torch.testing.assert_close(out["energies"].sum(), out["energy"][0], rtol=0, atol=1e-12)


def test_energy_and_forces_vanish_smoothly_at_r_max(cu_model):
    """A dimer across r_max: E and F continuous (envelope smooth to 2nd order)."""
    calc = ENNPCalculator(cu_model, device="cpu")
    r_max = cu_model.cutoff

    def energy_force(r):
        dimer = Atoms("Cu2", positions=[[0, 0, 0], [r, 0, 0]])
        dimer.calc = calc
        return dimer.get_potential_energy(), dimer.get_forces()[1, 0]

    e_far, f_far = energy_force(r_max + 0.5)
    assert f_far == 0.0
    for delta in (1e-2, 1e-3):
        e_in, f_in = energy_force(r_max - delta)
        e_out, f_out = energy_force(r_max + delta)
        assert e_out == e_far
        # u(x) ~ (1-x)^3 near x=1: E - E_far = O(delta^3), F = O(delta^2)
        assert abs(e_in - e_far) < 50 * delta**3
        assert abs(f_in) < 50 * delta**2
    e_mid, _ = energy_force(0.8 * r_max)
    assert abs(e_mid - e_far) > 1e-4  # the pair does interact inside r_max


def test_crystal_shell_crossing_r_max_is_continuous():
    """Scaling an FCC crystal so that the second shell (a) crosses r_max."""
    model = tiny_model(["Cu"], seed=5, r_max=3.6)
    calc = ENNPCalculator(model, device="cpu")

    def energy(a):
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        atoms.calc = calc
        return atoms.get_potential_energy(), atoms.get_stress()

    jumps = []
    for delta in (1e-4, 1e-6):
        (e_lo, s_lo), (e_hi, s_hi) = energy(3.6 - delta), energy(3.6 + delta)
        jumps.append((abs(e_hi - e_lo), np.abs(s_hi - s_lo).max()))
    # a continuous E(a) changes by O(delta): 100x smaller step, ~100x smaller change
    assert jumps[1][0] < jumps[0][0] / 50 and jumps[1][0] < 1e-5
    assert jumps[1][1] < jumps[0][1] / 50 + 1e-9


def _chiral_centre():
    """A CHFClBr-like tetrahedral centre with four different substituents."""
    positions = np.array(
        [[0.0, 0.0, 0.0], [0.63, 0.63, 0.63], [-0.78, -0.78, 0.78], [-1.05, 1.05, -1.05], [1.12, -1.12, -1.12]]
    )
    return Atoms("CHFClBr", positions=positions)


def test_parity_model_is_blind_to_mirror_images_but_so3_model_is_not():
    species = ["H", "C", "F", "Cl", "Br"]
    left = _chiral_centre()
    right = left.copy()
    right.positions[:, 0] *= -1.0
    energies = {}
    for parity in (True, False):
        model = tiny_model(species, seed=7, parity=parity, layers=3, r_max=3.5)
        calc = ENNPCalculator(model, device="cpu")
        energies[parity] = []
        for atoms in (left, right):
            atoms = atoms.copy()
            atoms.calc = calc
            energies[parity].append(atoms.get_potential_energy())
        # both are invariant under proper rotations
        rotated = left.copy()
        rotated.rotate(37, (1, 2, 3))
        rotated.calc = calc
        assert abs(rotated.get_potential_energy() - energies[parity][0]) < 1e-10
    assert abs(energies[True][0] - energies[True][1]) < 1e-12
    assert abs(energies[False][0] - energies[False][1]) > 1e-6


def test_declared_heads_transform_with_their_irreps():
    hidden = "4x0e+4x0o+4x1o+4x1e+4x2e"
    model = tiny_model(["H", "C", "F", "Cl", "Br"], seed=1, layers=3, hidden_irreps=hidden, heads={"chirality": "0o", "dipole": "1o"})
    atoms = _chiral_centre()
    R = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    R *= np.sign(np.linalg.det(R))  # proper rotation

    def heads(a):
        out = model(AtomGraph.from_atoms(a, model.cutoff))
        return out["chirality"][0].detach().numpy(), out["dipole"][0].detach().numpy()

    chi, dip = heads(atoms)
    assert abs(chi[0]) > 1e-8 and np.linalg.norm(dip) > 1e-8
    mirrored = atoms.copy()
    mirrored.positions[:, 0] *= -1
    chi_m, dip_m = heads(mirrored)
    np.testing.assert_allclose(chi_m, -chi, atol=1e-12)  # pseudoscalar flips sign
    np.testing.assert_allclose(dip_m, dip * [-1, 1, 1], atol=1e-12)  # polar vector reflects
    rotated = atoms.copy()
    rotated.positions = atoms.positions @ R.T
    chi_r, dip_r = heads(rotated)
    np.testing.assert_allclose(chi_r, chi, atol=1e-12)
    np.testing.assert_allclose(dip_r, R @ dip, atol=1e-12)
    with pytest.raises(ValueError, match="need 0o"):
        tiny_model(["Cu"], heads={"chirality": "0o"})
