"""The elasticity-tensor head: equivariant by construction, and it learns C from data."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from scipy.spatial.transform import Rotation

from ennp_lab.learning.tensors import elastic_tensor_samples, fit_elastic_model, predict_elastic_tensor
from ennp_lab.models.elastic_head import ElasticTensorModel, build_elastic_model
from ennp_lab.models.ennp import build_ennp


def test_head_output_has_the_symmetries_of_c_and_rotates_as_rank_four(triclinic_alloy):
    model = build_elastic_model(["Cu", "Au"], r_max=4.0, channels=4, seed=3)
    c = predict_elastic_tensor(model, triclinic_alloy)
    full = c.full
    for perm in [(1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)]:
        np.testing.assert_allclose(full, full.transpose(perm), atol=1e-12)
    assert np.abs(full).max() > 1e-4  # not trivially zero
    for seed in range(3):
        r = Rotation.random(random_state=seed).as_matrix()
        if seed == 2:
            r = -r  # improper: C is even under inversion, so it transforms the same way
        moved = triclinic_alloy.copy()
        moved.set_cell(triclinic_alloy.cell.array @ r.T, scale_atoms=True)
        expected = np.einsum("ia,jb,kc,ld,abcd->ijkl", r, r, r, r, full)
        # exact: e3nn's float32-rounded change of basis leaked ~2e-8 (nn.constants.exact_cartesian_basis)
        assert np.abs(predict_elastic_tensor(model, moved).full - expected).max() < 1e-12 * np.abs(full).max()


def test_head_requires_the_elastic_irreps():
    with pytest.raises(ValueError, match="head"):
        ElasticTensorModel(build_ennp(["Cu"], r_max=4.0, l_max=2, channels=4, seed=0))


@pytest.mark.slow
def test_head_learns_c_of_strained_and_rotated_cells():
    cell = bulk("Cu", "fcc", a=3.5898, cubic=True)
    train = elastic_tensor_samples(cell, EMT(), 16, seed=0)
    test = elastic_tensor_samples(cell, EMT(), 6, seed=1)
    model = build_elastic_model(["Cu"], r_max=3.0, channels=4, seed=0, dtype="float32")
    before = [predict_elastic_tensor(model, s.atoms).full - s.tensor for s in test]
    losses = fit_elastic_model(model, train, epochs=100, lr=0.02)
    after = [predict_elastic_tensor(model, s.atoms).full - s.tensor for s in test]
    scale = np.sqrt(np.mean([np.mean(s.tensor**2) for s in test]))
    rms_before, rms_after = (np.sqrt(np.mean(np.square(e))) for e in (before, after))
    assert losses[-1] < 0.05 * losses[0]
    assert rms_after < 0.1 * scale and rms_after < 0.2 * rms_before
