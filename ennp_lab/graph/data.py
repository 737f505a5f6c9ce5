"""`AtomGraph`: one or many structures as a batched, periodic neighbor graph of tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from ase import Atoms

from ennp_lab.graph.neighbors import _periodic_basis, neighbor_list, perpendicular_widths
from ennp_lab.spec import InputSpec, read_inputs

__all__ = ["AtomGraph", "validate_atoms", "MIN_DISTANCE"]

#: Two atoms closer than this (Å) are rejected as overlapping.
MIN_DISTANCE = 0.1
#: Above this estimated number of neighbors per atom the cutoff is rejected for the cell.
MAX_NEIGHBORS_PER_ATOM = 5000


def validate_atoms(atoms: Atoms, cutoff: float | None = None) -> None:
    """Raise a clear ``ValueError`` for structures no potential can evaluate.

    Checks: not an ``ase.Atoms``; empty; unknown chemical symbol (Z = 0); non-finite
    positions or cell; a degenerate (zero-volume / zero-area / zero-length) cell along the
    periodic directions; a cutoff that would give an absurd number of periodic images.
    Overlapping atoms (closer than :data:`MIN_DISTANCE`) are detected when the graph is
    built, from the neighbor list itself, so periodic images are included.
    """
    if not isinstance(atoms, Atoms):
        raise ValueError(f"expected an ase.Atoms, got {type(atoms).__name__}")
    if len(atoms) == 0:
        raise ValueError("empty Atoms: a structure needs at least one atom")
    numbers = atoms.numbers
    if np.any(numbers <= 0) or np.any(numbers > 118):
        bad = sorted(set(int(z) for z in numbers[(numbers <= 0) | (numbers > 118)]))
        raise ValueError(f"unknown element (atomic number {bad}) in a structure of {len(atoms)} atoms")
    positions = atoms.positions
    if not np.all(np.isfinite(positions)):
        bad = np.nonzero(~np.all(np.isfinite(positions), axis=1))[0]
        raise ValueError(f"non-finite (NaN/inf) positions for atoms {bad[:10].tolist()}")
    cell = np.asarray(atoms.cell[:], dtype=float)
    if not np.all(np.isfinite(cell)):
        raise ValueError("non-finite (NaN/inf) values in the cell")
    pbc = np.asarray(atoms.pbc, dtype=bool)
    if pbc.any():
        periodic = cell[pbc]
        lengths = np.linalg.norm(periodic, axis=1)
        # Volume (3D), area (2D) or length (1D) spanned by the periodic vectors, relative
        # to the product of their lengths: 0 for a degenerate cell.
        gram = periodic @ periodic.T
        measure = math.sqrt(max(np.linalg.det(gram), 0.0))
        if np.any(lengths < 1e-8) or measure < 1e-10 * np.prod(np.maximum(lengths, 1e-300)) or measure < 1e-8:
            kind = {3: "zero-volume", 2: "zero-area", 1: "zero-length"}[int(pbc.sum())]
            raise ValueError(
                f"{kind} cell along the periodic directions (pbc={pbc.tolist()}, "
                f"cell={cell.round(6).tolist()}): the lattice vectors must be linearly independent"
            )
        if cutoff is not None:
            # images of one atom within the cutoff: Π over periodic directions of (2 ⌈r_c/w_k⌉ + 1),
            # w_k the perpendicular width of the periodic lattice (a thin direction means millions)
            widths = perpendicular_widths(_periodic_basis(cell, pbc))[pbc]
            images = float(np.prod(2.0 * np.ceil(cutoff / widths) + 1.0))
            if images > MAX_NEIGHBORS_PER_ATOM:
                raise ValueError(
                    f"cutoff {cutoff} Å is too large for this cell: it is only {widths.min():.3g} Å wide along a "
                    f"periodic direction (pbc={pbc.tolist()}), so each atom would see ~{images:.3g} periodic images"
                )
        if cutoff is not None and pbc.all():
            volume = abs(np.linalg.det(cell))
            per_atom = len(atoms) / volume * 4.0 / 3.0 * math.pi * cutoff**3
            if per_atom > MAX_NEIGHBORS_PER_ATOM:
                raise ValueError(
                    f"cutoff {cutoff} Å is too large for this cell (volume {volume:.3g} Å³, "
                    f"{len(atoms)} atoms): about {per_atom:.0f} neighbors per atom"
                )


@dataclass(frozen=True)
class AtomGraph:
    """A batch of B structures with N atoms in total and E directed edges.

    Attributes:
        positions: (N, 3) Cartesian positions (Å).
        numbers: (N,) atomic numbers (int64).
        cell: (B, 3, 3) lattice vectors as rows (Å); zero rows where not periodic.
        pbc: (B, 3) periodicity per structure and direction (bool).
        edge_index: (2, E) int64; row 0 the center i, row 1 the neighbor j.
        shifts: (E, 3) int64 integer cell shifts S, r_ij = x_j − x_i + S · cell.
        batch: (N,) int64 structure index of each atom.
        cutoff: the neighbor cutoff (Å) the edges were built with.
        node_inputs: declared per-atom inputs (:class:`~ennp_lab.spec.InputSpec`),
            name → (N, d), e.g. magnetic moments (N, 3) μ_B.
        global_inputs: declared per-structure inputs, name → (B, d), e.g. an electric
            field (B, 3) V/Å.
    """

    positions: torch.Tensor
    numbers: torch.Tensor
    cell: torch.Tensor
    pbc: torch.Tensor
    edge_index: torch.Tensor
    shifts: torch.Tensor
    batch: torch.Tensor
    cutoff: float
    node_inputs: dict[str, torch.Tensor] = field(default_factory=dict)
    global_inputs: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def num_graphs(self) -> int:
        """Number of structures B."""
        return int(self.cell.shape[0])

    @property
    def num_atoms(self) -> int:
        """Total number of atoms N."""
        return int(self.positions.shape[0])

    @property
    def num_edges(self) -> int:
        """Number of directed edges E."""
        return int(self.edge_index.shape[1])

    @property
    def atoms_per_graph(self) -> torch.Tensor:
        """(B,) number of atoms in each structure."""
        return torch.bincount(self.batch, minlength=self.num_graphs)

    def edge_vectors(self, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> torch.Tensor:
        """(E, 3) edge vectors r_ij = x_j − x_i + S·cell (Å), differentiable in both inputs.

        ``positions``/``cell`` default to the graph's own; pass strained or
        ``requires_grad`` copies to differentiate (forces, stress).
        """
        pos = self.positions if positions is None else positions
        cel = self.cell if cell is None else cell
        i, j = self.edge_index
        edge_cell = cel[self.batch[i]]  # (E, 3, 3)
        offsets = torch.einsum("ek,ekl->el", self.shifts.to(pos.dtype), edge_cell)
        return pos[j] - pos[i] + offsets

    def input(self, name: str) -> torch.Tensor:
        """A declared input: (N, d) per atom or (B, d) per structure.

        Raises:
            ValueError: the graph was built without it.
        """
        if name in self.node_inputs:
            return self.node_inputs[name]
        if name in self.global_inputs:
            return self.global_inputs[name]
        held = sorted(self.node_inputs) + sorted(self.global_inputs)
        raise ValueError(f"the graph carries no input {name!r} (it has {held or 'none'}); build it with "
                         f"AtomGraph.from_atoms(..., inputs=model.inputs)")

    def with_inputs(self, values: Mapping[str, torch.Tensor]) -> "AtomGraph":
        """A copy with some declared inputs replaced (e.g. by ``requires_grad`` leaves)."""
        node, glob = dict(self.node_inputs), dict(self.global_inputs)
        for name, value in values.items():
            target = node if name in node else glob if name in glob else None
            if target is None:
                self.input(name)  # raises, naming the input
            if value.shape != target[name].shape:
                raise ValueError(f"input {name!r} must keep its shape {tuple(target[name].shape)}, got {tuple(value.shape)}")
            target[name] = value
        return replace(self, node_inputs=node, global_inputs=glob)

    def volumes(self) -> torch.Tensor:
        """(B,) |det cell| (Å³); zero for structures that are not periodic in 3D."""
        return torch.linalg.det(self.cell).abs()

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "AtomGraph":
        """A copy on ``device`` with floating tensors cast to ``dtype``."""
        def move(value: torch.Tensor) -> torch.Tensor:
            if value.is_floating_point() and dtype is not None:
                value = value.to(dtype=dtype)
            return value.to(device=device) if device is not None else value

        changes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                changes[f.name] = move(value)
            elif isinstance(value, dict):
                changes[f.name] = {k: move(v) for k, v in value.items()}
        return replace(self, **changes)

    @classmethod
    def from_atoms(
        cls,
        atoms: Atoms | Sequence[Atoms],
        cutoff: float,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
        inputs: Sequence[InputSpec] = (),
        values: Mapping[str, Any] | None = None,
    ) -> "AtomGraph":
        """Build the graph of one structure or a batch of them (one neighbor list each).

        Args:
            atoms: one structure or a list of them.
            cutoff: neighbor cutoff (Å).
            dtype, device: of the floating tensors.
            inputs: the model's declared inputs, read from each structure
                (:func:`~ennp_lab.spec.read_inputs`).
            values: explicit input values (the same for every structure; e.g. a
                calculator's field), taking precedence over what the Atoms hold.

        Raises:
            ValueError: for bad input (see :func:`validate_atoms`), two atoms closer
                than :data:`MIN_DISTANCE` Å (periodic images included), or a missing or
                malformed declared input.
        """
        frames = [atoms] if isinstance(atoms, Atoms) else list(atoms)
        if len(frames) == 0:
            raise ValueError("no structures given: pass an ase.Atoms or a non-empty list of them")
        if not cutoff > MIN_DISTANCE:
            raise ValueError(f"cutoff must be larger than {MIN_DISTANCE} Å, got {cutoff}")
        graphs = []
        for b, frame in enumerate(frames):
            try:
                graphs.append(cls._from_single(frame, cutoff, dtype, device, inputs, values))
            except ValueError as exc:
                if len(frames) == 1:
                    raise
                raise ValueError(f"structure {b}: {exc}") from exc
        return graphs[0] if len(graphs) == 1 else cls.collate(graphs)

    @classmethod
    def _from_single(cls, atoms: Atoms, cutoff: float, dtype: torch.dtype, device: torch.device | str,
                     inputs: Sequence[InputSpec] = (), values: Mapping[str, Any] | None = None) -> "AtomGraph":
        validate_atoms(atoms, cutoff)
        read = read_inputs(atoms, inputs, values)
        per_atom = {s.name for s in inputs if s.per_atom}
        pbc = np.asarray(atoms.pbc, dtype=bool)
        cell = np.where(pbc[:, None], np.asarray(atoms.cell[:], dtype=float), 0.0)
        i, j, s, d = neighbor_list(atoms.positions, cell, pbc, cutoff)
        if len(d) and d.min() < MIN_DISTANCE:
            k = int(np.argmin(d))
            raise ValueError(
                f"atoms {int(i[k])} and {int(j[k])} are {d[k]:.4f} Å apart "
                f"(closer than {MIN_DISTANCE} Å): overlapping atoms"
            )
        as_f = dict(dtype=dtype, device=device)
        as_i = dict(dtype=torch.int64, device=device)
        return cls(
            positions=torch.as_tensor(np.asarray(atoms.positions, dtype=float), **as_f),
            numbers=torch.as_tensor(atoms.numbers.astype(np.int64), **as_i),
            cell=torch.as_tensor(cell[None], **as_f),
            pbc=torch.as_tensor(pbc[None], device=device),
            edge_index=torch.as_tensor(np.stack([i, j]), **as_i),
            shifts=torch.as_tensor(s, **as_i),
            batch=torch.zeros(len(atoms), **as_i),
            cutoff=float(cutoff),
            node_inputs={k: torch.as_tensor(v, **as_f) for k, v in read.items() if k in per_atom},
            global_inputs={k: torch.as_tensor(v[None], **as_f) for k, v in read.items() if k not in per_atom},
        )

    @classmethod
    def collate(cls, graphs: Sequence["AtomGraph"]) -> "AtomGraph":
        """Concatenate graphs into one batch (edge and structure indices offset; no new neighbor lists).

        Raises:
            ValueError: for an empty list or graphs built with different cutoffs.
        """
        graphs = list(graphs)
        if not graphs:
            raise ValueError("no graphs to collate")
        cutoffs = {g.cutoff for g in graphs}
        if len(cutoffs) > 1:
            raise ValueError(f"cannot collate graphs built with different cutoffs {sorted(cutoffs)}")
        atom_offsets = np.cumsum([0] + [g.num_atoms for g in graphs[:-1]]).tolist()
        graph_offsets = np.cumsum([0] + [g.num_graphs for g in graphs[:-1]]).tolist()
        return cls(
            positions=torch.cat([g.positions for g in graphs]),
            numbers=torch.cat([g.numbers for g in graphs]),
            cell=torch.cat([g.cell for g in graphs]),
            pbc=torch.cat([g.pbc for g in graphs]),
            edge_index=torch.cat([g.edge_index + off for g, off in zip(graphs, atom_offsets)], dim=1),
            shifts=torch.cat([g.shifts for g in graphs]),
            batch=torch.cat([g.batch + off for g, off in zip(graphs, graph_offsets)]),
            cutoff=graphs[0].cutoff,
            node_inputs=_collate_inputs(graphs, "node_inputs"),
            global_inputs=_collate_inputs(graphs, "global_inputs"),
        )


def _collate_inputs(graphs: Sequence[AtomGraph], kind: str) -> dict[str, torch.Tensor]:
    """Concatenate one kind of declared inputs; every graph must carry the same names."""
    names = {tuple(sorted(getattr(g, kind))) for g in graphs}
    if len(names) > 1:
        raise ValueError(f"cannot batch graphs carrying different inputs: {sorted(names)}")
    return {name: torch.cat([getattr(g, kind)[name] for g in graphs]) for name in getattr(graphs[0], kind)}
