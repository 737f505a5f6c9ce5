"""Ensembles of ENNPs: epistemic uncertainty from the spread of K independently trained models.

Members differ by initialisation seed and (optionally) a bootstrap resample of the
training frames. For a structure, with member predictions E_k, F_k:

    Ē = (1/K) Σ_k E_k,      σ_E² = (1/K) Σ_k (E_k − Ē)²   (population variance, ddof = 0)
    F̄_i = (1/K) Σ_k F_k,i,  σ_F,i = sqrt( (1/K) Σ_k |F_k,i − F̄_i|² )   (per atom, eV/Å)

:class:`Ensemble` is a module holding the members; :func:`compute_member_properties`
evaluates all of them on one graph; :class:`EnsembleCalculator` is the ASE calculator
reporting the mean and ``energy_std``, ``forces_std`` (per atom), ``stress_std``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import keys
from ennp_lab.derivatives import compute_properties
from ennp_lab.device import resolve_device
from ennp_lab.graph.data import AtomGraph
from ennp_lab.learning.train import TrainConfig, TrainResult, train
from ennp_lab.models.ennp import ENNP
from ennp_lab.models.io import load_model, save_model

__all__ = ["Ensemble", "compute_member_properties", "EnsembleCalculator", "train_ensemble", "save_ensemble", "load_ensemble"]


class Ensemble(torch.nn.Module):
    """K ENNPs of the same species and cutoff.

    Called like any model it returns the *mean* energy (so forces from
    :func:`~ennp_lab.derivatives.compute_properties` are the mean forces) and
    ``member_energy`` (B, K).
    """

    def __init__(self, members: Sequence[ENNP]) -> None:
        super().__init__()
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
        species = {m.species for m in members}
        cutoffs = {m.cutoff for m in members}
        dtypes = {m.dtype for m in members}
        if len(species) > 1 or len(cutoffs) > 1 or len(dtypes) > 1:
            raise ValueError(f"ensemble members must share species, cutoff and dtype; got {species}, {cutoffs}, {dtypes}")
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
    def dtype(self) -> torch.dtype:
        return self.members[0].dtype

    @property
    def device(self) -> torch.device:
        return self.members[0].device

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        outs = [m(graph, positions, cell) for m in self.members]
        energy = torch.stack([o[keys.ENERGY] for o in outs], dim=1)  # (B, K)
        energies = torch.stack([o[keys.ENERGIES] for o in outs], dim=1)  # (N, K)
        return {keys.ENERGY: energy.mean(dim=1), keys.ENERGIES: energies.mean(dim=1), "member_energy": energy}


def compute_member_properties(ensemble: Ensemble, graph: AtomGraph, stress: bool = False) -> dict[str, torch.Tensor]:
    """Every member's energy (K, B) eV, forces (K, N, 3) eV/Å and, if asked, stress
    (K, B, 3, 3) eV/Å³ on one graph (one forward and backward pass per member)."""
    props = {keys.ENERGY, keys.FORCES} | ({keys.STRESS} if stress else set())
    outs = [compute_properties(m, graph, props) for m in ensemble.members]
    return {k: torch.stack([o[k] for o in outs]) for k in props}


class EnsembleCalculator(Calculator):
    """ASE calculator over an :class:`Ensemble`: mean energy/forces/stress and their spread.

    Results: ``energy``, ``forces``, ``stress`` (means); ``energy_std`` (eV),
    ``forces_std`` (N,) eV/Å per atom (√ of the summed component variances),
    ``stress_std`` (6,) eV/Å³ (Voigt), ``member_energies`` (K,), ``member_forces``
    (K, N, 3). Standard deviations are population ones (ddof = 0).
    """

    implemented_properties = [keys.ENERGY, "free_energy", keys.FORCES, keys.STRESS, "energy_std", "forces_std",
                              "stress_std", "member_energies", "member_forces"]

    def __init__(self, ensemble: Ensemble, device: str | torch.device = "auto", **kwargs) -> None:
        super().__init__(**kwargs)
        self.device = resolve_device(device)
        self.ensemble = ensemble.to(self.device)
        self.ensemble.eval()

    def calculate(self, atoms: Atoms | None = None, properties=(keys.ENERGY,), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        periodic = bool(atoms.pbc.all())
        if keys.STRESS in properties and not periodic:
            raise PropertyNotImplementedError("stress needs a cell periodic in all three directions")
        graph = AtomGraph.from_atoms(atoms, self.ensemble.cutoff, dtype=self.ensemble.dtype, device=self.device)
        out = {k: v.detach().cpu().numpy().astype(np.float64)
               for k, v in compute_member_properties(self.ensemble, graph, stress=periodic).items()}
        energies = out[keys.ENERGY][:, 0]
        forces = out[keys.FORCES]
        self.results = {
            keys.ENERGY: float(energies.mean()),
            "free_energy": float(energies.mean()),
            keys.FORCES: forces.mean(axis=0),
            "energy_std": float(energies.std()),
            "forces_std": np.sqrt(forces.var(axis=0).sum(axis=1)),
            "member_energies": energies,
            "member_forces": forces,
        }
        if periodic:
            stress = out[keys.STRESS][:, 0]
            self.results[keys.STRESS] = full_3x3_to_voigt_6_stress(stress.mean(axis=0))
            self.results["stress_std"] = full_3x3_to_voigt_6_stress(stress.std(axis=0))


def _train_member(build, k: int, seed: int, train_frames, val_frames, config: TrainConfig, bootstrap: bool,
                  device: str, threads: int | None):
    if threads is not None:
        torch.set_num_threads(threads)
    model = build(seed=seed + k).to(resolve_device(device))
    frames = list(train_frames)
    if bootstrap:
        picks = np.random.default_rng(seed + k).integers(0, len(frames), size=len(frames))
        frames = [frames[i] for i in picks]
    result = train(model, frames, val_frames, replace(config, seed=seed + k, progress=False))
    return model.cpu(), result


def train_ensemble(
    build: Callable[[int], ENNP],
    train_frames: Sequence[Atoms],
    val_frames: Sequence[Atoms],
    size: int = 4,
    config: TrainConfig = TrainConfig(),
    bootstrap: bool = True,
    seed: int = 0,
    workers: int = 1,
    device: str = "cpu",
) -> tuple[Ensemble, list[TrainResult]]:
    """Train ``size`` members: member k is ``build(seed=seed + k)``, trained on a bootstrap
    resample (drawn with ``seed + k``) of ``train_frames`` — or on all of them when
    ``bootstrap`` is False — with batch shuffling seeded by ``seed + k``.

    Args:
        build: called as ``build(seed=...)``, returns a fresh ENNP (picklable, e.g. ``functools.partial(build_ennp, ...)``,
            when ``workers`` > 1).
        workers: members trained at once in separate processes (spawned; the CPU cores
            are shared among them). Small models leave a GPU mostly idle, so several
            processes share one GPU well: four cu-emt-sized members trained 2.3× faster
            with 4 workers than one after another on an H100 (``benchmarks/ensemble.py``).
        device: where members are trained ("cpu", "cuda", "auto"); returned on the CPU.

    Returns:
        the ensemble (members on the CPU) and each member's :class:`TrainResult`.
    """
    if size < 2:
        raise ValueError(f"an ensemble needs at least two members, got {size}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    jobs = [(build, k, seed, list(train_frames), list(val_frames), config, bootstrap, device) for k in range(size)]
    if workers == 1:
        done = [_train_member(*job, None) for job in jobs]
    else:
        import multiprocessing as mp
        import os
        from concurrent.futures import ProcessPoolExecutor

        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            done = list(pool.map(_train_member, *zip(*jobs), [threads] * size))
    return Ensemble([m for m, _ in done]), [r for _, r in done]


def save_ensemble(ensemble: Ensemble, directory) -> list:
    """Write member k to ``directory/member_k.pt`` (atomically, :func:`save_model`)."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [save_model(m, directory / f"member_{k}.pt") for k, m in enumerate(ensemble.members)]


def load_ensemble(paths: Sequence, device: str | torch.device = "cpu") -> Ensemble:
    """An :class:`Ensemble` of the models in ``paths`` (see :func:`load_model`)."""
    return Ensemble([load_model(p, device=device) for p in paths])
