"""Judging pseudoscalar (chirality) predictions on enantiomer pairs.

A model of a pseudoscalar must predict (χ, −χ) for a molecule and its mirror image. For
predictions p over a set of pairs (A_k, A_k*) with labels y:

* R² = 1 − Σ(p − y)² / Σ(y − ȳ)²;
* pair difference |p(A) − p(A*)| (0 for a parity-blind model: it cannot tell them apart);
* pair sum |p(A) + p(A*)| (0 for an O(3) pseudoscalar model: it flips sign exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from ase import Atoms

from ennp_lab.data.chiral import CHIRALITY_KEY

__all__ = ["EnantiomerEvaluation", "MirrorPair", "evaluate_enantiomers", "mirror_beside", "r2_score"]


def r2_score(predicted: np.ndarray, target: np.ndarray) -> float:
    """Coefficient of determination 1 − Σ(p − y)² / Σ(y − ȳ)²."""
    p, y = np.asarray(predicted, float), np.asarray(target, float)
    if p.shape != y.shape or p.size < 2:
        raise ValueError(f"need matching arrays of at least two values, got {p.shape} and {y.shape}")
    return float(1.0 - np.sum((p - y) ** 2) / np.sum((y - y.mean()) ** 2))


@dataclass(frozen=True)
class EnantiomerEvaluation:
    """One model's predictions over mirror pairs.

    Attributes:
        name: model label.
        predicted: (2P,) predictions, pairs adjacent (original, mirror image).
        target: (2P,) labels χ.
        r2: R² over all molecules.
        pair_difference: (P,) |p(A) − p(A*)|.
        pair_sum: (P,) |p(A) + p(A*)|.
    """

    name: str
    predicted: np.ndarray
    target: np.ndarray
    r2: float
    pair_difference: np.ndarray
    pair_sum: np.ndarray

    @property
    def max_pair_difference(self) -> float:
        return float(self.pair_difference.max())

    @property
    def max_pair_sum(self) -> float:
        return float(self.pair_sum.max())


def _pairs(frames: Sequence[Atoms]) -> np.ndarray:
    """(P, 2) indices of (original, mirror) for every pair, from ``info['pair']/['mirror']``."""
    index: dict[int, list[int]] = {}
    for k, a in enumerate(frames):
        if "pair" not in a.info or "mirror" not in a.info:
            raise ValueError(f"frame {k} has no info['pair'] / info['mirror'] (use data.chiral.enantiomer_dataset)")
        index.setdefault(int(a.info["pair"]), [None, None])[int(a.info["mirror"])] = k
    incomplete = [p for p, ks in index.items() if None in ks]
    if incomplete:
        raise ValueError(f"pairs {incomplete[:5]} lack their mirror image")
    return np.array([index[p] for p in sorted(index)])


def evaluate_enantiomers(name: str, predicted: Sequence[float], frames: Sequence[Atoms]) -> EnantiomerEvaluation:
    """R² and pair statistics of ``predicted`` (one value per frame) against ``info['chirality']``."""
    p = np.asarray(predicted, dtype=float)
    if len(p) != len(frames):
        raise ValueError(f"{len(p)} predictions for {len(frames)} frames")
    y = np.array([float(a.info[CHIRALITY_KEY]) for a in frames])
    pairs = _pairs(frames)
    a, b = p[pairs[:, 0]], p[pairs[:, 1]]
    order = pairs.reshape(-1)
    return EnantiomerEvaluation(name, p[order], y[order], r2_score(p, y), np.abs(a - b), np.abs(a + b))


@dataclass(frozen=True)
class MirrorPair:
    """A molecule, a mirror plane beside it (``normal``, through ``point``, Å) and its
    reflection through that plane."""

    atoms: Atoms
    image: Atoms
    normal: np.ndarray
    point: np.ndarray


def mirror_beside(atoms: Atoms, normal: Sequence[float] = (1.0, 0.0, 0.0), gap: float = 1.5) -> MirrorPair:
    """Reflect ``atoms`` through a plane ⟂ ``normal`` placed ``gap`` Å beyond the molecule's
    extent along it (so molecule and image sit side by side)."""
    from ennp_lab.properties.directions import unit
    from ennp_lab.symmetry import reflection

    n = unit(normal, "mirror-plane normal")
    along = atoms.positions @ n
    point = atoms.positions.mean(axis=0) + n * (np.ptp(along) / 2 + gap)
    return MirrorPair(atoms, reflection(n, center=point)(atoms), n, point)
