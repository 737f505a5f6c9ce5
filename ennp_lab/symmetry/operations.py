"""Symmetry operations on structures and on everything a model reads and gives.

An :class:`Operation` acts on an ``ase.Atoms`` (positions, cell, momenta, ASE's initial
magnetic moments and charges) and on every declared model input kept with it
(:class:`~ennp_lab.spec.InputSpec`: a field in ``info``, per-atom vectors in
``arrays``), and says how any value must transform with it
(:meth:`Operation.transform`):

* Cartesian part R (3×3, x → R (x − c) + c, det R = ±1): scalars 0e are invariant,
  pseudoscalars 0o pick up det R, polar vectors 1o → R v, axial vectors 1e → det(R) R v,
  and any irreps ρ → D_ρ(R) (the exact Wigner matrices of :func:`irreps_matrix`);
* atom order: new atom k is old atom ``permutation[k]`` (per-atom values follow it);
* time reversal: magnetic moments and momenta change sign, time-odd values too.

:func:`standard_operations` gives one instance of every kind (proper and improper
rotation, reflection through a plane, inversion, translation, permutation, lattice
translation of atoms, wrapping, change of lattice basis, time reversal).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
from ase import Atoms

from ennp_lab.nn.constants import irreps_matrix
from ennp_lab.spec import InputSpec, write_input

__all__ = [
    "Operation",
    "rotation",
    "improper_rotation",
    "reflection",
    "inversion",
    "translation",
    "permutation",
    "lattice_translation",
    "wrap",
    "change_of_basis",
    "time_reversal",
    "random_rotation",
    "standard_operations",
    "irreps_matrix",
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

    Attributes:
        name: label shown in reports.
        kind: one of "rotation", "improper rotation", "reflection", "inversion",
            "translation", "permutation", "lattice translation", "wrap",
            "change of basis", "time reversal".
        apply: Atoms → transformed Atoms (a copy).
        rotation: Cartesian part R (3, 3), det ±1 (identity if none).
        permutation: new atom k is old atom ``permutation[k]`` (None: same order).
        time_reversal: magnetic moments and momenta flip sign.
        needs_pbc: only meaningful for a structure periodic in three directions.
        parameters: what defines it (axis, angle in degrees, normal, ...), for display.
    """

    name: str
    kind: str
    apply: Callable[[Atoms], Atoms]
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    permutation: np.ndarray | None = None
    time_reversal: bool = False
    needs_pbc: bool = False
    parameters: dict = field(default_factory=dict)

    @property
    def proper(self) -> bool:
        """det R = +1 (no reflection involved)."""
        return bool(np.linalg.det(self.rotation) > 0)

    def __call__(self, atoms: Atoms, inputs: Sequence[InputSpec] = ()) -> Atoms:
        """g·A: the structure and, for each declared input held in it, its value.

        ASE's own arrays (initial moments and charges, momenta) are transformed by
        ``apply``; every other declared input is read from the Atoms, transformed by its
        irreps (:meth:`transform`) and written back. Per-atom ones follow the permutation
        with the rest of the arrays.
        """
        out = self.apply(atoms)
        for spec in inputs:
            if spec.ase_native:
                continue
            stored = atoms.arrays.get(spec.name) if spec.per_atom else atoms.info.get(spec.name)
            if stored is None:
                continue
            value = spec.read(atoms, stored)
            # per-atom values were already reordered with the arrays: transform in place
            moved = out.arrays[spec.name].reshape(value.shape) if spec.per_atom else value
            write_input(out, spec, self.transform(moved, spec.irreps, per_atom=False, time_odd=spec.time_odd))
        return out

    def transform(self, value: np.ndarray, irreps: str, per_atom: bool = False, time_odd: bool = False) -> np.ndarray:
        """ρ(g) applied to ``value`` (…, dim) in e3nn's basis of ``irreps``: D_ρ(R) on the
        last axis, the permutation on the first (``per_atom``), −1 under time reversal
        (``time_odd``)."""
        value = np.asarray(value, dtype=float)
        D = irreps_matrix(irreps, self.rotation)
        # a one-component value may come without its irreps axis (energy (), energies (N,))
        out = value * D[0, 0] if D.shape == (1, 1) and (value.ndim == 0 or value.shape[-1] != 1) else value @ D.T
        if per_atom and self.permutation is not None:
            out = out[self.permutation]
        if time_odd and self.time_reversal:
            out = -out
        return out


