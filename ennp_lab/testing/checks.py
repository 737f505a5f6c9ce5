"""Assertions every ennp_lab model (and, where it applies, any ASE calculator) should pass.

Each ``assert_*`` raises ``AssertionError`` naming the output, the operation or the
component that failed, and returns the measured worst error (to print in a notebook).
Tolerances are named, per dtype (:data:`TOLERANCES`). The references are independent of
the code under test: ASE's central differences (``ase.calculators.fd``) for forces and
stress, central differences of forces, energies and derivatives written here for the
Hessian and every derivative with respect to a declared input, and the exact Wigner
matrices of :mod:`ennp_lab.symmetry` for equivariance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import BaseCalculator, Calculator
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from ennp_lab import keys
from ennp_lab.derivatives import available_properties, compute_properties
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import declared_inputs, declared_outputs
from ennp_lab.spec import InputSpec, write_input
from ennp_lab.symmetry import EquivarianceReport, Operation, equivariance_report

__all__ = [
    "Tolerances",
    "TOLERANCES",
    "tolerances_for",
    "assert_equivariant",
    "assert_forces_match_finite_differences",
    "assert_stress_matches_finite_differences",
    "assert_hessian_matches_finite_differences",
    "assert_input_derivatives_match_finite_differences",
    "assert_derived_properties_match_finite_differences",
    "assert_batch_equals_single",
    "assert_no_cross_frame_leakage",
    "assert_wrapped_equals_unwrapped",
    "assert_smooth_at_cutoff",
    "assert_isolated_atoms_additive",
    "assert_separated_fragments_additive",
]


@dataclass(frozen=True)
class Tolerances:
    """Named tolerances, all relative to the largest magnitude of the reference.

    Attributes:
        equivariance: leakage ‖y(g·A) − ρ(g) y(A)‖∞ / ‖ρ(g) y(A)‖∞.
        finite_difference: ‖analytic − central difference‖∞ / ‖central difference‖∞.
        consistency: two evaluations that must agree (batch = single, wrapped =
            unwrapped, additivity).
    """

    equivariance: float
    finite_difference: float
    consistency: float


#: per dtype
TOLERANCES = {
    torch.float64: Tolerances(equivariance=1e-10, finite_difference=1e-6, consistency=1e-10),
    torch.float32: Tolerances(equivariance=1e-5, finite_difference=1e-2, consistency=1e-5),
}


def tolerances_for(model_or_dtype) -> Tolerances:
    """The tolerances for a model's dtype (or a dtype)."""
    dtype = model_or_dtype if isinstance(model_or_dtype, torch.dtype) else getattr(model_or_dtype, "dtype", torch.float64)
    return TOLERANCES.get(dtype, TOLERANCES[torch.float32])


def _relative(got, expected, floor: float = 1e-12) -> float:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise AssertionError(f"shape {got.shape} where {expected.shape} was expected")
    if expected.size == 0:
        return 0.0
    return float(np.abs(got - expected).max()) / max(float(np.abs(expected).max()), floor)


def _require(error: float, tol: float, what: str) -> float:
    if not error <= tol:
        raise AssertionError(f"{what}: relative error {error:.2e} exceeds {tol:.0e}")
    return error


def _calculator(model_or_calc) -> Calculator:
    if isinstance(model_or_calc, BaseCalculator):
        return model_or_calc
    from ennp_lab.calculator import ENNPCalculator

    return ENNPCalculator(model_or_calc, device="cpu")


def _dtype(model_or_calc):
    return getattr(getattr(model_or_calc, "model", model_or_calc), "dtype", torch.float64)


# ------------------------------------------------------------------------------ symmetry
def assert_equivariant(model_or_calc, atoms: Atoms, operations: Sequence[Operation] | None = None,
                       tol: float | None = None, seed: int = 0) -> EquivarianceReport:
    """Every output (declared heads and derived quantities included) transforms as its
    irreps say, under every operation (parity and time reversal included), with the
    declared inputs transformed too (:func:`~ennp_lab.symmetry.equivariance_report`)."""
    tol = tolerances_for(_dtype(model_or_calc)).equivariance if tol is None else tol
    report = equivariance_report(model_or_calc, atoms, operations, seed=seed)
    bad = [(op, out, report.value(op, out)) for op in report.operations for out in report.outputs
           if not report.value(op, out) <= tol]
    if bad:
        listed = ", ".join(f"{out} under {op} ({v:.1e})" for op, out, v in bad[:6])
        raise AssertionError(f"leakage above {tol:.0e}: {listed}{' ...' if len(bad) > 6 else ''}")
    return report


