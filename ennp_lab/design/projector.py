"""Rigid motions projected out of gradients.

A uniform translation or a rigid rotation of a molecule changes nothing intrinsic, and
for a 3D-periodic crystal neither does a uniform translation; a gradient step along
them only moves the system around. The projector removes them from a gradient g (N, 3):

    g⊥ = g − B Bᵀ g

with B (3N × k) the rigid modes of the *current* configuration, orthonormalised by QR
(recompute it after every step: the rotations depend on the positions):

* molecule: 3 translations and 3 rotations about the centre (k = 6); for a linear
  molecule the rotation about its axis moves no atom, and the rank of the mode matrix
  leaves k = 5;
* 3D-periodic crystal: the 3 translations (turning the atoms alone is not a symmetry of
  the crystal: the cell would have to turn with them; cell rotations belong to
  variable-cell design, :func:`cell_rotation_free`).

Two metrics:

* ``"unweighted"``: translations e_a, rotations e_a × (r_i − r̄) about the centroid r̄;
  g⊥ has Σ_i g⊥_i = 0 and Σ_i (r_i − r̄) × g⊥_i = 0.
* ``"mass"`` (Eckart): the projection done in mass-weighted coordinates q = √m r, on
  g/√m with modes √m_i e_a, √m_i e_a × (r_i − r_com), and mapped back, g⊥ = √m (…);
  g⊥ has zero net force and zero net torque about the centre of mass, and the step
  δr = −α g⊥/m moves neither the centre of mass nor the orientation (Eckart conditions).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from ase import Atoms

__all__ = ["rigid_modes", "project_rigid", "rigid_components", "cell_rotation_free", "net_force_and_torque"]

Metric = Literal["unweighted", "mass"]


def _weights(atoms: Atoms, metric: Metric) -> np.ndarray:
    if metric == "unweighted":
        return np.ones(len(atoms))
    if metric == "mass":
        return np.sqrt(atoms.get_masses())
    raise ValueError(f"metric must be 'unweighted' or 'mass', got {metric!r}")


def _centre(atoms: Atoms, metric: Metric) -> np.ndarray:
    return atoms.positions.mean(axis=0) if metric == "unweighted" else atoms.get_center_of_mass()


def rigid_modes(atoms: Atoms, metric: Metric = "unweighted", tol: float = 1e-8) -> np.ndarray:
    """(3N, k) orthonormal rigid modes of ``atoms`` in the metric's coordinates (module
    docstring): k = 3 for a 3D-periodic cell, 6 for a molecule, 5 for a linear one.

    Raises:
        ValueError: a cell periodic in one or two directions only (a slab or wire: say
            which rigid motions are free), an unknown metric, no atoms.
    """
    if not len(atoms):
        raise ValueError("no atoms: nothing to project")
    pbc = np.asarray(atoms.pbc, bool)
    if pbc.any() and not pbc.all():
        raise ValueError(f"rigid modes of a partly periodic cell (pbc={pbc.tolist()}) are ambiguous: "
                         "use a molecule or a 3D-periodic cell")
    w = _weights(atoms, metric)
    d = atoms.positions - _centre(atoms, metric)
    modes = []
    for a in range(3):
        t = np.zeros((len(atoms), 3))
        t[:, a] = 1.0
        modes.append(w[:, None] * t)
    if not pbc.all():
        for a in range(3):
            modes.append(w[:, None] * np.cross(np.eye(3)[a], d))
    m = np.stack([x.reshape(-1) for x in modes], axis=1)
    q, r = np.linalg.qr(m)
    scale = np.abs(np.diag(r)).max()
    keep = np.abs(np.diag(r)) > tol * scale  # a linear molecule: one rotation is (numerically) zero
    if keep.sum() < len(keep):  # re-orthonormalise the independent modes only
        u, s, _ = np.linalg.svd(m, full_matrices=False)
        q = u[:, s > tol * s.max()]
    return q


def project_rigid(atoms: Atoms, gradient: np.ndarray, metric: Metric = "unweighted") -> np.ndarray:
    """g⊥ (N, 3): ``gradient`` (N, 3) with the rigid motions of ``atoms`` removed.

    Raises:
        ValueError: a gradient that is not (N, 3) finite numbers; see :func:`rigid_modes`.
    """
    g = np.asarray(gradient, dtype=float)
    if g.shape != (len(atoms), 3) or not np.all(np.isfinite(g)):
        raise ValueError(f"the gradient must be ({len(atoms)}, 3) finite numbers, got shape {g.shape}")
    w = _weights(atoms, metric)
    b = rigid_modes(atoms, metric)
    x = (g / w[:, None]).reshape(-1)
    return (x - b @ (b.T @ x)).reshape(-1, 3) * w[:, None]


def rigid_components(atoms: Atoms, gradient: np.ndarray, metric: Metric = "unweighted") -> np.ndarray:
    """The part of ``gradient`` that :func:`project_rigid` removes (N, 3)."""
    return np.asarray(gradient, dtype=float) - project_rigid(atoms, gradient, metric)


def net_force_and_torque(atoms: Atoms, gradient: np.ndarray, metric: Metric = "unweighted") -> tuple[np.ndarray, np.ndarray]:
    """(Σ_i g_i, Σ_i (r_i − c) × g_i) about the metric's centre c (centroid or centre of mass)."""
    g = np.asarray(gradient, dtype=float)
    return g.sum(axis=0), np.cross(atoms.positions - _centre(atoms, metric), g).sum(axis=0)


def cell_rotation_free(cell: np.ndarray, cell_gradient: np.ndarray) -> np.ndarray:
    """A cell gradient G = ∂f/∂h (3, 3; rows of h the lattice vectors) with the rigid cell
    rotations h → h(1 + Ω)ᵀ removed (Ω antisymmetric): G − Σ_k ⟨G, M_k⟩ M_k over an
    orthonormal basis M_k of {h Ωᵀ} (Frobenius). Afterwards hᵀG is symmetric: the step is
    a pure strain."""
    h = np.asarray(cell, dtype=float)
    g = np.asarray(cell_gradient, dtype=float)
    if h.shape != (3, 3) or g.shape != (3, 3):
        raise ValueError(f"cell and cell gradient must be 3×3, got {h.shape} and {g.shape}")
    basis = []
    for a, b in ((0, 1), (0, 2), (1, 2)):
        omega = np.zeros((3, 3))
        omega[a, b], omega[b, a] = 1.0, -1.0
        basis.append((h @ omega.T).reshape(-1))
    q, _ = np.linalg.qr(np.stack(basis, axis=1))
    x = g.reshape(-1)
    return (x - q @ (q.T @ x)).reshape(3, 3)
