"""A field-aware ENNP trained on BKS α-quartz in random fields (energies, forces, stress and
polarization): its Born charges against the reference's (q_i exactly) and the acoustic sum
rule."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab import ENNPCalculator, keys
from ennp_lab.data.quartz import BKS_CHARGES, generate_quartz_dataset, relaxed_quartz
from ennp_lab.learning import Target, TrainConfig, train
from ennp_lab.models import build_ennp
from ennp_lab.properties.dielectric import compute_born_charges

pytestmark = pytest.mark.slow


def test_trained_born_charges_within_five_percent_and_the_sum_rule():
    frames = generate_quartz_dataset(96, seed=0)
    model = build_ennp(["Si", "O"], r_max=4.0, channels=12, layers=2, l_max=1, electric_field=True, seed=0)
    targets = (Target(keys.ENERGY), Target(keys.FORCES), Target(keys.STRESS, 10.0), Target(keys.POLARIZATION, 1000.0))
    train(model, frames, None, TrainConfig(max_epochs=150, batch_size=4, lr=5e-3, scheduler="cosine", min_lr=1e-4,
                                           early_stopping_patience=None, progress=False, targets=targets))
    crystal, _ = relaxed_quartz()
    born = compute_born_charges(crystal, ENNPCalculator(model, device="cpu")).charges
    q = np.array([BKS_CHARGES[int(z)] for z in crystal.numbers])
    error = np.abs(born - q[:, None, None] * np.eye(3)).max(axis=(1, 2)) / np.abs(q)
    assert error.max() <= 0.05, error  # the xx components measured within 2 %: Si 2.38–2.44, O −1.19…−1.22
    assert np.abs(born.sum(axis=0)).max() <= 0.01  # exact (1e-15) for a translation-invariant model
