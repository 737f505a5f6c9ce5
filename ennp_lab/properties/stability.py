"""The largest Hessian eigenvalue and the velocity-Verlet time-step limit.

Velocity Verlet integrates a harmonic mode of angular frequency ω stably only when
ω Δt < 2 (the amplification matrix of one step has eigenvalues λ with
λ² − (2 − ω²Δt²) λ + 1 = 0, on the unit circle iff ω²Δt² ≤ 4). The fastest mode
of a structure therefore sets

    Δt_max = 2 / ω_max,      ω_max² = λ_max(M^{-1/2} H M^{-1/2})

(for one element, ω_max = √(λ_max(H)/m)). λ_max is found by implicitly restarted
Lanczos iterations (ARPACK through :func:`scipy.sparse.linalg.eigsh`) on
Hessian-vector products, never forming H: memory O(N) and a few tens of products,
so it scales to thousands of atoms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from scipy.sparse.linalg import LinearOperator, eigsh

from ennp_lab.properties.hessian import Method, hessian_vector_product
from ennp_lab.units import FS, OMEGA_TO_THZ

__all__ = ["LargestEigenvalue", "TimestepLimit", "compute_lambda_max", "compute_timestep_limits", "compute_max_stable_timestep"]


@dataclass(frozen=True)
class LargestEigenvalue:
    """The stiffest direction of a structure.

    Attributes:
        eigenvalue: λ_max; eV/Å² for the bare Hessian, eV/(Å² amu) when mass-weighted.
        eigenvector: (N, 3) unit eigenvector (mass-weighted coordinates if mass-weighted).
        mass_weighted: whether the operator was M^{-1/2} H M^{-1/2}.
        n_products: Hessian-vector products used.
    """

    eigenvalue: float
    eigenvector: np.ndarray
    mass_weighted: bool
    n_products: int

    @property
    def omega_max(self) -> float:
        """√λ (rad per ASE time unit); meaningful for a mass-weighted eigenvalue."""
        if not self.mass_weighted:
            raise ValueError("omega_max needs the mass-weighted eigenvalue (mass_weighted=True)")
        return float(np.sqrt(max(self.eigenvalue, 0.0)))

    @property
    def frequency_thz(self) -> float:
        """ω_max / 2π in THz."""
        return self.omega_max * OMEGA_TO_THZ


def compute_lambda_max(
    atoms: Atoms,
    calc: Calculator,
    mass_weighted: bool = False,
    method: Method = "auto",
    tol: float = 1e-8,
    seed: int = 0,
    delta: float = 1e-3,
) -> LargestEigenvalue:
    """Largest eigenvalue of the Hessian (or of the mass-weighted Hessian) of ``atoms``.

    Args:
        atoms: the structure; not modified.
        calc: any ASE calculator (autograd products for an ENNP, finite differences
            of forces with step ``delta`` Å otherwise).
        mass_weighted: use D = M^{-1/2} H M^{-1/2} (what sets the MD time step).
        method: see :func:`~ennp_lab.properties.hessian.compute_hessian`.
        tol: relative accuracy asked of ARPACK.
        seed: seed of the random start vector.

    Returns:
        :class:`LargestEigenvalue`.
    """
    n = len(atoms)
    if n == 0:
        raise ValueError("λ_max of an empty structure is undefined")
    product = hessian_vector_product(atoms, calc, method=method, delta=delta)
    scale = np.repeat(1.0 / np.sqrt(atoms.get_masses()), 3) if mass_weighted else np.ones(3 * n)
    count = 0

    def matvec(v: np.ndarray) -> np.ndarray:
        nonlocal count
        count += 1
        v = np.asarray(v, dtype=np.float64).ravel()
        return scale * product(scale * v).ravel()

    operator = LinearOperator((3 * n, 3 * n), matvec=matvec, dtype=np.float64)
    start = np.random.default_rng(seed).standard_normal(3 * n)
    if 3 * n <= 24:  # small: 3N exact products and a dense solve beat ARPACK (and 3N ≤ 12 is below its Krylov space)
        dense = np.column_stack([matvec(e) for e in np.eye(3 * n)])
        values, vectors = np.linalg.eigh(0.5 * (dense + dense.T))
        value, vector = values[-1], vectors[:, -1]
    else:
        values, vectors = eigsh(operator, k=1, which="LA", v0=start, tol=tol, ncv=min(3 * n, 20))
        value, vector = values[0], vectors[:, 0]
    return LargestEigenvalue(float(value), vector.reshape(n, 3), mass_weighted, count)


def compute_max_stable_timestep(atoms: Atoms, calc: Calculator, method: Method = "auto", **options) -> float:
    """Δt_max = 2/ω_max of velocity Verlet for ``atoms`` with ``calc``, in fs.

    ω_max² is the largest eigenvalue of the mass-weighted Hessian at ``atoms`` (see the
    module docstring). Options are passed to :func:`compute_lambda_max`.
    """
    largest = compute_lambda_max(atoms, calc, mass_weighted=True, method=method, **options)
    if largest.eigenvalue <= 0:
        raise ValueError("the Hessian has no positive eigenvalue: no vibration limits the time step")
    return 2.0 / largest.omega_max / FS


@dataclass(frozen=True)
class TimestepLimit:
    """λ_max and the Verlet limit of one calculator on one structure.

    Attributes:
        name: the calculator's label.
        lambda_max: largest Hessian eigenvalue, eV/Å².
        omega_max: largest mass-weighted eigenvalue's root, rad per ASE time unit.
        dt_max: 2/ω_max, fs.
    """

    name: str
    lambda_max: float
    omega_max: float
    dt_max: float


def compute_timestep_limits(atoms: Atoms, calculators: Mapping[str, Calculator], **options) -> list[TimestepLimit]:
    """λ_max and Δt_max side by side for several calculators (e.g. a reference and its ENNP)."""
    rows = []
    for name, calc in calculators.items():
        bare = compute_lambda_max(atoms, calc, mass_weighted=False, **options)
        weighted = compute_lambda_max(atoms, calc, mass_weighted=True, **options)
        rows.append(TimestepLimit(name, bare.eigenvalue, weighted.omega_max, 2.0 / weighted.omega_max / FS))
    return rows
