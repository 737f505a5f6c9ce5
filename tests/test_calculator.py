"""ENNPCalculator: ASE protocol, float64 numpy results, devices, use in ASE workflows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.calculators.calculator import PropertyNotImplementedError
from ase.optimize import BFGS
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import ENNPCalculator, compute_properties, resolve_device
from ennp_lab.graph import AtomGraph


def test_results_are_float64_numpy_in_ase_layout(cu_model, triclinic_cu):
    calc = ENNPCalculator(cu_model, device="cpu")
    triclinic_cu.calc = calc
    e = triclinic_cu.get_potential_energy()
    f = triclinic_cu.get_forces()
    s = triclinic_cu.get_stress()
    energies = triclinic_cu.get_potential_energies()
    assert isinstance(e, float)
    assert f.dtype == np.float64 and f.shape == (len(triclinic_cu), 3)
    assert s.dtype == np.float64 and s.shape == (6,)
    np.testing.assert_allclose(energies.sum(), e, atol=1e-12)
    assert triclinic_cu.get_potential_energy(force_consistent=True) == e
    # Voigt order (xx, yy, zz, yz, xz, xy) of the full tensor from the derivative module
    graph = AtomGraph.from_atoms(triclinic_cu, cu_model.cutoff)
    full = compute_properties(cu_model, graph, {"stress"})["stress"][0].numpy()
    np.testing.assert_allclose(s, full_3x3_to_voigt_6_stress(full), atol=1e-14)
    np.testing.assert_allclose(full, full.T, atol=1e-14)


def test_molecule_has_no_stress(molecule_model, ethanol):
    ethanol.calc = ENNPCalculator(molecule_model, device="cpu")
    assert np.isfinite(ethanol.get_forces()).all()
    with pytest.raises(PropertyNotImplementedError):
        ethanol.get_stress()


def test_recalculates_only_when_atoms_change(cu_model, triclinic_cu):
    calc = ENNPCalculator(cu_model, device="cpu")
    triclinic_cu.calc = calc
    f1 = triclinic_cu.get_forces()
    e1 = triclinic_cu.get_potential_energy()
    triclinic_cu.positions[0, 0] += 0.01
    e2 = triclinic_cu.get_potential_energy()
    assert e1 != e2
    assert not np.allclose(triclinic_cu.get_forces(), f1)


def test_drives_an_ase_optimizer(molecule_model, ethanol):
    ethanol.calc = ENNPCalculator(molecule_model, device="cpu")
    e0 = ethanol.get_potential_energy()
    BFGS(ethanol, logfile=None).run(fmax=1e-4, steps=5)
    assert ethanol.get_potential_energy() < e0


def test_device_resolution():
    assert resolve_device("cpu") == torch.device("cpu")
    auto = resolve_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu-ish")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")


def test_get_hessian_needs_atoms(cu_model):
    with pytest.raises(ValueError, match="needs an Atoms"):
        ENNPCalculator(cu_model, device="cpu").get_hessian()


def test_energy_forces_and_stress_come_from_one_evaluation(cu_model, triclinic_cu):
    calls = []
    handle = cu_model.register_forward_hook(lambda *args: calls.append(1))
    try:
        triclinic_cu.calc = ENNPCalculator(cu_model, device="cpu")
        triclinic_cu.get_potential_energy()
        triclinic_cu.get_forces()
        triclinic_cu.get_stress()
    finally:
        handle.remove()
    assert len(calls) == 1
