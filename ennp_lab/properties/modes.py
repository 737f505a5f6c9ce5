"""Normal modes: eigenvectors of the mass-weighted Hessian with the rigid motions removed.

With masses m_i (amu) and Hessian H (eV/Å²), the dynamical matrix

    D = M^{-1/2} H M^{-1/2},       D e_k = ω_k² e_k,

has ω_k in rad per ASE time unit. Rigid motions carry no restoring force: 3
translations for any structure, plus 3 rotations about the centre of mass for a
molecule (2 for a linear one); a structure periodic along any axis cannot rotate
freely, so only translations are removed. They are removed exactly by diagonalising
D in the orthonormal complement of the rigid subspace (in mass-weighted coordinates,
translation a is √m_i δ_ab and rotation about axis c is √m_i (ê_c × (x_i − x_cm))).

An imaginary frequency (ω² < 0, an unstable direction) is reported as a negative ω.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.properties.hessian import Method, compute_hessian
from ennp_lab.units import OMEGA_TO_THZ, THZ_TO_CM1

__all__ = ["NormalModes", "compute_normal_modes", "orthogonal_complement", "rigid_motions"]


@dataclass(frozen=True)
class NormalModes:
    """Vibrational normal modes of one structure.

    Attributes:
        omega: (M,) angular frequencies, rad per ASE time unit, ascending; negative
            for imaginary modes. M = 3N − n_rigid.
        eigenvectors: (M, N, 3) orthonormal mass-weighted eigenvectors e_k.
        displacements: (M, N, 3) Cartesian displacement patterns u_k = M^{-1/2} e_k,
            each scaled to a largest atomic displacement of 1 (dimensionless shape).
        masses: (N,) amu.
        n_rigid: how many rigid motions were removed (3, 5 or 6).
    """

    omega: np.ndarray
    eigenvectors: np.ndarray
    displacements: np.ndarray
    masses: np.ndarray
    n_rigid: int

    @property
    def frequencies_thz(self) -> np.ndarray:
        """(M,) ν = ω/2π in THz (negative: imaginary)."""
        return self.omega * OMEGA_TO_THZ

    @property
    def wavenumbers_cm1(self) -> np.ndarray:
        """(M,) ν/c in cm⁻¹ (negative: imaginary)."""
        return self.frequencies_thz * THZ_TO_CM1


def orthogonal_complement(basis: np.ndarray) -> np.ndarray:
    """An orthonormal basis (m, m − k) of the orthogonal complement of the k orthonormal
    columns of ``basis`` (m, k): the last columns of a full QR of [basis | I]."""
    m, k = basis.shape
    q, _ = np.linalg.qr(np.hstack([basis, np.eye(m)]))
    return q[:, k:m]


def rigid_motions(atoms: Atoms, tol: float = 1e-8) -> np.ndarray:
    """Orthonormal basis of the rigid motions in mass-weighted coordinates, (3N, n_rigid).

    Translations always; rotations only when no axis is periodic. A linear molecule
    (or a single atom) has fewer independent rotations, found by the rank of the set.
    """
    masses = atoms.get_masses()
    n = len(atoms)
    sqrt_m = np.sqrt(masses)
    vectors = []
    for a in range(3):
        t = np.zeros((n, 3))
        t[:, a] = sqrt_m
        vectors.append(t.ravel())
    if not atoms.pbc.any():
        centred = atoms.get_positions() - atoms.get_center_of_mass()
        for c in np.eye(3):
            vectors.append((np.cross(c, centred) * sqrt_m[:, None]).ravel())
    u, s, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    return u[:, s > tol * s.max()]


def compute_normal_modes(
    atoms: Atoms,
    calc: Calculator | None = None,
    hessian: np.ndarray | None = None,
    method: Method = "auto",
) -> NormalModes:
    """Normal modes of ``atoms`` from a Hessian, given or computed with ``calc``.

    Args:
        atoms: the structure, ideally at a minimum (otherwise some ω may be imaginary).
        calc: any ASE calculator (used when ``hessian`` is not given).
        hessian: (N, 3, N, 3) or (3N, 3N) eV/Å²; symmetrised before use.
        method: Hessian method for ``calc`` (see :func:`~ennp_lab.properties.hessian.compute_hessian`).

    Returns:
        :class:`NormalModes` with the rigid motions removed.
    """
    n = len(atoms)
    if hessian is None:
        if calc is None:
            raise ValueError("compute_normal_modes needs a calculator or a Hessian")
        hessian = compute_hessian(atoms, calc, method=method)
    h = np.asarray(hessian, dtype=np.float64)
    if h.size != 9 * n * n:
        raise ValueError(f"Hessian of shape {np.shape(hessian)} does not match {n} atoms (expected ({n}, 3, {n}, 3))")
    h = h.reshape(3 * n, 3 * n)
    if not np.all(np.isfinite(h)):
        raise ValueError("the Hessian contains NaN or inf")
    masses = atoms.get_masses()
    inv_sqrt_m = np.repeat(1.0 / np.sqrt(masses), 3)
    dynamical = 0.5 * (h + h.T) * inv_sqrt_m[:, None] * inv_sqrt_m[None, :]
    rigid = rigid_motions(atoms)
    complement = orthogonal_complement(rigid)
    values, vectors = np.linalg.eigh(complement.T @ dynamical @ complement)
    eigenvectors = (complement @ vectors).T.reshape(-1, n, 3)
    displacements = eigenvectors * inv_sqrt_m.reshape(n, 3)[None]
    largest = np.linalg.norm(displacements, axis=2).max(axis=1)
    displacements = displacements / np.where(largest > 0, largest, 1.0)[:, None, None]
    omega = np.sign(values) * np.sqrt(np.abs(values))
    return NormalModes(omega, eigenvectors, displacements, masses, rigid.shape[1])
