"""Symmetry: operations on structures and their inputs (:mod:`.operations`), and the
equivariance report of any model or calculator (:mod:`.report`)."""

from ennp_lab.symmetry.operations import (
    Operation,
    change_of_basis,
    improper_rotation,
    inversion,
    irreps_matrix,
    lattice_translation,
    permutation,
    random_rotation,
    reflection,
    rotation,
    standard_operations,
    time_reversal,
    translation,
    wrap,
)
from ennp_lab.symmetry.report import (
    EquivarianceReport,
    OutputRule,
    SymmetryComparison,
    compare_under_operation,
    equivariance_report,
    output_rules,
)

__all__ = [
    "Operation",
    "OutputRule",
    "EquivarianceReport",
    "SymmetryComparison",
    "change_of_basis",
    "compare_under_operation",
    "equivariance_report",
    "improper_rotation",
    "inversion",
    "irreps_matrix",
    "lattice_translation",
    "output_rules",
    "permutation",
    "random_rotation",
    "reflection",
    "rotation",
    "standard_operations",
    "time_reversal",
    "translation",
    "wrap",
]
