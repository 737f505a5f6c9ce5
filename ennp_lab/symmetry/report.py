"""How much a model's outputs leak under symmetry operations.

:func:`equivariance_report` measures, for any ennp_lab model or ASE calculator, the
relative leakage ‖y(g·A) − ρ(g) y(A)‖∞ / ‖ρ(g) y(A)‖∞ of every output y under every
operation g (:mod:`ennp_lab.symmetry.operations`). The outputs and how they transform
come from the model's declarations alone: energy (0e), forces (1o per atom), stress
(rank 2), every declared head by its irreps and time parity, and every quantity its
declared inputs make derivable (dipole and polarization 1o, Born charges and
polarizability rank 2, effective fields by the moments' irreps and odd under time
reversal, torques 1e). Declared inputs (a field, moments, per-atom vectors) are
transformed with the structure, so a new model is covered with no new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import BaseCalculator, Calculator, PropertyNotImplementedError
from ase.stress import voigt_6_to_full_3x3_stress

from ennp_lab import keys
from ennp_lab.spec import InputSpec, write_input
from ennp_lab.symmetry.operations import Operation, standard_operations

__all__ = ["OutputRule", "output_rules", "EquivarianceReport", "equivariance_report", "SymmetryComparison",
           "compare_under_operation"]

#: shorthand kinds → irreps
_KIND_IRREPS = {"scalar": "0e", "cartesian vector": "1o"}


@dataclass(frozen=True)
class OutputRule:
    """How one output transforms.

    Attributes:
        name: the calculator property (``get_property(name)``).
        kind: "irreps" (e3nn basis, ``irreps``), "cartesian rank 2" (3×3, or (N, 3, 3)
            per atom; stress comes in Voigt form from ASE), "cartesian" (a polar tensor
            of any ``rank``, R on every index), or the shorthands "scalar" (0e) and
            "cartesian vector" (1o, xyz).
        per_atom: one value per atom (follows the permutation).
        irreps: e3nn irreps string for ``kind == "irreps"`` (e.g. "0o", "0e+2e").
        time_odd: changes sign under time reversal.
    """

    name: str
    kind: str
    per_atom: bool = False
    irreps: str | None = None
    time_odd: bool = False
    rank: int = 2

    def transform(self, value: np.ndarray, op: Operation) -> np.ndarray:
        if self.kind in ("cartesian rank 2", "cartesian"):
            rank = 2 if self.kind == "cartesian rank 2" else self.rank
            out = np.asarray(value, dtype=float)
            lead = out.ndim - rank
            for axis in range(lead, out.ndim):  # R on every Cartesian index
                out = np.moveaxis(np.tensordot(op.rotation, out, axes=([1], [axis])), 0, axis)
            if self.per_atom and op.permutation is not None:
                out = out[op.permutation]
            return -out if self.time_odd and op.time_reversal else out
        irreps = _KIND_IRREPS.get(self.kind, self.irreps if self.kind == "irreps" else None)
        if irreps is None:
            raise ValueError(f"unknown output kind {self.kind!r}")
        return op.transform(value, irreps, per_atom=self.per_atom, time_odd=self.time_odd)


def _derived_rule(name: str, inputs: Sequence[InputSpec]) -> OutputRule:
    moments = next((s for s in inputs if s.name == keys.MAGMOMS), None)
    rules = {
        keys.DIPOLE: OutputRule(name, "irreps", irreps="1o"),
        keys.POLARIZATION: OutputRule(name, "irreps", irreps="1o"),
        keys.BORN_CHARGES: OutputRule(name, "cartesian rank 2", per_atom=True),
        keys.POLARIZABILITY: OutputRule(name, "cartesian rank 2"),
        keys.TORQUE: OutputRule(name, "irreps", per_atom=True, irreps="1e"),
    }
    if name == keys.EFFECTIVE_FIELD and moments is not None:
        return OutputRule(name, "irreps", per_atom=True, irreps=moments.irreps, time_odd=True)
    return rules[name]


def output_rules(calc: Calculator, periodic: bool) -> list[OutputRule]:
    """Every output of ``calc`` with its rule: energy, forces, stress (periodic cells, when
    implemented), and for an ennp_lab calculator its declared heads (summed and per
    atom) and the quantities its model's inputs make derivable."""
    rules = [OutputRule(keys.ENERGY, "scalar"), OutputRule(keys.FORCES, "cartesian vector", per_atom=True)]
    if periodic and keys.STRESS in getattr(calc, "implemented_properties", ()):
        rules.append(OutputRule(keys.STRESS, "cartesian rank 2"))
    for name, spec in getattr(calc, "outputs", {}).items():
        if spec.cartesian is not None:
            rules.append(OutputRule(name, "cartesian", time_odd=spec.time_odd, rank=spec.rank))
            continue
        rules.append(OutputRule(name, "irreps", irreps=spec.irreps, time_odd=spec.time_odd))
        if spec.per_atom:
            rules.append(OutputRule(keys.per_atom(name), "irreps", per_atom=True, irreps=spec.irreps, time_odd=spec.time_odd))
    for name in getattr(calc, "derivable", ()):
        if name != keys.POLARIZATION or periodic:
            rules.append(_derived_rule(name, getattr(calc, "inputs", ())))
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
    outputs are those of :func:`output_rules`. The structure's declared inputs (read
    from the Atoms, or given to an ennp_lab calculator as parameters) are transformed
    with it. Operations that need a periodic cell are skipped for other structures.

    Args:
        model_or_calculator: an ennp_lab model (evaluated on the CPU through
            :class:`~ennp_lab.calculator.ENNPCalculator`) or any ASE calculator.
        atoms: the structure.
        operations: defaults to :func:`standard_operations` ``(atoms, seed)``.
        outputs: rules, or a mapping of extra property names to e3nn irreps for a
            calculator's own outputs (added to the defaults).
        seed: for the default operations.
    """
    calc, atoms = _with_inputs_in_atoms(_as_calculator(model_or_calculator), atoms)
    inputs = getattr(calc, "inputs", ())
    periodic = bool(np.all(atoms.pbc))
    rules = output_rules(calc, periodic)
    if isinstance(outputs, Mapping):
        rules += [OutputRule(name, "irreps", irreps=str(ir)) for name, ir in outputs.items()]
    elif outputs is not None:
        rules = list(outputs)
    ops = standard_operations(atoms, seed) if operations is None else list(operations)
    ops = [op for op in ops if periodic or not op.needs_pbc]
    reference = _evaluate_all(calc, atoms, rules)
    return _report(ops, rules, reference, [_evaluate_all(calc, op(atoms, inputs), rules) for op in ops])


def _with_inputs_in_atoms(calc: Calculator, atoms: Atoms) -> tuple[Calculator, Atoms]:
    """Write every declared input, as the model reads it, into a copy of the Atoms, where
    the operations transform it (a collinear moment read as (0, 0, m) by a 1e model
    becomes that vector, and rotates as one), and move values given to an ennp_lab
    calculator as parameters there too (then evaluated by a calculator without them)."""
    inputs = getattr(calc, "inputs", ())
    if not inputs:
        return calc, atoms
    values = {k: v for k, v in calc.parameters.items() if v is not None}
    atoms = atoms.copy()
    for spec in inputs:
        write_input(atoms, spec, spec.read(atoms, values.get(spec.name)))
    if not values:
        return calc, atoms
    from ennp_lab.calculator import ENNPCalculator

    return ENNPCalculator(calc.model, device=calc.device), atoms


def _as_calculator(model_or_calculator) -> Calculator:
    if isinstance(model_or_calculator, BaseCalculator):
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
    transformed = operation(atoms)
    forces, expected, reports = {}, {}, {}
    periodic = bool(np.all(atoms.pbc))
    for label, calc in calculators.items():
        # each structure is evaluated once; forces and the report come from the same results
        rules = output_rules(calc, periodic)
        before = _evaluate_all(calc, atoms, rules)
        after = _evaluate_all(calc, operation(atoms, getattr(calc, "inputs", ())), rules)
        rule = next(r for r in rules if r.name == keys.FORCES)
        forces[label] = (before[keys.FORCES], after[keys.FORCES])
        expected[label] = rule.transform(before[keys.FORCES], operation)
        reports[label] = _report([operation], rules, before, [after])
    return SymmetryComparison(operation, atoms, transformed, forces, expected, reports)
