"""The active-learning loop's mechanics on a tiny problem (the ≥ 2× error reduction over
4 rounds is a benchmark: benchmarks/active_learning.py)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.data.generators import label_frames, rattled_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.active import active_learning_loop, ensemble_force_errors
from ennp_lab.learning.ensemble import EnsembleCalculator
from ennp_lab.testing import tiny_model


def test_loop_labels_the_most_uncertain_candidates():
    cell = bulk("Cu", "fcc", a=3.6, cubic=True)
    initial = label_frames(rattled_frames(cell, 4, sigma=0.03, seed=1), EMT(), "initial")
    test = label_frames(rattled_frames(cell, 2, sigma=0.1, seed=2), EMT(), "test")
    # candidates from gentle to violent rattles: the violent ones are the uncertain ones
    candidates = [f for s, sigma in enumerate((0.02, 0.05, 0.15, 0.25)) for f in rattled_frames(cell, 2, sigma=sigma, seed=10 + s)]
    seen = []

    def pool(calc, round_index, seed):
        seen.append(round_index)
        return [c.copy() for c in candidates]

    build = partial(tiny_model, ["Cu"])
    config = TrainConfig(max_epochs=2, batch_size=2, progress=False, ema_decay=None, early_stopping_patience=None)
    result = active_learning_loop(EMT(), initial, pool, build, test, rounds=2, per_round=3, ensemble_size=2, config=config)
    assert seen == [0, 1] and list(result.n_train) == [4, 7, 10] and len(result.frames) == 10
    first = result.rounds[0]
    assert len(first.picked) == 3 and np.all(np.diff(first.picked_sigma) <= 0)
    # the picks carry EMT's labels and are the highest-σ candidates of the pool
    for frame in first.picked:
        a = frame.copy()
        a.calc = EMT()
        np.testing.assert_allclose(frame.get_forces(), a.get_forces(), atol=1e-12)
    assert first.pool_sigma < first.picked_sigma.mean()
    errors, sigmas = ensemble_force_errors(EnsembleCalculator(result.ensemble, device="cpu"), test)
    assert abs(errors.mean() - result.rounds[-1].test_force_mae) < 1e-12 and sigmas.shape == (2,)
    random = active_learning_loop(EMT(), initial, pool, build, test, rounds=1, per_round=3, ensemble_size=2,
                                  config=config, strategy="random", seed=5)
    assert len(random.rounds[0].picked) == 3
    with pytest.raises(ValueError, match="strategy"):
        active_learning_loop(EMT(), initial, pool, build, test, strategy="greedy")
