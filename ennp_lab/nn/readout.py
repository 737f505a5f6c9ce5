"""Per-atom readouts: a nonlinear scalar energy head and linear equivariant heads."""

from __future__ import annotations

import torch
from e3nn import o3
from e3nn.nn import Activation

__all__ = ["ScalarReadout", "EquivariantHead"]


class ScalarReadout(torch.nn.Module):
    """Per-atom scalar e_i = W₂ σ(W₁ h_i⁽⁰ᵉ⁾): only the even scalars of h enter.

    Args:
        irreps_in: node feature irreps.
        hidden: width of the hidden scalar layer.
    """

    def __init__(self, irreps_in: o3.Irreps, hidden: int) -> None:
        super().__init__()
        hidden_irreps = o3.Irreps(f"{hidden}x0e")
        self.linear_1 = o3.Linear(o3.Irreps(irreps_in), hidden_irreps)
        self.act = Activation(hidden_irreps, [torch.nn.functional.silu])
        self.linear_2 = o3.Linear(hidden_irreps, o3.Irreps("0e"))

    def forward(self, node_feats: torch.Tensor) -> torch.Tensor:
        """(N, irreps_in.dim) → (N,) per-atom scalars."""
        return self.linear_2(self.act(self.linear_1(node_feats))).squeeze(-1)


class EquivariantHead(torch.nn.Module):
    """A linear per-atom head with declared output irreps (e.g. "0o", "1o", "0e+2e").

    Raises:
        ValueError: if the node features hold none of some requested irrep (the head
            would be identically zero for it).
    """

    def __init__(self, irreps_in: o3.Irreps, irreps_out: str | o3.Irreps) -> None:
        super().__init__()
        irreps_in = o3.Irreps(irreps_in)
        self.irreps_out = o3.Irreps(irreps_out)
        missing = [str(ir) for _, ir in self.irreps_out if ir not in irreps_in]
        if missing:
            raise ValueError(
                f"head irreps {self.irreps_out} need {', '.join(missing)} features, but the last "
                f"layer only has {irreps_in.simplify()}: add them to hidden_irreps"
            )
        self.linear = o3.Linear(irreps_in, self.irreps_out)

    def forward(self, node_feats: torch.Tensor) -> torch.Tensor:
        """(N, irreps_in.dim) → (N, irreps_out.dim)."""
        return self.linear(node_feats)
