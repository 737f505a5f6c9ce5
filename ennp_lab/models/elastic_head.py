"""An ENNP that predicts the elasticity tensor C_ijkl directly, equivariant by construction.

The tensor's symmetries ``ijkl=jikl=ijlk=klij`` leave 21 components, which e3nn's
``CartesianTensor`` decomposes into irreps 2×0e + 2×2e + 1×4e. The model is an ENNP
(``l_max`` ≥ 4 so that 4e features exist) with a declared per-atom head of exactly
those irreps; the per-atom outputs are averaged over the structure (C is intensive)
and mapped to Cartesian form with e3nn's ``CartesianTensor`` change of basis (made exact
in float64 by :func:`~ennp_lab.nn.constants.exact_cartesian_basis`). Rotating the input
rotates the output as a rank-4 tensor, for any weights.

It is the :class:`~ennp_lab.models.tensor_head.CartesianTensorModel` of one head: a
:class:`~ennp_lab.models.interface.PotentialModel` (the backbone's energy) whose declared
output ``elastic_tensor`` is intensive (``reduction="mean"``) and given in Cartesian form
(``OutputSpec.cartesian``), so the calculator, the symmetry report and the test suite
handle it like any other head.
"""

from __future__ import annotations

from typing import Sequence

from e3nn.io import CartesianTensor

from ennp_lab.models.ennp import ENNP, build_ennp
from ennp_lab.models.tensor_head import CartesianTensorModel, TensorHead

__all__ = ["ELASTIC_FORMULA", "ELASTIC_TENSOR", "ELASTIC_HEAD", "ElasticTensorModel", "build_elastic_model"]

ELASTIC_FORMULA = "ijkl=jikl=ijlk=klij"
#: the declared output: C_ijkl (B, 3, 3, 3, 3) eV/Å³
ELASTIC_TENSOR = "elastic_tensor"
#: the head: intensive (the mean over each structure's atoms)
ELASTIC_HEAD = TensorHead(ELASTIC_TENSOR, ELASTIC_FORMULA, "mean")


class ElasticTensorModel(CartesianTensorModel):
    """ENNP backbone + elastic head → ``elastic_tensor`` C (B, 3, 3, 3, 3) in eV/Å³."""

    def __init__(self, backbone: ENNP) -> None:
        super().__init__(backbone, [ELASTIC_HEAD])
        self.cartesian = CartesianTensor(ELASTIC_FORMULA)


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
        heads={ELASTIC_TENSOR: ELASTIC_HEAD.irreps},
    )
    return ElasticTensorModel(backbone)
