"""Radial basis and smooth cutoff (NequIP/DimeNet form)."""

from __future__ import annotations

import math

import torch

__all__ = ["BesselBasis", "PolynomialCutoff", "RadialEmbedding"]


class BesselBasis(torch.nn.Module):
    r"""Bessel radial basis with trainable frequencies.

    .. math:: b_n(r) = \sqrt{2/r_c}\,\frac{\sin(n \pi r / r_c)}{r},\quad n = 1..N

    Args:
        r_max: cutoff radius r_c (Å).
        num_basis: number of functions N.
        trainable: learn the frequencies nπ (initialised at nπ).
    """

    def __init__(self, r_max: float, num_basis: int = 8, trainable: bool = True) -> None:
        super().__init__()
        self.r_max = float(r_max)
        self.prefactor = math.sqrt(2.0 / self.r_max)
        weights = math.pi * torch.arange(1, num_basis + 1, dtype=torch.get_default_dtype())
        if trainable:
            self.weights = torch.nn.Parameter(weights)
        else:
            self.register_buffer("weights", weights)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        """(E,) distances (Å) → (E, N) basis values (Å⁻¹)."""
        r = r.unsqueeze(-1)
        return self.prefactor * torch.sin(self.weights * r / self.r_max) / r


class PolynomialCutoff(torch.nn.Module):
    r"""Smooth polynomial envelope u(x), x = r/r_c, of order p (DimeNet).

    .. math:: u(x) = 1 - \tfrac{(p+1)(p+2)}{2} x^p + p(p+2) x^{p+1} - \tfrac{p(p+1)}{2} x^{p+2}

    for x < 1 and 0 beyond: u(1) = u'(1) = u''(1) = 0, so energies, forces and the
    Hessian go to zero continuously at r_c.
    """

    def __init__(self, r_max: float, p: int = 6) -> None:
        super().__init__()
        if p < 2:
            raise ValueError(f"cutoff polynomial order p must be >= 2, got {p}")
        self.r_max = float(r_max)
        self.p = float(p)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        """(E,) distances (Å) → (E,) envelope values in [0, 1]."""
        p = self.p
        x = r / self.r_max
        out = (
            1.0
            - (p + 1.0) * (p + 2.0) / 2.0 * torch.pow(x, p)
            + p * (p + 2.0) * torch.pow(x, p + 1.0)
            - p * (p + 1.0) / 2.0 * torch.pow(x, p + 2.0)
        )
        return out * (x < 1.0)


class RadialEmbedding(torch.nn.Module):
    """Bessel basis times the smooth envelope: the edge-length features (E, N)."""

    def __init__(self, r_max: float, num_basis: int = 8, p: int = 6) -> None:
        super().__init__()
        self.basis = BesselBasis(r_max, num_basis)
        self.cutoff = PolynomialCutoff(r_max, p)
        self.num_basis = num_basis

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        return self.basis(r) * self.cutoff(r).unsqueeze(-1)
