"""Every derivative of the energy, in one place, for any ennp_lab model.

Requested as a set of names (:mod:`ennp_lab.keys`), never as boolean flags. The
differentiable variables are the positions x (N, 3), a homogeneous strain ε per
structure (B, 3, 3), and every input a model declares differentiable
(:class:`~ennp_lab.spec.InputSpec`: an electric field ℰ (B, 3), magnetic moments m
(N, 3) ...). Any first derivative ``keys.gradient(v)`` and any mixed second derivative
``keys.second_derivative(a, b)`` can be asked for by name, and the physical quantities
are built from them:

    F = −∂E/∂x                 (eV/Å)            forces
    σ = (1/V) ∂E/∂ε |_{ε=0}    (eV/Å³)           stress (ASE's sign)
    H = ∂²E/∂x∂x               (eV/Å², (N,3,N,3)) Hessian
    μ = −∂E/∂ℰ                 (e·Å)             dipole of the electric enthalpy E(R, ℰ)
    P = μ/Ω                    (e/Å²)            polarization (3D-periodic cells)
    Z*_κ,ij = ∂F_κj/∂ℰ_i = −∂²E/∂ℰ_i∂x_κj  (e)   Born effective charges (N, 3, 3)
    α_ij = −∂²E/∂ℰ_i∂ℰ_j       (e·Å²/V)          polarizability (B, 3, 3)
    B_eff = −∂E/∂m             (eV/μ_B)          effective field on the moments
    τ = m × B_eff              (eV)              torque on non-collinear moments

Strain uses the symmetric displacement (MACE ``get_symmetric_displacement``, NequIP
``ForceStressOutput``): each structure b gets a zero-valued, differentiable ε_b,
symmetrised as ε̃ = (ε + εᵀ)/2, and positions and cell (row vectors) are deformed as
x' = x (I + ε̃), cell' = cell (I + ε̃), at fixed values of every other input.

Layout of a second derivative ∂²E/∂a∂b (per-atom variables have a leading atom axis N,
per-structure ones a leading structure axis B; s_a is the shape of one value of a):

* both per structure: (B, *s_a, *s_b);
* one per structure (g), one per atom (p), in either order: (N, *s_g, *s_p), row κ
  being ∂²E/∂g ∂p_κ for the structure of atom κ;
* both per atom: (N, *s_a, N, *s_b), block diagonal for a batch.

Cost: one backward pass for all first derivatives; a second derivative costs one more
pass per component of its per-structure variable (3 for Born charges, 9 for strain),
or per row of its first per-atom variable (3N for a Hessian).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import PotentialModel, declared_inputs, declared_outputs

__all__ = ["HessianOperator", "compute_properties", "available_properties", "apply_strain"]

# named quantity -> (first-derivative variables, second-derivative pairs) it is built from
_RECIPES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    keys.ENERGY: ((), ()),
    keys.ENERGIES: ((), ()),
    keys.FORCES: ((keys.POSITIONS,), ()),
    keys.STRESS: ((keys.STRAIN,), ()),
    keys.HESSIAN: ((), ((keys.POSITIONS, keys.POSITIONS),)),
    keys.DIPOLE: ((keys.ELECTRIC_FIELD,), ()),
    keys.POLARIZATION: ((keys.ELECTRIC_FIELD,), ()),
    keys.BORN_CHARGES: ((), ((keys.ELECTRIC_FIELD, keys.POSITIONS),)),
    keys.POLARIZABILITY: ((), ((keys.ELECTRIC_FIELD, keys.ELECTRIC_FIELD),)),
    keys.EFFECTIVE_FIELD: ((keys.MAGMOMS,), ()),
    keys.TORQUE: ((keys.MAGMOMS,), ()),
}
_NEEDS_PBC = {keys.STRESS, keys.POLARIZATION}


def _variables(model) -> dict[str, bool]:
    """Differentiable variables of ``model``: name → per atom."""
    out = {keys.POSITIONS: True, keys.STRAIN: False}
    out.update({s.name: s.per_atom for s in declared_inputs(model) if s.differentiable})
    return out


def available_properties(model) -> list[str]:
    """The named quantities (:data:`~ennp_lab.keys.DERIVED_PROPERTIES`) that ``model``'s
    declared inputs make derivable (forces and stress always; polarization and Born
    charges with an electric field; effective fields and torques with moments...)."""
    variables = _variables(model)
    heads = declared_outputs(model)
    return [name for name, (first, second) in _RECIPES.items()
            if all(v in variables for v in first) and all(a in variables and b in variables for a, b in second)
            and not (name == keys.TORQUE and not _vector_moments(model)) and name not in heads]


def missing_inputs(name: str, model) -> list[str]:
    """The declared inputs a named quantity is derived from that ``model`` lacks (empty when
    it has them all, or when ``name`` is not a derived quantity)."""
    first, second = _RECIPES.get(name, ((), ()))
    variables = _variables(model)
    needed = dict.fromkeys([*first, *(v for pair in second for v in pair)])
    return [v for v in needed if v not in variables]


def _vector_moments(model) -> bool:
    return any(s.name == keys.MAGMOMS and s.dim == 3 for s in declared_inputs(model))


def _plan(props: set[str], model, graph: AtomGraph) -> tuple[set[str], list[tuple[str, str]]]:
    """First-derivative variables and second-derivative pairs that ``props`` need."""
    variables = _variables(model)
    heads = declared_outputs(model)
    firsts: set[str] = set()
    seconds: list[tuple[str, str]] = []
    for name in sorted(props):
        if name in heads:  # a declared output, not derived
            continue
        raw = keys.parse_derivative(name)
        if raw is not None:
            missing = [v for v in raw if v not in variables]
            if missing:
                raise ValueError(f"cannot differentiate with respect to {missing}: the differentiable variables of "
                                 f"this model are {sorted(variables)}")
            if len(raw) == 1:
                firsts.add(raw[0])
            elif raw not in seconds:
                seconds.append(raw)
            continue
        if name not in _RECIPES:
            raise ValueError(f"unknown properties [{name!r}]; choose from {sorted(available_properties(model))} or "
                             f"keys.gradient(v) / keys.second_derivative(a, b) for v, a, b in {sorted(variables)}")
        first, second = _RECIPES[name]
        missing = sorted((set(first) | {v for pair in second for v in pair}) - set(variables))
        if missing:
            raise ValueError(f"{name} needs the model input(s) {missing}, which this model does not declare")
        if name == keys.TORQUE and not _vector_moments(model):
            raise ValueError("torque needs non-collinear (1e, (N, 3)) magnetic moments; this model takes collinear ones")
        if name in _NEEDS_PBC and not bool(graph.pbc.all()):
            raise ValueError(f"{name} needs structures periodic in all three directions (pbc=True)")
        firsts.update(first)
        seconds += [p for p in second if p not in seconds]
    return firsts, seconds


def apply_strain(graph: AtomGraph, positions: torch.Tensor, cell: torch.Tensor, strain: torch.Tensor):
    """Positions (N, 3) and cells (B, 3, 3) deformed by the symmetrised strain (B, 3, 3):
    x' = x (I + ε̃), cell' = cell (I + ε̃), ε̃ = (ε + εᵀ)/2 (the one strain path)."""
    sym = 0.5 * (strain + strain.transpose(1, 2))
    return positions + torch.einsum("ni,nij->nj", positions, sym[graph.batch]), cell + torch.bmm(cell, sym)


def _evaluate(model, graph: AtomGraph, variables: set[str]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Evaluate ``model`` with a ``requires_grad`` leaf for each of ``variables``."""
    leaves: dict[str, torch.Tensor] = {}
    positions = graph.positions.detach().clone().requires_grad_(keys.POSITIONS in variables)
    if keys.POSITIONS in variables:
        leaves[keys.POSITIONS] = positions
    used_positions, cell = positions, graph.cell
    if keys.STRAIN in variables:
        leaves[keys.STRAIN] = torch.zeros_like(graph.cell, requires_grad=True)
        used_positions, cell = apply_strain(graph, positions, graph.cell, leaves[keys.STRAIN])
    inputs = {v: graph.input(v).detach().clone().requires_grad_(True) for v in variables - {keys.POSITIONS, keys.STRAIN}}
    leaves.update(inputs)
    view = graph.with_inputs(inputs) if inputs else graph
    return leaves, model(view, used_positions, cell)


