"""Heads that predict Cartesian tensors directly, equivariant by construction.

A tensor with index symmetries given by an e3nn ``CartesianTensor`` formula is a sum of
irreps; a per-atom :class:`~ennp_lab.models.ennp.ENNP` head of exactly those irreps,
reduced over each structure and mapped to Cartesian form by the formula's change of
basis (exact in float64, :func:`~ennp_lab.nn.constants.exact_cartesian_basis`), rotates
as the tensor does for any weights. The electric-response tensors:

=====================  ===========  ============================  =========================
tensor                 formula      irreps                        reduction
=====================  ===========  ============================  =========================
polarization P_i       ``i``        1o                            Σ_i μ_i / Ω (``volume``)
Born charges Z*_κ,ij   ``ij``       0e + 1e + 2e                  per atom (``atom``)
piezoelectric e_ijk    ``ijk=ikj``  2×1o + 2o + 3o                mean (intensive)
elasticity C_ijkl      see :mod:`~ennp_lab.models.elastic_head`   mean
=====================  ===========  ============================  =========================

Heads of odd-l even-parity (1e) or even-l odd-parity (2o) irreps need hidden features of
both parities: :func:`build_tensor_model` gives the backbone every irrep up to
``l_max`` with both parities. The model is a
:class:`~ennp_lab.models.interface.PotentialModel` (the backbone's energy; a field input
too with ``electric_field=True``) whose declared outputs are given in Cartesian form, so
the calculator, the training engine (targets by head name, labels in ``atoms.info`` or
``atoms.arrays``) and the symmetry checks take them like any other head. A direct head is
a fit of its own, not the derivative of the energy: the derived P, Z* and e of a
field-aware backbone remain available beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from e3nn import o3
from e3nn.io import CartesianTensor

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.ennp import ENNP, build_ennp
from ennp_lab.models.interface import ModelBase, sum_per_graph
from ennp_lab.nn.constants import exact_cartesian_basis
from ennp_lab.spec import InputSpec, OutputSpec

__all__ = ["TensorHead", "POLARIZATION_HEAD", "BORN_CHARGES_HEAD", "PIEZOELECTRIC_HEAD", "CartesianTensorModel",
           "build_tensor_model"]

_REDUCTIONS = ("mean", "sum", "volume", "atom")


@dataclass(frozen=True)
class TensorHead:
    """One directly predicted tensor.

    Attributes:
        name: the output (and backbone head) name.
        formula: its e3nn ``CartesianTensor`` formula.
        reduction: per structure "mean" (intensive), "sum" (extensive), "volume" (Σ over
            atoms / cell volume: a density such as P), or "atom" (per atom, with the sum
            per structure beside it).
    """

    name: str
    formula: str
    reduction: str = "mean"

    def __post_init__(self) -> None:
        if self.reduction not in _REDUCTIONS:
            raise ValueError(f"head {self.name!r}: reduction must be one of {_REDUCTIONS}, got {self.reduction!r}")
        try:
            CartesianTensor(self.formula)
        except Exception as exc:  # e3nn raises assorted errors for a malformed formula
            raise ValueError(f"head {self.name!r}: {self.formula!r} is not a CartesianTensor formula ({exc})") from exc

    @property
    def irreps(self) -> str:
        return str(CartesianTensor(self.formula))

    @property
    def rank(self) -> int:
        return len(self.formula.split("=")[0])

    @property
    def spec(self) -> OutputSpec:
        per_atom = self.reduction == "atom"
        return OutputSpec(self.name, self.irreps, per_atom=per_atom,
                          reduction="sum" if self.reduction in ("sum", "atom") else "mean", cartesian=self.formula)


#: P (B, 3) e/Å², the sum of per-atom dipoles over the cell volume
POLARIZATION_HEAD = TensorHead("polarization_head", "i", "volume")
#: Z* (N, 3, 3) e per atom (field index first), and its per-structure sum (the sum-rule violation)
BORN_CHARGES_HEAD = TensorHead("born_charges_head", "ij", "atom")
#: e_ijk (B, 3, 3, 3) e/Å², symmetric in the strain indices jk
PIEZOELECTRIC_HEAD = TensorHead("piezoelectric_head", "ijk=ikj", "mean")


class CartesianTensorModel(ModelBase):
    """ENNP backbone + tensor heads → Cartesian tensors (module docstring)."""

    def __init__(self, backbone: ENNP, heads: Sequence[TensorHead]) -> None:
        super().__init__()
        heads = tuple(heads)
        if not heads:
            raise ValueError("a tensor model needs at least one TensorHead")
        for head in heads:
            have = backbone.config.heads.get(head.name)
            if have is None or o3.Irreps(have) != o3.Irreps(head.irreps):
                raise ValueError(f"the backbone needs a head {head.name!r} with irreps {head.irreps} "
                                 f"(the formula {head.formula!r}), it has {have!r}")
        self.backbone = backbone
        self.tensor_heads = heads
        for head in heads:  # (D, 3, …, 3) irreps → Cartesian, exact (e3nn's own is float32-rounded)
            self.register_buffer(f"basis_{head.name}", exact_cartesian_basis(head.formula).to(backbone.dtype))

    @property
    def cutoff(self) -> float:
        return self.backbone.cutoff

    @property
    def species(self) -> tuple[int, ...]:
        return self.backbone.species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return self.backbone.inputs

    @property
    def energy_shift(self) -> torch.Tensor:
        """The backbone's per-species shift (what the training engine fits first)."""
        return self.backbone.energy_shift

    @property
    def energy_scale(self) -> torch.Tensor:
        return self.backbone.energy_scale

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        return {head.name: head.spec for head in self.tensor_heads}

    def _cartesian(self, head: TensorHead, values: torch.Tensor) -> torch.Tensor:
        basis = getattr(self, f"basis_{head.name}")
        return (values @ basis.flatten(1)).reshape(-1, *([3] * head.rank))

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor]:
        """The backbone's ``energy`` and ``energies``, and each head's tensor: (B, 3, …) per
        structure, and for per-atom heads also ``keys.per_atom(name)`` (N, 3, …)."""
        out = self.backbone(graph, positions, cell)
        result = {keys.ENERGY: out[keys.ENERGY], keys.ENERGIES: out[keys.ENERGIES]}
        for head in self.tensor_heads:
            per_atom = out[keys.per_atom(head.name)]
            if head.reduction == "atom":
                result[keys.per_atom(head.name)] = self._cartesian(head, per_atom)
                result[head.name] = self._cartesian(head, sum_per_graph(per_atom, graph))
            elif head.reduction == "volume":
                cells = graph.cell if cell is None else cell
                volume = torch.linalg.det(cells).abs().reshape(-1, *([1] * head.rank))
                result[head.name] = self._cartesian(head, sum_per_graph(per_atom, graph)) / volume
            else:
                result[head.name] = self._cartesian(head, sum_per_graph(per_atom, graph, reduction=head.reduction))
        return result


