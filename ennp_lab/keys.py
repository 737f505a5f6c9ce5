"""Names of the quantities that flow through ennp_lab, with their shapes and units.

Every name a model takes, gives or has derived from its energy is spelled here, once:
derivatives are requested as a set of these names, never as boolean flags. Per-atom
versions of a structure-level output and raw derivatives of the energy with respect to
any differentiable variable are named by the functions :func:`per_atom`,
:func:`gradient` and :func:`second_derivative` (never by string concatenation
elsewhere). Shapes: B structures, N atoms in total; ``d`` is the dimension of a declared
input's irreps.
"""

from __future__ import annotations

# --- energy and its standard derivatives ------------------------------------------------
ENERGY = "energy"  # (B,) eV, total energy per structure
ENERGIES = "energies"  # (N,) eV, per-atom energies (sum per structure = energy)
FORCES = "forces"  # (N, 3) eV/Å, F = -dE/dr
STRESS = "stress"  # (B, 3, 3) eV/Å³, σ = (1/V) dE/dε; Voigt (6,) at the ASE boundary
HESSIAN = "hessian"  # (N, 3, N, 3) eV/Å², d²E/dr dr (block diagonal for a batch)

# --- differentiable variables that every structure has -----------------------------------
POSITIONS = "positions"  # (N, 3) Å
STRAIN = "strain"  # (B, 3, 3) dimensionless symmetric strain ε (x' = x (I + ε)), at ε = 0

# --- optional model inputs (declared by the model, see ennp_lab.spec) --------------------
ELECTRIC_FIELD = "electric_field"  # (B, 3) V/Å, a polar vector (1o), time-even, global
MAGMOMS = "magmoms"  # (N, 3) μ_B axial vectors (1e), time-odd; (N, 1) when collinear (0e)
CHARGES = "charges"  # (N, 1) e, per-atom charges (given, or a model's learned 0e head)
TOTAL_CHARGE = "total_charge"  # (B, 1) e, net charge of each structure

# --- quantities derived from the energy with respect to the optional inputs --------------
DIPOLE = "dipole"  # (B, 3) e·Å, μ = −∂E/∂ℰ (E is the electric enthalpy)
POLARIZATION = "polarization"  # (B, 3) e/Å², P = μ/Ω = −(1/Ω) ∂E/∂ℰ (3D-periodic cells)
BORN_CHARGES = "born_charges"  # (N, 3, 3) e, Z*_κ,ij = ∂F_κj/∂ℰ_i = −∂²E/∂ℰ_i∂r_κj
POLARIZABILITY = "polarizability"  # (B, 3, 3) e·Å²/V, α_ij = ∂μ_i/∂ℰ_j = −∂²E/∂ℰ_i∂ℰ_j
EFFECTIVE_FIELD = "effective_field"  # (N, d) eV/μ_B, B_eff = −∂E/∂m (an axial vector, time-odd)
TORQUE = "torque"  # (N, 3) eV, τ = m × B_eff (non-collinear moments)


def per_atom(name: str) -> str:
    """Name of the per-atom (N, dim) version of a structure-level output ``name``."""
    return f"{name}_per_atom"


def gradient(wrt: str) -> str:
    """Name of ∂E/∂``wrt``, shaped like the variable: (N, ...) per atom, (B, ...) per structure."""
    return f"dE/d({wrt})"


def second_derivative(a: str, b: str) -> str:
    """Name of ∂²E/∂``a``∂``b`` (see :func:`ennp_lab.derivatives.compute_properties` for
    the layout of each combination of per-atom and per-structure variables)."""
    return f"d2E/d({a})d({b})"


def parse_derivative(name: str) -> tuple[str, ...] | None:
    """The variables of a raw derivative name: ``("x",)`` for :func:`gradient`,
    ``("a", "b")`` for :func:`second_derivative`, ``None`` for any other name."""
    if name.startswith("dE/d(") and name.endswith(")"):
        return (name[5:-1],)
    if name.startswith("d2E/d(") and name.endswith(")") and ")d(" in name:
        a, b = name[6:-1].split(")d(", 1)
        return (a, b)
    return None


#: ∂E/∂ε (B, 3, 3) eV (= V σ)
STRAIN_GRADIENT = gradient(STRAIN)
#: ∂²E/∂ε∂ε (B, 3, 3, 3, 3) eV
STRAIN_HESSIAN = second_derivative(STRAIN, STRAIN)
#: ∂²E/∂ε∂x (N, 3, 3, 3) eV/Å, [κ, a, b, k] = ∂²E/∂ε_ab∂x_κk
STRAIN_POSITION = second_derivative(STRAIN, POSITIONS)

#: The named quantities :func:`ennp_lab.derivatives.compute_properties` derives from the
#: energy (raw :func:`gradient`/:func:`second_derivative` names come on top).
DERIVED_PROPERTIES = frozenset(
    {ENERGY, ENERGIES, FORCES, STRESS, HESSIAN, DIPOLE, POLARIZATION, BORN_CHARGES, POLARIZABILITY,
     EFFECTIVE_FIELD, TORQUE}
)

__all__ = [
    "ENERGY", "ENERGIES", "FORCES", "STRESS", "HESSIAN", "POSITIONS", "STRAIN", "ELECTRIC_FIELD", "MAGMOMS",
    "CHARGES", "TOTAL_CHARGE", "DIPOLE", "POLARIZATION", "BORN_CHARGES", "POLARIZABILITY", "EFFECTIVE_FIELD",
    "TORQUE", "STRAIN_GRADIENT", "STRAIN_HESSIAN", "STRAIN_POSITION", "DERIVED_PROPERTIES", "per_atom", "gradient",
    "second_derivative", "parse_derivative",
]