def _rows(gradient: torch.Tensor, leaves: Sequence[torch.Tensor], per_atom: bool, create_graph: bool) -> list[torch.Tensor]:
    """∂(gradient)/∂leaf for each leaf, one backward pass per component of ``gradient``
    (per structure: summed over the batch, structures being independent; per atom:
    every row). Returns, per leaf, (*s_g, *leaf.shape) or (N, *s_g, *leaf.shape)."""
    if per_atom:
        flat = gradient.reshape(-1)
        rows = range(flat.numel())
        pick = lambda k: flat[k]  # noqa: E731
        lead = tuple(gradient.shape)
    else:
        flat = gradient.reshape(gradient.shape[0], -1)
        rows = range(flat.shape[1])
        pick = lambda k: flat[:, k].sum()  # noqa: E731
        lead = tuple(gradient.shape[1:])
    out = [[] for _ in leaves]
    for k in rows:
        target = pick(k)
        if target.requires_grad:
            parts = torch.autograd.grad(target, list(leaves), retain_graph=True, create_graph=create_graph, allow_unused=True)
        else:
            parts = [None] * len(leaves)
        for o, p, leaf in zip(out, parts, leaves):
            o.append(torch.zeros_like(leaf) if p is None else p)
    return [torch.stack(o).reshape(*lead, *leaf.shape) for o, leaf in zip(out, leaves)]


