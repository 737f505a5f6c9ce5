"""Composition: a sum of models is a model (cf. torch-sim's ``SumModel``).

    E(R, inputs) = Σ_m E_m(R, inputs_m)

e.g. a local ENNP plus long-range electrostatics plus a repulsive prior. Forces,
stress, Hessians and every other derivative then come from the one derivatives module,
by autograd, through all parts. The sum takes the union of the parts' declared inputs
(one name, one declaration) and heads (a head shared by several parts is summed), the
largest cutoff (each part ignores edges beyond its own), and the elements every part
knows.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import ModelBase, declared_inputs, declared_outputs
from ennp_lab.spec import InputSpec, OutputSpec, merge_inputs, merge_outputs

__all__ = ["SumModel"]


class SumModel(ModelBase):
    """The sum of ``models`` as one potential.

    Raises:
        ValueError: fewer than two parts, parts of different dtypes, no element known by
            every part, or inputs/heads declared differently by two parts.
    """

    def __init__(self, models: Sequence[torch.nn.Module]) -> None:
        super().__init__()
        models = list(models)
        if len(models) < 2:
            raise ValueError(f"a sum needs at least two models, got {len(models)}")
        dtypes = {m.dtype for m in models}
        if len(dtypes) > 1:
            raise ValueError(f"the parts of a sum must share a dtype, got {sorted(map(str, dtypes))}")
        species = set(models[0].species).intersection(*(m.species for m in models[1:]))
        if not species:
            raise ValueError(f"no element is known by every part: {[m.species for m in models]}")
        self._species = tuple(sorted(species))
        self._inputs = merge_inputs([declared_inputs(m) for m in models])
        self._outputs = merge_outputs([declared_outputs(m) for m in models])
        self.parts = torch.nn.ModuleList(models)

    @property
    def cutoff(self) -> float:
        return max(m.cutoff for m in self.parts)

    @property
    def species(self) -> tuple[int, ...]:
        return self._species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return self._inputs

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        return dict(self._outputs)

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Energies, per-atom energies and heads summed over the parts (module docstring)."""
        names = [keys.ENERGY, keys.ENERGIES] + [n for name, spec in self._outputs.items()
                                                for n in ((name, keys.per_atom(name)) if spec.per_atom else (name,))]
        total: dict[str, torch.Tensor] = {}
        for part in self.parts:
            out = part(graph, positions, cell)
            for name in names:
                if name in out:
                    total[name] = out[name] if name not in total else total[name] + out[name]
        return total
