"""Public test kit: checks that every ennp_lab model (and any ASE calculator) should pass.

Used by ennp_lab's own tests and meant for users' models too:

* :func:`check_forces` / :func:`check_stress`: analytic derivatives vs ASE's central
  finite differences (``ase.calculators.fd``).
* :func:`check_equivariance`: energy, forces and stress under the symmetry operations of
  :func:`symmetry_operations` (rotations, inversion, reflections, translations,
  permutations, wrapping, change of lattice basis).
* :func:`check_batch_consistency`: a batched evaluation equals one structure at a time.
* :func:`tiny_model`: a small seeded float64 ENNP for fast unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress
from ase.stress import voigt_6_to_full_3x3_stress

from ennp_lab import keys

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


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random proper rotation matrix (3, 3), det = +1 (QR of a Gaussian)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


@dataclass(frozen=True)
class Operation:
    """A symmetry operation acting on a structure and on what is predicted for it.

    ``apply`` maps Atoms to transformed Atoms. Expected outputs follow from the
    Cartesian part ``rotation`` R (applied as x → R x, so forces F → R F and stress
    σ → R σ Rᵀ) and the atom order ``permutation`` (new atom k is old atom perm[k]).
    """

    name: str
    apply: Callable[[Atoms], Atoms]
    rotation: np.ndarray
    permutation: np.ndarray | None = None
    needs_pbc: bool = False


def _rotate(R: np.ndarray) -> Callable[[Atoms], Atoms]:
    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        out.positions = atoms.positions @ R.T
        out.cell = atoms.cell[:] @ R.T
        return out

    return apply


def symmetry_operations(atoms: Atoms, seed: int = 0) -> list[Operation]:
    """The operations under which energy, forces and stress must transform covariantly.

    Proper rotation, inversion, a reflection through a random plane, an improper rotation,
    a random translation, a random permutation of the atoms, and, for periodic cells,
    wrapping positions into the cell (after displacing atoms by lattice vectors) and a
    change of lattice basis cell' = M cell with a unimodular integer M.
    """
    rng = np.random.default_rng(seed)
    identity = np.eye(3)
    R = random_rotation(rng)
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    mirror = identity - 2.0 * np.outer(n, n)
    ops = [
        Operation("rotation", _rotate(R), R),
        Operation("inversion", _rotate(-identity), -identity),
        Operation("reflection", _rotate(mirror), mirror),
        Operation("improper rotation", _rotate(mirror @ R), mirror @ R),
    ]
    t = rng.normal(size=3) * 3.0

    def translate(a: Atoms) -> Atoms:
        out = a.copy()
        out.positions = a.positions + t
        return out

    ops.append(Operation("translation", translate, identity))
    perm = rng.permutation(len(atoms))
    ops.append(Operation("permutation", lambda a: a[perm], identity, permutation=perm))

    def unwrap_then_wrap(a: Atoms) -> Atoms:
        out = a.copy()
        jumps = rng.integers(-2, 3, size=(len(a), 3)) * a.pbc
        out.positions = a.positions + jumps @ a.cell[:]
        return out

    ops.append(Operation("lattice translation of atoms", unwrap_then_wrap, identity, needs_pbc=True))

    def wrap(a: Atoms) -> Atoms:
        out = a.copy()
        out.wrap()
        return out

    ops.append(Operation("wrap", wrap, identity, needs_pbc=True))
    M = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, 1, 0], [-1, 1, 1]])

    def change_basis(a: Atoms) -> Atoms:
        out = a.copy()
        out.cell = M @ a.cell[:]
        return out

    ops.append(Operation("change of lattice basis", change_basis, identity, needs_pbc=True))
    return ops


def _predict(calc: Calculator, atoms: Atoms, stress: bool) -> dict[str, np.ndarray]:
    a = atoms.copy()
    a.calc = calc
    out = {keys.ENERGY: np.array(a.get_potential_energy()), keys.FORCES: a.get_forces()}
    if stress:
        out[keys.STRESS] = voigt_6_to_full_3x3_stress(a.get_stress())
    return out


def _relative(err: float, scale: float) -> float:
    return float(err / max(scale, 1e-12))


def check_equivariance(
    calc: Calculator,
    atoms: Atoms,
    operations: Sequence[Operation] | None = None,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Relative error of each output under each operation.

    For each operation g: energy E(g·A) vs E(A); forces F(g·A) vs R F(A)[perm]; stress
    σ(g·A) vs R σ(A) Rᵀ (periodic cells). The error is the largest absolute deviation
    divided by the largest magnitude of the reference output.

    Returns:
        ``{operation name: {"energy": err, "forces": err, "stress": err}}``; operations
        that need a periodic cell are skipped for molecules.
    """
    periodic = bool(np.all(atoms.pbc))
    ops = symmetry_operations(atoms, seed) if operations is None else operations
    ref = _predict(calc, atoms, periodic)
    report: dict[str, dict[str, float]] = {}
    for op in ops:
        if op.needs_pbc and not periodic:
            continue
        got = _predict(calc, op.apply(atoms), periodic)
        R = op.rotation
        forces = ref[keys.FORCES] @ R.T
        if op.permutation is not None:
            forces = forces[op.permutation]
        errors = {
            keys.ENERGY: _relative(abs(got[keys.ENERGY] - ref[keys.ENERGY]), abs(ref[keys.ENERGY])),
            keys.FORCES: _relative(np.abs(got[keys.FORCES] - forces).max(), np.abs(forces).max()),
        }
        if periodic:
            stress = R @ ref[keys.STRESS] @ R.T
            errors[keys.STRESS] = _relative(np.abs(got[keys.STRESS] - stress).max(), np.abs(stress).max())
        report[op.name] = errors
    return report


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
