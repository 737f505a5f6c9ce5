"""Fitting a declared head of an ENNP (e.g. a 0o pseudoscalar) to per-structure labels.

The loss is the mean squared error between the head's per-structure output (summed over
atoms) and ``atoms.info[key]``; full-batch Adam with a cosine learning-rate schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms

from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.ennp import ENNP

__all__ = ["HeadFit", "fit_head", "predict_head"]


@dataclass(frozen=True)
class HeadFit:
    """Loss per epoch (mean squared error in the label's units²) and wall time (s)."""

    loss: np.ndarray
    seconds: float


def _labels(frames: Sequence[Atoms], key: str) -> np.ndarray:
    missing = [k for k, a in enumerate(frames) if key not in a.info]
    if missing:
        raise ValueError(f"frames {missing[:5]} have no label info[{key!r}]")
    return np.array([float(a.info[key]) for a in frames])


def fit_head(
    model: ENNP,
    frames: Sequence[Atoms],
    head: str,
    key: str | None = None,
    epochs: int = 300,
    lr: float = 5e-3,
    callback=None,
) -> HeadFit:
    """Train ``model`` so that its head ``head`` (one component) matches ``info[key]``.

    Args:
        model: an ENNP with the declared head.
        frames: labelled structures.
        head: head name; ``key`` defaults to it.
        epochs: full-batch Adam steps.
        lr: initial learning rate (cosine decay to 1 %).
        callback: called as ``callback(epoch, loss)`` after each step; returning True stops.
    """
    import time

    if head not in model.config.heads:
        raise ValueError(f"the model has no head {head!r}; it has {sorted(model.config.heads)}")
    y = torch.as_tensor(_labels(frames, key or head), dtype=model.dtype, device=model.device)
    graph = AtomGraph.from_atoms(list(frames), model.cutoff, dtype=model.dtype, device=model.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs, eta_min=0.01 * lr)
    losses = []
    start = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = torch.mean((model(graph)[head][:, 0] - y) ** 2)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(float(loss.detach()))
        if callback is not None and callback(epoch, losses[-1]):
            break
    model.eval()
    return HeadFit(np.array(losses), time.perf_counter() - start)


@torch.no_grad()
def predict_head(model: ENNP, frames: Sequence[Atoms] | Atoms, head: str) -> np.ndarray:
    """(B,) first component of the head's per-structure output for each structure."""
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    graph = AtomGraph.from_atoms(frames, model.cutoff, dtype=model.dtype, device=model.device)
    return model(graph)[head][:, 0].detach().cpu().numpy().astype(float)
