"""An ENNP that predicts the elasticity tensor C_ijkl directly, equivariant by construction.

The tensor's symmetries ``ijkl=jikl=ijlk=klij`` leave 21 components, which e3nn's
``CartesianTensor`` decomposes into irreps 2×0e + 2×2e + 1×4e. The model is an ENNP
(``l_max`` ≥ 4 so that 4e features exist) with a declared per-atom head of exactly
those irreps; the per-atom outputs are averaged over the structure (C is intensive)
and mapped to Cartesian form with ``CartesianTensor.to_cartesian``. Rotating the input
rotates the output as a rank-4 tensor, for any weights.
"""

from __future__ import annotations

from typing import Sequence

import torch
from e3nn.io import CartesianTensor

from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.ennp import ENNP, build_ennp

__all__ = ["ELASTIC_FORMULA", "ElasticTensorModel", "build_elastic_model"]

ELASTIC_FORMULA = "ijkl=jikl=ijlk=klij"
_HEAD = "elastic"


class ElasticTensorModel(torch.nn.Module):
    """ENNP backbone + elastic head → C (B, 3, 3, 3, 3) in eV/Å³."""

    def __init__(self, backbone: ENNP) -> None:
        super().__init__()
        if _HEAD not in backbone.config.heads:
            raise ValueError(f"the backbone needs a head {_HEAD!r} with irreps {CartesianTensor(ELASTIC_FORMULA)}")
        self.backbone = backbone
        self.cartesian = CartesianTensor(ELASTIC_FORMULA)

    @property
    def cutoff(self) -> float:
        return self.backbone.cutoff

    @property
    def dtype(self) -> torch.dtype:
        return self.backbone.dtype

    def irreps_output(self, graph: AtomGraph) -> torch.Tensor:
        """(B, 21) mean over each structure's atoms of the head's irreps."""
        per_atom = self.backbone(graph)[_HEAD + "_per_atom"]
        counts = torch.bincount(graph.batch, minlength=graph.num_graphs).to(per_atom.dtype)
        summed = torch.zeros(graph.num_graphs, per_atom.shape[1], dtype=per_atom.dtype, device=per_atom.device)
        summed.index_add_(0, graph.batch, per_atom)
        return summed / counts[:, None]

    def forward(self, graph: AtomGraph) -> torch.Tensor:
        """C_ijkl (B, 3, 3, 3, 3), eV/Å³."""
        return self.cartesian.to_cartesian(self.irreps_output(graph))


def build_elastic_model(
    species: Sequence[int | str],
    r_max: float = 4.5,
    channels: int = 8,
    layers: int = 2,
    seed: int = 0,
    dtype: str = "float64",
) -> ElasticTensorModel:
    """An :class:`ElasticTensorModel` (l_max = 4, the lowest that carries 4e features)."""
    backbone = build_ennp(
        species, r_max=r_max, l_max=4, channels=channels, layers=layers, seed=seed, dtype=dtype,
        heads={_HEAD: str(CartesianTensor(ELASTIC_FORMULA))},
    )
    return ElasticTensorModel(backbone)
