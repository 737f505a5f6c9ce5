"""A small, ready-made active-learning problem: EMT copper from a handful of cold frames.

Shared by the test suite, ``benchmarks/active_learning.py`` and the active-learning
notebook, so the three run the same thing.

* **Start:** ``n_initial`` bulk frames rattled by 0.05 Å (a cold crystal, nothing else).
* **Held out:** the target distribution: EMT-driven MD from the same starts at the same
  temperatures as the exploration (bulk at 300 and 900 K, the vacancy and the (111) slab
  at 900 K), equally many frames of each.
* **Exploration** each round: Langevin MD driven by the current ensemble, as real
  exploration looks: mostly near-copies — ``cold_runs`` short bulk runs at 300 K
  (``cold_frames`` snapshots each, close to the start frames) — and a few informative
  frames: one bulk run at 900 K, one from a vacancy and one from a (111) slab at 900 K
  (``rare_frames`` each, after ``rare_equilibration`` steps). With the defaults 6 of 30
  candidates are informative, so 4 random picks hold about one of them a round.
* **Oracle:** EMT.

The cells are small (16-atom bulk, 3-layer slab) and the model tiny (l_max 1, 8
channels, one layer, r_max 4 Å), so four rounds of both strategies run on two CPU cores
in a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.calculators.emt import EMT

from ennp_lab.data.generators import emt_lattice_constant, label_frames, md_frames, rattled_frames, slab_frames, vacancy_frames
from ennp_lab.learning.active import ActiveLearningConfig, build_md_pool
from ennp_lab.learning.train import TrainConfig
from ennp_lab.models.ennp import build_ennp

__all__ = ["ActiveLearningProblem", "emt_copper_problem"]


@dataclass
class ActiveLearningProblem:
    """Everything :func:`~ennp_lab.learning.active.run_active_learning` needs:
    ``loop_arguments(**changes)`` gives them as keyword arguments, with ``changes``
    (e.g. ``strategy="random"``) applied to the :class:`ActiveLearningConfig`."""

    oracle: Calculator
    initial: list[Atoms]
    test: list[Atoms]
    pool_generator: Callable[[Calculator, int, int], list[Atoms]]
    build: Callable[..., object]
    config: ActiveLearningConfig

    def loop_arguments(self, **changes) -> dict:
        return dict(oracle=self.oracle, initial_frames=self.initial, pool_generator=self.pool_generator,
                    build=self.build, test_frames=self.test, config=replace(self.config, **changes))


def emt_copper_problem(n_initial: int = 6, n_test_per_kind: int = 4, cold_runs: int = 6, cold_frames: int = 4,
                       rare_frames: int = 2, rare_equilibration: int = 25, epochs: int = 45,
                       seed: int = 0) -> ActiveLearningProblem:
    """The problem of the module docstring (4 rounds of 4 picks, 3 members, picks
    diversified to at most one per MD run; the loss weights are :class:`TrainConfig`'s
    defaults, forces first)."""
    oracle = EMT()
    a0 = emt_lattice_constant("Cu")
    cell = bulk("Cu", "fcc", a=a0, cubic=True).repeat((2, 2, 1))
    initial = label_frames(rattled_frames(cell, n_initial, sigma=0.05, seed=seed), oracle, "initial")
    vacancy = vacancy_frames(cell, 1, rattle=0.0, seed=1)[0]
    slab = slab_frames("Cu", a0, (1, 1, 1), layers=3, n_frames=1, rattle=0.0, seed=1)[0]
    n = n_test_per_kind
    test = []
    for k, (start, T, kind) in enumerate([(cell, 300.0, "bulk 300 K"), (cell, 900.0, "bulk 900 K"),
                                          (vacancy, 900.0, "vacancy 900 K"), (slab, 900.0, "slab 900 K")]):
        test += label_frames(md_frames(start, oracle, T, n, interval=20, seed=90 + k), oracle, kind)
    cold_pool = build_md_pool([cell] * cold_runs, (300.0,), n_frames=cold_frames, interval=5, equilibration=10,
                              names=[f"bulk {k}" for k in range(cold_runs)])
    rare_pool = build_md_pool([cell, vacancy, slab], (900.0,), n_frames=rare_frames, interval=5,
                              equilibration=rare_equilibration, names=["bulk", "vacancy", "slab"])

    def pool(calc: Calculator, round_index: int, pool_seed: int) -> list[Atoms]:
        return cold_pool(calc, round_index, pool_seed) + rare_pool(calc, round_index, pool_seed + 7)

    build = partial(build_ennp, ["Cu"], r_max=4.0, l_max=1, channels=8, layers=1, dtype="float64")
    training = TrainConfig(max_epochs=epochs, batch_size=4, lr=1e-2, scheduler="cosine", early_stopping_patience=None,
                           progress=False)
    config = ActiveLearningConfig(rounds=4, per_round=4, ensemble_size=3, training=training, max_per_source=1, seed=seed)
    return ActiveLearningProblem(oracle, initial, test, pool, build, config)
