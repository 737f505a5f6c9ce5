"""Names of the quantities that flow through ennp_lab, with their shapes and units.

Derivatives are requested as a set of these names, never as boolean flags.
"""

from __future__ import annotations

ENERGY = "energy"  # (B,) eV, total energy per structure
ENERGIES = "energies"  # (N,) eV, per-atom energies (sum per structure = energy)
FORCES = "forces"  # (N, 3) eV/Å, F = -dE/dr
STRESS = "stress"  # (B, 3, 3) eV/Å³, σ = (1/V) dE/dε; Voigt (6,) at the ASE boundary
HESSIAN = "hessian"  # (N, 3, N, 3) eV/Å², d²E/dr dr (single structure)

#: Everything :func:`ennp_lab.derivatives.compute_properties` can produce.
DERIVED_PROPERTIES = frozenset({ENERGY, ENERGIES, FORCES, STRESS, HESSIAN})

__all__ = ["ENERGY", "ENERGIES", "FORCES", "STRESS", "HESSIAN", "DERIVED_PROPERTIES"]
