"""Equivariant message passing: a NequIP-style convolution with a gated nonlinearity."""

from __future__ import annotations

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet, Gate

__all__ = ["InteractionBlock", "reachable_irreps"]


def _tp_path_exists(irreps_in1: o3.Irreps, irreps_in2: o3.Irreps, ir_out: o3.Irrep) -> bool:
    return any(ir_out in ir1 * ir2 for _, ir1 in irreps_in1 for _, ir2 in irreps_in2)


def reachable_irreps(irreps_in: o3.Irreps, irreps_sh: o3.Irreps, target: o3.Irreps) -> o3.Irreps:
    """The part of ``target`` that a tensor product irreps_in ⊗ irreps_sh can produce.

    (A first layer fed only scalars cannot produce, say, 1e or 0o features.)
    """
    return o3.Irreps([(mul, ir) for mul, ir in target if _tp_path_exists(irreps_in, irreps_sh, ir)])


class InteractionBlock(torch.nn.Module):
    r"""One NequIP-style interaction: convolution, self-connection, gate, residual.

    For node features h_i (irreps ``irreps_in``), spherical harmonics Y(r̂_ij) and radial
    features R(|r_ij|) that vanish smoothly at r_c:

    .. math::
        m_i = \frac{1}{\sqrt{\bar n}} \sum_{j \in \mathcal N(i)}
              W_1 h_j \otimes_{\mathrm{uvu}}^{\,w(R(r_{ij}))} Y(\hat r_{ij}),
        \qquad
        h_i' = \mathrm{Gate}\big(W_2 m_i + \mathrm{SC}(h_i, z_i)\big) \;[+\, h_i]

    The "uvu" (channel-wise) tensor product keeps each channel u separate and takes its
    path weights from an MLP of the radial features; the self-connection SC is a fully
    connected tensor product with the one-hot species; the residual is added when the
    input and output irreps agree. Gate: SiLU on even scalars, tanh on odd scalars,
    sigmoid gates on the l > 0 irreps.

    Args:
        irreps_in: node feature irreps.
        irreps_sh: spherical harmonic irreps of the edges.
        irreps_target: wanted output irreps (only the reachable part is built).
        num_species: length of the one-hot node attributes.
        num_basis: number of radial features.
        radial_hidden: width of the two hidden layers of the radial MLP.
        avg_num_neighbors: n̄ in the normalisation of the sum over neighbors.
    """

    def __init__(
        self,
        irreps_in: o3.Irreps,
        irreps_sh: o3.Irreps,
        irreps_target: o3.Irreps,
        num_species: int,
        num_basis: int,
        radial_hidden: int,
        avg_num_neighbors: float,
    ) -> None:
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in)
        self.irreps_sh = o3.Irreps(irreps_sh)
        self.avg_num_neighbors = float(avg_num_neighbors)
        irreps_attr = o3.Irreps(f"{num_species}x0e")

        out = reachable_irreps(self.irreps_in, self.irreps_sh, o3.Irreps(irreps_target))
        scalars = o3.Irreps([(m, ir) for m, ir in out if ir.l == 0])
        gated = o3.Irreps([(m, ir) for m, ir in out if ir.l > 0])
        gate_ir = "0e" if _tp_path_exists(self.irreps_in, self.irreps_sh, o3.Irrep("0e")) else "0o"
        gates = o3.Irreps([(m, gate_ir) for m, _ in gated])
        act = {1: torch.nn.functional.silu, -1: torch.tanh}
        self.gate = Gate(
            scalars,
            [act[ir.p] for _, ir in scalars],
            gates,
            [torch.sigmoid if gate_ir == "0e" else torch.tanh for _ in gates],
            gated,
        )
        self.irreps_out = self.gate.irreps_out

        # Channel-wise convolution: every (input irrep, sh irrep) pair to every allowed
        # output irrep that the gate consumes.
        wanted = {ir for _, ir in self.gate.irreps_in}
        mid, instructions = [], []
        for i, (mul, ir_in) in enumerate(self.irreps_in):
            for j, (_, ir_sh) in enumerate(self.irreps_sh):
                for ir_out in ir_in * ir_sh:
                    if ir_out in wanted:
                        instructions.append((i, j, len(mid), "uvu", True))
                        mid.append((mul, ir_out))
        irreps_mid, perm, _ = o3.Irreps(mid).sort()
        instructions = [(a, b, perm[c], mode, train) for a, b, c, mode, train in instructions]

        self.linear_1 = o3.Linear(self.irreps_in, self.irreps_in)
        self.tp = o3.TensorProduct(
            self.irreps_in,
            self.irreps_sh,
            irreps_mid,
            instructions,
            shared_weights=False,
            internal_weights=False,
        )
        self.radial = FullyConnectedNet(
            [num_basis, radial_hidden, radial_hidden, self.tp.weight_numel], torch.nn.functional.silu
        )
        self.linear_2 = o3.Linear(irreps_mid.simplify(), self.gate.irreps_in)
        self.self_connection = o3.FullyConnectedTensorProduct(self.irreps_in, irreps_attr, self.gate.irreps_in)
        self.residual = self.irreps_in == self.irreps_out

    def forward(
        self,
        node_feats: torch.Tensor,
        node_attrs: torch.Tensor,
        edge_sh: torch.Tensor,
        edge_radial: torch.Tensor,
        edge_index: torch.Tensor,
    ) -> torch.Tensor:
        """Args:
            node_feats: (N, irreps_in.dim) features.
            node_attrs: (N, S) one-hot species.
            edge_sh: (E, irreps_sh.dim) spherical harmonics of r̂_ij.
            edge_radial: (E, num_basis) radial features (zero beyond r_c).
            edge_index: (2, E) centers i (row 0) and neighbors j (row 1).

        Returns:
            (N, irreps_out.dim) updated features.
        """
        center, neighbor = edge_index
        h = self.linear_1(node_feats)
        weights = self.radial(edge_radial)
        messages = self.tp(h[neighbor], edge_sh, weights)
        agg = torch.zeros(node_feats.shape[0], messages.shape[1], dtype=messages.dtype, device=messages.device)
        agg = agg.index_add(0, center, messages) / self.avg_num_neighbors**0.5
        out = self.gate(self.linear_2(agg) + self.self_connection(node_feats, node_attrs))
        if self.residual:
            out = out + node_feats
        return out
