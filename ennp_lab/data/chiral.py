"""Chiral molecules, their mirror images, and a smooth pseudoscalar label.

Generators (deterministic given ``seed``):

* :func:`stereocentre`: a CXYZW tetrahedral centre (C bonded to four substituents drawn
  from H, F, Cl, Br), randomly distorted; chiral when the four differ.
* :func:`helix`: a twisted chain of carbon atoms, right- or left-handed.
* :func:`real_chiral_molecules`: molecules of ``ase.collections.g2`` whose pseudoscalar
  is not zero (optionally relaxed with GFN2-xTB through tblite).
* :func:`enantiomer_dataset`: pairs (molecule, mirror image), labelled, for training.

The label is the pseudoscalar (dimensionless)

    χ(A) = κ Σ_i u₁(i) · (u₂(i) × u₃(i)),
    u_a(i) = Σ_{j ≠ i} w_a(Z_j) g_a(r_ij) r̂_ij,
    g_a(r) = exp(−((r − μ_a)/s)²) f_c(r),   f_c(r) = ½ (1 + cos(π r / r_c)) for r < r_c,

with species weights w₁(Z) = Z/10, w₂(Z) = √Z/3, w₃(Z) = 1, shells μ = (1.5, 2.5,
3.5) Å (first, second, third neighbours), s = 0.6 Å, r_c = 4 Å and κ = 100. It is a
smooth function of the positions, invariant under proper rotations, translations and
permutations of equal atoms, and changes sign under any improper operation (a determinant of three polar vectors), so a mirror pair has
labels χ and −χ, and every achiral structure has χ = 0.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii

from ennp_lab.symmetry import random_rotation

__all__ = [
    "CHIRALITY_KEY",
    "SUBSTITUENTS",
    "pseudoscalar_label",
    "mirror_image",
    "stereocentre",
    "helix",
    "real_chiral_molecules",
    "enantiomer_dataset",
]

#: ``atoms.info`` key of the pseudoscalar label.
CHIRALITY_KEY = "chirality"
#: Substituents a stereocentre draws from.
SUBSTITUENTS = ("H", "F", "Cl", "Br")

_SHELLS = (1.5, 2.5, 3.5)
_WIDTH = 0.6
_R_CUT = 4.0
_KAPPA = 100.0


def _weights(numbers: np.ndarray) -> np.ndarray:
    z = numbers.astype(float)
    return np.stack([z / 10.0, np.sqrt(z) / 3.0, np.ones_like(z)])  # (3, N)


def pseudoscalar_label(atoms: Atoms) -> float:
    """χ(A) of the module docstring (dimensionless; molecules, no periodic images)."""
    pos = atoms.positions
    if len(atoms) < 4:
        return 0.0
    d = pos[None, :, :] - pos[:, None, :]  # d[i, j] = r_j − r_i
    r = np.linalg.norm(d, axis=-1)
    np.fill_diagonal(r, np.inf)
    fc = np.where(r < _R_CUT, 0.5 * (1.0 + np.cos(np.pi * np.minimum(r, _R_CUT) / _R_CUT)), 0.0)
    unit = d / r[..., None]
    w = _weights(atoms.numbers)
    u = [np.einsum("ij,ijk->ik", w[a][None, :] * np.exp(-(((r - _SHELLS[a]) / _WIDTH) ** 2)) * fc, unit) for a in range(3)]
    return float(_KAPPA * np.einsum("ik,ik->", u[0], np.cross(u[1], u[2])))


def mirror_image(atoms: Atoms, normal: Sequence[float] = (1.0, 0.0, 0.0)) -> Atoms:
    """Reflection through the plane ⟂ ``normal`` through the centroid (labels not copied)."""
    n = np.asarray(normal, dtype=float)
    n /= np.linalg.norm(n)
    out = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    c = atoms.positions.mean(axis=0)
    out.positions = (atoms.positions - c) @ (np.eye(3) - 2.0 * np.outer(n, n)) + c
    out.info.update({k: v for k, v in atoms.info.items() if k != CHIRALITY_KEY})
    return out


def stereocentre(substituents: Sequence[str] | None = None, distortion: float = 0.1, seed: int = 0) -> Atoms:
    """C bonded to four substituents at distorted tetrahedral directions, randomly oriented.

    Args:
        substituents: four symbols; four drawn from :data:`SUBSTITUENTS` (with
            replacement) when omitted.
        distortion: standard deviation of the random change of each bond direction
            (radians) and relative bond length.
        seed: random seed.
    """
    rng = np.random.default_rng(seed)
    subs = list(substituents) if substituents is not None else list(rng.choice(SUBSTITUENTS, size=4))
    if len(subs) != 4 or any(s not in atomic_numbers for s in subs):
        raise ValueError(f"a stereocentre takes four element symbols, got {subs}")
    tetra = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3.0)
    dirs = tetra + distortion * rng.normal(size=(4, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    c = atomic_numbers["C"]
    lengths = np.array([covalent_radii[c] + covalent_radii[atomic_numbers[s]] for s in subs])
    lengths *= 1.0 + 0.5 * distortion * rng.normal(size=4)
    pos = np.vstack([np.zeros(3), dirs * lengths[:, None]]) @ random_rotation(rng).T
    atoms = Atoms(["C", *subs], positions=pos)
    atoms.info["config_type"] = "stereocentre"
    return atoms


def helix(n_atoms: int = 7, handedness: int = 1, radius: float = 1.0, rise: float = 0.5, turn: float = 100.0,
          distortion: float = 0.05, seed: int = 0) -> Atoms:
    """Carbon atoms on a helix x = (R cos kθ, R sin kθ, k·rise), θ = ±``turn`` degrees.

    ``handedness`` +1 is right-handed, −1 left-handed; positions get a Gaussian
    perturbation of ``distortion`` Å and a random orientation.
    """
    if handedness not in (1, -1):
        raise ValueError(f"handedness must be +1 or -1, got {handedness}")
    rng = np.random.default_rng(seed)
    k = np.arange(n_atoms)
    theta = handedness * np.deg2rad(turn) * k
    pos = np.stack([radius * np.cos(theta), radius * np.sin(theta), rise * k], axis=1)
    pos += distortion * rng.normal(size=pos.shape)
    atoms = Atoms(f"C{n_atoms}", positions=(pos - pos.mean(axis=0)) @ random_rotation(rng).T)
    atoms.info["config_type"] = "helix"
    return atoms


def real_chiral_molecules(min_label: float = 1e-3, relax: bool = False, max_atoms: int = 12) -> list[Atoms]:
    """Molecules of ``ase.collections.g2`` with |χ| > ``min_label`` (so chiral), by name.

    Args:
        min_label: threshold on |χ| of the (optionally relaxed) geometry.
        relax: relax each with GFN2-xTB (needs the optional ``xtb`` extra) first.
        max_atoms: skip larger molecules.
    """
    from ase.collections import g2

    calc = None
    if relax:
        try:
            from tblite.ase import TBLite
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ImportError("GFN2-xTB relaxation needs tblite: pip install 'ennp-lab[xtb]'") from exc
        calc = TBLite(method="GFN2-xTB", verbosity=0)
    out = []
    for name in g2.names:
        atoms = g2[name]
        if len(atoms) > max_atoms or len(atoms) < 4:
            continue
        atoms = Atoms(atoms.numbers, positions=atoms.positions)
        if abs(pseudoscalar_label(atoms)) <= min_label:
            continue  # achiral as tabulated (a relaxation keeps a mirror symmetry it starts with)
        if calc is not None:
            from ase.optimize import BFGS

            atoms.calc = calc
            BFGS(atoms, logfile=None).run(fmax=0.02, steps=200)
            atoms = Atoms(atoms.numbers, positions=atoms.positions)
        if abs(pseudoscalar_label(atoms)) > min_label:
            atoms.info["name"] = name
            atoms.info["config_type"] = "g2-xtb" if relax else "g2"
            out.append(atoms)
    return out


def enantiomer_dataset(n_pairs: int = 100, helix_fraction: float = 0.3, seed: int = 0) -> list[Atoms]:
    """``2 n_pairs`` molecules: each drawn molecule followed by its mirror image.

    A share ``helix_fraction`` of the pairs are helices (6–8 atoms), the rest
    stereocentres (substituents drawn with replacement, so some are achiral). Each
    carries ``info["chirality"]`` (χ), ``info["pair"]`` (pair index) and
    ``info["mirror"]`` (0 original, 1 mirror image).
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    rng = np.random.default_rng(seed)
    frames = []
    for p in range(n_pairs):
        s = int(rng.integers(2**31))
        if rng.random() < helix_fraction:
            mol = helix(int(rng.integers(6, 9)), handedness=int(rng.choice([1, -1])), turn=float(rng.uniform(80, 120)), seed=s)
        else:
            mol = stereocentre(seed=s)
        image = mirror_image(mol, rng.normal(size=3))
        for k, atoms in enumerate((mol, image)):
            atoms.info[CHIRALITY_KEY] = pseudoscalar_label(atoms)
            atoms.info["pair"] = p
            atoms.info["mirror"] = k
            frames.append(atoms)
    return frames
