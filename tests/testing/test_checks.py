"""The kit is an oracle only if it can fail: each check passes a sound model and catches a
model broken in exactly the way it checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ennp_lab import keys
from ennp_lab.models.naive import NaiveCartesianModel
from ennp_lab.testing import (
    assert_batch_equals_single,
    assert_derived_properties_match_finite_differences,
    assert_equivariant,
    assert_input_derivatives_match_finite_differences,
    assert_no_cross_frame_leakage,
    assert_separated_fragments_additive,
    assert_smooth_at_cutoff,
    cluster,
    default_structures,
    periodic_cell,
)

from tests.models.toys import FieldToy


class HardCutoff(FieldToy):
    """A pair energy with a step at the cutoff."""

    def forward(self, graph, positions=None, cell=None):
        out = super().forward(graph, positions, cell)
        r = torch.linalg.norm(graph.edge_vectors(positions, cell), dim=1)
        step = torch.zeros(graph.num_atoms, dtype=self.dtype).index_add(0, graph.edge_index[0], 0.01 * r * (r < self.cutoff))
        return self._out(graph, out[keys.ENERGIES] + step)


class DetachedField(FieldToy):
    """The field hidden from autograd: the energy depends on it, ∂E/∂ℰ says it does not."""

    def forward(self, graph, positions=None, cell=None):
        field = graph.input(keys.ELECTRIC_FIELD)
        return super().forward(graph.with_inputs({keys.ELECTRIC_FIELD: field.detach()}), positions, cell)


class BatchMean(FieldToy):
    """Each atom's energy depends on the mean position of the whole batch: frames talk."""

    def forward(self, graph, positions=None, cell=None):
        out = super().forward(graph, positions, cell)
        pos = graph.positions if positions is None else positions
        return self._out(graph, out[keys.ENERGIES] + 0.01 * (pos.mean(dim=0) ** 2).sum())


class CountsAtoms(FieldToy):
    """An energy per atom that grows with the number of atoms of the structure: not additive."""

    def forward(self, graph, positions=None, cell=None):
        out = super().forward(graph, positions, cell)
        n = graph.atoms_per_graph.to(self.dtype)[graph.batch]
        return self._out(graph, out[keys.ENERGIES] + 0.01 * n)


def test_sound_toy_passes_every_check():
    model = FieldToy(seed=0)
    frames = default_structures(model)
    for atoms in frames:
        assert_equivariant(model, atoms)
        assert_input_derivatives_match_finite_differences(model, atoms)
        assert_derived_properties_match_finite_differences(model, atoms)
    assert_batch_equals_single(model, frames)
    assert_no_cross_frame_leakage(model, frames)
    assert_smooth_at_cutoff(model)
    assert_separated_fragments_additive(model, frames[1], frames[1])


def test_equivariance_check_catches_the_naive_model():
    atoms = periodic_cell([29, 79])
    with pytest.raises(AssertionError, match="rotation"):
        assert_equivariant(NaiveCartesianModel(["Cu", "Au"], inputs=("neighbors",)), atoms)


def test_smoothness_check_catches_a_step_at_the_cutoff():
    with pytest.raises(AssertionError, match="not smooth"):
        assert_smooth_at_cutoff(HardCutoff(seed=0))


def test_input_derivative_checks_catch_a_path_hidden_from_autograd():
    model = DetachedField(seed=0)
    atoms = default_structures(model)[1]
    with pytest.raises(AssertionError, match="electric_field"):
        assert_input_derivatives_match_finite_differences(model, atoms)
    with pytest.raises(AssertionError, match="dipole|born|polarizab"):
        assert_derived_properties_match_finite_differences(model, atoms)


def test_batch_checks_catch_frames_that_talk():
    model = BatchMean(seed=0)
    frames = default_structures(model)
    with pytest.raises(AssertionError, match="depends on the positions of other structures"):
        assert_no_cross_frame_leakage(model, frames)
    with pytest.raises(AssertionError, match="batch vs single"):
        assert_batch_equals_single(model, frames)


def test_additivity_check_catches_a_size_dependent_energy():
    a = cluster([29, 79], 4, seed=3)
    with pytest.raises(AssertionError, match="separated fragments"):
        assert_separated_fragments_additive(CountsAtoms(seed=0), a, a)
    np.testing.assert_array_equal(a.numbers[:2], [29, 79])
