"""Tensor heads (e3nn CartesianTensor): P, Z* and e predicted directly rotate as rank-1,
-2 and -3 polar tensors for any weights, vanish where inversion forbids them, and P learns
the bond-valence BaTiO₃ polarization along its switching path."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from scipy.spatial.transform import Rotation

from ennp_lab import ENNPCalculator, keys
from ennp_lab.models.ennp import build_ennp
from ennp_lab.models.tensor_head import (BORN_CHARGES_HEAD, PIEZOELECTRIC_HEAD, POLARIZATION_HEAD, CartesianTensorModel,
                                         TensorHead, build_tensor_model)

HEADS = (POLARIZATION_HEAD, BORN_CHARGES_HEAD, PIEZOELECTRIC_HEAD)


@pytest.fixture(scope="module")
def model():
    return build_tensor_model(["Na", "Cl"], HEADS, r_max=4.0, channels=4, layers=2, seed=1, electric_field=True)


def _tensors(model, atoms, field):
    calc = ENNPCalculator(model, device="cpu", electric_field=np.asarray(field, dtype=float))
    a = atoms.copy()
    a.calc = calc
    names = (POLARIZATION_HEAD.name, keys.per_atom(BORN_CHARGES_HEAD.name), BORN_CHARGES_HEAD.name, PIEZOELECTRIC_HEAD.name)
    return [np.asarray(calc.get_property(n, a)) for n in names]


def _crystal(rattle=0.08):
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + [[0.02, 0.01, 0], [0, -0.01, 0.03], [0.0, 0.0, 0.01]]), scale_atoms=True)
    atoms = atoms.repeat((2, 1, 1))
    if rattle:
        atoms.rattle(rattle, seed=4)
    return atoms


def test_heads_rotate_as_polar_tensors_for_any_weights(model):
    atoms, field = _crystal(), np.array([0.03, -0.01, 0.02])
    p, z, z_sum, e = _tensors(model, atoms, field)
    assert p.shape == (3,) and z.shape == (len(atoms), 3, 3) and e.shape == (3, 3, 3)
    np.testing.assert_allclose(z_sum, z.sum(axis=0), atol=1e-13)  # the per-structure value is the sum rule's Σ Z*
    np.testing.assert_allclose(e, e.transpose(0, 2, 1), atol=1e-15)  # e_ijk = e_ikj
    assert min(np.abs(p).max(), np.abs(z).max(), np.abs(e).max()) > 1e-6  # not trivially zero
    for seed, improper in ((0, False), (1, True)):
        r = Rotation.random(random_state=seed).as_matrix() * (-1 if improper else 1)
        moved = atoms.copy()
        moved.set_cell(atoms.cell[:] @ r.T, scale_atoms=True)
        p2, z2, _, e2 = _tensors(model, moved, r @ field)  # the field is a polar vector: it turns too
        np.testing.assert_allclose(p2, r @ p, atol=1e-12 * np.abs(p).max())
        np.testing.assert_allclose(z2, np.einsum("ia,jb,nab->nij", r, r, z), atol=1e-12 * np.abs(z).max())
        np.testing.assert_allclose(e2, np.einsum("ia,jb,kc,abc->ijk", r, r, r, e), atol=1e-12 * np.abs(e).max())


def test_inversion_forbids_p_and_e_and_p_is_intensive(model):
    rattled = _tensors(model, _crystal(), np.zeros(3))
    p, _, _, e = _tensors(model, bulk("NaCl", "rocksalt", a=5.64), np.zeros(3))  # centrosymmetric, no field
    assert np.abs(p).max() < 1e-12 * np.abs(rattled[0]).max() + 1e-15
    assert np.abs(e).max() < 1e-10 * np.abs(rattled[3]).max()
    atoms = _crystal()
    p1 = _tensors(model, atoms, np.zeros(3))[0]
    p2 = _tensors(model, atoms.repeat((1, 2, 1)), np.zeros(3))[0]
    np.testing.assert_allclose(p2, p1, atol=1e-13)  # Σ μ_i / Ω: a density


def test_bad_heads_are_named():
    with pytest.raises(ValueError, match="not a CartesianTensor formula"):
        TensorHead("bad", "ij=k")
    with pytest.raises(ValueError, match="reduction"):
        TensorHead("bad", "ij", "median")
    with pytest.raises(ValueError, match="needs a head 'piezoelectric_head' with irreps"):
        CartesianTensorModel(build_ennp(["Na"], r_max=3.0, l_max=1, channels=2, seed=0), [PIEZOELECTRIC_HEAD])
    with pytest.raises(ValueError, match="l_max = 2 cannot carry"):
        build_tensor_model(["Na"], [PIEZOELECTRIC_HEAD], l_max=2)


@pytest.mark.slow
def test_a_polarization_head_learns_the_switching_path():
    from ennp_lab.data.perovskite import BATIO3_CHARGES, batio3_ground_state, generate_batio3_dataset
    from ennp_lab.learning.config import TrainConfig
    from ennp_lab.learning.targets import Target
    from ennp_lab.learning.train import train

    model = build_tensor_model(["Ba", "Ti", "O"], [POLARIZATION_HEAD], r_max=4.5, channels=8, layers=2, seed=0)
    target = Target(POLARIZATION_HEAD.name, 1000.0, label="polarization", quantum_charge=BATIO3_CHARGES[22])
    config = TrainConfig(max_epochs=80, batch_size=4, lr=1e-2, scheduler="cosine", min_lr=1e-4,
                         early_stopping_patience=None, progress=False, targets=(target,))
    train(model, generate_batio3_dataset(48, seed=3), None, config)
    polar, para, reference = batio3_ground_state()
    calc = ENNPCalculator(model, device="cpu")
    for lam in (0.5, 1.0):  # half-way up the well, and P_s
        atoms = para.copy()
        atoms.positions += lam * (polar.positions - para.positions)
        p_ref = reference.get_property(keys.POLARIZATION, atoms.copy())
        p = calc.get_property(POLARIZATION_HEAD.name, atoms.copy())
        assert np.linalg.norm(p - p_ref) <= 0.05 * np.linalg.norm(p_ref)  # measured 0.6 % and 1.0 %
