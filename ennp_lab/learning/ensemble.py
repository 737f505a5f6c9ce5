"""Ensembles of ENNPs: epistemic uncertainty from the spread of K independently trained models.

Members differ by initialisation seed and (optionally) a bootstrap resample of the
training frames. For a structure, with member predictions E_k, F_k:

    Ē = (1/K) Σ_k E_k,      σ_E² = (1/K) Σ_k (E_k − Ē)²   (population variance, ddof = 0)
    F̄_i = (1/K) Σ_k F_k,i,  σ_F,i = sqrt( (1/K) Σ_k |F_k,i − F̄_i|² )   (per atom, eV/Å)

:class:`Ensemble` is a module holding the members; :func:`compute_member_properties`
evaluates all of them on one graph; :class:`EnsembleCalculator` is the ASE calculator
reporting the mean and ``energy_std``, ``forces_std`` (per atom), ``stress_std``.

When the members carry the heteroscedastic noise head
(:data:`~ennp_lab.learning.heteroscedastic.NOISE_HEAD`, log σ²_k,i per force component),
the calculator also separates the two kinds of uncertainty per atom:

    aleatoric  σ²_ale,i = 3 · (1/K) Σ_k exp(s_k,i)       (label noise, mean over members)
    epistemic  σ²_epi,i = σ_F,i²                          (disagreement of the members)
    total      σ²_tot,i = σ²_ale,i + σ²_epi,i

(the law of total variance for the mixture of the members' Gaussians; the factor 3 sums
the three components, as σ_F,i does).
"""

from __future__ import annotations

import copy
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

__all__ = ["Ensemble", "compute_member_properties", "EnsembleCalculator", "force_residuals", "train_ensemble",
           "save_ensemble", "load_ensemble"]


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
        heads = {tuple(sorted(m.config.heads.items())) for m in members}
        if len(species) > 1 or len(cutoffs) > 1 or len(dtypes) > 1 or len(heads) > 1:
            raise ValueError(f"ensemble members must share species, cutoff, dtype and heads; got {species}, {cutoffs}, "
                             f"{dtypes}, {heads}")
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
    def heads(self) -> dict[str, str]:
        """The members' declared heads (name → irreps)."""
        return dict(self.members[0].config.heads)

    @property
    def device(self) -> torch.device:
        return self.members[0].device

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        outs = [m(graph, positions, cell) for m in self.members]
        energy = torch.stack([o[keys.ENERGY] for o in outs], dim=1)  # (B, K)
        energies = torch.stack([o[keys.ENERGIES] for o in outs], dim=1)  # (N, K)
        return {keys.ENERGY: energy.mean(dim=1), keys.ENERGIES: energies.mean(dim=1), "member_energy": energy}


def compute_member_properties(ensemble: Ensemble, graph: AtomGraph, stress: bool = False) -> dict[str, torch.Tensor]:
    """Every member's energy (K, B) eV, forces (K, N, 3) eV/Å, if asked stress
    (K, B, 3, 3) eV/Å³, and per-atom heads (K, N, dim) on one graph (one forward and
    backward pass per member)."""
    props = {keys.ENERGY, keys.FORCES} | ({keys.STRESS} if stress else set())
    outs = [compute_properties(m, graph, props) for m in ensemble.members]
    names = props | {name + "_per_atom" for name in ensemble.heads}
    return {k: torch.stack([o[k] for o in outs]) for k in names}


class EnsembleCalculator(Calculator):
    """ASE calculator over an :class:`Ensemble`: mean energy/forces/stress and their spread.

    Results: ``energy``, ``forces``, ``stress`` (means); ``energy_std`` (eV),
    ``forces_std`` (N,) eV/Å per atom (√ of the summed component variances: the
    epistemic spread), ``stress_std`` (6,) eV/Å³ (Voigt), ``member_energies`` (K,),
    ``member_forces`` (K, N, 3). Standard deviations are population ones (ddof = 0).
    With a noise head (module docstring) also ``forces_std_aleatoric``,
    ``forces_std_epistemic`` (= ``forces_std``) and ``forces_std_total`` (N,) eV/Å.
    """

    implemented_properties = [keys.ENERGY, "free_energy", keys.FORCES, keys.STRESS, "energy_std", "forces_std",
                              "stress_std", "member_energies", "member_forces", "forces_std_aleatoric",
                              "forces_std_epistemic", "forces_std_total"]

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
        from ennp_lab.learning.heteroscedastic import NOISE_HEAD, split_variance

        if NOISE_HEAD in self.ensemble.heads:
            aleatoric, epistemic = split_variance(forces, out[NOISE_HEAD + "_per_atom"][..., 0])
            self.results["forces_std_aleatoric"] = np.sqrt(aleatoric)
            self.results["forces_std_epistemic"] = np.sqrt(epistemic)
            self.results["forces_std_total"] = np.sqrt(aleatoric + epistemic)
        if periodic:
            stress = out[keys.STRESS][:, 0]
            self.results[keys.STRESS] = full_3x3_to_voigt_6_stress(stress.mean(axis=0))
            self.results["stress_std"] = full_3x3_to_voigt_6_stress(stress.std(axis=0))


def force_residuals(calc: EnsembleCalculator, frames: Sequence[Atoms]) -> tuple[np.ndarray, np.ndarray]:
    """Force-component residuals F_mean − F_label (eV/Å) over labelled ``frames`` and the
    ensemble's σ for each component, σ_F,i/√3 (eV/Å), flattened: inputs for
    :func:`~ennp_lab.learning.calibration.calibration_report`."""
    residuals, sigmas = [], []
    for frame in frames:
        a = frame.copy()
        a.calc = calc
        residuals.append((a.get_forces() - frame.get_forces()).ravel())
        sigmas.append(np.repeat(calc.results["forces_std"] / np.sqrt(3.0), 3))
    return np.concatenate(residuals), np.concatenate(sigmas)


def _train_member(build, k: int, seed: int, train_frames, val_frames, config: TrainConfig, bootstrap: bool,
                  device: str, start: ENNP | None, threads: int | None):
    if threads is not None:
        torch.set_num_threads(threads)
    model = build(seed=seed + k) if start is None else copy.deepcopy(start)
    model = model.to(resolve_device(device))
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
    initial: Ensemble | None = None,
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
        initial: warm start: member k continues from a copy of ``initial.members[k]``
            (``build`` is not called; e.g. refining after new frames were labelled; use a
            config with ``fit_energy_shift=False`` to keep the trained energy scale).

    Returns:
        the ensemble (members on the CPU) and each member's :class:`TrainResult`.
    """
    if size < 2:
        raise ValueError(f"an ensemble needs at least two members, got {size}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if initial is not None and len(initial) != size:
        raise ValueError(f"warm start from {len(initial)} members for an ensemble of {size}")
    starts = [None] * size if initial is None else [m.cpu() for m in initial.members]
    jobs = [(build, k, seed, list(train_frames), list(val_frames), config, bootstrap, device, starts[k])
            for k in range(size)]
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
