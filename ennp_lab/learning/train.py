"""Training an ENNP on labelled frames: energy/force/stress loss, EMA, schedules, checkpoints.

The loss of a batch of B structures with N atoms is

    L = w_E · mean_b ((E_b − Ê_b)/n_b)² + w_F · mean_{i,α} (F_iα − F̂_iα)² + w_S · mean_{b∈S,αβ} (σ_bαβ − σ̂_bαβ)²

in eV/atom, eV/Å and eV/Å³ (S: the structures with a stress label). Validation uses the
exponential moving average (EMA) of the weights, which is also what is returned.

Heteroscedastic noise (``TrainConfig.noise_head``): a model with a scalar per-atom head
s_i = log σ_i² (:mod:`ennp_lab.learning.heteroscedastic`) also learns the variance of the
label noise on each force component of atom i, by the Gaussian negative log-likelihood

    L_noise = w_noise · mean_{i,α} ½ [ r_iα² / σ_i² + log σ_i² ],    r = stop_gradient(F − F̂),

so the mean forces are fitted by the usual squared error, and σ_i² converges to the
expected squared residual at atom i (aleatoric noise plus any misfit left on the
training data). Stopping the gradient through r keeps noisy atoms from being
down-weighted in the fit of the mean (the failure mode of plain NLL training).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from tqdm.auto import tqdm

from ennp_lab import keys
from ennp_lab._version import __version__
from ennp_lab.derivatives import compute_properties
from ennp_lab.files import atomic_torch_save, load_tagged_torch_file
from ennp_lab.learning.dataset import Batch, build_samples, collate, fit_energy_shift, force_rms
from ennp_lab.learning.metrics import Evaluation, evaluate_samples

__all__ = ["TrainConfig", "History", "TrainResult", "train", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "ennp_lab.checkpoint"


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (plain values; stored in every checkpoint).

    Attributes:
        max_epochs: number of passes over the training frames.
        batch_size: structures per optimisation step.
        lr: initial learning rate.
        optimizer: "adam" or "adamw".
        weight_decay: AdamW weight decay.
        scheduler: "plateau" (reduce on validation loss), "cosine" (to ``min_lr`` at
            ``max_epochs``) or "none".
        plateau_factor, plateau_patience: ReduceLROnPlateau settings.
        min_lr: smallest learning rate.
        energy_weight, force_weight, stress_weight: loss weights w_E, w_F, w_S.
        ema_decay: EMA decay of the weights (None: no EMA).
        early_stopping_patience: epochs without a better validation loss before
            stopping (None: never).
        clip_grad_norm: gradient norm clip (None: no clipping).
        seed: seed of the batch shuffling.
        checkpoint_path: where to write checkpoints (None: none).
        checkpoint_every: epochs between checkpoints (the last epoch is always saved).
        fit_energy_shift: least-squares per-species energy shift (and force-RMS scale)
            before training.
        max_time_s: stop after this much wall time (None: no limit).
        progress: show a tqdm progress bar.
        noise_head: name of a scalar ("0e") per-atom head trained as log σ_i² of the
            force-label noise by Gaussian NLL (None: no noise model).
        noise_weight: weight w_noise of that NLL term.
    """

    max_epochs: int = 100
    batch_size: int = 4
    lr: float = 5e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    scheduler: str = "plateau"
    plateau_factor: float = 0.5
    plateau_patience: int = 5
    min_lr: float = 1e-5
    energy_weight: float = 1.0
    force_weight: float = 1.0
    stress_weight: float = 10.0
    ema_decay: float | None = 0.99
    early_stopping_patience: int | None = 25
    clip_grad_norm: float | None = 10.0
    seed: int = 0
    checkpoint_path: str | None = None
    checkpoint_every: int = 1
    fit_energy_shift: bool = True
    max_time_s: float | None = None
    progress: bool = True
    noise_head: str | None = None
    noise_weight: float = 1.0

    def __post_init__(self) -> None:
        checks = [
            (self.max_epochs >= 1, "max_epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be positive"),
            (self.optimizer in ("adam", "adamw"), f"optimizer must be 'adam' or 'adamw', got {self.optimizer!r}"),
            (self.scheduler in ("plateau", "cosine", "none"), f"scheduler must be 'plateau', 'cosine' or 'none', got {self.scheduler!r}"),
            (self.ema_decay is None or 0 < self.ema_decay < 1, "ema_decay must be in (0, 1)"),
            (self.checkpoint_every >= 1, "checkpoint_every must be >= 1"),
            (min(self.energy_weight, self.force_weight, self.stress_weight, self.noise_weight) >= 0, "loss weights must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown training options: {sorted(unknown)}")
        return cls(**data)


@dataclass
class History:
    """Per-epoch record (ASE units): losses, validation MAEs, learning rate, wall time (s)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_energy_mae: list[float] = field(default_factory=list)  # eV/atom
    val_force_mae: list[float] = field(default_factory=list)  # eV/Å
    val_stress_mae: list[float] = field(default_factory=list)  # eV/Å³
    lr: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**{k: list(v) for k, v in data.items()})

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass
class TrainResult:
    """The trained model (best EMA weights), its history and why training stopped."""

    model: torch.nn.Module
    history: History
    best_epoch: int
    stop_reason: str


def _loss(out: dict, batch: Batch, config: TrainConfig) -> torch.Tensor:
    n = batch.graph.atoms_per_graph.to(batch.energy.dtype)
    loss = config.energy_weight * (((out[keys.ENERGY] - batch.energy) / n) ** 2).mean()
    loss = loss + config.force_weight * ((out[keys.FORCES] - batch.forces) ** 2).mean()
    if keys.STRESS in out and bool(batch.has_stress.any()):
        m = batch.has_stress
        loss = loss + config.stress_weight * ((out[keys.STRESS][m] - batch.stress[m]) ** 2).mean()
    if config.noise_head is not None:
        log_var = out[config.noise_head + "_per_atom"]  # (N, 1)
        residual2 = (out[keys.FORCES] - batch.forces).detach() ** 2  # (N, 3)
        loss = loss + config.noise_weight * (0.5 * (residual2 * torch.exp(-log_var) + log_var)).mean()
    return loss


def _check_noise_head(model, config: TrainConfig) -> None:
    if config.noise_head is None:
        return
    heads = getattr(getattr(model, "config", None), "heads", {}) or {}
    if config.noise_head not in heads:
        raise ValueError(f"noise_head {config.noise_head!r} is not a head of the model (heads: {sorted(heads) or 'none'}); "
                         f"build it with heads={{{config.noise_head!r}: '0e'}}")
    if str(heads[config.noise_head]).replace("1x", "") != "0e":
        raise ValueError(f"noise_head {config.noise_head!r} must be one even scalar ('0e'), got {heads[config.noise_head]!r}")


def _val_loss(ev: Evaluation, config: TrainConfig) -> float:
    loss = config.energy_weight * np.mean((ev.energy_per_atom_pred - ev.energy_per_atom_true) ** 2)
    loss += config.force_weight * np.mean((ev.forces_pred - ev.forces_true) ** 2)
    if len(ev.stress_true):
        # Voigt off-diagonals stand for two tensor entries each: weight them so
        loss += config.stress_weight * np.mean(((ev.stress_pred - ev.stress_true) ** 2) @ np.array([1, 1, 1, 2, 2, 2]) / 9)
    return float(loss)


def _make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def _make_scheduler(optimizer, config: TrainConfig):
    if config.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=config.plateau_factor, patience=config.plateau_patience, min_lr=config.min_lr
        )
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.max_epochs, eta_min=config.min_lr)
    return None


def _prepare_model(model, train_frames: Sequence[Atoms]) -> None:
    """Per-species energy shift by least squares, energy scale = force RMS (NequIP-style)."""
    shift = fit_energy_shift(train_frames, model.species)
    with torch.no_grad():
        model.energy_shift.copy_(torch.as_tensor(shift, dtype=model.dtype))
        model.energy_scale.fill_(force_rms(train_frames))


def train(
    model,
    train_frames: Sequence[Atoms],
    val_frames: Sequence[Atoms],
    config: TrainConfig = TrainConfig(),
    callback: Callable[[History], bool | None] | None = None,
    resume: str | Path | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``train_frames``, validating on ``val_frames``.

    Args:
        model: an ENNP (its dtype and device are used for the data).
        train_frames, val_frames: labelled frames (energy, forces; stress optional).
        config: :class:`TrainConfig`.
        callback: called with the :class:`History` after every epoch (after the
            checkpoint is written), e.g. by a live training panel; returning True
            stops training (stop reason "callback").
        resume: a checkpoint written by an earlier (possibly killed) run with the same
            model architecture: training continues after its last finished epoch, with
            the optimizer, scheduler, EMA, shuffling state and history restored.

    Returns:
        :class:`TrainResult`; ``model`` holds the best EMA weights.

    Raises:
        ValueError: empty data, frames without labels, a checkpoint that is corrupt or
            of another architecture.
    """
    if not train_frames or not val_frames:
        raise ValueError("train needs at least one training and one validation frame")
    _check_noise_head(model, config)
    train_samples = build_samples(train_frames, model.cutoff, model.dtype, model.device)
    val_samples = build_samples(val_frames, model.cutoff, model.dtype, model.device)
    optimizer = _make_optimizer(model, config)
    scheduler = _make_scheduler(optimizer, config)
    generator = torch.Generator().manual_seed(config.seed)
    history = History()
    start_epoch, best_loss, best_epoch, bad_epochs, ema_updates = 0, math.inf, -1, 0, 0
    ema: dict[str, torch.Tensor] | None = None
    best_state: dict[str, torch.Tensor] | None = None

    if resume is not None:
        ckpt = _load_checkpoint(resume, model)
        model.load_state_dict(ckpt["model_state"])
        optimizer.load_state_dict(ckpt["optimizer_state"])
        if scheduler is not None and ckpt.get("scheduler_state") is not None:
            scheduler.load_state_dict(ckpt["scheduler_state"])
        generator.set_state(ckpt["generator_state"])
        history = History.from_dict(ckpt["history"])
        start_epoch = int(ckpt["epoch"]) + 1
        best_loss, best_epoch, bad_epochs = float(ckpt["best_loss"]), int(ckpt["best_epoch"]), int(ckpt["bad_epochs"])
        ema, ema_updates, best_state = ckpt["ema_state"], int(ckpt["ema_updates"]), ckpt["best_state"]
    elif config.fit_energy_shift:
        _prepare_model(model, train_frames)
    if ema is None:
        ema = {k: v.detach().clone() for k, v in model.state_dict().items()}

    eval_model = copy.deepcopy(model)
    t0 = time.perf_counter() - (history.wall_time[-1] if len(history) else 0.0)
    stop_reason = "max_epochs"
    n = len(train_samples)
    bar = tqdm(total=config.max_epochs, initial=start_epoch, disable=not config.progress, desc="training", unit="epoch")
    try:
        for epoch in range(start_epoch, config.max_epochs):
            model.train()
            order = torch.randperm(n, generator=generator).tolist()
            total, steps = 0.0, 0
            for start in range(0, n, config.batch_size):
                batch = collate([train_samples[i] for i in order[start : start + config.batch_size]])
                want = {keys.ENERGY, keys.FORCES}
                if bool(batch.graph.pbc.all()) and bool(batch.has_stress.any()):
                    want.add(keys.STRESS)
                out = compute_properties(model, batch.graph, want, create_graph=True)
                loss = _loss(out, batch, config)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.clip_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
                optimizer.step()
                ema_updates += 1
                _update_ema(ema, model, config.ema_decay, ema_updates)
                total += float(loss.detach())
                steps += 1

            eval_model.load_state_dict(ema)
            ev = evaluate_samples(eval_model, val_samples)
            val_loss = _val_loss(ev, config)
            if config.scheduler == "plateau":
                scheduler.step(val_loss)
            elif scheduler is not None:
                scheduler.step()
            history.epoch.append(epoch)
            history.train_loss.append(total / steps)
            history.val_loss.append(val_loss)
            history.val_energy_mae.append(ev.energy_mae_mev_per_atom / 1e3)
            history.val_force_mae.append(ev.force_mae_mev_per_a / 1e3)
            history.val_stress_mae.append(ev.stress_mae_mev_per_a3 / 1e3)
            history.lr.append(optimizer.param_groups[0]["lr"])
            history.wall_time.append(time.perf_counter() - t0)
            if val_loss < best_loss:
                best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
                best_state = {k: v.clone() for k, v in ema.items()}
            else:
                bad_epochs += 1
            if config.early_stopping_patience is not None and bad_epochs >= config.early_stopping_patience:
                stop_reason = "early_stopping"
            elif config.max_time_s is not None and history.wall_time[-1] >= config.max_time_s:
                stop_reason = "max_time"
            last = stop_reason != "max_epochs" or epoch == config.max_epochs - 1
            if config.checkpoint_path and ((epoch + 1) % config.checkpoint_every == 0 or last):
                atomic_torch_save(
                    {
                        "format": CHECKPOINT_FORMAT,
                        "ennp_lab_version": __version__,
                        "model_config": model.config.to_dict(),
                        "train_config": config.to_dict(),
                        "epoch": epoch,
                        "model_state": model.state_dict(),
                        "optimizer_state": optimizer.state_dict(),
                        "scheduler_state": scheduler.state_dict() if scheduler is not None else None,
                        "generator_state": generator.get_state(),
                        "ema_state": ema,
                        "ema_updates": ema_updates,
                        "best_state": best_state,
                        "best_loss": best_loss,
                        "best_epoch": best_epoch,
                        "bad_epochs": bad_epochs,
                        "history": history.to_dict(),
                    },
                    config.checkpoint_path,
                )
            bar.update(1)
            bar.set_postfix(val_F_mae_meV=f"{ev.force_mae_mev_per_a:.1f}", val_E_mae_meV=f"{ev.energy_mae_mev_per_atom:.2f}")
            if callback is not None and callback(history) is True and stop_reason == "max_epochs":
                stop_reason = "callback"
            if stop_reason != "max_epochs":
                break
    finally:
        bar.close()
    model.load_state_dict(best_state if best_state is not None else ema)
    model.eval()
    return TrainResult(model=model, history=history, best_epoch=best_epoch, stop_reason=stop_reason)


def _update_ema(ema: dict[str, torch.Tensor], model, decay: float | None, updates: int) -> None:
    """EMA with warm-up: d = min(decay, (1 + t)/(10 + t)); no EMA copies the weights."""
    state = model.state_dict()
    with torch.no_grad():
        if decay is None:
            for k, v in state.items():
                ema[k].copy_(v)
            return
        d = min(decay, (1.0 + updates) / (10.0 + updates))
        for k, v in state.items():
            if v.is_floating_point():
                ema[k].mul_(d).add_(v, alpha=1.0 - d)
            else:
                ema[k].copy_(v)


def _load_checkpoint(path: str | Path, model) -> dict:
    ckpt = load_tagged_torch_file(path, CHECKPOINT_FORMAT, "ennp_lab training checkpoint", map_location=model.device)
    if ckpt.get("model_config") != model.config.to_dict():
        raise ValueError(f"{path} was written for another model architecture: {ckpt.get('model_config')}")
    return ckpt
