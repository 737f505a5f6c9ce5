"""An ENNP that predicts the elasticity tensor C_ijkl directly, equivariant by construction.

The tensor's symmetries ``ijkl=jikl=ijlk=klij`` leave 21 components, which e3nn's
``CartesianTensor`` decomposes into irreps 2×0e + 2×2e + 1×4e. The model is an ENNP
(``l_max`` ≥ 4 so that 4e features exist) with a declared per-atom head of exactly
those irreps; the per-atom outputs are averaged over the structure (C is intensive)
and mapped to Cartesian form with e3nn's ``CartesianTensor`` change of basis (made exact
in float64 by :func:`~ennp_lab.nn.constants.exact_cartesian_basis`). Rotating the input
rotates the output as a rank-4 tensor, for any weights.

It is a :class:`~ennp_lab.models.interface.PotentialModel` (the backbone's energy) whose
declared output ``elastic_tensor`` is intensive (``reduction="mean"``) and given in
Cartesian form (``OutputSpec.cartesian``), so the calculator, the symmetry report and
the test suite handle it like any other head.
"""

from __future__ import annotations

from typing import Sequence

import torch
from e3nn.io import CartesianTensor

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.ennp import ENNP, build_ennp
from ennp_lab.models.interface import ModelBase, sum_per_graph
from ennp_lab.nn.constants import exact_cartesian_basis
from ennp_lab.spec import OutputSpec

__all__ = ["ELASTIC_FORMULA", "ELASTIC_TENSOR", "ElasticTensorModel", "build_elastic_model"]

ELASTIC_FORMULA = "ijkl=jikl=ijlk=klij"
#: the declared output: C_ijkl (B, 3, 3, 3, 3) eV/Å³
ELASTIC_TENSOR = "elastic_tensor"
_HEAD = "elastic"


class ElasticTensorModel(ModelBase):
    """ENNP backbone + elastic head → ``elastic_tensor`` C (B, 3, 3, 3, 3) in eV/Å³."""

    def __init__(self, backbone: ENNP) -> None:
        super().__init__()
        if _HEAD not in backbone.config.heads:
            raise ValueError(f"the backbone needs a head {_HEAD!r} with irreps {CartesianTensor(ELASTIC_FORMULA)}")
        self.backbone = backbone
        self.cartesian = CartesianTensor(ELASTIC_FORMULA)
        #: (21, 3, 3, 3, 3) irreps → Cartesian, exact (e3nn's own is float32-rounded)
        self.register_buffer("change_of_basis", exact_cartesian_basis(ELASTIC_FORMULA).to(backbone.dtype))

    @property
    def cutoff(self) -> float:
        return self.backbone.cutoff

    @property
    def species(self) -> tuple[int, ...]:
        return self.backbone.species

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        return {ELASTIC_TENSOR: OutputSpec(ELASTIC_TENSOR, str(self.cartesian), per_atom=False, reduction="mean",
                                           cartesian=ELASTIC_FORMULA)}

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor]:
        """The backbone's ``energy`` and ``energies``, and ``elastic_tensor`` C_ijkl
        (B, 3, 3, 3, 3) eV/Å³ from the mean over each structure's atoms of the head."""
        out = self.backbone(graph, positions, cell)
        mean = sum_per_graph(out[keys.per_atom(_HEAD)], graph, reduction="mean")  # (B, 21)
        cart = (mean @ self.change_of_basis.flatten(1)).reshape(-1, 3, 3, 3, 3)
        return {keys.ENERGY: out[keys.ENERGY], keys.ENERGIES: out[keys.ENERGIES], ELASTIC_TENSOR: cart}


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
