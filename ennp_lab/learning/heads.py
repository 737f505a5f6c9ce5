"""Fitting a declared head of a model (e.g. a 0o pseudoscalar) to per-structure labels.

A configuration of the one training engine (:func:`ennp_lab.learning.train.train`): the
mean squared error between the head's per-structure output (summed over atoms) and
``atoms.info[key]``, full-batch Adam with a cosine learning-rate schedule down to 1 %,
no EMA, no validation (the last weights are kept).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms

from ennp_lab.graph.data import AtomGraph
from ennp_lab.learning.targets import Target
from ennp_lab.learning.train import TrainConfig, train
from ennp_lab.models.interface import declared_inputs, declared_outputs

__all__ = ["HeadFit", "fit_head", "predict_head", "full_batch_config"]


@dataclass(frozen=True)
class HeadFit:
    """Loss per epoch (mean squared error in the label's units²) and wall time (s)."""

    loss: np.ndarray
    seconds: float


def full_batch_config(targets: Sequence[Target], n_frames: int, epochs: int, lr: float) -> TrainConfig:
    """Full-batch Adam on ``targets`` in frame order, cosine schedule to 1 % of ``lr``,
    no EMA, clipping, early stopping or energy-shift fit (small property models)."""
    return TrainConfig(max_epochs=int(epochs), batch_size=max(int(n_frames), 1), lr=float(lr), scheduler="cosine",
                       min_lr=0.01 * float(lr), ema_decay=None, early_stopping_patience=None, clip_grad_norm=None,
                       fit_energy_shift=False, progress=False, shuffle=False, targets=tuple(targets))


def fit_head(model, frames: Sequence[Atoms], head: str, key: str | None = None, epochs: int = 300, lr: float = 5e-3,
             callback=None) -> HeadFit:
    """Train ``model`` so that its head ``head`` (one component) matches ``info[key]``.

    Args:
        model: a model with the declared head.
        frames: labelled structures.
        head: head name; ``key`` defaults to it.
        epochs: full-batch Adam steps.
        lr: initial learning rate (cosine decay to 1 %).
        callback: called as ``callback(epoch, loss)`` after each step; returning True stops.

    Raises:
        ValueError: no such head; frames without the label.
    """
    key = key or head
    if head not in declared_outputs(model):
        raise ValueError(f"the model has no head {head!r}; it has {sorted(declared_outputs(model))}")
    missing = [k for k, a in enumerate(frames) if key not in a.info]
    if missing:
        raise ValueError(f"frames {missing[:5]} have no label info[{key!r}]")
    config = full_batch_config([Target(head, label=key)], len(frames), epochs, lr)
    hook = None if callback is None else (lambda history: callback(history.epoch[-1], history.train_loss[-1]))
    start = time.perf_counter()
    result = train(model, frames, None, config, callback=hook)
    return HeadFit(np.array(result.history.train_loss), time.perf_counter() - start)


@torch.no_grad()
def predict_head(model, frames: Sequence[Atoms] | Atoms, head: str) -> np.ndarray:
    """(B,) first component of the head's per-structure output for each structure."""
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    graph = AtomGraph.from_atoms(frames, model.cutoff, dtype=model.dtype, device=model.device, inputs=declared_inputs(model))
    return model(graph)[head][:, 0].detach().cpu().numpy().astype(float)