# --------------------------------------------------------------- derivatives through ASE
def assert_forces_match_finite_differences(model_or_calc, atoms: Atoms, eps: float = 1e-4, tol: float | None = None) -> float:
    """Forces equal ASE's central differences of the energy (step ``eps`` Å)."""
    tol = tolerances_for(_dtype(model_or_calc)).finite_difference if tol is None else tol
    a = atoms.copy()
    a.calc = _calculator(model_or_calc)
    return _require(_relative(a.get_forces(), calculate_numerical_forces(a, eps=eps)), tol, "forces vs finite differences")


def assert_stress_matches_finite_differences(model_or_calc, atoms: Atoms, eps: float = 1e-5, tol: float | None = None) -> float:
    """Stress equals ASE's central strain differences of the energy."""
    tol = tolerances_for(_dtype(model_or_calc)).finite_difference if tol is None else tol
    a = atoms.copy()
    a.calc = _calculator(model_or_calc)
    numeric = calculate_numerical_stress(a, eps=eps, voigt=True)
    return _require(_relative(a.get_stress(), numeric), tol, "stress vs finite differences")


def assert_hessian_matches_finite_differences(model_or_calc, atoms: Atoms, eps: float = 1e-4, tol: float | None = None) -> float:
    """The autograd Hessian equals central differences of the forces, −∂F_j/∂x_i."""
    tol = tolerances_for(_dtype(model_or_calc)).finite_difference if tol is None else tol
    calc = _calculator(model_or_calc)
    n = len(atoms)
    numeric = np.zeros((n, 3, n, 3))
    for i in range(n):
        for k in range(3):
            forces = []
            for sign in (1.0, -1.0):
                a = atoms.copy()
                a.positions[i, k] += sign * eps
                a.calc = calc
                forces.append(a.get_forces())
            numeric[i, k] = -(forces[0] - forces[1]) / (2.0 * eps)
    return _require(_relative(calc.get_hessian(atoms), numeric), tol, "Hessian vs finite differences of forces")


# ------------------------------------------------------------ derivatives w.r.t. inputs
def _evaluate(model, atoms: Atoms, values: dict, props: set[str]) -> dict[str, np.ndarray]:
    graph = AtomGraph.from_atoms(atoms, model.cutoff, dtype=model.dtype, device=model.device,
                                 inputs=declared_inputs(model), values=values)
    return {k: v.detach().cpu().double().numpy() for k, v in compute_properties(model, graph, props).items()}


def assert_input_derivatives_match_finite_differences(model, atoms: Atoms, eps: float = 1e-5,
                                                      tol: float | None = None) -> dict[str, float]:
    """For every differentiable declared input v: ∂E/∂v, ∂²E/∂v∂x, ∂²E/∂v∂v and (3D-periodic
    cells) ∂²E/∂ε∂v from :func:`~ennp_lab.derivatives.compute_properties` equal central
    differences (step ``eps``) of the energy, forces, ∂E/∂v and ∂E/∂ε.

    Returns:
        derivative name → relative error.
    """
    tol = tolerances_for(model).finite_difference if tol is None else tol
    specs = [s for s in declared_inputs(model) if s.differentiable]
    periodic = bool(atoms.pbc.all())
    base = {s.name: s.read(atoms) for s in declared_inputs(model)}
    errors: dict[str, float] = {}
    for spec in specs:
        v = spec.name
        names = {keys.gradient(v), keys.second_derivative(v, keys.POSITIONS), keys.second_derivative(v, v)}
        if periodic:
            names.add(keys.second_derivative(keys.STRAIN, v))
        analytic = _evaluate(model, atoms, base, names | {keys.FORCES})
        x0 = base[v]
        fd = {"E": np.zeros(x0.shape), "F": np.zeros(x0.shape + (len(atoms), 3)),
              "G": np.zeros(x0.shape + analytic[keys.gradient(v)].shape), "S": np.zeros(x0.shape + (1, 3, 3))}
        probes = {keys.FORCES, keys.gradient(v)} | ({keys.STRAIN_GRADIENT} if periodic else set())
        for idx in np.ndindex(x0.shape):
            outs = []
            for sign in (1.0, -1.0):
                x = x0.copy()
                x[idx] += sign * eps
                outs.append(_evaluate(model, atoms, {**base, v: x}, probes))
            d = lambda k: (outs[0][k] - outs[1][k]) / (2.0 * eps)  # noqa: E731
            fd["E"][idx] = d(keys.ENERGY)[0]
            fd["F"][idx] = d(keys.FORCES)
            fd["G"][idx] = d(keys.gradient(v))
            if periodic:
                fd["S"][idx] = d(keys.STRAIN_GRADIENT)
        gradient = analytic[keys.gradient(v)].reshape(x0.shape)
        mixed = analytic[keys.second_derivative(v, keys.POSITIONS)]
        self_second = analytic[keys.second_derivative(v, v)]
        if spec.per_atom:  # layouts (N, d, N, 3), (N, d, N, d), (N, 3, 3, d)
            expected_mixed, expected_self = -fd["F"], fd["G"]
            expected_strain = fd["S"][:, :, 0].transpose(0, 2, 3, 1)
        else:  # (N, d, 3), (1, d, d), (1, 3, 3, d)
            expected_mixed = -fd["F"].transpose(1, 0, 2)
            expected_self = fd["G"].transpose(1, 0, 2)
            expected_strain = fd["S"].transpose(1, 2, 3, 0)
        checks = {keys.gradient(v): (gradient, fd["E"]), keys.second_derivative(v, keys.POSITIONS): (mixed, expected_mixed),
                  keys.second_derivative(v, v): (self_second, expected_self)}
        if periodic:
            checks[keys.second_derivative(keys.STRAIN, v)] = (analytic[keys.second_derivative(keys.STRAIN, v)], expected_strain)
        for name, (got, expected) in checks.items():
            errors[name] = _require(_relative(got, expected), tol, f"{name} vs finite differences")
    return errors


