"""Public test kit: checks that every ennp_lab model (and any ASE calculator) should pass.

Used by ennp_lab's own tests and meant for users' models too:

* :func:`check_forces` / :func:`check_stress`: analytic derivatives vs ASE's central
  finite differences (``ase.calculators.fd``).
* :func:`check_equivariance`: energy, forces, stress and heads under the symmetry
  operations of :func:`symmetry_operations` (rotations, inversion, reflections,
  translations, permutations, wrapping, change of lattice basis, time reversal; see
  :mod:`ennp_lab.symmetry`).
* :func:`check_batch_consistency`: a batched evaluation equals one structure at a time.
* :func:`tiny_model`: a small seeded float64 ENNP for fast unit tests.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from ennp_lab import keys
from ennp_lab.symmetry import Operation, equivariance_report, random_rotation, standard_operations

__all__ = [
    "Operation",
    "symmetry_operations",
    "random_rotation",
    "check_equivariance",
    "check_forces",
    "check_stress",
    "check_batch_consistency",
    "tiny_model",
]


def symmetry_operations(atoms: Atoms, seed: int = 0) -> list[Operation]:
    """The operations under which every output must transform covariantly
    (:func:`ennp_lab.symmetry.standard_operations`)."""
    return standard_operations(atoms, seed)


def check_equivariance(
    calc: Calculator,
    atoms: Atoms,
    operations: Sequence[Operation] | None = None,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Relative error of each output under each operation (see
    :func:`ennp_lab.symmetry.equivariance_report`).

    For each operation g: energy E(g·A) vs E(A); forces F(g·A) vs R F(A)[perm]; stress
    σ(g·A) vs R σ(A) Rᵀ (periodic cells); declared heads by their irreps. The error is the
    largest absolute deviation divided by the largest magnitude of the expected output.

    Returns:
        ``{operation name: {output: err}}``; operations that need a periodic cell are
        skipped for molecules.
    """
    return equivariance_report(calc, atoms, operations, seed=seed).as_dict()


def check_forces(calc: Calculator, atoms: Atoms, eps: float = 1e-4) -> float:
    """Largest |F_analytic − F_numeric| (eV/Å) with ASE's central differences of step ``eps``."""
    a = atoms.copy()
    a.calc = calc
    analytic = a.get_forces()
    numeric = calculate_numerical_forces(a, eps=eps)
    return float(np.abs(analytic - numeric).max())


def check_stress(calc: Calculator, atoms: Atoms, eps: float = 1e-5) -> float:
    """Largest |σ_analytic − σ_numeric| (eV/Å³) with ASE's central strain differences."""
    a = atoms.copy()
    a.calc = calc
    analytic = a.get_stress()
    numeric = calculate_numerical_stress(a, eps=eps, voigt=True)
    return float(np.abs(analytic - numeric).max())


def check_batch_consistency(model, frames: Sequence[Atoms], properties=(keys.ENERGY, keys.FORCES, keys.STRESS)) -> float:
    """Largest absolute difference between one batched call and per-structure calls."""
    from ennp_lab.derivatives import compute_properties
    from ennp_lab.graph.data import AtomGraph

    props = set(properties)
    batched = compute_properties(model, AtomGraph.from_atoms(frames, model.cutoff, dtype=model.dtype), props)
    worst = 0.0
    start = 0
    for b, frame in enumerate(frames):
        single = compute_properties(model, AtomGraph.from_atoms(frame, model.cutoff, dtype=model.dtype), props)
        n = len(frame)
        worst = max(worst, float((batched[keys.ENERGY][b] - single[keys.ENERGY][0]).abs()))
        if keys.FORCES in props:
            worst = max(worst, float((batched[keys.FORCES][start : start + n] - single[keys.FORCES]).abs().max()))
        if keys.STRESS in props:
            worst = max(worst, float((batched[keys.STRESS][b] - single[keys.STRESS][0]).abs().max()))
        start += n
    return worst


def tiny_model(species: Sequence[int | str] = ("Cu",), seed: int = 0, **options):
    """A small float64 ENNP (4 channels, l_max 2, 2 layers, r_max 4 Å) for unit tests.

    The per-species energy scale is set to 0.1 so energies are of a physical size.
    """
    import torch

    from ennp_lab.models.ennp import build_ennp

    settings = dict(r_max=4.0, l_max=2, channels=4, layers=2, radial_hidden=16, readout_hidden=8)
    settings.update(options)
    model = build_ennp(species, seed=seed, dtype=torch.float64, **settings)
    with torch.no_grad():
        model.energy_scale.fill_(0.1)
    return model
