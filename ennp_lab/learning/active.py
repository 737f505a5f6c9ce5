"""Active learning: the ensemble chooses which configurations the oracle labels next.

Each round:

1. train an ensemble on the labelled frames (:func:`~ennp_lab.learning.ensemble.train_ensemble`);
2. explore: ``pool_generator(calc, round, seed)`` returns candidate structures, typically
   snapshots of MD driven by the ensemble itself (:func:`build_md_pool`);
3. score every candidate by its largest per-atom force disagreement max_i σ_F,i and
   pick the ``per_round`` highest (``strategy="uncertainty"``; optionally at most
   ``max_per_source`` from any one MD run, for a diverse batch), or ``per_round`` at
   random (``strategy="random"``, the control);
4. label the picks with the oracle (EMT for metals, GFN2-xTB for molecules) and add them.

The record of each round holds the held-out force MAE of the ensemble mean against the
oracle, the mean σ_F on the held-out frames and on the pool, and the frames picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable, Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.data.generators import label_frames, md_frames
from ennp_lab.learning.ensemble import train_ensemble
from ennp_lab.learning.prediction import force_errors, predict_ensemble
from ennp_lab.learning.config import check_fields
from ennp_lab.learning.train import TrainConfig
from ennp_lab.models.ennp import ENNP
from ennp_lab.models.ensemble import Ensemble

__all__ = ["ActiveLearningConfig", "RoundRecord", "ActiveLearningResult", "build_md_pool", "run_active_learning"]


@dataclass(frozen=True)
class RoundRecord:
    """One round: training-set size, held-out force MAE (eV/Å) and mean σ_F (eV/Å) of the
    ensemble trained on it, mean score over the pool, the frames picked to label next,
    their scores (eV/Å) and their per-atom σ_F,i (eV/Å, each (n_atoms,)) when picked."""

    round: int
    n_train: int
    test_force_mae: float
    test_sigma: float
    pool_sigma: float
    picked: tuple[Atoms, ...]
    picked_sigma: np.ndarray
    picked_atom_sigma: tuple[np.ndarray, ...] = ()


@dataclass
class ActiveLearningResult:
    """All rounds, the final labelled set and the last ensemble."""

    strategy: str
    rounds: list[RoundRecord] = field(default_factory=list)
    frames: list[Atoms] = field(default_factory=list)
    ensemble: Ensemble | None = None

    @property
    def force_mae(self) -> np.ndarray:
        return np.array([r.test_force_mae for r in self.rounds])

    @property
    def n_train(self) -> np.ndarray:
        return np.array([r.n_train for r in self.rounds])


def build_md_pool(starts: Sequence[Atoms], temperatures_K: Sequence[float] = (300.0, 900.0, 1500.0), n_frames: int = 4,
            interval: int = 10, equilibration: int = 20, max_force: float = 20.0,
            names: Sequence[str] | None = None) -> Callable[[Calculator, int, int], list[Atoms]]:
    """A pool generator: Langevin MD (2 fs) driven by the current model from each start at
    each temperature, ``n_frames`` snapshots each after ``equilibration`` steps. Runs that
    blow up (a force above ``max_force`` eV/Å, atoms on top of each other: the model is off
    its map there) are skipped. ``info["source"]`` names the start (``names[s]``, default
    "start s") and temperature of every candidate."""
    names = list(names) if names is not None else [f"start {s}" for s in range(len(starts))]
    if len(names) != len(starts):
        raise ValueError(f"{len(names)} names for {len(starts)} starts")

    def generate(calc: Calculator, round_index: int, seed: int) -> list[Atoms]:
        pool = []
        for s, start in enumerate(starts):
            for t, T in enumerate(temperatures_K):
                try:
                    frames = md_frames(start, calc, T, n_frames, interval=interval, equilibration=equilibration,
                                       seed=seed + 1000 * round_index + 10 * s + t, max_force=max_force)
                except (ValueError, RuntimeError):
                    continue  # atoms collided: the model is off the map there
                pool += [Atoms(f.numbers, f.positions, cell=f.cell, pbc=f.pbc,
                               info=dict(f.info, start=s, source=f"{names[s]} {T:g} K")) for f in frames]
        return pool

    return generate


def _most_uncertain(scores: np.ndarray, sources: list, n: int, max_per_source: int | None) -> np.ndarray:
    """Indices of the ``n`` highest scores, at most ``max_per_source`` per source (greedy);
    when the limit leaves too few, the rest are filled by score."""
    order = list(np.argsort(-scores, kind="stable"))
    if max_per_source is None:
        return np.array(order[:n])
    picked, counts = [], {}
    for i in order:
        if counts.get(sources[i], 0) < max_per_source:
            picked.append(i)
            counts[sources[i]] = counts.get(sources[i], 0) + 1
        if len(picked) == n:
            break
    picked += [i for i in order if i not in picked][: n - len(picked)]
    return np.array(picked)


@dataclass(frozen=True)
class ActiveLearningConfig:
    """Settings of :func:`run_active_learning` (plain values, validated; ``to_dict`` and
    ``from_dict`` for recipe files).

    Attributes:
        rounds: label rounds (a final ensemble is trained and recorded after the last).
        per_round: frames labelled per round.
        ensemble_size: members per ensemble (≥ 2).
        training: how each member is trained (:class:`~ennp_lab.learning.config.TrainConfig`);
            the labelled frames also serve as its validation set (they are all there is).
        refine: warm start: after the first round, members continue from the previous
            round's weights with this config (e.g. fewer epochs, ``fit_energy_shift=False``);
            None retrains every round from scratch with ``training``.
        strategy: "uncertainty" (highest score) or "random" (the control).
        score: "max" scores a candidate by max_i σ_F,i (one atom far off), "mean" by the
            mean over its atoms.
        max_per_source: diversity: at most this many picks per round from candidates with
            the same ``info["source"]`` (one MD run), so a batch is not filled with
            near-copies from the one trajectory that wandered furthest (None: no limit).
        seed: seeds members, exploration and random picks.
        workers, device: as in :func:`~ennp_lab.learning.ensemble.train_ensemble`.

    Raises:
        ValueError: a field of the wrong type or out of range, named.
    """

    rounds: int = 4
    per_round: int = 8
    ensemble_size: int = 3
    training: TrainConfig = TrainConfig(max_epochs=30, early_stopping_patience=None, progress=False)
    refine: TrainConfig | None = None
    strategy: str = "uncertainty"
    score: str = "max"
    max_per_source: int | None = None
    seed: int = 0
    workers: int = 1
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("training", "refine"):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, TrainConfig.from_dict(value))
            elif not (isinstance(value, TrainConfig) or (value is None and name == "refine")):
                raise ValueError(f"active-learning option {name} must be a TrainConfig, got {type(value).__name__}")
        for name, low in (("rounds", 0), ("per_round", 1), ("ensemble_size", 2), ("seed", None), ("workers", 1),
                          ("max_per_source", 1)):
            value = getattr(self, name)
            if value is None and name == "max_per_source":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"active-learning option {name} must be an int, got {value!r}")
            if low is not None and value < low:
                raise ValueError(f"active-learning option {name} must be >= {low}, got {value}")
        if self.strategy not in ("uncertainty", "random"):
            raise ValueError(f"unknown strategy {self.strategy!r}; choose 'uncertainty' or 'random'")
        if self.score not in ("max", "mean"):
            raise ValueError(f"unknown score {self.score!r}; choose 'max' or 'mean'")
        if not isinstance(self.device, str):
            raise ValueError(f"active-learning option device must be a string, got {self.device!r}")

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["training"] = self.training.to_dict()
        out["refine"] = None if self.refine is None else self.refine.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ActiveLearningConfig":
        return cls(**check_fields(cls, data, "active-learning"))


def run_active_learning(
    oracle: Calculator,
    initial_frames: Sequence[Atoms],
    pool_generator: Callable[[Calculator, int, int], list[Atoms]],
    build: Callable[..., ENNP],
    test_frames: Sequence[Atoms],
    config: ActiveLearningConfig = ActiveLearningConfig(),
    callback: Callable[[RoundRecord], bool | None] | None = None,
) -> ActiveLearningResult:
    """Run ``config.rounds`` rounds of train → explore → pick → label (module docstring).

    Args:
        oracle: labels picked frames (energy, forces, stress).
        initial_frames: the labelled start (e.g. ≤ 10 frames).
        pool_generator: ``(calc, round, seed) → candidates``, e.g. :func:`build_md_pool`.
        build: called as ``build(seed=...)``, a fresh ENNP per member per round.
        test_frames: labelled held-out frames for the error record.
        config: :class:`ActiveLearningConfig`.
        callback: called with each :class:`RoundRecord`; returning True stops.

    Returns:
        :class:`ActiveLearningResult` with ``rounds + 1`` records (the last has no picks).
    """
    if not isinstance(config, ActiveLearningConfig):
        raise ValueError(f"config must be an ActiveLearningConfig, got {type(config).__name__}")
    if not initial_frames or not test_frames:
        raise ValueError("active learning needs initial labelled frames and labelled test frames")
    c = config
    rounds, per_round, strategy, seed, refine = c.rounds, c.per_round, c.strategy, c.seed, c.refine
    rng = np.random.default_rng(seed)
    frames = list(initial_frames)
    result = ActiveLearningResult(strategy)
    ensemble: Ensemble | None = None
    for r in range(rounds + 1):
        warm = refine is not None and ensemble is not None
        ensemble, _ = train_ensemble(build, frames, frames, size=c.ensemble_size, config=refine if warm else c.training,
                                     seed=seed + 100 * r, workers=c.workers, device=c.device,
                                     initial=ensemble if warm else None)
        calc = EnsembleCalculator(ensemble, device=c.device)
        errors, sigmas = force_errors(calc, test_frames)
        picked: list[Atoms] = []
        picked_sigma = np.zeros(0)
        picked_atom_sigma: tuple[np.ndarray, ...] = ()
        pool_sigma = float("nan")
        if r < rounds:
            pool = pool_generator(calc, r, seed)
            if not pool:
                raise ValueError(f"round {r}: the pool generator returned no candidates")
            atom_sigma = [p.epistemic for p in predict_ensemble(calc, pool)]
            scores = np.array([float(s.max() if c.score == "max" else s.mean()) for s in atom_sigma])
            pool_sigma = float(scores.mean())
            if strategy == "uncertainty":
                order = _most_uncertain(scores, [cand.info.get("source") for cand in pool], per_round, c.max_per_source)
            else:
                order = rng.choice(len(pool), size=min(per_round, len(pool)), replace=False)
            picked = label_frames([pool[i] for i in order], oracle, f"active_round_{r}")
            picked_sigma = scores[order]
            picked_atom_sigma = tuple(atom_sigma[i] for i in order)
        record = RoundRecord(r, len(frames), float(errors.mean()), float(sigmas.mean()), pool_sigma,
                             tuple(picked), picked_sigma, picked_atom_sigma)
        result.rounds.append(record)
        result.ensemble = ensemble
        frames += picked
        result.frames = list(frames)
        if callback is not None and callback(record):
            break
    return result