def _second_derivatives(pairs: list[tuple[str, str]], grads: dict[str, torch.Tensor], leaves: dict[str, torch.Tensor],
                        per_atom: dict[str, bool], create_graph: bool) -> dict[tuple[str, str], torch.Tensor]:
    """Every requested pair, grouped by the variable whose components are looped over."""
    loops: dict[str, list[tuple[str, str]]] = {}
    for a, b in pairs:
        # loop over the per-structure variable when there is one (fewest passes)
        loop = a if (not per_atom[a] or per_atom[b]) else b
        loops.setdefault(loop, []).append((a, b))
    out: dict[tuple[str, str], torch.Tensor] = {}
    for loop, group in loops.items():
        others = [b if loop == a else a for a, b in group]
        unique = list(dict.fromkeys(others))
        blocks = dict(zip(unique, _rows(grads[loop], [leaves[o] for o in unique], per_atom[loop], create_graph)))
        for (a, b), other in zip(group, others):
            block = blocks[other]  # (*lead of loop, *other.shape)
            if not per_atom[loop] and per_atom[other]:
                # (*s_g, N, *s_p) -> (N, *s_g, *s_p)
                n_g = grads[loop].dim() - 1
                block = block.movedim(n_g, 0)
            elif not per_atom[loop] and not per_atom[other]:
                # (*s_a, B, *s_b) -> (B, *s_a, *s_b)
                block = block.movedim(grads[loop].dim() - 1, 0)
            out[(a, b)] = block
    return out


