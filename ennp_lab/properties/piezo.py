"""The piezoelectric stress tensor e_ijk = ∂P_i/∂ε_jk (e/Å²; C/m² at the display edge via
:data:`~ennp_lab.units.E_PER_A2_TO_C_PER_M2`), clamped-ion and relaxed-ion.

For a model whose energy is the electric enthalpy E(R, ε, ℰ), ΩP = −∂E/∂ℰ, so at fixed
reduced coordinates (clamped ions, x' = x(I + ε))

    e⁽⁰⁾_ijk = ∂P_i/∂ε_jk = −(1/Ω) ∂²E/∂ℰ_i∂ε_jk − P_i δ_jk,

the last term from the volume, Ω' = Ω(1 + tr ε) (this is the *improper* tensor; for a
crystal without spontaneous polarization, P = 0, it equals the proper one). Letting the
ions relax inside the strained cell adds the internal-strain term

    e_ijk = e⁽⁰⁾_ijk + (1/Ω) Σ_κα Z*_κ,iα ∂u_κα/∂ε_jk,   ∂u/∂ε = −H⁺ Λᵀ

(:func:`~ennp_lab.properties.hessian.internal_relaxation`; Λ = ∂²E/∂ε∂x). The autograd
route takes all of it from the one derivatives module; the finite-difference route strains
the cell by ±δ and differentiates the calculator's polarization (which must then be one
continuous branch: a model's P is), with the internal strain from numerical Z*, Hessian and
strain–force coupling, or by relaxing the ions in each strained cell (BFGS to ``fmax``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab import keys
from ennp_lab.properties.dielectric import require_field_input, restoring_field
from ennp_lab.properties.hessian import internal_relaxation
from ennp_lab.properties.methods import resolve_method
from ennp_lab.validation import as_real

__all__ = ["PiezoelectricTensor", "compute_piezoelectric_tensor", "VOIGT_PAIRS", "symmetry_zero_pattern",
           "longitudinal_response"]

#: Voigt index J → (j, k): 1 xx, 2 yy, 3 zz, 4 yz, 5 xz, 6 xy
VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


@dataclass(frozen=True)
class PiezoelectricTensor:
    """e_ijk (3, 3, 3) e/Å², symmetric in jk.

    Attributes:
        full: e_ijk (relaxed-ion when ``relaxed``).
        clamped: the clamped-ion part e⁽⁰⁾_ijk.
        relaxed: whether ``full`` includes the internal relaxation.
        method: ``"autograd"`` or ``"finite-difference"``.
    """

    full: np.ndarray
    clamped: np.ndarray
    relaxed: bool
    method: str

    @property
    def voigt(self) -> np.ndarray:
        """(3, 6) e_iJ with J in :data:`VOIGT_PAIRS` order (e_i4 = e_i,yz, no factor 2)."""
        return np.array([[self.full[i, j, k] for j, k in VOIGT_PAIRS] for i in range(3)])

    def rotated(self, rotation: np.ndarray) -> "PiezoelectricTensor":
        """The tensor of the rotated crystal: e'_ijk = R_ia R_jb R_kc e_abc."""
        r = np.asarray(rotation, dtype=float)
        turn = lambda t: np.einsum("ia,jb,kc,abc->ijk", r, r, r, t)  # noqa: E731
        return PiezoelectricTensor(turn(self.full), turn(self.clamped), self.relaxed, self.method)


def _strained(atoms: Atoms, calc, eps: np.ndarray, relax: bool, fmax: float, name: str = keys.POLARIZATION) -> np.ndarray:
    """P (3,) (or the forces) of ``atoms`` homogeneously strained by the symmetric ``eps``
    (positions relaxed by BFGS when ``relax``)."""
    a = atoms.copy()
    a.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
    a.calc = calc
    if relax:
        from ase.optimize import BFGS

        BFGS(a, logfile=None).run(fmax=fmax, steps=1000)
    return np.asarray(calc.get_property(name, a), dtype=float)


def _strain_derivative(atoms: Atoms, calc, step: float, relax: bool, fmax: float, name: str) -> np.ndarray:
    """(3, 3, *shape) central differences ∂X/∂ε_jk over the six symmetric strains."""
    out = None
    for j, k in VOIGT_PAIRS:
        eps = np.zeros((3, 3))
        eps[j, k] = eps[k, j] = step
        d = (_strained(atoms, calc, eps, relax, fmax, name) - _strained(atoms, calc, -eps, relax, fmax, name)) / (2 * step)
        d = d if j == k else d / 2  # ε_jk = ε_kj = δ moves both components
        if out is None:
            out = np.zeros((3, 3) + d.shape)
        out[j, k] = out[k, j] = d
    return out


