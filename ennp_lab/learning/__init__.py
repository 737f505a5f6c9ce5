"""Learning: datasets, training, evaluation, ensembles, noise heads, calibration and active learning."""

from ennp_lab.learning.dataset import average_num_neighbors, build_samples, collate, fit_energy_shift, force_rms
from ennp_lab.learning.metrics import Evaluation, evaluate
from ennp_lab.learning.targets import Target
from ennp_lab.learning.train import History, TrainConfig, TrainResult, TrainState, train

__all__ = [
    "average_num_neighbors",
    "build_samples",
    "collate",
    "fit_energy_shift",
    "force_rms",
    "Evaluation",
    "evaluate",
    "History",
    "Target",
    "TrainConfig",
    "TrainState",
    "TrainResult",
    "train",
]
