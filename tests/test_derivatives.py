"""Forces, stress and Hessian from the energy, checked by finite differences (float64)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch
from ase.calculators.fd import calculate_numerical_forces
from ase.calculators.test import gradient_test
from ase.constraints import FixAtoms
from ase.filters import FrechetCellFilter

from ennp_lab import ENNPCalculator, compute_properties
from ennp_lab.graph import AtomGraph
from ennp_lab.testing import assert_forces_match_finite_differences, assert_stress_matches_finite_differences


def test_forces_match_ase_finite_differences_periodic(cu_model, triclinic_cu):
    assert_forces_match_finite_differences(ENNPCalculator(cu_model, device="cpu"), triclinic_cu)


def test_forces_match_ase_finite_differences_alloy(alloy_model, triclinic_alloy):
    assert_forces_match_finite_differences(ENNPCalculator(alloy_model, device="cpu"), triclinic_alloy)


def test_forces_match_ase_gradient_test_molecule(molecule_model, ethanol):
    ethanol.calc = ENNPCalculator(molecule_model, device="cpu")
    with redirect_stdout(io.StringIO()) as log:
        f, _ = gradient_test(ethanol, indices=[0, 2, 5])
    # ASE's table over eps = 1e-1 ... 1e-8: the error shrinks to round-off
    errors = [float(line.split()[1]) for line in log.getvalue().splitlines()[1:]]
    assert min(errors) < 1e-6 < errors[0]
    assert np.abs(f).max() > 1e-3  # non-trivial forces
    fn = calculate_numerical_forces(ethanol, eps=1e-4)
    np.testing.assert_allclose(ethanol.get_forces(), fn, atol=1e-6)


def test_stress_matches_ase_finite_differences(cu_model, alloy_model, triclinic_cu, triclinic_alloy):
    assert_stress_matches_finite_differences(ENNPCalculator(cu_model, device="cpu"), triclinic_cu)
    assert_stress_matches_finite_differences(ENNPCalculator(alloy_model, device="cpu"), triclinic_alloy)


def test_stress_through_frechet_cell_filter(cu_model, triclinic_cu):
    """MACE-style check: the cell filter's generalised forces are −∇ of its energy."""
    triclinic_cu.calc = ENNPCalculator(cu_model, device="cpu")
    filt = FrechetCellFilter(triclinic_cu)
    x0 = filt.get_positions().copy()
    analytic = filt.get_forces()
    eps = 1e-5
    numeric = np.zeros_like(analytic)
    for k in (0, len(triclinic_cu), len(triclinic_cu) + 1):  # an atom and the cell dofs
        for c in range(3):
            x = x0.copy()
            x[k, c] += eps
            filt.set_positions(x)
            ep = filt.get_potential_energy()
            x[k, c] -= 2 * eps
            filt.set_positions(x)
            em = filt.get_potential_energy()
            numeric[k, c] = -(ep - em) / (2 * eps)
            filt.set_positions(x0)
            np.testing.assert_allclose(analytic[k, c], numeric[k, c], atol=1e-6)


def _fd_hessian(calc, atoms, eps=1e-4):
    n = len(atoms)
    fd = np.zeros((n, 3, n, 3))
    for a in range(n):
        for c in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[a, c] += eps
            minus.positions[a, c] -= eps
            plus.calc = minus.calc = calc
            fd[a, c] = -(plus.get_forces() - minus.get_forces()) / (2 * eps)
    return fd


@pytest.mark.parametrize("case", ["periodic alloy", "molecule"])
def test_hessian_matches_finite_differences_of_forces(case, alloy_model, triclinic_alloy, molecule_model, ethanol):
    model, atoms = (alloy_model, triclinic_alloy) if case == "periodic alloy" else (molecule_model, ethanol)
    calc = ENNPCalculator(model, device="cpu")
    hess = calc.get_hessian(atoms)
    n = len(atoms)
    assert hess.shape == (n, 3, n, 3)
    np.testing.assert_allclose(hess, _fd_hessian(calc, atoms), atol=1e-6)
    flat = hess.reshape(3 * n, 3 * n)
    np.testing.assert_allclose(flat, flat.T, atol=1e-12)
    # acoustic sum rule: a rigid translation costs nothing
    np.testing.assert_allclose(hess.sum(axis=2), 0.0, atol=1e-10)


def test_create_graph_allows_force_training(cu_model, triclinic_cu):
    graph = AtomGraph.from_atoms(triclinic_cu, cu_model.cutoff)
    out = compute_properties(cu_model, graph, {"energy", "forces", "stress"}, create_graph=True)
    loss = out["forces"].pow(2).sum() + out["stress"].pow(2).sum()
    loss.backward()
    grads = [p.grad for p in cu_model.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().max()) > 0 for g in grads)
    cu_model.zero_grad(set_to_none=True)
    detached = compute_properties(cu_model, graph, {"forces"})
    assert not detached["forces"].requires_grad
    torch.testing.assert_close(detached["forces"], out["forces"].detach(), rtol=0, atol=1e-13)


def test_only_requested_properties_and_clear_errors(cu_model, ethanol, molecule_model, triclinic_cu):
    graph = AtomGraph.from_atoms(triclinic_cu, cu_model.cutoff)
    out = compute_properties(cu_model, graph, {"energy"})
    assert set(out) == {"energy", "energies"}
    assert set(compute_properties(cu_model, graph, {"forces"})) == {"energy", "energies", "forces"}
    with pytest.raises(ValueError, match="unknown properties"):
        compute_properties(cu_model, graph, {"energy", "virial"})
    mol = AtomGraph.from_atoms(ethanol, molecule_model.cutoff)
    with pytest.raises(ValueError, match="periodic in all three"):
        compute_properties(molecule_model, mol, {"stress"})


def test_fixed_atoms_constraint_is_respected_by_ase(cu_model, triclinic_cu):
    """The calculator returns raw forces; ASE applies constraints on top."""
    triclinic_cu.set_constraint(FixAtoms(indices=[0]))
    triclinic_cu.calc = ENNPCalculator(cu_model, device="cpu")
    assert np.all(triclinic_cu.get_forces()[0] == 0)
    assert np.abs(triclinic_cu.get_forces(apply_constraint=False)[0]).max() > 0