def compute_piezoelectric_tensor(atoms: Atoms, calc: Calculator, relaxed: bool = True, method: str = "auto",
                                 relaxation: str = "internal-strain", strain_step: float = 1e-4, fmax: float = 1e-6,
                                 field_step: float = 1e-3) -> PiezoelectricTensor:
    """e of a 3D-periodic cell (ideally relaxed: zero forces) at zero field (module docstring).

    Args:
        method: ``"autograd"`` (everything from the derivatives module), ``"finite-difference"``
            (any calculator taking a field and giving its polarization) or ``"auto"``.
        relaxation: for finite differences, ``"internal-strain"`` (the same formula as
            autograd with numerical Z*, Hessian and strain–force coupling) or ``"bfgs"``
            (relax the ions in every strained cell and differentiate P directly).

    Raises:
        ValueError: a cell that is not 3D-periodic, a calculator without an electric-field
            input, a bad method, relaxation or step.
    """
    from ennp_lab.properties.dielectric import compute_born_charges
    from ennp_lab.properties.hessian import compute_hessian

    if not atoms.pbc.all():
        raise ValueError("a piezoelectric tensor needs a cell periodic in all three directions")
    require_field_input(calc, "the piezoelectric tensor")
    method = resolve_method(calc, method, what="piezoelectric")
    if relaxation not in ("internal-strain", "bfgs"):
        raise ValueError(f"relaxation must be 'internal-strain' or 'bfgs', got {relaxation!r}")
    step = as_real(strain_step, "strain_step", 0.0, strict=True)
    volume, n = atoms.get_volume(), len(atoms)
    with restoring_field(calc):
        calc.set(electric_field=np.zeros(3))
        if method == "autograd":
            mixed = keys.second_derivative(keys.ELECTRIC_FIELD, keys.STRAIN)
            names = [mixed, keys.POLARIZATION] + ([keys.BORN_CHARGES, keys.STRAIN_POSITION] if relaxed else [])
            out = calc.get_derivatives(atoms, names)
            p = out[keys.POLARIZATION][0]
            clamped = -out[mixed][0] / volume - np.einsum("i,jk->ijk", p, np.eye(3))
            if not relaxed:
                return PiezoelectricTensor(clamped, clamped, False, "autograd")
            lam = out[keys.STRAIN_POSITION].transpose(1, 2, 0, 3).reshape(9, 3 * n)  # [jk, κα]
            hessian, z = calc.get_hessian(atoms), out[keys.BORN_CHARGES]
        else:
            clamped = _strain_derivative(atoms, calc, step, False, fmax, keys.POLARIZATION).transpose(2, 0, 1)
            if not relaxed:
                return PiezoelectricTensor(clamped, clamped, False, "finite-difference")
            if relaxation == "bfgs":
                full = _strain_derivative(atoms, calc, step, True, fmax, keys.POLARIZATION).transpose(2, 0, 1)
                return PiezoelectricTensor(full, clamped, True, "finite-difference")
            lam = -_strain_derivative(atoms, calc, step, False, fmax, keys.FORCES).reshape(9, 3 * n)  # −∂F/∂ε
            hessian = compute_hessian(atoms, calc, method="finite-difference")
            z = compute_born_charges(atoms, calc, method="finite-difference", field_step=field_step).charges
    du = internal_relaxation(np.asarray(hessian).reshape(3 * n, 3 * n), lam)  # (3N, 9)
    full = clamped + (z.transpose(1, 0, 2).reshape(3, 3 * n) @ du).reshape(3, 3, 3) / volume
    return PiezoelectricTensor(full, clamped, True, method)


def symmetry_zero_pattern(atoms: Atoms, symprec: float = 1e-4) -> np.ndarray:
    """(3, 6) bool: the Voigt components of e that the crystal's point group forces to zero.

    The point group's Cartesian rotations R (from spglib) project any rank-3 tensor onto the
    symmetric ones, e ↦ ⟨R ⊗ R ⊗ R⟩ e; a component is forced to zero when that projector's
    row for it vanishes (its ij(k) entry is zero for every symmetric tensor).
    """
    import spglib

    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    rotations = spglib.get_symmetry(cell, symprec=symprec)["rotations"]
    lattice = atoms.cell[:].T  # columns a_i: x_cart = A x_frac
    cartesian = [lattice @ r @ np.linalg.inv(lattice) for r in rotations]
    projector = np.mean([np.einsum("ia,jb,kc->ijkabc", r, r, r).reshape(27, 27) for r in cartesian], axis=0)
    index = [3 * 3 * i + 3 * j + k for i in range(3) for j, k in VOIGT_PAIRS]
    # symmetrise in jk, since e is symmetric in its strain indices
    sym = projector.reshape(3, 3, 3, 27)
    sym = 0.5 * (sym + sym.transpose(0, 2, 1, 3)).reshape(27, 27)
    return (np.abs(sym[index]).max(axis=1) < 1e-10).reshape(3, 6)


def longitudinal_response(tensor: PiezoelectricTensor, directions: np.ndarray) -> np.ndarray:
    """e_L(n) = n_i n_j n_k e_ijk (e/Å²) for unit directions (..., 3): the polarization along n
    per unit of strain along n."""
    n = np.asarray(directions, dtype=float)
    return np.einsum("...i,...j,...k,ijk->...", n, n, n, tensor.full)
