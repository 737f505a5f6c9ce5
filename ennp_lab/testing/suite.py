"""A reusable test suite for ennp_lab models (NequIP-style): subclass it, build a model.

::

    from ennp_lab.testing import ModelSuite

    class TestMyModel(ModelSuite):
        def build_model(self):
            return MyModel(...)

pytest then runs every check of :mod:`ennp_lab.testing.checks` on the model, over a
triclinic periodic cell and a cluster of its elements holding random values of its
declared inputs (:func:`~ennp_lab.testing.structures.default_structures`): equivariance
of every output under every operation (parity and time reversal included), forces,
stress and Hessian against finite differences, every derivative with respect to each
declared input and every derived quantity against finite differences, batch = single,
no cross-frame gradients, wrapped = unwrapped, smoothness at the cutoff, and additivity
of isolated atoms and separated fragments. Nothing model-specific is needed: the checks
read the model's declarations. Override :meth:`structures` for other structures, and
list checks in ``skip`` (name → reason) when one does not apply (additivity for a model
with a global charge constraint, say).
"""

from __future__ import annotations

from typing import ClassVar

from ase import Atoms

from ennp_lab.models.interface import declared_inputs
from ennp_lab.testing import checks
from ennp_lab.testing.structures import default_structures

__all__ = ["ModelSuite"]


class ModelSuite:
    """Base class of a model's test class (module docstring)."""

    #: checks to leave out: test method name → reason
    skip: ClassVar[dict[str, str]] = {}
    _cache: ClassVar[dict] = {}

    def build_model(self):
        """The model under test (built once per test class)."""
        raise NotImplementedError("a ModelSuite subclass must define build_model()")

    def structures(self, model) -> list[Atoms]:
        """Structures to test on: by default a periodic cell and a cluster."""
        return default_structures(model)

    # -- shared state ------------------------------------------------------------------------
    def _get(self, what: str):
        key = (type(self), what)
        if key not in ModelSuite._cache:
            model = self._get("model") if what != "model" else None
            ModelSuite._cache[key] = self.build_model() if what == "model" else self.structures(model)
        return ModelSuite._cache[key]

    @property
    def model(self):
        return self._get("model")

    @property
    def frames(self) -> list[Atoms]:
        return self._get("structures")

    def _check(self, name: str) -> None:
        if name in self.skip:
            import pytest

            pytest.skip(self.skip[name])

    def _periodic(self) -> list[Atoms]:
        return [a for a in self.frames if a.pbc.all()]

    def _molecules(self) -> list[Atoms]:
        return [a for a in self.frames if not a.pbc.any()]

    # -- the checks --------------------------------------------------------------------------
    def test_equivariance(self):
        self._check("test_equivariance")
        for atoms in self.frames:
            checks.assert_equivariant(self.model, atoms)

    def test_forces_match_finite_differences(self):
        self._check("test_forces_match_finite_differences")
        for atoms in self.frames:
            checks.assert_forces_match_finite_differences(self.model, atoms)

    def test_stress_matches_finite_differences(self):
        self._check("test_stress_matches_finite_differences")
        for atoms in self._periodic():
            checks.assert_stress_matches_finite_differences(self.model, atoms)

    def test_hessian_matches_finite_differences(self):
        self._check("test_hessian_matches_finite_differences")
        checks.assert_hessian_matches_finite_differences(self.model, min(self.frames, key=len))

    def test_input_derivatives_match_finite_differences(self):
        self._check("test_input_derivatives_match_finite_differences")
        if not any(s.differentiable for s in declared_inputs(self.model)):
            import pytest

            pytest.skip("the model declares no differentiable input")
        for atoms in self.frames:
            checks.assert_input_derivatives_match_finite_differences(self.model, atoms)

    def test_derived_properties_match_finite_differences(self):
        self._check("test_derived_properties_match_finite_differences")
        from ennp_lab.calculator import ENNPCalculator

        calc = ENNPCalculator(self.model, device="cpu")
        if not calc.derivable:
            import pytest

            pytest.skip("the model's inputs make no quantity derivable")
        for atoms in self.frames:
            checks.assert_derived_properties_match_finite_differences(calc, atoms)

    def test_batch_equals_single(self):
        self._check("test_batch_equals_single")
        checks.assert_batch_equals_single(self.model, self._periodic() or self.frames)
        checks.assert_batch_equals_single(self.model, self._molecules() or self.frames)

    def test_no_cross_frame_leakage(self):
        self._check("test_no_cross_frame_leakage")
        frames = self.frames if len(self.frames) > 1 else self.frames * 2
        checks.assert_no_cross_frame_leakage(self.model, frames)

    def test_wrapped_equals_unwrapped(self):
        self._check("test_wrapped_equals_unwrapped")
        for atoms in self._periodic():
            checks.assert_wrapped_equals_unwrapped(self.model, atoms)

    def test_smooth_at_cutoff(self):
        self._check("test_smooth_at_cutoff")
        checks.assert_smooth_at_cutoff(self.model)

    def test_isolated_atoms_are_additive(self):
        self._check("test_isolated_atoms_are_additive")
        checks.assert_isolated_atoms_additive(self.model)

    def test_separated_fragments_are_additive(self):
        self._check("test_separated_fragments_are_additive")
        molecules = self._molecules()
        if not molecules:
            import pytest

            pytest.skip("no non-periodic structure to split")
        checks.assert_separated_fragments_additive(self.model, molecules[0], molecules[-1])
