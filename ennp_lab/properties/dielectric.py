"""Response to a uniform electric field: Born effective charges, the electronic dielectric
tensor, Γ-point infrared intensities and the LO–TO splitting (through phonopy's
non-analytic correction).

Conventions (ASE units, field ℰ in V/Å):

* Born charges Z*_κ,ij = ∂F_κj/∂ℰ_i = Ω ∂P_i/∂u_κj (e), phonopy's convention; the
  acoustic sum rule is Σ_κ Z*_κ = 0.
* electronic (clamped-ion) dielectric tensor ε∞_ij = δ_ij + 4πk α_ij/Ω with the
  polarizability α = −∂²E/∂ℰ∂ℰ (e·Å²/V) and k = e²/4πε₀ = :data:`~ennp_lab.units.COULOMB_EV_A`;
* mode effective charge of a normal mode m with mass-weighted eigenvector e_m:
  Z_m,i = Σ_κβ Z*_κ,iβ e_m,κβ / √m_κ (e/√amu), IR intensity |Z_m|² (e²/amu).

The field responses need a calculator that declares an ``electric_field`` input
(``calc.inputs``, as :class:`~ennp_lab.calculator.ENNPCalculator` does for a field-aware
model): exact (autograd) where it differentiates twice, otherwise central differences in
fields set through its ``electric_field`` parameter, which is restored afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab import keys
from ennp_lab.properties.methods import resolve_method
from ennp_lab.properties.modes import NormalModes
from ennp_lab.units import COULOMB_EV_A
from ennp_lab.validation import as_real

__all__ = ["BornCharges", "compute_born_charges", "compute_dielectric_tensor", "InfraredSpectrum",
           "compute_ir_spectrum", "compute_lo_to_frequencies", "require_field_input", "restoring_field",
           "property_in_field"]


@dataclass(frozen=True)
class BornCharges:
    """Born effective charges of one structure.

    Attributes:
        charges: (N, 3, 3) Z*_κ,ij (e), i the field direction, j the force direction.
    """

    charges: np.ndarray

    @property
    def sum_rule_violation(self) -> float:
        """max_ij |Σ_κ Z*_κ,ij| (e): zero for an exact, translation-invariant model."""
        return float(np.abs(self.charges.sum(axis=0)).max())

    def with_sum_rule(self) -> "BornCharges":
        """The charges with the mean excess removed from every atom (Σ_κ Z*_κ = 0 exactly)."""
        return BornCharges(self.charges - self.charges.mean(axis=0, keepdims=True))


def _supports_field(calc) -> bool:
    return any(getattr(s, "name", None) == keys.ELECTRIC_FIELD for s in getattr(calc, "inputs", ()))


@contextmanager
def restoring_field(calc):
    """Let a function set the calculator's field; the caller's setting comes back after."""
    previous = calc.parameters.get(keys.ELECTRIC_FIELD)
    try:
        yield
    finally:
        calc.set(electric_field=previous)


def property_in_field(atoms: Atoms, calc, field: np.ndarray, name: str) -> np.ndarray:
    """A property of ``atoms`` with the calculator's field set to ``field`` (left set: wrap
    the caller in :func:`restoring_field`)."""
    calc.set(electric_field=np.asarray(field, dtype=float))
    a = atoms.copy()
    a.calc = calc
    return np.asarray(calc.get_property(name, a), dtype=float)


def _field_derivative(atoms: Atoms, calc, name: str, step: float) -> np.ndarray:
    """(3, *shape) central differences ∂X/∂ℰ_i of a property at zero field."""
    out = []
    for i in range(3):
        e = np.zeros(3)
        e[i] = step
        out.append((property_in_field(atoms, calc, e, name) - property_in_field(atoms, calc, -e, name)) / (2 * step))
    return np.asarray(out)


def require_field_input(calc, what: str) -> None:
    """Refuse, naming ``what``, a calculator that declares no electric-field input."""
    if not _supports_field(calc):
        raise ValueError(f"{what} needs a calculator that takes an electric field (a model declaring the "
                         f"'{keys.ELECTRIC_FIELD}' input, e.g. build_ennp(..., electric_field=True)); "
                         f"{type(calc).__name__} does not")


def compute_born_charges(atoms: Atoms, calc: Calculator, method: str = "auto", field_step: float = 1e-3) -> BornCharges:
    """Z* at zero field: by autograd (``∂²E/∂ℰ∂r`` from the derivatives module) or as
    central differences of the forces in ±``field_step`` V/Å along each axis.

    Raises:
        ValueError: a calculator without an electric-field input; a bad method or step.
    """
    require_field_input(calc, "Born charges")
    method = resolve_method(calc, method, what="Born-charge")
    step = as_real(field_step, "field_step (V/Å)", 0.0, strict=True)
    with restoring_field(calc):
        if method == "autograd":
            return BornCharges(property_in_field(atoms, calc, np.zeros(3), keys.BORN_CHARGES))
        return BornCharges(_field_derivative(atoms, calc, keys.FORCES, step).transpose(1, 0, 2))  # (i, κ, j) → (κ, i, j)


def compute_dielectric_tensor(atoms: Atoms, calc: Calculator, method: str = "auto", field_step: float = 1e-3) -> np.ndarray:
    """ε∞ (3, 3) of a 3D-periodic cell at zero field: 1 + 4πk α/Ω, with α by autograd or as
    central differences of the polarization (α_ij = Ω ∂P_j/∂ℰ_i).

    Raises:
        ValueError: a cell that is not 3D-periodic, or a calculator without a field input.
    """
    if not atoms.pbc.all():
        raise ValueError("a dielectric tensor needs a cell periodic in all three directions")
    require_field_input(calc, "the dielectric tensor")
    method = resolve_method(calc, method, what="dielectric")
    volume = atoms.get_volume()
    step = as_real(field_step, "field_step (V/Å)", 0.0, strict=True)
    with restoring_field(calc):
        if method == "autograd":
            alpha = property_in_field(atoms, calc, np.zeros(3), keys.POLARIZABILITY)
        else:
            alpha = volume * _field_derivative(atoms, calc, keys.POLARIZATION, step)
    alpha = 0.5 * (alpha + alpha.T)
    return np.eye(3) + 4.0 * np.pi * COULOMB_EV_A * alpha / volume


@dataclass(frozen=True)
class InfraredSpectrum:
    """Γ-point infrared activity of the normal modes.

    Attributes:
        wavenumbers_cm1: (M,) mode wavenumbers (cm⁻¹; negative: imaginary).
        mode_charges: (M, 3) mode effective charges Z_m (e/√amu).
        intensities: (M,) |Z_m|² (e²/amu).
    """

    wavenumbers_cm1: np.ndarray
    mode_charges: np.ndarray
    intensities: np.ndarray


def compute_ir_spectrum(modes: NormalModes, born: BornCharges) -> InfraredSpectrum:
    """IR intensities of ``modes`` from ``born`` (module docstring).

    Raises:
        ValueError: charges and modes for different numbers of atoms.
    """
    z = np.asarray(born.charges, dtype=float)
    if z.shape != (modes.eigenvectors.shape[1], 3, 3):
        raise ValueError(f"Born charges of shape {z.shape} do not match modes of {modes.eigenvectors.shape[1]} atoms")
    weighted = modes.eigenvectors / np.sqrt(modes.masses)[None, :, None]  # (M, N, 3): e_m,κβ/√m_κ
    charges = np.einsum("kib,mkb->mi", z, weighted)
    return InfraredSpectrum(modes.wavenumbers_cm1, charges, (charges**2).sum(axis=1))


def compute_lo_to_frequencies(force_constants, born: BornCharges, epsilon: np.ndarray,
                              direction: Sequence[float] = (1.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Γ-point frequencies (THz, ascending) without and with phonopy's non-analytic
    correction for q → 0 along ``direction`` (Cartesian): the TO and the LO branches.

    ``born`` holds the charges of ``force_constants.unitcell``'s atoms; phonopy takes those
    of its primitive cell's atoms.

    Raises:
        ValueError: charges for another number of atoms, or a zero direction.
    """
    unitcell = force_constants.unitcell
    z = np.asarray(born.charges, dtype=float)
    if z.shape != (len(unitcell), 3, 3):
        raise ValueError(f"Born charges of shape {z.shape} do not match the unit cell of {len(unitcell)} atoms")
    direction = np.asarray(direction, dtype=float)
    if direction.shape != (3,) or not np.linalg.norm(direction) > 0:
        raise ValueError(f"direction must be a non-zero 3-vector, got {direction.tolist()}")
    phonon = force_constants.phonopy()
    phonon.run_qpoints([[0.0, 0.0, 0.0]])
    analytic = np.sort(phonon.qpoints.frequencies[0])
    supercell = phonon.supercell
    unit_index = [int(supercell.u2u_map[supercell.s2u_map[p]]) for p in phonon.primitive.p2s_map]
    phonon.nac_params = {"born": z[unit_index], "dielectric": np.asarray(epsilon, dtype=float), "factor": COULOMB_EV_A}
    q_reduced = phonon.primitive.cell @ direction  # q·a_i: reduced coordinates along the reciprocal basis
    phonon.run_qpoints([[0.0, 0.0, 0.0]], nac_q_direction=q_reduced)
    corrected = np.sort(phonon.qpoints.frequencies[0])
    return analytic, corrected
