"""Ensembles of ENNPs, and what an ensemble predicts: a mean and its uncertainty.

Members differ by initialisation seed and (optionally) a bootstrap resample of the
training frames (:func:`ennp_lab.learning.ensemble.train_ensemble`). For a structure,
with member predictions E_k, F_k (k = 1..K), the σ convention of ennp_lab, in this one
place (:class:`EnsemblePrediction`):

    Ē = (1/K) Σ_k E_k,      σ_E² = (1/K) Σ_k (E_k − Ē)²   (population variance, ddof = 0)
    F̄_i = (1/K) Σ_k F_k,i,  σ_F,i = sqrt( (1/K) Σ_k |F_k,i − F̄_i|² )   (per atom, eV/Å)

and per force component σ_F,i/√3. When the members carry the heteroscedastic noise
head (log σ²_k,i of the label noise on each force component,
:data:`~ennp_lab.learning.heteroscedastic.NOISE_HEAD`), the two kinds of uncertainty
are separated per atom:

    aleatoric  σ²_ale,i = 3 · (1/K) Σ_k exp(s_k,i)       (label noise, mean over members)
    epistemic  σ²_epi,i = σ_F,i²                          (disagreement of the members)
    total      σ²_tot,i = σ²_ale,i + σ²_epi,i

(the law of total variance for the mixture of the members' Gaussians; the factor 3 sums
the three components, as σ_F,i does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import ModelBase, declared_inputs, declared_outputs
from ennp_lab.spec import InputSpec, OutputSpec

__all__ = ["NOISE_HEAD", "Ensemble", "compute_member_properties", "EnsemblePrediction", "split_variance"]

#: name of the per-atom head holding log σ² (eV²/Å²) of the force-component noise
NOISE_HEAD = "force_log_variance"
#: per-structure energies of every member, (B, K) eV (an output of :class:`Ensemble`)
MEMBER_ENERGY = "member_energy"


class Ensemble(ModelBase):
    """K models of the same species, cutoff, dtype, inputs and heads.

    Called like any model it returns the *mean* energy (so forces from
    :func:`~ennp_lab.derivatives.compute_properties` are the mean forces), the mean of
    every declared head, and ``member_energy`` (B, K).
    """

    def __init__(self, members: Sequence[torch.nn.Module]) -> None:
        super().__init__()
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
        bad = [k for k, m in enumerate(members) if not isinstance(m, torch.nn.Module) or not hasattr(m, "cutoff")]
        if bad:
            raise ValueError(f"ensemble members {bad} are not ennp_lab models (got {[type(members[k]).__name__ for k in bad]})")
        traits = {
            "species": {m.species for m in members},
            "cutoff": {m.cutoff for m in members},
            "dtype": {m.dtype for m in members},
            "inputs": {declared_inputs(m) for m in members},
            "heads": {tuple(sorted(declared_outputs(m).items())) for m in members},
        }
        differ = {k: v for k, v in traits.items() if len(v) > 1}
        if differ:
            raise ValueError(f"ensemble members must share species, cutoff, dtype, inputs and heads; they differ in {differ}")
        self.members = torch.nn.ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    @property
    def cutoff(self) -> float:
        return self.members[0].cutoff

    @property
    def species(self) -> tuple[int, ...]:
        return self.members[0].species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return declared_inputs(self.members[0])

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        """The members' heads (their means are this model's outputs)."""
        return declared_outputs(self.members[0])

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        outs = [m(graph, positions, cell) for m in self.members]
        energy = torch.stack([o[keys.ENERGY] for o in outs], dim=1)  # (B, K)
        result = {keys.ENERGY: energy.mean(dim=1), MEMBER_ENERGY: energy}
        names = [keys.ENERGIES] + [n for name, spec in self.outputs.items()
                                   for n in ((name, keys.per_atom(name)) if spec.per_atom else (name,))]
        for name in names:
            result[name] = torch.stack([o[name] for o in outs]).mean(dim=0)
        return result


def compute_member_properties(ensemble: Ensemble, graph: AtomGraph,
                              properties: Iterable[str] = (keys.ENERGY, keys.FORCES)) -> dict[str, torch.Tensor]:
    """Every member's ``properties`` (each stacked: energy (K, B) eV, forces (K, N, 3) eV/Å,
    stress (K, B, 3, 3) eV/Å³, ...), and heads (K, B, dim) and per-atom heads (K, N, dim),
    on one graph (one forward and backward pass per member)."""
    from ennp_lab.derivatives import compute_properties

    props = {keys.ENERGY} | set(properties)
    outs = [compute_properties(m, graph, props) for m in ensemble.members]
    names = set(props)
    for name, spec in ensemble.outputs.items():
        names |= {name, keys.per_atom(name)} if spec.per_atom else {name}
    return {k: torch.stack([o[k] for o in outs]) for k in names}


def split_variance(member_forces, member_log_variance) -> tuple[np.ndarray, np.ndarray]:
    """Aleatoric and epistemic variance per atom (eV²/Å², summed over components).

    Args:
        member_forces: (K, N, 3) forces of the K members.
        member_log_variance: (K, N) each member's predicted log σ² per force component.

    Returns:
        σ²_ale (N,) = 3 · mean_k exp(s_k,i) and σ²_epi (N,) = Σ_α var_k F_k,iα.
    """
    forces = np.asarray(member_forces, dtype=float)
    log_var = np.asarray(member_log_variance, dtype=float)
    if forces.ndim != 3 or forces.shape[2] != 3 or log_var.shape != forces.shape[:2]:
        raise ValueError(f"expected forces (K, N, 3) and log variances (K, N); got {forces.shape} and {log_var.shape}")
    return 3.0 * np.exp(log_var).mean(axis=0), forces.var(axis=0).sum(axis=1)


@dataclass(frozen=True)
class EnsemblePrediction:
    """What an ensemble predicts for one structure (module docstring for the σ convention).

    Attributes:
        member_energies: (K,) eV.
        member_forces: (K, N, 3) eV/Å.
        member_stress: (K, 3, 3) eV/Å³, or None (not 3D-periodic).
        member_log_variance: (K, N) log σ² (eV²/Å²) of the force-component noise from
            the noise head, or None (no noise head).
    """

    member_energies: np.ndarray
    member_forces: np.ndarray
    member_stress: np.ndarray | None = None
    member_log_variance: np.ndarray | None = None

    @property
    def energy(self) -> float:
        """Mean energy Ē (eV)."""
        return float(self.member_energies.mean())

    @property
    def energy_std(self) -> float:
        """σ_E (eV)."""
        return float(self.member_energies.std())

    @property
    def forces(self) -> np.ndarray:
        """Mean forces F̄ (N, 3) eV/Å."""
        return self.member_forces.mean(axis=0)

    @property
    def epistemic(self) -> np.ndarray:
        """σ_F,i = σ_epi,i (N,) eV/Å: the members' disagreement per atom."""
        return np.sqrt(self.member_forces.var(axis=0).sum(axis=1))

    @property
    def aleatoric(self) -> np.ndarray | None:
        """σ_ale,i (N,) eV/Å from the noise head, or None."""
        if self.member_log_variance is None:
            return None
        return np.sqrt(3.0 * np.exp(self.member_log_variance).mean(axis=0))

    @property
    def total(self) -> np.ndarray:
        """σ_tot,i (N,) eV/Å: √(σ²_ale + σ²_epi), or σ_epi without a noise head."""
        ale = self.aleatoric
        return self.epistemic if ale is None else np.sqrt(ale**2 + self.epistemic**2)

    def component_sigma(self, total: bool = True) -> np.ndarray:
        """σ per force component (N, 3) eV/Å: σ_i/√3 of the total (or epistemic) σ."""
        sigma = self.total if total else self.epistemic
        return np.repeat(sigma[:, None] / np.sqrt(3.0), 3, axis=1)

    @property
    def stress(self) -> np.ndarray | None:
        """Mean stress (3, 3) eV/Å³, or None."""
        return None if self.member_stress is None else self.member_stress.mean(axis=0)

    @property
    def stress_std(self) -> np.ndarray | None:
        """σ of each stress component (3, 3) eV/Å³, or None."""
        return None if self.member_stress is None else self.member_stress.std(axis=0)
