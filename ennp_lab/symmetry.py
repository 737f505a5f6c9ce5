"""Symmetry operations on structures, and how much a model's outputs leak under them.

An :class:`Operation` acts on an ``ase.Atoms`` (positions, cell, magnetic moments,
momenta) and says how any prediction must transform with it:

* Cartesian part R (3×3, x → R (x − c) + c, det R = ±1): scalars 0e are invariant,
  pseudoscalars 0o pick up det R, forces 1o → R F, stress σ → R σ Rᵀ, and a head of
  irreps ρ → D_ρ(R) (the exact Wigner matrices of :func:`irreps_matrix`);
* atom order: new atom k is old atom ``permutation[k]`` (per-atom outputs follow it);
* time reversal: magnetic moments and momenta change sign, time-odd outputs too.

:func:`standard_operations` gives one instance of every kind (proper and improper
rotation, reflection through a plane, inversion, translation, permutation, lattice
translation of atoms, wrapping, change of lattice basis, time reversal), and
:func:`equivariance_report` measures, for any model or ASE calculator, the relative
leakage ‖out(g·A) − g·out(A)‖∞ / ‖g·out(A)‖∞ of every output under every operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, PropertyNotImplementedError
from ase.stress import voigt_6_to_full_3x3_stress
from e3nn import o3

from ennp_lab import keys

__all__ = [
    "Operation",
    "OutputRule",
    "EquivarianceReport",
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
    "equivariance_report",
    "SymmetryComparison",
    "compare_under_operation",
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

    def __call__(self, atoms: Atoms) -> Atoms:
        return self.apply(atoms)


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


# ---------------------------------------------------------------- output transforms
def _wigner_proper(l: int, R: np.ndarray) -> np.ndarray:
    """D_l(R) for a proper rotation, exact to rounding: Y_l(R x) = D_l(R) Y_l(x) solved by
    least squares over 8(2l+1) random unit vectors (e3nn's basis and normalisation)."""
    if l == 0:
        return np.ones((1, 1))
    rng = np.random.default_rng(l)
    x = rng.normal(size=(8 * (2 * l + 1), 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    xt = torch.as_tensor(x, dtype=torch.float64)
    Rt = torch.as_tensor(R, dtype=torch.float64)
    y = o3.spherical_harmonics(l, xt, normalize=True).numpy()
    y_rot = o3.spherical_harmonics(l, xt @ Rt.T, normalize=True).numpy()
    dt, *_ = np.linalg.lstsq(y, y_rot, rcond=None)
    return dt.T


def irreps_matrix(irreps: str | o3.Irreps, R: np.ndarray) -> np.ndarray:
    """The representation matrix D_ρ(R) of e3nn irreps ρ for an orthogonal R (det ±1).

    For R = d·Q (d = det R, Q proper): D_{l,p}(R) = p^{(1−d)/2} D_l(Q), so a 0o
    pseudoscalar picks up det R. Exact to ~1e-14 (e3nn's ``D_from_matrix`` goes through
    Euler angles and is good to ~1e-6, too coarse to certify leakage ≤ 1e-10).

    Returns:
        (dim, dim) block-diagonal matrix acting on vectors in e3nn's basis.
    """
    irreps = o3.Irreps(irreps)
    R = np.asarray(R, dtype=float)
    d = 1.0 if np.linalg.det(R) > 0 else -1.0
    Q = d * R
    blocks = []
    cache: dict[int, np.ndarray] = {}
    for mul, ir in irreps:
        if ir.l not in cache:
            cache[ir.l] = _wigner_proper(ir.l, Q)
        sign = ir.p if d < 0 else 1
        blocks += [sign * cache[ir.l]] * mul
    out = np.zeros((irreps.dim, irreps.dim))
    k = 0
    for b in blocks:
        n = b.shape[0]
        out[k : k + n, k : k + n] = b
        k += n
    return out


@dataclass(frozen=True)
class OutputRule:
    """How one output transforms.

    Attributes:
        name: the calculator property (``get_property(name)``).
        kind: "scalar" (0e), "cartesian vector" (xyz), "cartesian rank 2" (3×3,
            Voigt at the ASE boundary) or "irreps" (e3nn basis, ``irreps``).
        per_atom: one value per atom (follows the permutation).
        irreps: e3nn irreps string for ``kind == "irreps"`` (e.g. "0o", "0e+2e").
        time_odd: changes sign under time reversal.
    """

    name: str
    kind: str
    per_atom: bool = False
    irreps: str | None = None
    time_odd: bool = False

    def transform(self, value: np.ndarray, op: Operation) -> np.ndarray:
        R = op.rotation
        if self.kind == "scalar":
            out = np.asarray(value, dtype=float)
        elif self.kind == "cartesian vector":
            out = np.asarray(value) @ R.T
        elif self.kind == "cartesian rank 2":
            out = R @ np.asarray(value) @ R.T
        elif self.kind == "irreps":
            out = np.asarray(value) @ irreps_matrix(self.irreps, R).T
        else:
            raise ValueError(f"unknown output kind {self.kind!r}")
        if self.per_atom and op.permutation is not None:
            out = out[op.permutation]
        if self.time_odd and op.time_reversal:
            out = -out
        return out


def _default_rules(calc: Calculator, periodic: bool) -> list[OutputRule]:
    rules = [OutputRule(keys.ENERGY, "scalar"), OutputRule(keys.FORCES, "cartesian vector", per_atom=True)]
    if periodic and keys.STRESS in getattr(calc, "implemented_properties", ()):
        rules.append(OutputRule(keys.STRESS, "cartesian rank 2"))
    model = getattr(calc, "model", None)
    heads = getattr(getattr(model, "config", None), "heads", {}) or {}
    for name, irreps in heads.items():
        rules.append(OutputRule(name, "irreps", irreps=str(irreps)))
        rules.append(OutputRule(name + "_per_atom", "irreps", per_atom=True, irreps=str(irreps)))
    return rules


def _evaluate(calc: Calculator, atoms: Atoms, rules: Sequence[OutputRule]) -> dict[str, np.ndarray]:
    a = atoms.copy()
    a.calc = calc
    out = {}
    for rule in rules:
        value = np.asarray(a.calc.get_property(rule.name, a), dtype=float)
        if rule.name == keys.STRESS:
            value = voigt_6_to_full_3x3_stress(value)
        out[rule.name] = value
    return out


@dataclass(frozen=True)
class EquivarianceReport:
    """Relative leakage of every output under every operation.

    Attributes:
        operations: operation names, in order.
        outputs: output names, in order.
        leakage: (n_operations, n_outputs) ‖out(g·A) − g·out(A)‖∞ / ‖g·out(A)‖∞
            (dimensionless; the denominator is floored at 1e-12).
        proper: (n_operations,) whether each operation's Cartesian part is proper.
        kinds: (n_operations,) the operation kinds.
    """

    operations: tuple[str, ...]
    outputs: tuple[str, ...]
    leakage: np.ndarray
    proper: np.ndarray
    kinds: tuple[str, ...]

    def max(self) -> float:
        """Worst leakage over everything."""
        return float(self.leakage.max()) if self.leakage.size else 0.0

    def per_operation(self) -> dict[str, float]:
        """Worst leakage over the outputs, per operation."""
        return {op: float(row.max()) for op, row in zip(self.operations, self.leakage)}

    def value(self, operation: str, output: str) -> float:
        return float(self.leakage[self.operations.index(operation), self.outputs.index(output)])

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{operation: {output: leakage}}``."""
        return {op: {out: float(v) for out, v in zip(self.outputs, row)} for op, row in zip(self.operations, self.leakage)}

    def passed(self, tol: float = 1e-10) -> bool:
        return self.max() <= tol

    def __str__(self) -> str:
        width = max(len(o) for o in self.operations) if self.operations else 10
        lines = ["operation".ljust(width) + "".join(f"{o:>16}" for o in self.outputs)]
        for op, row in zip(self.operations, self.leakage):
            lines.append(op.ljust(width) + "".join(f"{v:16.2e}" for v in row))
        return "\n".join(lines)


def equivariance_report(
    model_or_calculator,
    atoms: Atoms,
    operations: Sequence[Operation] | None = None,
    outputs: Sequence[OutputRule] | Mapping[str, str] | None = None,
    seed: int = 0,
) -> EquivarianceReport:
    """Leakage of each output of a model or ASE calculator under each operation.

    For every operation g and output y with transformation rule ρ (see
    :class:`OutputRule`), leakage = ‖y(g·A) − ρ(g) y(A)‖∞ / ‖ρ(g) y(A)‖∞. The default
    outputs are energy (0e), forces (1o, per atom), stress (rank 2, periodic cells, when
    the calculator implements it) and every declared head of an ennp_lab model (summed
    and per atom, with their irreps). Operations that need a periodic cell are skipped
    for other structures.

    Args:
        model_or_calculator: an ennp_lab model (evaluated on the CPU through
            :class:`~ennp_lab.calculator.ENNPCalculator`) or any ASE calculator.
        atoms: the structure.
        operations: defaults to :func:`standard_operations` ``(atoms, seed)``.
        outputs: rules, or a mapping of extra property names to e3nn irreps for a
            calculator's own outputs (added to the defaults).
        seed: for the default operations.
    """
    calc = _as_calculator(model_or_calculator)
    periodic = bool(np.all(atoms.pbc))
    rules = _default_rules(calc, periodic)
    if isinstance(outputs, Mapping):
        rules += [OutputRule(name, "irreps", irreps=str(ir)) for name, ir in outputs.items()]
    elif outputs is not None:
        rules = list(outputs)
    ops = standard_operations(atoms, seed) if operations is None else list(operations)
    ops = [op for op in ops if periodic or not op.needs_pbc]
    reference = _evaluate_all(calc, atoms, rules)
    return _report(ops, rules, reference, [_evaluate_all(calc, op.apply(atoms), rules) for op in ops])


def _as_calculator(model_or_calculator) -> Calculator:
    if isinstance(model_or_calculator, Calculator):
        return model_or_calculator
    if isinstance(model_or_calculator, torch.nn.Module):
        from ennp_lab.calculator import ENNPCalculator

        return ENNPCalculator(model_or_calculator, device="cpu")
    raise ValueError(f"expected an ennp_lab model or an ASE calculator, got {type(model_or_calculator).__name__}")


def _evaluate_all(calc: Calculator, atoms: Atoms, rules: Sequence[OutputRule]) -> dict[str, np.ndarray]:
    try:
        return _evaluate(calc, atoms, rules)
    except PropertyNotImplementedError as exc:
        raise ValueError(f"the calculator cannot compute an output of the report: {exc}") from exc


def _report(ops: Sequence[Operation], rules: Sequence[OutputRule], reference: dict[str, np.ndarray],
            transformed: Sequence[dict[str, np.ndarray]]) -> EquivarianceReport:
    """Leakage table from the outputs on A (``reference``) and on each g·A (``transformed``)."""
    leakage = np.zeros((len(ops), len(rules)))
    for a, (op, got) in enumerate(zip(ops, transformed)):
        for b, rule in enumerate(rules):
            expected = rule.transform(reference[rule.name], op)
            scale = max(float(np.abs(expected).max()), 1e-12)
            leakage[a, b] = float(np.abs(got[rule.name] - expected).max()) / scale
    return EquivarianceReport(
        operations=tuple(op.name for op in ops),
        outputs=tuple(r.name for r in rules),
        leakage=leakage,
        proper=np.array([op.proper for op in ops]),
        kinds=tuple(op.kind for op in ops),
    )


@dataclass(frozen=True)
class SymmetryComparison:
    """A structure, its image under one operation, and each calculator's view of both.

    Attributes:
        operation: the operation g.
        original: the structure A.
        transformed: g·A.
        forces: label → (F(A) (N, 3), F(g·A) (N, 3)) eV/Å.
        expected_forces: label → g·F(A) (N, 3) eV/Å, what F(g·A) must be.
        reports: label → :class:`EquivarianceReport` for this one operation.
    """

    operation: Operation
    original: Atoms
    transformed: Atoms
    forces: dict[str, tuple[np.ndarray, np.ndarray]]
    expected_forces: dict[str, np.ndarray]
    reports: dict[str, EquivarianceReport]


def compare_under_operation(calculators: Mapping[str, Calculator], atoms: Atoms, operation: Operation) -> SymmetryComparison:
    """Evaluate every calculator on A and g·A (forces and the one-operation report)."""
    if operation.needs_pbc and not np.all(atoms.pbc):
        raise ValueError(f"{operation.name} needs a structure periodic in three directions")
    transformed = operation.apply(atoms)
    forces, expected, reports = {}, {}, {}
    periodic = bool(np.all(atoms.pbc))
    for label, calc in calculators.items():
        # each structure is evaluated once; forces and the report come from the same results
        rules = _default_rules(calc, periodic)
        before = _evaluate_all(calc, atoms, rules)
        after = _evaluate_all(calc, transformed, rules)
        rule = next(r for r in rules if r.name == keys.FORCES)
        forces[label] = (before[keys.FORCES], after[keys.FORCES])
        expected[label] = rule.transform(before[keys.FORCES], operation)
        reports[label] = _report([operation], rules, before, [after])
    return SymmetryComparison(operation, atoms, transformed, forces, expected, reports)
