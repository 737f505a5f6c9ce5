"""Symmetry operations, exact Wigner matrices and the equivariance report (ENNP, EMT,
the deliberately broken baseline), down to e3nn's Clebsch–Gordan buffers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import molecule
from ase.calculators.emt import EMT
from e3nn import o3

from ennp_lab import AtomGraph, ENNPCalculator, keys
from ennp_lab.spec import COLLINEAR_MAGMOMS_INPUT, MAGMOMS_INPUT
from ennp_lab.models.chirality import build_chirality_model
from ennp_lab.models.naive import NAIVE_INPUTS, NaiveCartesianModel
from ennp_lab.nn import exact_wigner_3j
from ennp_lab.symmetry import (
    change_of_basis,
    equivariance_report,
    improper_rotation,
    inversion,
    irreps_matrix,
    permutation,
    random_rotation,
    reflection,
    rotation,
    standard_operations,
    time_reversal,
)
from ennp_lab.testing import tiny_model

ALL_OPS = {
    "rotation", "inversion", "reflection", "improper rotation", "translation", "permutation",
    "lattice translation of atoms", "wrap", "change of lattice basis", "time reversal",
}
IRREPS = "0e+0o+1o+1e+2e+2o+3o+3e+4e"


@pytest.fixture
def magnetic_alloy(triclinic_alloy):
    atoms = triclinic_alloy.copy()
    atoms.set_initial_magnetic_moments(np.random.default_rng(0).normal(size=len(atoms)))
    return atoms


@pytest.fixture(scope="module")
def headed_model():
    """Tiny O(3) ENNP with a pseudoscalar head and a mixed 0e+1o+2e head (3 layers)."""
    return tiny_model(["Cu", "Au"], seed=3, layers=3, hidden_irreps="4x0e+2x0o+4x1o+2x1e+4x2e+2x2o",
                      heads={"chi": "0o", "tensor": "0e+1o+2e"})


def test_irreps_matrix_is_an_exact_representation():
    rng = np.random.default_rng(0)
    A, B = random_rotation(rng), random_rotation(rng)
    for R1, R2 in [(A, B), (-A, B), (A, -B), (-A, -B)]:
        lhs = irreps_matrix(IRREPS, R1 @ R2)
        np.testing.assert_allclose(lhs, irreps_matrix(IRREPS, R1) @ irreps_matrix(IRREPS, R2), atol=1e-12)
        np.testing.assert_allclose(lhs @ lhs.T, np.eye(lhs.shape[0]), atol=1e-12)
    # 1o in e3nn's basis (P: the order of x, y, z in its l=1 harmonics) is R itself; 0o is
    # det R; and e3nn's own D agrees (≈1e-6)
    P = o3.spherical_harmonics(1, torch.eye(3, dtype=torch.float64), normalize=True).numpy().T
    P /= np.abs(P).max()
    np.testing.assert_allclose(irreps_matrix("1o", -A), P @ (-A) @ P.T, atol=1e-14)
    assert irreps_matrix("0o", -A)[0, 0] == -1.0 and irreps_matrix("0o", A)[0, 0] == 1.0
    e3nn_D = o3.Irreps(IRREPS).D_from_matrix(torch.as_tensor(-A)).numpy()
    np.testing.assert_allclose(irreps_matrix(IRREPS, -A), e3nn_D, atol=1e-4)


def test_constructed_operations():
    atoms = molecule("CH3CH2OH")
    R = rotation((1, 2, 3), 360.0).rotation
    np.testing.assert_allclose(R, np.eye(3), atol=1e-14)
    m = reflection((1, 1, 0))
    twice = m.apply(m.apply(atoms))
    np.testing.assert_allclose(twice.positions, atoms.positions, atol=1e-12)
    assert not m.proper and not inversion().proper and not improper_rotation((0, 0, 1), 60).proper
    assert rotation((0, 0, 1), 60).proper
    np.testing.assert_allclose(inversion().apply(atoms).positions.mean(0), atoms.positions.mean(0), atol=1e-12)
    with pytest.raises(ValueError, match="det"):
        change_of_basis([[2, 0, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="permutation"):
        permutation([0, 0, 1])
    with pytest.raises(ValueError, match="non-zero"):
        rotation((0, 0, 0), 30)
    # time reversal flips moments and momenta; a mirror flips an axial moment's in-plane part
    a = atoms.copy()
    a.set_initial_magnetic_moments(np.tile([0.0, 0.0, 1.0], (len(a), 1)))
    a.set_momenta(np.ones((len(a), 3)))
    t = time_reversal().apply(a)
    np.testing.assert_allclose(t.get_initial_magnetic_moments(), -a.get_initial_magnetic_moments())
    np.testing.assert_allclose(t.get_momenta(), -a.get_momenta())
    np.testing.assert_allclose(reflection((1, 0, 0)).apply(a).get_initial_magnetic_moments()[0], [0, 0, -1])
    np.testing.assert_allclose(reflection((0, 0, 1)).apply(a).get_initial_magnetic_moments()[0], [0, 0, 1])


def test_ennp_report_no_leak_for_any_operation_or_output(headed_model, magnetic_alloy):
    report = equivariance_report(headed_model, magnetic_alloy)
    assert set(report.operations) == ALL_OPS
    assert set(report.outputs) == {"energy", "forces", "stress", "chi", "chi_per_atom", "tensor", "tensor_per_atom"}
    assert report.max() <= 1e-10, str(report)
    ethanol = molecule("CH3CH2OH")
    mol = equivariance_report(tiny_model(["H", "C", "O"], seed=2, r_max=3.5), ethanol, seed=1)
    assert set(mol.operations) == ALL_OPS - {"lattice translation of atoms", "wrap", "change of lattice basis"}
    assert mol.max() <= 1e-10


def test_emt_passes_and_broken_baseline_leaks_under_every_operation(magnetic_alloy):
    assert equivariance_report(EMT(), magnetic_alloy).max() <= 1e-10
    broken = equivariance_report(NaiveCartesianModel(["Cu", "Au"]), magnetic_alloy)
    assert set(broken.operations) == ALL_OPS
    for op, worst in broken.per_operation().items():
        assert worst >= 1e-2, f"the broken baseline does not leak under {op}"


@pytest.mark.parametrize(
    "inputs, broken",
    [
        (("neighbors",), {"rotation", "inversion", "reflection", "improper rotation"}),
        (("position",), ALL_OPS - {"permutation", "change of lattice basis", "time reversal"}),
        (("index",), {"permutation"}),
        (("cell",), {"rotation", "inversion", "reflection", "improper rotation", "change of lattice basis"}),
        (("magmom",), {"time reversal"}),
    ],
)
def test_each_naive_input_breaks_exactly_its_symmetries(magnetic_alloy, inputs, broken):
    report = equivariance_report(NaiveCartesianModel(["Cu", "Au"], inputs=inputs, seed=1), magnetic_alloy)
    for op, worst in report.per_operation().items():
        if op in broken:
            assert worst >= 1e-3, f"{inputs}: {op} should leak, got {worst:.1e}"
        else:
            assert worst <= 1e-10, f"{inputs}: {op} should not leak, got {worst:.1e}"
    with pytest.raises(ValueError, match="unknown inputs"):
        NaiveCartesianModel(["Cu"], inputs=("velocity",))
    assert set(NAIVE_INPUTS) == {"neighbors", "position", "index", "cell", "magmom"}


def test_pseudoscalar_head_flips_exactly_and_energy_is_invariant():
    """0o: −1 under every improper operation, +1 under proper ones (≤ 1e-10); 0e: +1 always."""
    model = build_chirality_model(["H", "C", "O", "N"], "pseudoscalar", channels=4, seed=5)
    atoms = molecule("CH3CH2OH")
    atoms.symbols[1] = "N"  # break the mirror symmetry of ethanol's conformer
    atoms.rattle(0.1, seed=2)
    calc = ENNPCalculator(model, device="cpu")
    a = atoms.copy()
    chi = calc.get_property("chirality", a)[0]
    energy = calc.get_property("energy", a)
    assert abs(chi) > 1e-4
    rng = np.random.default_rng(0)
    ops = [rotation(rng.normal(size=3), 77.0), reflection(rng.normal(size=3)), inversion(),
           improper_rotation(rng.normal(size=3), 45.0)] + standard_operations(atoms, seed=3)[:4]
    for op in ops:
        b = op.apply(atoms)
        sign = 1.0 if op.proper else -1.0
        assert abs(calc.get_property("chirality", b)[0] - sign * chi) <= 1e-10 * abs(chi), op.name
        assert abs(calc.get_property("energy", b) - energy) <= 1e-10 * abs(energy), op.name


def test_so3_model_sees_handedness_but_is_no_pseudoscalar():
    """parity=False is invariant under proper rotations only; its head does not flip."""
    model = build_chirality_model(["H", "C", "O"], "so3", channels=4, seed=5)
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.1, seed=2)
    report = equivariance_report(model, atoms, [rotation((1, 2, 3), 50.0), reflection((1, 0, 0)), inversion()])
    assert report.value("rotation 50°", "chirality") <= 1e-10
    # untrained, the handed part is small, but it is there (an O(3) model gives 0 to 1e-15)
    assert report.value("reflection", "chirality") >= 1e-5 and report.value("inversion", "energy") >= 1e-5


def test_float32_rounded_clebsch_gordan_leaks_and_exact_ones_do_not(headed_model, magnetic_alloy):
    """e3nn makes its 3j buffers in the default dtype; cast from float32 they leak ~1e-8.
    The report catches it, and :func:`exact_wigner_3j` (run by every model constructor
    and loader) removes it."""
    model = tiny_model(["Cu", "Au"], seed=3, layers=3, hidden_irreps="4x0e+2x0o+4x1o+2x1e+4x2e+2x2o",
                       heads={"chi": "0o", "tensor": "0e+1o+2e"})
    buffers = {n: b for n, b in model.named_buffers() if "_w3j_" in n}
    assert buffers
    for name, b in buffers.items():
        l1, l2, l3 = (int(x) for x in name.rsplit("_w3j_", 1)[1].split("_"))
        assert torch.equal(b, o3.wigner_3j(l1, l2, l3, dtype=torch.float64))
    with torch.no_grad():
        for b in buffers.values():
            b.copy_(b.float().double())
    leaky = equivariance_report(model, magnetic_alloy)
    assert leaky.value("rotation", "chi") > 1e-9
    assert exact_wigner_3j(model) == len(buffers)
    assert equivariance_report(model, magnetic_alloy).max() <= 1e-10


def test_calculator_exposes_heads_and_graph_carries_moments(headed_model, magnetic_alloy):
    calc = ENNPCalculator(headed_model, device="cpu")
    a = magnetic_alloy.copy()
    per_atom = calc.get_property("tensor_per_atom", a)
    assert per_atom.shape == (len(a), 9)
    np.testing.assert_allclose(per_atom.sum(axis=0), calc.get_property("tensor", a), atol=1e-12)
    assert "chi" in calc.implemented_properties
    # moments are a declared input: collinear ones are read along z, absent ones are zeros
    g = AtomGraph.from_atoms([a, molecule("H2O")], 4.0, inputs=[MAGMOMS_INPUT])
    m = g.input(keys.MAGMOMS)
    assert m.shape == (len(a) + 3, 3) and float(m[len(a):].abs().sum()) == 0.0
    np.testing.assert_allclose(m[: len(a), 2].numpy(), a.get_initial_magnetic_moments())
    assert float(m[: len(a), :2].abs().sum()) == 0.0
    assert AtomGraph.from_atoms(molecule("H2O"), 4.0).node_inputs == {}
    with pytest.raises(ValueError, match="collinear"):
        b = a.copy()
        b.set_initial_magnetic_moments(None)
        b.set_initial_magnetic_moments(np.ones((len(a), 3)))
        AtomGraph.from_atoms(b, 4.0, inputs=[COLLINEAR_MAGMOMS_INPUT])