def _with_input(atoms: Atoms, spec: InputSpec, value: np.ndarray) -> Atoms:
    out = atoms.copy()
    write_input(out, spec, value)
    return out


def assert_derived_properties_match_finite_differences(model_or_calc, atoms: Atoms, eps: float = 1e-5,
                                                       tol: float | None = None) -> dict[str, float]:
    """Every quantity the calculator derives from declared inputs equals its definition by
    central differences through the calculator (sign conventions included):
    μ = −∂E/∂ℰ, P = μ/V, Z*_κ,ij = ∂F_κj/∂ℰ_i, α_ij = ∂μ_i/∂ℰ_j, B_eff = −∂E/∂m, τ = m × B_eff.

    Returns:
        property name → relative error.
    """
    calc = _calculator(model_or_calc)
    tol = tolerances_for(_dtype(calc)).finite_difference if tol is None else tol
    specs = {s.name: s for s in getattr(calc, "inputs", ())}
    derivable = [p for p in getattr(calc, "derivable", ()) if p != keys.POLARIZATION or atoms.pbc.all()]
    errors: dict[str, float] = {}

    def central(spec: InputSpec, quantity):
        x0 = spec.read(atoms)
        out = None
        for idx in np.ndindex(x0.shape):
            values = []
            for sign in (1.0, -1.0):
                x = x0.copy()
                x[idx] += sign * eps
                a = _with_input(atoms, spec, x)
                a.calc = calc
                values.append(np.asarray(quantity(a), dtype=float))
            d = (values[0] - values[1]) / (2.0 * eps)
            out = np.zeros(x0.shape + d.shape) if out is None else out
            out[idx] = d
        return out

    def analytic(name):
        a = atoms.copy()
        a.calc = calc
        return a.calc.get_property(name, a)

    for name in derivable:
        if name in (keys.DIPOLE, keys.POLARIZATION, keys.BORN_CHARGES, keys.POLARIZABILITY):
            field = specs[keys.ELECTRIC_FIELD]
            if name == keys.BORN_CHARGES:  # ∂F_κj/∂ℰ_i: (3, N, 3) → (N, 3, 3)
                expected = central(field, lambda a: a.get_forces()).transpose(1, 0, 2)
            elif name == keys.POLARIZABILITY:  # ∂μ_i/∂ℰ_j: (3_j, 3_i) → (3_i, 3_j)
                expected = central(field, lambda a: a.calc.get_property(keys.DIPOLE, a)).T
            else:
                expected = -central(field, lambda a: a.get_potential_energy())
                if name == keys.POLARIZATION:
                    expected = expected / atoms.get_volume()
        else:
            moments = specs[keys.MAGMOMS]
            field = -central(moments, lambda a: a.get_potential_energy())
            expected = field if name == keys.EFFECTIVE_FIELD else np.cross(moments.read(atoms), field)
        errors[name] = _require(_relative(analytic(name), expected), tol, f"{name} vs finite differences")
    return errors


