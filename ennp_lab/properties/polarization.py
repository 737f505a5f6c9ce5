"""Polarization in a periodic solid is defined modulo a quantum.

Moving an ion of charge q by a lattice vector R leaves the crystal unchanged but changes
P = (1/Ω) Σ_i q_i r_i by q R/Ω; in the modern theory (Berry phase) the electronic part is
defined modulo e R/Ω likewise. The polarization *lattice* of a cell is therefore
{P + Σ_i n_i Q_i : n ∈ ℤ³} with quanta Q_i = q_Q a_i/Ω for the cell vectors a_i, q_Q the
quantum charge (e for a Berry-phase P; the greatest common divisor of the ionic charges for
a rigid-ion model: 1.2 e for BKS silica). Comparisons and losses fold differences onto the
branch nearest a reference; paths keep one continuous branch.

A local ENNP's P = −(1/Ω) ∂E/∂ℰ is a sum of local contributions, Σ_i μ_i(environment)/Ω
(the aggregator of the field-aware ENNP): a smooth, single-valued function of the
structure, on one branch by construction; a reference's P is folded onto it.
"""

from __future__ import annotations

import numpy as np
import torch

from ennp_lab.validation import as_real

__all__ = ["polarization_quanta", "fold_polarization", "fold_difference", "continuous_branch"]


def polarization_quanta(cell: np.ndarray, quantum_charge: float = 1.0) -> np.ndarray:
    """(3, 3) rows Q_i = q_Q a_i / Ω (e/Å²) of a cell (rows a_i, Å).

    Raises:
        ValueError: a degenerate cell or a non-positive quantum charge.
    """
    cell = np.asarray(cell, dtype=float)
    volume = abs(float(np.linalg.det(cell)))
    if cell.shape != (3, 3) or not volume > 1e-9:
        raise ValueError(f"a polarization quantum needs a 3×3 cell of non-zero volume, got {cell.tolist()}")
    return as_real(quantum_charge, "quantum_charge (e)", 0.0, strict=True) * cell / volume


def fold_polarization(polarization, cell, reference=(0.0, 0.0, 0.0), quantum_charge: float = 1.0) -> np.ndarray:
    """P (…, 3) moved by whole quanta to the branch nearest ``reference``: P − Σ n_i Q_i with
    n the rounded coordinates of P − reference in the quanta's basis."""
    quanta = polarization_quanta(cell, quantum_charge)
    p = np.asarray(polarization, dtype=float)
    diff = (p - np.asarray(reference, dtype=float)).reshape(-1, 3)
    return p - (diff - fold_difference(diff, np.broadcast_to(quanta, (len(diff), 3, 3)))).reshape(p.shape)


def fold_difference(diff, quanta):
    """ΔP (B, 3) minus the whole quanta nearest it, ΔP − Σ_i n_i Q_i with n = round(coordinates
    of ΔP in the basis of the rows Q_i of ``quanta`` (B, 3, 3)): the difference on the branch
    through zero. NumPy arrays or torch tensors alike (for folded losses: the rounding is
    constant almost everywhere, so gradients pass to ΔP unchanged)."""
    if isinstance(diff, torch.Tensor):
        n = torch.round(torch.linalg.solve(quanta.transpose(1, 2), diff.unsqueeze(-1)).squeeze(-1))
        return diff - (n.unsqueeze(-1) * quanta).sum(dim=1)
    n = np.rint(np.linalg.solve(np.swapaxes(quanta, 1, 2), diff[..., None])[..., 0])
    return diff - np.einsum("bi,bij->bj", n, quanta)


def continuous_branch(polarizations, cells, quantum_charge: float = 1.0) -> np.ndarray:
    """(M, 3) P along a path of M structures kept on one branch: each value folded onto the
    branch nearest the previous one (so successive values differ by less than half a
    quantum along every quantum direction)."""
    p = np.asarray(polarizations, dtype=float)
    cells = np.asarray(cells, dtype=float)
    if cells.shape == (3, 3):
        cells = np.broadcast_to(cells, (len(p), 3, 3))
    if p.ndim != 2 or p.shape[1] != 3 or len(cells) != len(p):
        raise ValueError(f"need (M, 3) polarizations and M cells, got {p.shape} and {cells.shape}")
    out = p.copy()
    for m in range(1, len(p)):
        out[m] = fold_polarization(p[m], cells[m], out[m - 1], quantum_charge)
    return out