def _both_parities(channels: int, l_max: int) -> str:
    return " + ".join(f"{channels}x{l}{p}" for l in range(l_max + 1) for p in ("e", "o"))


def build_tensor_model(species: Sequence[int | str], heads: Sequence[TensorHead], r_max: float = 4.5,
                       l_max: int | None = None, channels: int = 8, layers: int = 2, seed: int = 0,
                       dtype: str = "float64", **options) -> CartesianTensorModel:
    """A :class:`CartesianTensorModel`: an ENNP (``l_max`` default the highest rank among the
    heads, hidden irreps of both parities up to it) with a backbone head per tensor.
    ``options`` go to :func:`~ennp_lab.models.ennp.build_ennp` (``electric_field=True`` ...).

    Raises:
        ValueError: ``l_max`` below a head's highest irrep.
    """
    heads = tuple(heads)
    need = max(ir.l for head in heads for _, ir in o3.Irreps(head.irreps))
    l_max = need if l_max is None else int(l_max)
    if l_max < need:
        raise ValueError(f"l_max = {l_max} cannot carry the heads' l = {need} irreps")
    backbone = build_ennp(species, r_max=r_max, l_max=l_max, channels=channels, layers=layers, seed=seed, dtype=dtype,
                          hidden_irreps=_both_parities(channels, l_max), heads={h.name: h.irreps for h in heads}, **options)
    return CartesianTensorModel(backbone, heads)