# ---------------------------------------------------------------------------- consistency
def _graph(model, frames) -> AtomGraph:
    return AtomGraph.from_atoms(frames, model.cutoff, dtype=model.dtype, device=model.device, inputs=declared_inputs(model))


def _props(model, frames: Sequence[Atoms]) -> set[str]:
    props = {keys.ENERGY, keys.ENERGIES, keys.FORCES} | {p for p in available_properties(model)
                                                          if p not in (keys.HESSIAN, keys.STRESS, keys.POLARIZATION)}
    if all(f.pbc.all() for f in frames):
        props |= {keys.STRESS} | ({keys.POLARIZATION} & set(available_properties(model)))
    return props


def assert_batch_equals_single(model, frames: Sequence[Atoms], tol: float | None = None) -> float:
    """One batched evaluation equals evaluating each structure alone: energies, forces,
    stress, heads and every derivable quantity."""
    tol = tolerances_for(model).consistency if tol is None else tol
    frames = list(frames)
    props = _props(model, frames)
    batched = {k: v.detach().cpu().double().numpy() for k, v in compute_properties(model, _graph(model, frames), props).items()}
    per_atom = {keys.ENERGIES, keys.FORCES, keys.BORN_CHARGES, keys.EFFECTIVE_FIELD, keys.TORQUE}
    per_atom |= {keys.per_atom(name) for name, spec in declared_outputs(model).items() if spec.per_atom}
    worst, start = 0.0, 0
    for b, frame in enumerate(frames):
        single = {k: v.detach().cpu().double().numpy() for k, v in compute_properties(model, _graph(model, frame), props).items()}
        n = len(frame)
        for name, value in single.items():
            part = batched[name][start : start + n] if name in per_atom else batched[name][b : b + 1]
            worst = max(worst, _require(_relative(part, value), tol, f"{name} of structure {b}: batch vs single"))
        start += n
    return worst


def assert_no_cross_frame_leakage(model, frames: Sequence[Atoms]) -> None:
    """In a batch, the energy of each structure depends on no other structure's positions
    or inputs: those gradients are exactly zero."""
    frames = list(frames)
    if len(frames) < 2:
        raise ValueError("cross-frame leakage needs at least two structures")
    graph = _graph(model, frames)
    positions = graph.positions.detach().clone().requires_grad_(True)
    inputs = {s.name: graph.input(s.name).detach().clone().requires_grad_(True)
              for s in declared_inputs(model) if s.differentiable}
    view = graph.with_inputs(inputs) if inputs else graph
    energy = model(view, positions, graph.cell)[keys.ENERGY]
    batch = graph.batch
    for b in range(len(frames)):
        leaves = [positions, *inputs.values()]
        grads = torch.autograd.grad(energy[b], leaves, retain_graph=True, allow_unused=True)
        for name, leaf, g in zip([keys.POSITIONS, *inputs], leaves, grads):
            if g is None:
                continue
            owner = batch if leaf.shape[0] == graph.num_atoms else torch.arange(graph.num_graphs, device=batch.device)
            other = g[owner != b]
            if other.numel() and float(other.abs().max()) != 0.0:
                raise AssertionError(f"the energy of structure {b} depends on the {name} of other structures "
                                     f"(largest gradient {float(other.abs().max()):.1e})")


def assert_wrapped_equals_unwrapped(model_or_calc, atoms: Atoms, seed: int = 0, tol: float | None = None) -> float:
    """A periodic structure gives the same energy, forces and stress whether its atoms are
    wrapped into the cell or moved out by random lattice vectors."""
    if not atoms.pbc.all():
        raise ValueError("wrapping needs a structure periodic in three directions")
    tol = tolerances_for(_dtype(model_or_calc)).consistency if tol is None else tol
    calc = _calculator(model_or_calc)
    wrapped = atoms.copy()
    wrapped.wrap()
    unwrapped = atoms.copy()
    unwrapped.positions += np.random.default_rng(seed).integers(-3, 4, size=(len(atoms), 3)) @ atoms.cell[:]
    results = []
    for a in (wrapped, unwrapped):
        a.calc = calc
        results.append((a.get_potential_energy(), a.get_forces(), a.get_stress()))
    worst = 0.0
    for name, x, y in zip(("energy", "forces", "stress"), *results):
        worst = max(worst, _require(_relative(y, x), tol, f"{name}: unwrapped vs wrapped"))
    return worst


