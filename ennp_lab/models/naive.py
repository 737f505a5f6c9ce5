"""A deliberately non-equivariant potential, for teaching what symmetry leakage looks like.

What a first attempt at a machine-learned potential often is: a per-atom MLP fed raw
Cartesian numbers,

    E = Σ_i s · MLP([one-hot z_i, inputs_i]),

where ``inputs_i`` concatenates any of

* ``"neighbors"``: displacement vectors r_ij to the k nearest neighbours, in order of
  distance, flattened (not rotated into any frame) → breaks rotations and reflections;
* ``"position"``: the absolute position x_i → breaks translations (and wrapping);
* ``"index"``: sin/cos of the atom's index in the list → breaks permutations;
* ``"cell"``: the first lattice vector as stored → breaks a change of lattice basis;
* ``"magmom"``: the atom's collinear initial magnetic moment m (a declared per-atom
  scalar, odd under time reversal), fed as (0, 0, m) → breaks time reversal.

Forces and stress come from the energy as for every model (so they are conservative;
only their symmetry is wrong). It follows the :class:`~ennp_lab.models.interface.PotentialModel`
protocol, so :class:`~ennp_lab.calculator.ENNPCalculator` runs it.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import ModelBase, sum_per_graph
from ennp_lab.nn import SpeciesIndex
from ennp_lab.spec import COLLINEAR_MAGMOMS_INPUT, InputSpec

__all__ = ["NAIVE_INPUTS", "NaiveCartesianModel"]

NAIVE_INPUTS = ("neighbors", "position", "index", "cell", "magmom")


class NaiveCartesianModel(ModelBase):
    """Per-atom MLP on raw Cartesian inputs (see the module docstring).

    Args:
        species: elements (symbols or atomic numbers) it knows.
        cutoff: neighbour cutoff (Å).
        k: number of nearest neighbours fed in (missing ones padded with zeros).
        inputs: which symmetry-breaking inputs to use (subset of :data:`NAIVE_INPUTS`).
        hidden: MLP width.
        scale: energy scale s (eV).
        seed: weight initialisation seed.
        dtype: parameter dtype.
    """

    def __init__(
        self,
        species: Sequence[int | str],
        cutoff: float = 4.0,
        k: int = 4,
        inputs: Sequence[str] = NAIVE_INPUTS,
        hidden: int = 32,
        scale: float = 0.5,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        from ennp_lab.models.ennp import _atomic_number

        unknown = set(inputs) - set(NAIVE_INPUTS)
        if unknown:
            raise ValueError(f"unknown inputs {sorted(unknown)}; choose from {NAIVE_INPUTS}")
        #: the symmetry-breaking features it is fed (subset of :data:`NAIVE_INPUTS`)
        self.features = tuple(i for i in NAIVE_INPUTS if i in inputs)
        self.k = int(k)
        self._cutoff = float(cutoff)
        self._species = tuple(sorted({_atomic_number(s) for s in species}))
        self.species_index = SpeciesIndex(self._species)
        width = {"neighbors": 3 * self.k, "position": 3, "index": 2, "cell": 3, "magmom": 3}
        n_in = len(self._species) + sum(width[i] for i in self.features)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(n_in, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                torch.nn.Linear(hidden, 1),
            ).to(dtype)
        self.register_buffer("scale", torch.tensor(float(scale), dtype=dtype))

    @property
    def cutoff(self) -> float:
        return self._cutoff

    @property
    def species(self) -> tuple[int, ...]:
        return self._species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        """Collinear magnetic moments (optional, zeros when absent) if fed the ``"magmom"`` feature."""
        return (COLLINEAR_MAGMOMS_INPUT,) if "magmom" in self.features else ()


    def _nearest(self, graph: AtomGraph, vectors: torch.Tensor) -> torch.Tensor:
        """(N, 3k) displacement vectors to the k nearest neighbours, nearest first."""
        n = graph.num_atoms
        center = graph.edge_index[0]
        lengths = torch.linalg.norm(vectors, dim=-1).detach()
        order = torch.argsort(lengths, stable=True)
        order = order[torch.argsort(center[order], stable=True)]  # by center, then length
        counts = torch.bincount(center, minlength=n)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(len(order), device=vectors.device) - starts[center[order]]
        keep = rank < self.k
        out = torch.zeros(n, self.k, 3, dtype=vectors.dtype, device=vectors.device)
        out = out.index_put((center[order][keep], rank[keep]), vectors[order][keep])
        return out.reshape(n, 3 * self.k)

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        pos = graph.positions if positions is None else positions
        cel = graph.cell if cell is None else cell
        idx = self.species_index(graph.numbers)
        parts = [self.species_index.one_hot(idx, self.dtype)]
        if "neighbors" in self.features:
            parts.append(self._nearest(graph, graph.edge_vectors(positions, cell)))
        if "position" in self.features:
            parts.append(pos)
        if "index" in self.features:
            starts = torch.cumsum(graph.atoms_per_graph, 0) - graph.atoms_per_graph
            i = (torch.arange(graph.num_atoms, device=pos.device) - starts[graph.batch]).to(self.dtype)
            parts.append(torch.stack([torch.sin(0.7 * i), torch.cos(0.7 * i)], dim=1))
        if "cell" in self.features:
            parts.append(cel[graph.batch, 0])
        if "magmom" in self.features:
            m = graph.input(keys.MAGMOMS).to(self.dtype)  # (N, 1)
            parts.append(torch.cat([torch.zeros_like(m), torch.zeros_like(m), m], dim=1))
        energies = self.scale * self.mlp(torch.cat([p.to(self.dtype) for p in parts], dim=1)).squeeze(-1)
        return {keys.ENERGIES: energies, keys.ENERGY: sum_per_graph(energies, graph)}
