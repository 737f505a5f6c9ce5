"""Toy models with optional inputs, for the shipped suite (not package code).

Both are sums of smooth pair terms with the envelope w(r) = (1 − (r/r_c)²)³ (zero value,
slope and curvature at r_c), built only on the protocol (declared inputs, graph edges):

* :class:`FieldToy`: a polar local vector d_i = Σ_j w(r_ij) a_{Z_j} r_ij couples to an
  electric field ℰ (1o, per structure):
  E_i = Σ_j w(r_ij) b + c (ℰ · d_i) + ½ α (ℰ · d_i)²  → dipole, Born charges, polarizability.
* :class:`MomentToy`: axial moments m_i (1e, per atom, time-odd) with a Heisenberg term
  and a uniaxial anisotropy along the polar local vector:
  E_i = Σ_j w(r_ij) (b + J m_i · m_j) + K (m_i · d_i)²  → effective fields, torques.
"""

from __future__ import annotations

import torch

from ennp_lab import keys
from ennp_lab.models.interface import sum_per_graph
from ennp_lab.spec import ELECTRIC_FIELD_INPUT, MAGMOMS_INPUT


class _PairToy(torch.nn.Module):
    def __init__(self, species=(29, 79), cutoff: float = 3.5, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self._species = tuple(species)
        self._cutoff = float(cutoff)
        self.a = torch.nn.Parameter(0.1 + torch.rand(119, generator=g, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(-0.2, dtype=torch.float64))

    @property
    def cutoff(self):
        return self._cutoff

    @property
    def species(self):
        return self._species

    @property
    def dtype(self):
        return self.b.dtype

    @property
    def device(self):
        return self.b.device

    @property
    def outputs(self):
        return {}

    def _pairs(self, graph, positions, cell):
        vectors = graph.edge_vectors(positions, cell)
        r = torch.linalg.norm(vectors, dim=1)
        keep = r < self._cutoff
        i, j = graph.edge_index[:, keep]
        w = (1.0 - (r[keep] / self._cutoff) ** 2) ** 3
        d = torch.zeros(graph.num_atoms, 3, dtype=self.dtype).index_add(0, i, (w * self.a[graph.numbers[j]])[:, None] * vectors[keep])
        pair = torch.zeros(graph.num_atoms, dtype=self.dtype).index_add(0, i, w * self.b)
        return i, j, w, d, pair

    def _out(self, graph, energies):
        return {keys.ENERGIES: energies, keys.ENERGY: sum_per_graph(energies, graph)}


class FieldToy(_PairToy):
    inputs = (ELECTRIC_FIELD_INPUT,)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.c = torch.nn.Parameter(torch.tensor(0.7, dtype=torch.float64))
        self.alpha = torch.nn.Parameter(torch.tensor(0.3, dtype=torch.float64))

    def forward(self, graph, positions=None, cell=None):
        _, _, _, d, pair = self._pairs(graph, positions, cell)
        field = graph.input(keys.ELECTRIC_FIELD)[graph.batch]  # (N, 3)
        coupling = (field * d).sum(dim=1)
        return self._out(graph, pair + self.c * coupling + 0.5 * self.alpha * coupling**2)


class MomentToy(_PairToy):
    inputs = (MAGMOMS_INPUT,)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.J = torch.nn.Parameter(torch.tensor(-0.05, dtype=torch.float64))
        self.K = torch.nn.Parameter(torch.tensor(0.02, dtype=torch.float64))

    def forward(self, graph, positions=None, cell=None):
        i, j, w, d, pair = self._pairs(graph, positions, cell)
        m = graph.input(keys.MAGMOMS)
        heisenberg = torch.zeros(graph.num_atoms, dtype=self.dtype).index_add(0, i, w * self.J * (m[i] * m[j]).sum(dim=1))
        anisotropy = self.K * (m * d).sum(dim=1) ** 2
        return self._out(graph, pair + heisenberg + anisotropy)
