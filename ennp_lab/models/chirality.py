"""Models of a pseudoscalar (chirality) property: the O(3) 0o head, a parity-blind
variant, an SO(3)-only variant, and a triple-product feature baseline.

* ``"pseudoscalar"``: an O(3)-equivariant ENNP whose head has irreps ``0o``. Its output
  changes sign under every improper operation, for any weights, so a mirror pair is
  predicted as (χ, −χ) exactly. A 0o feature needs three polar vectors (1o ⊗ 1o → 1e,
  then 1e ⊗ 1o → 0o), hence three layers and 0o/1e/2o hidden features.
* ``"parity-blind"``: the same backbone with a ``0e`` head — what a distance-based or
  energy-like model gives. Mirror images get identical predictions, so on data made of
  mirror pairs its best fit is χ ≈ 0 (R² ≤ 0).
* ``"so3"``: the SO(3)-only backbone (``parity=False``), which can see handedness but is
  not told how a mirror acts: predictions of a pair are unconstrained.
* :class:`TripleProductModel`: hand-made pseudoscalar features — per atom, the
  determinants det[V_a, V_b, V_c] of species- and radius-resolved neighbour vectors
  V_c(i) = Σ_{j: Z_j = s} φ_p(r_ij) r̂_ij (channel c = (s, p)), summed over atoms — and a
  ridge fit without intercept, so the prediction is a pseudoscalar too.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np
from ase import Atoms

from ennp_lab.models.ennp import ENNP, _atomic_number, build_ennp

__all__ = ["CHIRALITY_HEAD", "CHIRALITY_KINDS", "build_chirality_model", "TripleProductModel"]

CHIRALITY_HEAD = "chirality"
CHIRALITY_KINDS = ("pseudoscalar", "parity-blind", "so3")


def build_chirality_model(
    species: Sequence[int | str],
    kind: str = "pseudoscalar",
    channels: int = 8,
    r_max: float = 4.0,
    l_max: int = 1,
    seed: int = 0,
    dtype: str = "float64",
) -> ENNP:
    """An ENNP (three layers) with a one-component ``chirality`` head.

    Args:
        species: elements it will see.
        kind: one of :data:`CHIRALITY_KINDS`.
        channels: multiplicity of each hidden irrep.
        r_max: cutoff (Å).
        l_max: largest degree (1 suffices for a pseudoscalar: 0e, 0o, 1o, 1e features).
        seed: initialisation seed.
        dtype: "float64" or "float32".
    """
    if kind not in CHIRALITY_KINDS:
        raise ValueError(f"unknown chirality model kind {kind!r}; choose from {CHIRALITY_KINDS}")
    c = channels
    if kind == "so3":
        return build_ennp(species, r_max=r_max, l_max=l_max, channels=c, layers=3, parity=False, seed=seed,
                          dtype=dtype, heads={CHIRALITY_HEAD: "0e"})
    hidden = "+".join(f"{c}x{l}{p}" for l in range(l_max + 1) for p in "eo")
    head = "0o" if kind == "pseudoscalar" else "0e"
    return build_ennp(species, r_max=r_max, l_max=l_max, channels=c, layers=3, seed=seed, dtype=dtype,
                      hidden_irreps=hidden, heads={CHIRALITY_HEAD: head})


class TripleProductModel:
    """Linear model on triple-product (determinant) features; see the module docstring.

    Args:
        species: elements it knows (others raise ``ValueError``).
        r_max: cutoff (Å).
        n_radial: number of Gaussian radial functions φ_p (centres spread over
            [0.8, r_max − 0.5] Å, width = spacing), times a cosine cutoff.
        ridge: L2 penalty of the fit (relative to the mean squared feature).
    """

    def __init__(self, species: Sequence[int | str], r_max: float = 4.0, n_radial: int = 3, ridge: float = 1e-6) -> None:
        self.species = tuple(sorted({_atomic_number(s) for s in species}))
        self.r_max = float(r_max)
        self.centres = np.linspace(0.8, r_max - 0.5, n_radial)
        self.width = float(self.centres[1] - self.centres[0]) if n_radial > 1 else 1.0
        self.ridge = float(ridge)
        n_channels = len(self.species) * n_radial
        self.triples = list(combinations(range(n_channels), 3))
        self.coef: np.ndarray | None = None

    def features(self, atoms: Atoms) -> np.ndarray:
        """(n_triples,) Σ_i det[V_a(i), V_b(i), V_c(i)] for every channel triple a < b < c."""
        z = atoms.numbers
        unknown = sorted(set(z.tolist()) - set(self.species))
        if unknown:
            raise ValueError(f"elements {unknown} were not among the model's species {list(self.species)}")
        pos = atoms.positions
        d = pos[None, :, :] - pos[:, None, :]
        r = np.linalg.norm(d, axis=-1)
        np.fill_diagonal(r, np.inf)
        fc = np.where(r < self.r_max, 0.5 * (1 + np.cos(np.pi * np.minimum(r, self.r_max) / self.r_max)), 0.0)
        unit = d / r[..., None]
        radial = np.exp(-(((r[..., None] - self.centres) / self.width) ** 2)) * fc[..., None]  # (N, N, P)
        onehot = (z[:, None] == np.array(self.species)[None, :]).astype(float)  # (N, S)
        V = np.einsum("ijp,js,ijk->ispk", radial, onehot, unit).reshape(len(atoms), -1, 3)  # (N, C, 3)
        a, b, c = (np.array(t) for t in zip(*self.triples))
        return np.linalg.det(np.stack([V[:, a], V[:, b], V[:, c]], axis=-1)).sum(axis=0)

    def fit(self, frames: Sequence[Atoms], targets: Sequence[float]) -> "TripleProductModel":
        X = np.stack([self.features(a) for a in frames])
        y = np.asarray(targets, dtype=float)
        lam = self.ridge * float(np.mean(X**2)) * len(y)
        self.coef = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
        return self

    def predict(self, frames: Sequence[Atoms] | Atoms) -> np.ndarray:
        if self.coef is None:
            raise ValueError("TripleProductModel.predict before fit")
        frames = [frames] if isinstance(frames, Atoms) else frames
        return np.array([self.features(a) @ self.coef for a in frames])