def compute_properties(
    model: PotentialModel,
    graph: AtomGraph,
    properties: Iterable[str] = (keys.ENERGY, keys.FORCES),
    create_graph: bool = False,
) -> dict[str, torch.Tensor]:
    """Evaluate ``model`` on ``graph`` and derive the requested properties.

    Args:
        model: any :class:`~ennp_lab.models.interface.PotentialModel`.
        graph: the batch of B structures (N atoms), already on the model's device, built
            with the model's declared inputs.
        properties: named quantities (``energy``, ``energies``, ``forces``, ``stress``,
            ``hessian``, and where the model's inputs allow ``dipole``, ``polarization``,
            ``born_charges``, ``polarizability``, ``effective_field``, ``torque``) and raw
            derivatives ``keys.gradient(v)``, ``keys.second_derivative(a, b)`` with
            respect to ``positions``, ``strain`` or any declared differentiable input.
            The model's own extra outputs (heads) are always returned as well.
        create_graph: keep the autograd graph of the derivatives (force/stress
            training); otherwise everything returned is detached.

    Returns:
        ``energy`` (B,) eV, ``energies`` (N,) eV, the heads, and each requested name
        (shapes in :mod:`ennp_lab.keys` and the module docstring).

    Raises:
        ValueError: unknown names; a derivative with respect to an input the model does
            not declare; stress or polarization of a structure that is not periodic in
            three dimensions.
    """
    props = set(properties)
    firsts, seconds = _plan(props, model, graph)
    per_atom = _variables(model)
    needed = firsts | {v for pair in seconds for v in pair}
    leaves, outputs = _evaluate(model, graph, needed)
    energy = outputs[keys.ENERGY]
    result: dict[str, torch.Tensor] = dict(outputs)
    grads: dict[str, torch.Tensor] = {}
    if needed:
        names = list(leaves)
        parts = torch.autograd.grad(energy.sum(), [leaves[n] for n in names], create_graph=create_graph or bool(seconds),
                                    allow_unused=True)
        grads = {n: torch.zeros_like(leaves[n]) if g is None else g for n, g in zip(names, parts)}
    second = _second_derivatives(seconds, grads, leaves, per_atom, create_graph) if seconds else {}
    for v in firsts:
        result[keys.gradient(v)] = grads[v]
    for (a, b), value in second.items():
        result[keys.second_derivative(a, b)] = value
    result.update(_named(props - set(outputs), result, graph))
    if not create_graph:
        result = {k: v.detach() for k, v in result.items()}
    # the model's own outputs (energies, heads) always; derivatives as requested
    return {k: v for k, v in result.items() if k in props or k in outputs}


def _named(props: set[str], raw: dict[str, torch.Tensor], graph: AtomGraph) -> dict[str, torch.Tensor]:
    """The physical quantities (module docstring) from the raw derivatives."""
    out: dict[str, torch.Tensor] = {}
    if keys.FORCES in props:
        out[keys.FORCES] = -raw[keys.gradient(keys.POSITIONS)]
    if keys.STRESS in props:
        volumes = graph.volumes().to(raw[keys.STRAIN_GRADIENT].dtype)
        out[keys.STRESS] = raw[keys.STRAIN_GRADIENT] / volumes[:, None, None]
    if keys.HESSIAN in props:
        out[keys.HESSIAN] = raw[keys.second_derivative(keys.POSITIONS, keys.POSITIONS)]
    if keys.DIPOLE in props or keys.POLARIZATION in props:
        dipole = -raw[keys.gradient(keys.ELECTRIC_FIELD)]
        out[keys.DIPOLE] = dipole
        if keys.POLARIZATION in props:
            out[keys.POLARIZATION] = dipole / graph.volumes().to(dipole.dtype)[:, None]
    if keys.BORN_CHARGES in props:
        out[keys.BORN_CHARGES] = -raw[keys.second_derivative(keys.ELECTRIC_FIELD, keys.POSITIONS)]
    if keys.POLARIZABILITY in props:
        out[keys.POLARIZABILITY] = -raw[keys.second_derivative(keys.ELECTRIC_FIELD, keys.ELECTRIC_FIELD)]
    if keys.EFFECTIVE_FIELD in props or keys.TORQUE in props:
        field = -raw[keys.gradient(keys.MAGMOMS)]
        out[keys.EFFECTIVE_FIELD] = field
        if keys.TORQUE in props:
            out[keys.TORQUE] = torch.cross(graph.input(keys.MAGMOMS).to(field.dtype), field, dim=1)
    return out


