"""The Hessian H = ∂²E/∂x∂x of a structure, for any ASE calculator.

An :class:`~ennp_lab.calculator.ENNPCalculator` (anything
:class:`~ennp_lab.properties.methods.ExactlyDifferentiable`) is differentiated exactly by
autograd; any other calculator
(EMT, a DFT code) by central finite differences of its forces,

    H_{ia,jb} ≈ −[F_jb(x + δ e_ia) − F_jb(x − δ e_ia)] / (2δ)      (error O(δ²)),

and its Hessian-vector products likewise along the direction of v,

    H v ≈ −|v| [F(x + δ v̂) − F(x − δ v̂)] / (2δ).

Shapes: Hessians (N, 3, N, 3) eV/Å² (rows of selected atoms (n, 3, N, 3)); vectors (N, 3).
"""

from __future__ import annotations

from typing import Callable, Literal, Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.properties.methods import resolve_method

__all__ = ["compute_hessian", "hessian_vector_product", "internal_relaxation"]

Method = Literal["auto", "autograd", "finite-difference"]


def _forces(atoms: Atoms, calc: Calculator, positions: np.ndarray) -> np.ndarray:
    probe = atoms.copy()
    probe.positions = positions
    probe.calc = calc
    return probe.get_forces()


def compute_hessian(
    atoms: Atoms,
    calc: Calculator,
    method: Method = "auto",
    indices: Sequence[int] | None = None,
    delta: float = 0.005,
) -> np.ndarray:
    """Hessian of ``atoms`` with ``calc``, by autograd or by central differences of forces.

    Args:
        atoms: the structure (periodic or not); not modified.
        calc: any ASE calculator.
        method: ``"auto"`` (autograd where the calculator supports it), ``"autograd"``
            or ``"finite-difference"``.
        indices: only the rows of these atoms (e.g. a primitive cell's atoms inside a
            supercell); all atoms by default.
        delta: finite-difference displacement, Å.

    Returns:
        (n, 3, N, 3) eV/Å² with n = len(indices) or N. The finite-difference Hessian is
        not symmetrised (its asymmetry measures the discretisation error).
    """
    n = len(atoms)
    rows = list(range(n)) if indices is None else [int(i) for i in indices]
    if any(i < 0 or i >= n for i in rows):
        raise ValueError(f"Hessian rows asked for atoms {rows}, but the structure has {n} atoms")
    if resolve_method(calc, method, what="Hessian") == "autograd":
        return calc.get_hessian(atoms, indices=rows)
    if delta <= 0:
        raise ValueError(f"finite-difference step must be positive, got delta={delta}")
    x0 = atoms.get_positions()
    hessian = np.empty((len(rows), 3, n, 3))
    for r, i in enumerate(rows):
        for a in range(3):
            step = np.zeros_like(x0)
            step[i, a] = delta
            plus = _forces(atoms, calc, x0 + step)
            minus = _forces(atoms, calc, x0 - step)
            hessian[r, a] = -(plus - minus) / (2.0 * delta)
    return hessian


def hessian_vector_product(
    atoms: Atoms, calc: Calculator, method: Method = "auto", delta: float = 1e-3
) -> Callable[[np.ndarray], np.ndarray]:
    """A function v ↦ H v (v, H v of shape (N, 3) or (3N,)) that never forms H.

    Autograd: the model is evaluated once and each product is one double-backward
    pass. Finite differences: two force calls per product, along v̂ with step ``delta``.
    """
    if resolve_method(calc, method, what="Hessian") == "autograd":
        exact = calc.hessian_vector_product(atoms)
        return lambda v: exact(np.asarray(v).reshape(-1, 3)).reshape(np.shape(v))
    if delta <= 0:
        raise ValueError(f"finite-difference step must be positive, got delta={delta}")
    x0 = atoms.get_positions()

    def product(vector: np.ndarray) -> np.ndarray:
        v = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return np.zeros_like(v)
        step = delta * v.reshape(-1, 3) / norm
        plus = _forces(atoms, calc, x0 + step)
        minus = _forces(atoms, calc, x0 - step)
        return (-(plus - minus) * norm / (2.0 * delta)).reshape(v.shape)

    return product


def internal_relaxation(hessian: np.ndarray, coupling: np.ndarray) -> np.ndarray:
    """The relaxed displacements per unit of each perturbation, du/dξ = −H⁺ Λᵀ (3N, M), for
    a periodic cell at a minimum: ``hessian`` (3N, 3N) eV/Å², ``coupling`` Λ (M, 3N) the mixed
    second derivatives ∂²E/∂ξ∂x (a strain or a field component per row). H⁺ is the
    pseudo-inverse on the complement of the rigid translations (which cost no energy), so
    the answer has no net translation. One copy of the internal-strain step of relaxed-ion
    elastic and piezoelectric tensors."""
    from ennp_lab.properties.modes import orthogonal_complement

    h = np.asarray(hessian, dtype=float)
    h = 0.5 * (h + h.T)
    n = h.shape[0] // 3
    translations = np.tile(np.eye(3), (n, 1)) / np.sqrt(n)  # (3N, 3) orthonormal
    basis = orthogonal_complement(translations)
    inner = np.linalg.pinv(basis.T @ h @ basis, rcond=1e-10, hermitian=True)
    return -(basis @ inner @ basis.T @ np.asarray(coupling, dtype=float).T)
