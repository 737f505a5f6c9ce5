"""The small protocol every ennp_lab model follows (cf. torch-sim's ``ModelInterface``).

A model maps an :class:`~ennp_lab.graph.AtomGraph` (and optionally differentiable
positions and cells) to a dict holding at least ``energy`` (B,) and ``energies`` (N,) in
eV, plus its declared heads. It declares what it reads beyond positions, numbers and
cell (``inputs``: :class:`~ennp_lab.spec.InputSpec`, e.g. an electric field or magnetic
moments, found in ``graph.input(name)``) and what extra outputs it gives (``outputs``:
name → :class:`~ennp_lab.spec.OutputSpec`; each comes per structure, and per atom as
``keys.per_atom(name)`` when declared so). Forces, stress, Hessians and every other
derivative are never computed by a model: they are derived from the energy in one place,
:mod:`ennp_lab.derivatives`.

A graph may have been built with a larger cutoff than a model's (composed models share
one graph): a model ignores the edges longer than its own cutoff.
"""

from __future__ import annotations

from typing import Mapping, Protocol, runtime_checkable

import torch

from ennp_lab.graph.data import AtomGraph
from ennp_lab.spec import InputSpec, OutputSpec

__all__ = ["PotentialModel", "ModelBase", "declared_inputs", "declared_outputs", "sum_per_graph"]


@runtime_checkable
class PotentialModel(Protocol):
    """Protocol: ``cutoff`` (Å), ``species``, ``dtype``, ``device``, declared ``inputs`` and
    ``outputs``, and ``__call__``."""

    @property
    def cutoff(self) -> float: ...

    @property
    def species(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def device(self) -> torch.device: ...

    @property
    def inputs(self) -> tuple[InputSpec, ...]: ...

    @property
    def outputs(self) -> Mapping[str, OutputSpec]: ...

    def __call__(
        self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]: ...


class ModelBase(torch.nn.Module):
    """Plumbing shared by ennp_lab's models: ``dtype`` and ``device`` are those of the
    model's first floating tensor (parameters, then buffers); no optional inputs and no
    heads unless a subclass declares them. Subclasses give ``cutoff``, ``species`` and
    ``forward``."""

    def _first_tensor(self) -> torch.Tensor:
        for t in (*self.parameters(), *self.buffers()):
            if t.is_floating_point():
                return t
        raise ValueError(f"{type(self).__name__} holds no floating-point tensor to take a dtype and device from")

    @property
    def dtype(self) -> torch.dtype:
        return self._first_tensor().dtype

    @property
    def device(self) -> torch.device:
        return self._first_tensor().device

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return ()

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        return {}


def declared_inputs(model) -> tuple[InputSpec, ...]:
    """A model's declared inputs (none for a model that declares nothing)."""
    return tuple(getattr(model, "inputs", ()) or ())


def declared_outputs(model) -> dict[str, OutputSpec]:
    """A model's declared heads, name → :class:`~ennp_lab.spec.OutputSpec` (none for a model that declares nothing)."""
    return dict(getattr(model, "outputs", {}) or {})


def sum_per_graph(values: torch.Tensor, graph: AtomGraph, reduction: str = "sum") -> torch.Tensor:
    """Per-atom values (N, ...) summed (or averaged, ``reduction="mean"``) per structure (B, ...)."""
    out = torch.zeros((graph.num_graphs, *values.shape[1:]), dtype=values.dtype, device=values.device)
    out = out.index_add(0, graph.batch, values)
    if reduction == "mean":
        counts = graph.atoms_per_graph.to(values.dtype).reshape(-1, *([1] * (values.dim() - 1)))
        out = out / counts
    elif reduction != "sum":
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    return out
