"""Local or long-range: train a local ENNP and the hybrid with the same local part plus
electrostatics of latent charges on the same frames, and evaluate both on held-out ones.

The hybrid is :class:`~ennp_lab.models.electrostatics.ChargedENNP` around an ENNP built
with the same options and an extra 0e ``charges`` head; both start from the same seed and
are trained with the same :class:`~ennp_lab.learning.config.TrainConfig` on energies and
forces (and stress) only: its charges are latent, learned from those labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from ase import Atoms

from ennp_lab import keys
from ennp_lab.learning.config import TrainConfig
from ennp_lab.learning.metrics import Evaluation, evaluate
from ennp_lab.learning.train import train

__all__ = ["LocalityComparison", "build_local_and_hybrid", "compare_locality", "NACL_COUNTS", "NACL_MODEL",
           "NACL_SCREENING", "NACL_CUTOFF", "nacl_study_config"]

#: the NaCl study behind the slow tests and the shipped records (scripts/train_electrostatics.py):
#: frames of :func:`~ennp_lab.data.ionic.generate_nacl_dataset` (8-ion cells),
NACL_COUNTS = dict(n_rattled=12, n_strained=8, n_schottky=8, n_molten=12, n_pairs=16, repeat=1)
#: the ENNP options of both models, the local cutoff (Å: first and second neighbours, 2.82 and
#: 3.99 Å) and the screening κ (1/Å) of the screened labels
NACL_MODEL = dict(channels=8, layers=1, l_max=1, seed=0)
NACL_CUTOFF = 4.0
NACL_SCREENING = 2.0


def nacl_study_config(epochs: int = 160) -> TrainConfig:
    """The training settings of the NaCl study (full cosine schedule, no early stopping)."""
    return TrainConfig(max_epochs=epochs, batch_size=4, lr=5e-3, scheduler="cosine", min_lr=1e-4,
                       early_stopping_patience=None, progress=False)


@dataclass(frozen=True)
class LocalityComparison:
    """The two trained models and their held-out evaluations.

    Attributes:
        local, hybrid: the models (``hybrid`` a ChargedENNP).
        local_eval, hybrid_eval: :class:`~ennp_lab.learning.metrics.Evaluation` on the test frames.
        seconds: wall time of each training.
    """

    local: object
    hybrid: object
    local_eval: Evaluation
    hybrid_eval: Evaluation
    seconds: dict[str, float]

    @property
    def force_ratio(self) -> float:
        """Local force MAE / hybrid force MAE (> 1: the hybrid is better)."""
        return self.local_eval.force_mae / self.hybrid_eval.force_mae


def build_local_and_hybrid(species: Sequence[str | int], r_max: float, electrostatics=None, **options):
    """(local ENNP, ChargedENNP) of the same size (``build_ennp`` options, same seed)."""
    from ennp_lab.models.electrostatics import ChargedENNP, Electrostatics
    from ennp_lab.models.ennp import build_ennp

    heads = dict(options.pop("heads", {}))
    local = build_ennp(species, r_max=r_max, heads=heads, **options)
    charged = build_ennp(species, r_max=r_max, heads={**heads, keys.CHARGES: "0e"}, **options)
    return local, ChargedENNP(charged, electrostatics or Electrostatics(8.0, 1e-5))


def compare_locality(train_frames: Sequence[Atoms], test_frames: Sequence[Atoms], species: Sequence[str | int], r_max: float,
                     config: TrainConfig = TrainConfig(), electrostatics=None, **options) -> LocalityComparison:
    """Train the local and the hybrid model (:func:`build_local_and_hybrid`) on
    ``train_frames`` with ``config`` (no validation set: the last weights), evaluate both on
    ``test_frames``."""
    local, hybrid = build_local_and_hybrid(species, r_max, electrostatics, **options)
    seconds = {}
    for name, model in (("local", local), ("hybrid", hybrid)):
        start = time.perf_counter()
        train(model, train_frames, None, config)
        seconds[name] = time.perf_counter() - start
    return LocalityComparison(local, hybrid, evaluate(local, test_frames), evaluate(hybrid, test_frames), seconds)
