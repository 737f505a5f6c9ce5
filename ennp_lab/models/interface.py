"""The small protocol every ennp_lab model follows (cf. torch-sim's ``ModelInterface``).

A model maps an :class:`~ennp_lab.graph.AtomGraph` (and optionally differentiable
positions and cells) to a dict holding at least ``energy`` (B,) and ``energies`` (N,) in
eV. Forces, stress and Hessians are never computed by a model: they are derived from the
energy in one place, :mod:`ennp_lab.derivatives`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from ennp_lab.graph.data import AtomGraph


@runtime_checkable
class PotentialModel(Protocol):
    """Protocol: ``cutoff`` (Å), ``species``, ``dtype``, ``device`` and ``__call__``."""

    @property
    def cutoff(self) -> float: ...

    @property
    def species(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def device(self) -> torch.device: ...

    def __call__(
        self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]: ...