def _unit(vector: Sequence[float], what: str) -> np.ndarray:
    v = np.asarray(vector, dtype=float).reshape(3)
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm < 1e-12:
        raise ValueError(f"{what} must be a finite non-zero 3-vector, got {list(v)}")
    return v / norm


def _axis_angle(axis: Sequence[float], angle: float) -> np.ndarray:
    """Rodrigues: rotation by ``angle`` degrees about ``axis`` (right-handed)."""
    n = _unit(axis, "rotation axis")
    t = np.deg2rad(float(angle))
    K = np.array([[0.0, -n[2], n[1]], [n[2], 0.0, -n[0]], [-n[1], n[0], 0.0]])
    return np.eye(3) + np.sin(t) * K + (1.0 - np.cos(t)) * (K @ K)


def _linear(R: np.ndarray, center: Sequence[float] | str | None) -> Callable[[Atoms], Atoms]:
    """x → R (x − c) + c, cell rows → R a, momenta → R p, moments: axial vectors."""

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        c = atoms.positions.mean(axis=0) if isinstance(center, str) else np.zeros(3) if center is None else np.asarray(center, float)
        out.positions = (atoms.positions - c) @ R.T + c
        out.cell = atoms.cell[:] @ R.T
        if atoms.has("momenta"):
            out.set_momenta(atoms.get_momenta() @ R.T)
        if atoms.has("initial_magmoms"):
            m = atoms.get_initial_magnetic_moments()
            if m.ndim == 2:  # a magnetic moment is an axial vector: m → det(R) R m
                out.set_initial_magnetic_moments(np.linalg.det(R) * m @ R.T)
        return out

    return apply


def rotation(axis: Sequence[float] = (0, 0, 1), angle: float = 90.0, center: Sequence[float] | str | None = "centroid") -> Operation:
    """Proper rotation by ``angle`` degrees about ``axis`` through ``center``
    ("centroid" of the positions by default, ``None`` for the origin)."""
    R = _axis_angle(axis, angle)
    return Operation(f"rotation {angle:g}°", "rotation", _linear(R, center), R,
                     parameters=dict(axis=list(_unit(axis, "axis")), angle=float(angle)))


def improper_rotation(axis: Sequence[float] = (0, 0, 1), angle: float = 90.0, center: Sequence[float] | str | None = "centroid") -> Operation:
    """Rotation-reflection S: rotation about ``axis``, then reflection through the plane ⟂ axis."""
    n = _unit(axis, "rotation axis")
    R = (np.eye(3) - 2.0 * np.outer(n, n)) @ _axis_angle(n, angle)
    return Operation(f"improper rotation {angle:g}°", "improper rotation", _linear(R, center), R,
                     parameters=dict(axis=list(n), angle=float(angle)))


def reflection(normal: Sequence[float] = (1, 0, 0), center: Sequence[float] | str | None = "centroid") -> Operation:
    """Mirror through the plane with unit normal ``normal`` through ``center``: R = I − 2 n nᵀ."""
    n = _unit(normal, "mirror-plane normal")
    R = np.eye(3) - 2.0 * np.outer(n, n)
    return Operation("reflection", "reflection", _linear(R, center), R, parameters=dict(normal=list(n)))


def inversion(center: Sequence[float] | str | None = "centroid") -> Operation:
    """Inversion through ``center``: x → 2c − x."""
    R = -np.eye(3)
    return Operation("inversion", "inversion", _linear(R, center), R)