class HessianOperator:
    """Products of the Hessian of one evaluated structure with vectors, by double backward.

    The gradient g = ∂E/∂x is computed once with its autograd graph kept; each product

        H v = ∂(g · v)/∂x      (eV/Å², applied to v of shape (N, 3))

    then costs one backward pass through that graph, without ever forming H (memory
    O(N), so it scales to thousands of atoms). A Hessian row is the product with a unit
    vector.

    Args:
        positions: the leaf tensor (N, 3) Å the energy was evaluated at.
        gradient: ∂E/∂positions (N, 3) eV/Å, computed with ``create_graph=True``.
    """

    def __init__(self, positions: torch.Tensor, gradient: torch.Tensor) -> None:
        self.positions = positions
        self.gradient = gradient
        self.n_atoms = positions.shape[0]

    @classmethod
    def evaluate(cls, model: PotentialModel, graph: AtomGraph) -> "HessianOperator":
        """Evaluate ``model`` on ``graph`` (one structure, or a block-diagonal batch)."""
        leaves, outputs = _evaluate(model, graph, {keys.POSITIONS})
        positions = leaves[keys.POSITIONS]
        (gradient,) = torch.autograd.grad(outputs[keys.ENERGY].sum(), positions, create_graph=True, allow_unused=True)
        if gradient is None:  # energy independent of positions (no edges)
            gradient = torch.zeros_like(positions)
        return cls(positions, gradient)

    def matvec(self, vectors: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
        """H v for v of shape (N, 3) (or (K, N, 3), one backward pass each); eV/Å² · v."""
        if not self.gradient.requires_grad:  # energy independent of positions (no edges)
            return torch.zeros_like(vectors)
        if vectors.dim() == 3:
            return torch.stack([self.matvec(v, create_graph) for v in vectors])
        (hv,) = torch.autograd.grad(
            self.gradient, self.positions, grad_outputs=vectors, retain_graph=True, create_graph=create_graph
        )
        return hv

    def rows(self, atoms: Sequence[int] | None = None, create_graph: bool = False) -> torch.Tensor:
        """Rows ∂²E/∂x_ia∂x of the listed atoms (all by default), shape (n, 3, N, 3).

        One backward pass per row: 3n passes. (Batched VJPs through
        ``is_grads_batched``/vmap were measured slower than this loop for e3nn models
        on CPU: 11.1 s against 8.1 s for 96 rows.)
        """
        n = self.n_atoms
        index = list(range(n)) if atoms is None else [int(i) for i in atoms]
        if any(i < 0 or i >= n for i in index):
            raise ValueError(f"Hessian rows asked for atoms {index}, but the structure has {n} atoms")
        unit = torch.zeros(len(index), 3, n, 3, dtype=self.positions.dtype, device=self.positions.device)
        for r, i in enumerate(index):
            for a in range(3):
                unit[r, a, i, a] = 1.0
        return self.matvec(unit.reshape(-1, n, 3), create_graph).reshape(len(index), 3, n, 3)

    def third_order_rows(self, atoms: Sequence[int], second: Sequence[int] | None = None) -> torch.Tensor:
        """Third derivatives Φ_{ia,jb,kc} = ∂³E/∂x_ia∂x_jb∂x_kc for the listed atoms i and
        second atoms j (all by default), shape (n, 3, m, 3, N, 3), eV/Å³.

        Each Hessian row h_ia = ∂²E/∂x_ia∂x is formed with its own graph kept (one
        double-backward pass), and each of its entries for the second atoms is
        differentiated once more (a triple-backward pass): 3n (1 + 3m) passes, memory
        O(N) per pass. Exact (no finite-difference step); symmetric in (jb, kc) to rounding.
        """
        n = self.n_atoms
        index = [int(i) for i in atoms]
        pairs = list(range(n)) if second is None else [int(j) for j in second]
        if any(i < 0 or i >= n for i in index + pairs):
            raise ValueError(f"third derivatives asked for atoms {index} × {pairs}, but the structure has {n} atoms")
        out = torch.zeros(len(index), 3, len(pairs), 3, n, 3, dtype=self.positions.dtype, device=self.positions.device)
        if not self.gradient.requires_grad:
            return out
        rows = self.rows(index, create_graph=True)  # (n_i, 3, N, 3), each entry differentiable
        for r in range(len(index)):
            for a in range(3):
                for p, j in enumerate(pairs):
                    for b in range(3):
                        entry = rows[r, a, j, b]
                        if not entry.requires_grad:
                            continue
                        (grad,) = torch.autograd.grad(entry, self.positions, retain_graph=True, allow_unused=True)
                        if grad is not None:
                            out[r, a, p, b] = grad
        return out
