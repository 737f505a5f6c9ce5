"""Core protocol v2: declared inputs reach the model through ASE's conventions and the
calculator; derivatives by name with respect to any declared input; composition and
ensembles pass through the same calculator with their heads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import molecule

from ennp_lab import AtomGraph, ENNPCalculator, compute_properties, keys
from ennp_lab.models.compose import SumModel
from ennp_lab.models.ensemble import Ensemble
from ennp_lab.spec import ELECTRIC_FIELD_INPUT, InputSpec, read_inputs
from ennp_lab.testing import cluster, periodic_cell, tiny_model

from tests.models.toys import FieldToy, MomentToy


def test_field_comes_from_a_parameter_or_atoms_info_and_a_change_is_noticed():
    atoms = cluster([29, 79], 5, seed=1)
    model = FieldToy(seed=0)
    calc = ENNPCalculator(model, device="cpu")
    atoms.calc = calc
    zero = atoms.get_potential_energy()
    atoms.info["electric_field"] = [0.0, 0.0, 0.2]
    in_info = atoms.get_potential_energy()  # an info change alone triggers a new calculation
    assert abs(in_info - zero) > 1e-6
    calc.set(electric_field=[0.0, 0.0, 0.2])
    assert atoms.get_potential_energy() == pytest.approx(in_info, abs=1e-14)
    calc.set(electric_field=[0.1, 0.0, 0.0])  # the parameter takes precedence over info
    by_parameter = atoms.get_potential_energy()
    other = atoms.copy()
    other.info["electric_field"] = [0.1, 0.0, 0.0]
    assert ENNPCalculator(model, device="cpu").get_potential_energy(other) == pytest.approx(by_parameter, abs=1e-14)
    # the dipole is −∂E/∂ℰ, available on demand
    assert calc.get_property(keys.DIPOLE, atoms).shape == (3,)
    assert keys.BORN_CHARGES in calc.implemented_properties and keys.TORQUE not in calc.implemented_properties


def test_bad_inputs_and_parameters_are_named():
    model = FieldToy(seed=0)
    with pytest.raises(ValueError, match="unknown calculator parameters \\['magmoms'\\]"):
        ENNPCalculator(model, magmoms=np.ones(3))
    with pytest.raises(ValueError, match="load_pretrained"):
        ENNPCalculator("cu-emt")
    atoms = cluster([29], 3)
    with pytest.raises(ValueError, match="electric_field.*shape \\(3,\\)"):
        read_inputs(atoms, [ELECTRIC_FIELD_INPUT], {"electric_field": [1.0, 2.0]})
    atoms.info["electric_field"] = [0.0, np.nan, 0.0]
    with pytest.raises(ValueError, match="NaN"):
        read_inputs(atoms, [ELECTRIC_FIELD_INPUT])
    needed = InputSpec("orientation", "1o", per_atom=True, required=True)
    with pytest.raises(ValueError, match="atoms.arrays\\['orientation'\\]"):
        read_inputs(atoms, [needed])


def test_derivatives_are_named_and_checked_against_the_declarations():
    model = MomentToy(seed=0)
    atoms = cluster([29, 79], 4, seed=2)
    atoms.set_initial_magnetic_moments(np.random.default_rng(0).normal(size=(4, 3)))
    graph = AtomGraph.from_atoms(atoms, model.cutoff, inputs=model.inputs)
    out = compute_properties(model, graph, {keys.TORQUE, keys.gradient(keys.MAGMOMS),
                                            keys.second_derivative(keys.MAGMOMS, keys.POSITIONS)})
    m = graph.input(keys.MAGMOMS)
    np.testing.assert_allclose(out[keys.TORQUE], torch.cross(m, -out[keys.gradient(keys.MAGMOMS)], dim=1), atol=1e-14)
    assert out[keys.second_derivative(keys.MAGMOMS, keys.POSITIONS)].shape == (4, 3, 4, 3)
    with pytest.raises(ValueError, match="electric_field"):
        compute_properties(model, graph, {keys.DIPOLE})
    with pytest.raises(ValueError, match="cannot differentiate with respect to \\['electric_field'\\]"):
        compute_properties(model, graph, {keys.gradient(keys.ELECTRIC_FIELD)})
    with pytest.raises(ValueError, match="unknown properties"):
        compute_properties(model, graph, {"torques"})
    field = FieldToy(seed=0)
    with pytest.raises(ValueError, match="polarization needs structures periodic"):
        compute_properties(field, AtomGraph.from_atoms(atoms, field.cutoff, inputs=field.inputs), {keys.POLARIZATION})


def test_a_sum_of_models_is_a_model_with_the_union_of_inputs():
    local, field = tiny_model(["Cu", "Au"], seed=0), FieldToy(cutoff=3.0, seed=1)
    total = SumModel([local, field])
    assert total.inputs == (ELECTRIC_FIELD_INPUT,) and total.cutoff == local.cutoff
    atoms = periodic_cell([29, 79], seed=4)
    atoms.info["electric_field"] = [0.05, -0.1, 0.02]
    parts = [ENNPCalculator(m, device="cpu") for m in (local, field)]
    calc = ENNPCalculator(total, device="cpu")
    for name in ("energy", "forces", "stress"):
        expected = sum(c.get_property(name, atoms) for c in parts)
        np.testing.assert_allclose(calc.get_property(name, atoms), expected, atol=1e-12)
    np.testing.assert_allclose(calc.get_property(keys.BORN_CHARGES, atoms), parts[1].get_property(keys.BORN_CHARGES, atoms),
                               atol=1e-12)
    other = InputSpec(keys.ELECTRIC_FIELD, "1e", per_atom=False)

    class AxialField(FieldToy):
        inputs = (other,)

    with pytest.raises(ValueError, match="declared differently"):
        SumModel([field, AxialField()])
    with pytest.raises(ValueError, match="no element is known by every part"):
        SumModel([tiny_model(["Cu"]), tiny_model(["H"])])


def test_an_ensemble_through_the_plain_calculator_keeps_its_heads():
    members = [tiny_model(["Cu", "Au"], seed=k, heads={"q": "0e", "v": "1o"}) for k in range(3)]
    atoms = periodic_cell([29, 79], seed=5)
    calc = ENNPCalculator(Ensemble(members), device="cpu")
    singles = [ENNPCalculator(m, device="cpu") for m in members]
    for name in ("q", keys.per_atom("q"), "v", keys.per_atom("v"), "energy", "forces"):
        expected = np.mean([c.get_property(name, atoms) for c in singles], axis=0)
        np.testing.assert_allclose(calc.get_property(name, atoms), expected, atol=1e-12)
    with pytest.raises(ValueError, match="differ in"):
        Ensemble([members[0], tiny_model(["Cu", "Au"], heads={"q": "1o"})])
    with pytest.raises(ValueError, match="not ennp_lab models"):
        Ensemble([members[0], "cu-emt"])


def test_a_1e_model_reads_collinear_moments_along_z_and_the_report_rotates_them():
    model = MomentToy(seed=2)
    atoms = molecule("H2O")
    atoms.numbers[:] = [29, 79, 29]
    atoms.set_initial_magnetic_moments([1.0, -2.0, 0.5])
    graph = AtomGraph.from_atoms(atoms, model.cutoff, inputs=model.inputs)
    np.testing.assert_allclose(graph.input(keys.MAGMOMS)[:, 2].numpy(), [1.0, -2.0, 0.5])
    from ennp_lab.testing import assert_equivariant

    assert_equivariant(model, atoms)  # the collinear moments are written out as vectors first
