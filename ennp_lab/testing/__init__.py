"""Public test kit: checks that every ennp_lab model (and any ASE calculator) should pass.

Used by ennp_lab's own tests and meant for users' models too:

* :mod:`~ennp_lab.testing.checks`: ``assert_*`` functions with named tolerances per dtype
  (equivariance over declared inputs and outputs, finite-difference checks of forces,
  stress, Hessian and every derivative, batch = single, no cross-frame gradients,
  wrapped = unwrapped, smoothness at the cutoff, additivity);
* :class:`~ennp_lab.testing.suite.ModelSuite`: all of them for one model, by subclassing
  (needs pytest);
* :mod:`~ennp_lab.testing.structures`: :func:`tiny_model` and small test structures.
"""

from ennp_lab.symmetry import Operation, random_rotation, standard_operations
from ennp_lab.testing.checks import (
    TOLERANCES,
    Tolerances,
    assert_batch_equals_single,
    assert_derived_properties_match_finite_differences,
    assert_equivariant,
    assert_forces_match_finite_differences,
    assert_hessian_matches_finite_differences,
    assert_input_derivatives_match_finite_differences,
    assert_isolated_atoms_additive,
    assert_no_cross_frame_leakage,
    assert_separated_fragments_additive,
    assert_smooth_at_cutoff,
    assert_stress_matches_finite_differences,
    assert_wrapped_equals_unwrapped,
    tolerances_for,
)
from ennp_lab.testing.structures import cluster, default_structures, periodic_cell, tiny_model, with_random_inputs
from ennp_lab.testing.suite import ModelSuite

__all__ = [
    "ModelSuite",
    "Operation",
    "TOLERANCES",
    "Tolerances",
    "assert_batch_equals_single",
    "assert_derived_properties_match_finite_differences",
    "assert_equivariant",
    "assert_forces_match_finite_differences",
    "assert_hessian_matches_finite_differences",
    "assert_input_derivatives_match_finite_differences",
    "assert_isolated_atoms_additive",
    "assert_no_cross_frame_leakage",
    "assert_separated_fragments_additive",
    "assert_smooth_at_cutoff",
    "assert_stress_matches_finite_differences",
    "assert_wrapped_equals_unwrapped",
    "cluster",
    "default_structures",
    "periodic_cell",
    "random_rotation",
    "standard_operations",
    "tiny_model",
    "tolerances_for",
    "with_random_inputs",
]