def _dimer(z1: int, z2: int, r: float) -> Atoms:
    return Atoms(numbers=[z1, z2], positions=[[0.0, 0.0, 0.0], [r, 0.0, 0.0]])


def assert_smooth_at_cutoff(model_or_calc, species: Sequence[int] | None = None, delta: float = 2e-3) -> float:
    """A dimer's interaction energy, force and curvature vanish at the cutoff r_c at least
    as fast as a C² envelope makes them: as δ³, δ² and δ for r = r_c − δ.

    The order is measured from δ = ``delta`` and 2δ (a kinked or stepped cutoff gives
    order 0 or 1 where 2 or 3 are required); values already below 1e-12 of their scale
    at 2 r_c/3 pass. Returns the worst margin, measured order − required order + ½.
    """
    calc = _calculator(model_or_calc)
    model = getattr(calc, "model", model_or_calc)
    species = list(species if species is not None else model.species[:2])
    z1, z2 = species[0], species[-1]
    rc = float(model.cutoff)

    def interaction(r: float):
        a = _dimer(z1, z2, r)
        a.calc = calc
        return a.get_potential_energy(), a.get_forces()[1, 0], calc.get_hessian(a)[1, 0, 1, 0]

    far = interaction(rc + 1.0)
    mid, one, two = interaction(2.0 * rc / 3.0), interaction(rc - delta), interaction(rc - 2.0 * delta)
    worst = np.inf
    for name, k, order in (("energy", 0, 3), ("force", 1, 2), ("curvature", 2, 1)):
        offset = far[k] if k == 0 else 0.0
        scale = max(abs(mid[k] - offset), 1e-300)
        small, large = abs(one[k] - offset), abs(two[k] - offset)
        if small <= 1e-12 * scale:
            continue
        measured = np.log2(large / small) if large > 0 else 0.0
        if measured < order - 0.5:
            raise AssertionError(f"dimer {name} vanishes at the cutoff as δ^{measured:.2f}, not δ^{order} "
                                 f"(not smooth at r_c = {rc} Å)")
        worst = min(worst, measured - order + 0.5)
    return float(worst)


def assert_isolated_atoms_additive(model_or_calc, species: Sequence[int] | None = None, tol: float | None = None) -> float:
    """Atoms farther apart than the cutoff: the energy is the sum of the isolated atoms'
    energies, and the forces vanish."""
    calc = _calculator(model_or_calc)
    model = getattr(calc, "model", model_or_calc)
    tol = tolerances_for(_dtype(calc)).consistency if tol is None else tol
    species = list(species if species is not None else model.species)
    spacing = float(model.cutoff) + 1.0
    atoms = Atoms(numbers=species, positions=[[spacing * k, 0.37 * k, 0.0] for k in range(len(species))])
    atoms.calc = calc
    total = atoms.get_potential_energy()
    forces = atoms.get_forces()
    singles = []
    for z in species:
        a = Atoms(numbers=[z], positions=[[0.0, 0.0, 0.0]])
        a.calc = calc
        singles.append(a.get_potential_energy())
    error = _require(abs(total - sum(singles)) / max(abs(sum(singles)), 1e-12), tol, "isolated atoms: E vs Σ E_atom")
    if np.abs(forces).max() > tol * max(abs(total), 1.0):
        raise AssertionError(f"isolated atoms feel forces up to {np.abs(forces).max():.1e} eV/Å")
    return error


def assert_separated_fragments_additive(model_or_calc, first: Atoms, second: Atoms, tol: float | None = None) -> float:
    """Two non-periodic fragments farther apart than the cutoff: E(A ∪ B) = E(A) + E(B),
    and each fragment's forces are its own."""
    calc = _calculator(model_or_calc)
    model = getattr(calc, "model", model_or_calc)
    tol = tolerances_for(_dtype(calc)).consistency if tol is None else tol
    gap = float(model.cutoff) + 1.0
    b = second.copy()
    b.positions += first.positions.max(axis=0) - second.positions.min(axis=0) + gap
    joint = first + b
    parts = []
    for a in (first, b, joint):
        a = a.copy()
        a.calc = calc
        parts.append((a.get_potential_energy(), a.get_forces()))
    (ea, fa), (eb, fb), (e, f) = parts
    error = _require(abs(e - ea - eb) / max(abs(ea + eb), 1e-12), tol, "separated fragments: E(A ∪ B) vs E(A) + E(B)")
    _require(_relative(f, np.concatenate([fa, fb])), tol, "separated fragments: forces")
    return error