def translation(vector: Sequence[float]) -> Operation:
    """Rigid translation of every atom by ``vector`` (Å); the cell is unchanged."""
    t = np.asarray(vector, dtype=float).reshape(3)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"translation vector must be finite, got {list(t)}")

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        out.positions = atoms.positions + t
        return out

    return Operation("translation", "translation", apply, parameters=dict(vector=list(t)))


def permutation(order: Sequence[int]) -> Operation:
    """Reorder the atoms: new atom k is old atom ``order[k]``."""
    perm = np.asarray(order, dtype=int)
    if sorted(perm.tolist()) != list(range(len(perm))):
        raise ValueError(f"not a permutation of 0..{len(perm) - 1}: {perm.tolist()}")

    def apply(atoms: Atoms) -> Atoms:
        if len(atoms) != len(perm):
            raise ValueError(f"permutation of {len(perm)} atoms applied to {len(atoms)} atoms")
        return atoms[perm]

    return Operation("permutation", "permutation", apply, permutation=perm)


def lattice_translation(shifts: np.ndarray) -> Operation:
    """Move atom i by the lattice vector nᵢ · cell (integers ``shifts`` (N, 3)): the same crystal."""
    n = np.asarray(shifts)
    if not np.issubdtype(n.dtype, np.integer):
        raise ValueError("lattice shifts must be integers")

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        out.positions = atoms.positions + (n * atoms.pbc) @ atoms.cell[:]
        return out

    return Operation("lattice translation of atoms", "lattice translation", apply, needs_pbc=True)


def wrap() -> Operation:
    """Wrap every atom into the cell (ASE ``Atoms.wrap``)."""

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        out.wrap()
        return out

    return Operation("wrap", "wrap", apply, needs_pbc=True)


def change_of_basis(matrix: Sequence[Sequence[int]] = ((1, 1, 0), (0, 1, 0), (-1, 1, 1))) -> Operation:
    """New lattice vectors cell' = M · cell for an integer M with det M = ±1 (the same lattice)."""
    M = np.asarray(matrix)
    if M.shape != (3, 3) or not np.issubdtype(M.dtype, np.integer) or round(abs(np.linalg.det(M))) != 1:
        raise ValueError(f"a change of lattice basis needs an integer 3×3 matrix with det ±1, got {M.tolist()}")

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        out.cell = M @ atoms.cell[:]
        return out

    return Operation("change of lattice basis", "change of basis", apply, needs_pbc=True, parameters=dict(matrix=M.tolist()))


def time_reversal() -> Operation:
    """t → −t: magnetic moments and momenta change sign; positions stay."""

    def apply(atoms: Atoms) -> Atoms:
        out = atoms.copy()
        if atoms.has("initial_magmoms"):
            out.set_initial_magnetic_moments(-atoms.get_initial_magnetic_moments())
        if atoms.has("momenta"):
            out.set_momenta(-atoms.get_momenta())
        return out

    return Operation("time reversal", "time reversal", apply, time_reversal=True)


def standard_operations(atoms: Atoms, seed: int = 0) -> list[Operation]:
    """One random instance of every kind of operation, for ``atoms``.

    Rotation, inversion, reflection through a random plane, improper rotation, random
    translation, random permutation, and for periodic cells a lattice translation of
    every atom, wrapping, and the change of basis M = [[1,1,0],[0,1,0],[−1,1,1]]; last,
    time reversal (it only acts on structures carrying moments or momenta).
    """
    rng = np.random.default_rng(seed)
    R = random_rotation(rng)
    ops = [
        Operation("rotation", "rotation", _linear(R, None), R),
        inversion(center=None),
        reflection(rng.normal(size=3), center=None),
        replace(improper_rotation(rng.normal(size=3), 360.0 * rng.random(), center=None), name="improper rotation"),
        translation(rng.normal(size=3) * 3.0),
        permutation(rng.permutation(len(atoms))),
        lattice_translation(rng.integers(-2, 3, size=(len(atoms), 3))),
        wrap(),
        change_of_basis(),
        time_reversal(),
    ]
    return ops




