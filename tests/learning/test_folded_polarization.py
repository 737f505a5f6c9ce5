"""Polarization targets folded by the quantum (as allegro-pol does): a label on another
branch of the polarization lattice costs nothing, down to identical training runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ennp_lab import keys
from ennp_lab.data.perovskite import BATIO3_CHARGES, generate_batio3_dataset
from ennp_lab.learning.config import TrainConfig
from ennp_lab.learning.field import field_targets
from ennp_lab.learning.targets import Target, target_loss
from ennp_lab.learning.train import train
from ennp_lab.properties.polarization import polarization_quanta
from ennp_lab.testing import tiny_model


def test_a_whole_quantum_in_the_label_costs_nothing():
    cells = torch.tensor(np.array([np.eye(3) * 4.0, [[4.0, 0.3, 0], [0, 4.2, 0], [0.1, 0, 3.9]]]))
    quanta = torch.tensor(np.array([polarization_quanta(c, 1.3) for c in cells.numpy()]))
    prediction = torch.tensor([[0.01, -0.02, 0.005], [0.0, 0.003, -0.01]], dtype=torch.float64, requires_grad=True)
    offset = torch.tensor([[0.001, 0.0, -0.002], [0.0, 0.004, 0.0]], dtype=torch.float64)
    label = prediction.detach() + offset
    shifted = label + torch.einsum("bi,bij->bj", torch.tensor([[2.0, -1, 0], [0, 1, -3]], dtype=torch.float64), quanta)
    folded = Target(keys.POLARIZATION, quantum_charge=1.3)
    plain = Target(keys.POLARIZATION)
    expected = target_loss(plain, prediction, label)
    got = target_loss(folded, prediction, shifted, cells=cells)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12) and expected.item() > 0
    assert target_loss(plain, prediction, shifted).item() > 1e3 * expected.item()  # unfolded: a quantum apart
    got.backward()
    np.testing.assert_allclose(prediction.grad.numpy(), -2 * offset.numpy() / offset.numel(), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="quantum_charge"):
        Target(keys.POLARIZATION, quantum_charge=0.0)
    with pytest.raises(ValueError, match="needs \\(B, 3\\) values and the B cells"):
        target_loss(folded, prediction, label)


def _train(frames, quantum_charge):
    model = tiny_model(["Ba", "Ti", "O"], seed=0, electric_field=True)
    targets = field_targets()[:-1] + (Target(keys.POLARIZATION, 1000.0, quantum_charge=quantum_charge),)
    config = TrainConfig(max_epochs=3, batch_size=2, lr=5e-3, early_stopping_patience=None, progress=False,
                         targets=targets, shuffle=False)
    train(model, frames, None, config)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_training_on_labels_from_other_branches_is_the_same_run_when_folded():
    frames = generate_batio3_dataset(4, seed=2)
    shifted = [f.copy() for f in frames]
    q = BATIO3_CHARGES[22]  # the quantum of a Ti moved by a lattice vector
    for k, (f, s) in enumerate(zip(frames, shifted)):
        s.calc = f.calc
        s.info["polarization"] = f.info["polarization"] + (k - 1) * polarization_quanta(f.cell[:], q)[k % 3]
    same = _train(frames, q), _train(shifted, q)
    assert torch.allclose(same[0], same[1], rtol=0, atol=1e-10)
    assert not torch.allclose(_train(shifted, None), same[0], atol=1e-4)  # unfolded, the shifted labels mislead it
