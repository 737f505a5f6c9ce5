"""The elasticity tensor C_ijkl and what follows from it.

Definition (energy, or Lagrangian, elastic constants of the reference state)::

    C_abcd = (1/V₀) ∂²E/∂ε_ab ∂ε_cd,

for the symmetric homogeneous strain x' = x (I + ε). At zero stress this equals the
stress–strain slope ∂σ_ab/∂ε_cd. Two routes:

* ``autograd`` (an ENNP): the strain Hessian directly
  (``keys.STRAIN_HESSIAN`` from :func:`ennp_lab.derivatives.compute_properties`);
* ``finite-difference`` (any ASE calculator): central differences of the stress,
  ∂(V σ)/∂ε / V₀. The stress is the derivative with respect to a strain applied on
  top of the strained cell, so this differs from the energy definition by terms linear
  in the residual stress: the routes agree for a relaxed cell (zero stress).

**Clamped-ion** C keeps fractional coordinates fixed. **Relaxed-ion** C lets the atoms
relax inside the strained cell. Expanding E(ε, u) = E₀ + ½ V₀ ε C ε + ε Λ u + ½ u H u and
minimising over the displacements u gives

    C_relaxed = C_clamped − (1/V₀) Λ H⁺ Λᵀ,     Λ_(ab),(ik) = ∂²E/∂ε_ab∂x_ik,

with H⁺ the pseudo-inverse of the Hessian on the space orthogonal to rigid translations
(autograd route), or, for the finite-difference route, a relaxation of the positions
(ASE's BFGS) at every strain. For a Bravais lattice (one atom per primitive cell, FCC,
BCC) the two coincide.

Voigt order (xx, yy, zz, yz, xz, xy) with engineering shear strains (e₄ = 2ε_yz): the
6×6 matrix C_IJ equals C_abcd with (ab) → I, (cd) → J. Stored in eV/Å³; GPa only at the
display edge (:data:`ennp_lab.units.EV_PER_A3_TO_GPA`). Averages are Voigt, Reuss and
Hill's; directional quantities follow ELATE (Gaillac, Pullumbi & Coudert 2016):

    E(n)  = 1 / (n_i n_j n_k n_l S_ijkl),         β(n) = S_ijkk n_i n_j,
    G(n, m) = 1 / (4 n_i m_j n_k m_l S_ijkl),     ν(n, m) = −n_i n_j m_k m_l S_ijkl · E(n),

with m ⟂ n; shear modulus and Poisson ratio are reported as min/max over m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.optimize import BFGS

from ennp_lab import keys
from ennp_lab.properties.directions import great_circle, sphere_grid
from ennp_lab.properties.methods import resolve_method
from ennp_lab.properties.hessian import internal_relaxation

__all__ = [
    "VOIGT_PAIRS",
    "ElasticTensor",
    "DirectionalSurface",
    "compute_elastic_tensor",
    "compute_directional_cut",
    "DirectionalCut",
    "compute_directional_surface",
    "directional_values",
]

#: Voigt index → Cartesian pair
VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
_VOIGT = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])  # (a, b) → Voigt index


def voigt_to_full(c: np.ndarray) -> np.ndarray:
    """Stiffness 6×6 (Voigt) → (3, 3, 3, 3)."""
    return np.asarray(c)[_VOIGT[:, :, None, None], _VOIGT[None, None, :, :]]


def full_to_voigt(c: np.ndarray) -> np.ndarray:
    """Stiffness (3, 3, 3, 3) → 6×6 (Voigt), symmetrising over the minor index pairs."""
    c = np.asarray(c)
    c = 0.25 * (c + c.transpose(1, 0, 2, 3) + c.transpose(0, 1, 3, 2) + c.transpose(1, 0, 3, 2))
    return np.array([[c[a, b, p, q] for p, q in VOIGT_PAIRS] for a, b in VOIGT_PAIRS])


def _compliance_full(s_voigt: np.ndarray) -> np.ndarray:
    """Compliance 6×6 (engineering strains) → (3, 3, 3, 3): factors 1, ½, ¼ for shear indices."""
    factor = np.where(np.arange(6) < 3, 1.0, 0.5)
    return voigt_to_full(s_voigt * factor[:, None] * factor[None, :])


@dataclass(frozen=True)
class ElasticTensor:
    """An elasticity tensor and derived moduli (eV/Å³; multiply by ``EV_PER_A3_TO_GPA``).

    Attributes:
        voigt: (6, 6) C_IJ, eV/Å³.
        relaxed: whether internal relaxation is included.
        method: ``"autograd"`` or ``"finite-difference"``.
    """

    voigt: np.ndarray
    relaxed: bool = False
    method: str = ""

    @property
    def full(self) -> np.ndarray:
        """(3, 3, 3, 3) C_abcd, eV/Å³."""
        return voigt_to_full(self.voigt)

    @property
    def compliance(self) -> np.ndarray:
        """(6, 6) S = C⁻¹ (engineering strains), Å³/eV."""
        return np.linalg.inv(self.voigt)

    @property
    def eigenvalues(self) -> np.ndarray:
        """(6,) eigenvalues of the symmetrised Voigt matrix; all > 0 ⇔ Born-stable."""
        return np.linalg.eigvalsh(0.5 * (self.voigt + self.voigt.T))

    @property
    def born_stable(self) -> bool:
        """Born stability: C positive definite."""
        return bool(self.eigenvalues.min() > 0)

    @property
    def symmetry_deviation(self) -> float:
        """max |C_IJ − C_JI| / max |C_IJ| (major symmetry, 0 for an exact tensor)."""
        return float(np.abs(self.voigt - self.voigt.T).max() / np.abs(self.voigt).max())

    @property
    def bulk_voigt(self) -> float:
        c = self.voigt
        return float((c[0, 0] + c[1, 1] + c[2, 2] + 2 * (c[0, 1] + c[0, 2] + c[1, 2])) / 9)

    @property
    def shear_voigt(self) -> float:
        c = self.voigt
        return float(((c[0, 0] + c[1, 1] + c[2, 2]) - (c[0, 1] + c[0, 2] + c[1, 2]) + 3 * (c[3, 3] + c[4, 4] + c[5, 5])) / 15)

    @property
    def bulk_reuss(self) -> float:
        s = self.compliance
        return float(1 / ((s[0, 0] + s[1, 1] + s[2, 2]) + 2 * (s[0, 1] + s[0, 2] + s[1, 2])))

    @property
    def shear_reuss(self) -> float:
        s = self.compliance
        return float(15 / (4 * (s[0, 0] + s[1, 1] + s[2, 2]) - 4 * (s[0, 1] + s[0, 2] + s[1, 2]) + 3 * (s[3, 3] + s[4, 4] + s[5, 5])))

    @property
    def bulk_hill(self) -> float:
        return 0.5 * (self.bulk_voigt + self.bulk_reuss)

    @property
    def shear_hill(self) -> float:
        return 0.5 * (self.shear_voigt + self.shear_reuss)

    @property
    def young_hill(self) -> float:
        """E_H = 9 K_H G_H / (3 K_H + G_H)."""
        k, g = self.bulk_hill, self.shear_hill
        return 9 * k * g / (3 * k + g)

    @property
    def poisson_hill(self) -> float:
        """ν_H = (3 K_H − 2 G_H) / (2 (3 K_H + G_H))."""
        k, g = self.bulk_hill, self.shear_hill
        return (3 * k - 2 * g) / (2 * (3 * k + g))

    @property
    def zener_anisotropy(self) -> float:
        """A = 2 C44 / (C11 − C12) (1 for an isotropic cubic crystal)."""
        c = self.voigt
        return float(2 * c[3, 3] / (c[0, 0] - c[0, 1]))

    def rotated(self, rotation: np.ndarray) -> "ElasticTensor":
        """C'_ijkl = R_ia R_jb R_kc R_ld C_abcd for a rotation (or any orthogonal) matrix."""
        r = np.asarray(rotation)
        full = np.einsum("ia,jb,kc,ld,abcd->ijkl", r, r, r, r, self.full)
        return ElasticTensor(full_to_voigt(full), self.relaxed, self.method)

    def young(self, directions: np.ndarray) -> np.ndarray:
        """E(n) for unit vectors n (..., 3), eV/Å³."""
        n = _unit(directions)
        return 1.0 / np.einsum("...i,...j,...k,...l,ijkl->...", n, n, n, n, _compliance_full(self.compliance))

    def linear_compressibility(self, directions: np.ndarray) -> np.ndarray:
        """β(n) = S_ijkk n_i n_j for unit vectors n (..., 3), Å³/eV."""
        n = _unit(directions)
        return np.einsum("...i,...j,ijkk->...", n, n, _compliance_full(self.compliance))

    def shear(self, directions: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """G(n, m) = 1/(4 n_i m_j n_k m_l S_ijkl) for m ⟂ n, eV/Å³."""
        n, m = _unit(directions), _unit(normals)
        return 1.0 / (4 * np.einsum("...i,...j,...k,...l,ijkl->...", n, m, n, m, _compliance_full(self.compliance)))

    def poisson(self, directions: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """ν(n, m) = −(n_i n_j m_k m_l S_ijkl) / (n_i n_j n_k n_l S_ijkl) for m ⟂ n."""
        n, m = _unit(directions), _unit(normals)
        s = _compliance_full(self.compliance)
        return -np.einsum("...i,...j,...k,...l,ijkl->...", n, n, m, m, s) / np.einsum("...i,...j,...k,...l,ijkl->...", n, n, n, n, s)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("directions must be non-zero vectors")
    return v / norm


def _strain_matrix(index: int, magnitude: float) -> np.ndarray:
    """Symmetric strain for Voigt component ``index`` with engineering magnitude."""
    a, b = VOIGT_PAIRS[index]
    eps = np.zeros((3, 3))
    if a == b:
        eps[a, a] = magnitude
    else:
        eps[a, b] = eps[b, a] = 0.5 * magnitude
    return eps


def _strained_virial(atoms: Atoms, calc: Calculator, eps: np.ndarray, relax: bool, fmax: float) -> np.ndarray:
    """V σ (Voigt, eV) of ``atoms`` homogeneously strained by ``eps`` (positions relaxed if asked)."""
    strained = atoms.copy()
    strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
    strained.calc = calc
    if relax:
        BFGS(strained, logfile=None).run(fmax=fmax, steps=500)
    return strained.get_stress(voigt=True) * strained.get_volume()


def compute_elastic_tensor(
    atoms: Atoms,
    calc: Calculator,
    relaxed: bool = False,
    method: Literal["auto", "autograd", "finite-difference"] = "auto",
    delta: float = 1e-3,
    fmax: float = 1e-5,
) -> ElasticTensor:
    """Clamped-ion (or relaxed-ion) elasticity tensor of a periodic cell.

    Args:
        atoms: a 3D-periodic cell, ideally relaxed (zero stress, zero forces).
        calc: any ASE calculator with stress.
        relaxed: include the internal-relaxation correction.
        method: ``"autograd"`` (ENNP: strain Hessian, and Λ H⁺ Λᵀ for relaxed-ion),
            ``"finite-difference"`` (central differences of V σ with Voigt strains ±``delta``;
            positions relaxed with BFGS to ``fmax`` eV/Å when ``relaxed``), ``"auto"``.
        delta: finite-difference strain.

    Returns:
        :class:`ElasticTensor` (eV/Å³).
    """
    if not atoms.pbc.all():
        raise ValueError("an elasticity tensor needs a cell periodic in all three directions")
    if abs(atoms.get_volume()) < 1e-9:
        raise ValueError("the cell has zero volume")
    method = resolve_method(calc, method, what="elastic-tensor")
    volume = atoms.get_volume()
    if method == "autograd":
        out = calc.get_strain_derivatives(atoms)
        full = out[keys.STRAIN_HESSIAN] / volume
        if relaxed:
            n = len(atoms)
            lam = out[keys.STRAIN_POSITION].transpose(1, 2, 0, 3).reshape(9, 3 * n)
            hessian = calc.get_hessian(atoms).reshape(3 * n, 3 * n)
            # C_relaxed = C_clamped − Λ H⁺ Λᵀ / V₀ = C_clamped + Λ (du/dε) / V₀
            full = full + (lam @ internal_relaxation(hessian, lam)).reshape(3, 3, 3, 3) / volume
        return ElasticTensor(full_to_voigt(full), relaxed, "autograd")
    if delta <= 0:
        raise ValueError(f"strain step must be positive, got delta={delta}")
    columns = []
    for j in range(6):
        plus = _strained_virial(atoms, calc, _strain_matrix(j, delta), relaxed, fmax)
        minus = _strained_virial(atoms, calc, _strain_matrix(j, -delta), relaxed, fmax)
        columns.append((plus - minus) / (2 * delta * volume))
    return ElasticTensor(np.array(columns).T, relaxed, "finite-difference")


@dataclass(frozen=True)
class DirectionalSurface:
    """A directional quantity on a (θ, φ) grid of the unit sphere.

    Attributes:
        quantity: ``"young"``, ``"linear_compressibility"``, ``"shear"`` or ``"poisson"``.
        theta, phi: (T,), (P,) polar and azimuthal angles, rad.
        directions: (T, P, 3) unit vectors.
        minimum, maximum: (T, P) over the perpendicular direction m for shear and
            Poisson ratio; equal to the value itself otherwise. eV/Å³ (moduli),
            Å³/eV (compressibility) or dimensionless (Poisson).
    """

    quantity: str
    theta: np.ndarray
    phi: np.ndarray
    directions: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray


def directional_values(tensor: ElasticTensor, quantity: str, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of a directional quantity for unit vectors n (..., 3); min = max for E and β.

    For shear modulus and Poisson ratio the extremes over m ⟂ n are exact: both are
    functions of a quadratic form m·Q·m restricted to the plane ⟂ n (Q_ij = n_a n_c S_aicj
    for shear, n_a n_b S_abij for Poisson), whose extremes over unit m in that plane are
    the eigenvalues of the projected 2×2 matrix.
    """
    n = _unit(directions)
    if quantity == "young":
        v = tensor.young(n)
        return v, v
    if quantity == "linear_compressibility":
        v = tensor.linear_compressibility(n)
        return v, v
    if quantity not in ("shear", "poisson"):
        raise ValueError(f"unknown quantity {quantity!r}: young, linear_compressibility, shear or poisson")
    s = _compliance_full(tensor.compliance)
    helper = np.where(np.abs(n[..., :1]) < 0.9, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    u = _unit(np.cross(n, helper))
    plane = np.stack([u, np.cross(n, u)], axis=-2)  # (..., 2, 3) orthonormal basis ⟂ n
    if quantity == "shear":
        q = np.einsum("...a,...c,aicj->...ij", n, n, s)
    else:
        q = np.einsum("...a,...b,abij->...ij", n, n, s)
    projected = np.einsum("...pi,...ij,...qj->...pq", plane, 0.5 * (q + np.swapaxes(q, -1, -2)), plane)
    low, high = np.moveaxis(np.linalg.eigvalsh(projected), -1, 0)
    if quantity == "shear":  # G = 1/(4 m·Q·m)
        return 1.0 / (4.0 * high), 1.0 / (4.0 * low)
    scale = tensor.young(n)  # ν = −(m·Q·m) E(n)
    return -high * scale, -low * scale


def compute_directional_surface(tensor: ElasticTensor, quantity: str = "young", n_theta: int = 46, n_phi: int = 91) -> DirectionalSurface:
    """A directional quantity on a sphere grid (for 3D surfaces)."""
    theta, phi, directions = sphere_grid(n_theta, n_phi)
    lo, hi = directional_values(tensor, quantity, directions)
    return DirectionalSurface(quantity, theta, phi, directions, lo, hi)


@dataclass(frozen=True)
class DirectionalCut:
    """A directional quantity along the directions of one crystal plane (a zone cut).

    Attributes:
        quantity: as in :class:`DirectionalSurface`.
        plane: (3,) the plane's normal.
        angles: (P,) angle ψ along the great circle, degrees.
        directions: (P, 3) unit vectors in the plane.
        minimum, maximum: (P,) the quantity (min/max over m ⟂ n for shear and Poisson).
    """

    quantity: str
    plane: np.ndarray
    angles: np.ndarray
    directions: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray


def compute_directional_cut(tensor: ElasticTensor, quantity: str = "young", plane=(0, 0, 1), n_points: int = 181) -> DirectionalCut:
    """The quantity for every direction in the plane ⟂ ``plane`` (:func:`~ennp_lab.properties.directions.great_circle`)."""
    angles, directions = great_circle(plane, n_points)
    lo, hi = directional_values(tensor, quantity, directions)
    return DirectionalCut(quantity, np.asarray(plane, dtype=float), angles, directions, lo, hi)
