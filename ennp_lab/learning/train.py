"""The one training engine: any declared output or derived quantity as a target, EMA,
schedules, early stopping, checkpoints that a killed run resumes from.

The loss of a batch is Σ_t w_t L_t over the targets (:mod:`ennp_lab.learning.targets`).
By default they are the classic force-field terms

    L = w_E · mean_b ((E_b − Ê_b)/n_b)² + w_F · mean_{i,α} (F_iα − F̂_iα)² + w_S · mean_{b∈S,αβ} (σ_bαβ − σ̂_bαβ)²

in eV/atom, eV/Å and eV/Å³ (S: the structures with a stress label), plus, with
``TrainConfig.noise_head``, the heteroscedastic Gaussian NLL of the force residuals
(:mod:`ennp_lab.learning.heteroscedastic`). ``TrainConfig.targets`` replaces them with
any list: a declared head against ``info`` labels (chirality), an intensive Cartesian
output (the elasticity tensor), a dipole or Born charges...

The pieces: :func:`init_state` (a :class:`TrainState`: model, optimizer, scheduler, EMA,
shuffling generator, history, best weights; from scratch or from a checkpoint),
:func:`run_epoch`, :func:`validate`, :func:`save_checkpoint`; :func:`train` strings them
together. Validation uses the exponential moving average (EMA) of the weights, which
is also what is returned.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from tqdm.auto import tqdm

from ennp_lab import keys
from ennp_lab._version import __version__
from ennp_lab.units import EV_TO_MEV
from ennp_lab.derivatives import available_properties, compute_properties
from ennp_lab.files import atomic_torch_save, load_tagged_torch_file
from ennp_lab.learning.config import RESUMABLE_CHANGES, History, TrainConfig, TrainResult
from ennp_lab.learning.dataset import Batch, Sample, build_samples, collate, fit_energy_shift, force_rms
from ennp_lab.learning.metrics import Evaluation, evaluate_samples
from ennp_lab.learning.targets import Target, check_targets, target_loss
from ennp_lab.models.interface import declared_inputs, declared_outputs

__all__ = ["TrainConfig", "History", "TrainResult", "TrainState", "init_state", "run_epoch", "validate",
           "save_checkpoint", "train", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "ennp_lab.checkpoint"

@dataclass
class TrainState:
    """Everything a run carries from epoch to epoch (and a checkpoint stores)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    generator: torch.Generator
    ema: dict[str, torch.Tensor]
    history: History = field(default_factory=History)
    epoch: int = 0  # the next epoch to run
    ema_updates: int = 0
    best_loss: float = math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    best_state: dict[str, torch.Tensor] | None = None

    def best_weights(self) -> dict[str, torch.Tensor]:
        return self.best_state if self.best_state is not None else self.ema


# ------------------------------------------------------------------------------ pieces
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


def _per_atom_names(model) -> set[str]:
    return {keys.per_atom(name) for name, spec in declared_outputs(model).items() if spec.per_atom}


def _samples(model, frames: Sequence[Atoms], config: TrainConfig) -> list[Sample]:
    return build_samples(frames, model.cutoff, model.dtype, model.device, targets=config.loss_targets,
                         inputs=declared_inputs(model), per_atom=_per_atom_names(model) | {keys.BORN_CHARGES,
                                                                                          keys.EFFECTIVE_FIELD,
                                                                                          keys.TORQUE})


def init_state(model, config: TrainConfig, train_frames: Sequence[Atoms] = (), resume: str | Path | None = None) -> TrainState:
    """A fresh :class:`TrainState` (energy shift fitted on ``train_frames`` when the config
    says so), or the state stored in the checkpoint ``resume``.

    Raises:
        ValueError: a checkpoint that is corrupt, of another architecture, or written with
            other training options than ``config`` (beyond :data:`RESUMABLE_CHANGES`).
    """
    optimizer = _make_optimizer(model, config)
    scheduler = _make_scheduler(optimizer, config)
    generator = torch.Generator().manual_seed(config.seed)
    if resume is None:
        if config.fit_energy_shift:
            _prepare_model(model, train_frames)
        return TrainState(model, optimizer, scheduler, generator, {k: v.detach().clone() for k, v in model.state_dict().items()})
    ckpt = _load_checkpoint(resume, model, config)
    model.load_state_dict(ckpt["model_state"])
    optimizer.load_state_dict(ckpt["optimizer_state"])
    if scheduler is not None and ckpt.get("scheduler_state") is not None:
        scheduler.load_state_dict(ckpt["scheduler_state"])
    generator.set_state(ckpt["generator_state"])
    return TrainState(model, optimizer, scheduler, generator, ckpt["ema_state"], History.from_dict(ckpt["history"]),
                      epoch=int(ckpt["epoch"]) + 1, ema_updates=int(ckpt["ema_updates"]), best_loss=float(ckpt["best_loss"]),
                      best_epoch=int(ckpt["best_epoch"]), bad_epochs=int(ckpt["bad_epochs"]), best_state=ckpt["best_state"])


def _wanted(targets: Sequence[Target], batch: Batch) -> set[str]:
    """The derived quantities a batch's loss needs (heads come with every evaluation)."""
    periodic = bool(batch.graph.pbc.all())
    wanted = {keys.ENERGY}
    for t in targets:
        if t.key not in batch.labels or t.name == keys.ENERGY:
            continue
        if t.name in (keys.STRESS, keys.POLARIZATION):
            if periodic and bool(batch.masks[t.key].any()):
                wanted.add(t.name)
        elif t.name in keys.DERIVED_PROPERTIES:
            wanted.add(t.name)
    return wanted


def batch_loss(out: dict[str, torch.Tensor], batch: Batch, targets: Sequence[Target]) -> torch.Tensor:
    """Σ_t w_t L_t over the targets whose labels and predictions the batch has."""
    loss = None
    n = batch.graph.atoms_per_graph
    for t in targets:
        if t.key not in batch.labels or t.name not in out:
            continue
        prediction, label, mask = out[t.name], batch.labels[t.key], batch.masks[t.key]
        if label.shape != prediction.shape:
            if label.numel() != prediction.numel():
                raise ValueError(f"target {t.name!r}: labels of shape {tuple(label.shape[1:])} per entry for a prediction "
                                 f"of shape {tuple(prediction.shape[1:])}")
            label = label.reshape(prediction.shape)  # e.g. a scalar info label for a (B, 1) head
        cells = batch.graph.cell if t.quantum_charge is not None else None
        if not bool(mask.all()):  # only the structures (or their atoms) that carry the label
            mask = mask[batch.graph.batch] if t.key in batch.atom_labels else mask
            prediction, label = prediction[mask], label[mask]
            cells = None if cells is None else cells[mask]
        if prediction.numel() == 0:
            continue
        per_atom_energy = n.to(label.dtype) if t.name == keys.ENERGY else None
        variance = out[keys.per_atom(t.variance)] if t.variance else None
        term = t.weight * target_loss(t, prediction, label, per_atom_energy, variance, cells)
        loss = term if loss is None else loss + term
    if loss is None:
        raise ValueError("no target of the loss has labels in this batch")
    return loss


def run_epoch(state: TrainState, samples: Sequence[Sample], config: TrainConfig) -> float:
    """One pass over ``samples`` in batches (shuffled unless ``config.shuffle`` is False);
    returns the mean training loss of its steps."""
    model, targets = state.model, config.loss_targets
    model.train()
    n = len(samples)
    order = torch.randperm(n, generator=state.generator).tolist() if config.shuffle else list(range(n))
    total, steps = 0.0, 0
    for start in range(0, n, config.batch_size):
        batch = collate([samples[i] for i in order[start : start + config.batch_size]])
        out = compute_properties(model, batch.graph, _wanted(targets, batch), create_graph=True)
        loss = batch_loss(out, batch, targets)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
        state.optimizer.step()
        state.ema_updates += 1
        _update_ema(state.ema, model, config.ema_decay, state.ema_updates)
        total += float(loss.detach())
        steps += 1
    return total / steps


def _classic_loss(ev: Evaluation, targets: Sequence[Target]) -> float:
    """Validation loss of the energy/forces/stress targets from an :class:`Evaluation`."""
    loss = 0.0
    for t in targets:
        if t.loss == "gaussian_nll" or t.label is not None:
            continue
        f = np.square if t.loss == "mse" else np.abs
        if t.name == keys.ENERGY:
            loss += t.weight * np.mean(f(ev.energy_per_atom_pred - ev.energy_per_atom_true))
        elif t.name == keys.FORCES:
            loss += t.weight * np.mean(f(ev.forces_pred - ev.forces_true))
        elif t.name == keys.STRESS and len(ev.stress_true):
            # Voigt off-diagonals stand for two tensor entries each: weight them so
            loss += t.weight * np.mean(f(ev.stress_pred - ev.stress_true) @ np.array([1, 1, 1, 2, 2, 2]) / 9)
    return float(loss)


def validate(model, samples: Sequence[Sample], config: TrainConfig, batch_size: int = 16
             ) -> tuple[float, Evaluation | None, dict[str, float]]:
    """The validation loss of ``model`` on ``samples``: the energy/forces/stress terms from
    an :class:`~ennp_lab.learning.metrics.Evaluation` (when those are targets), plus the
    other targets' weighted losses. Returns (loss, evaluation or None, other losses by name)."""
    targets = config.loss_targets
    classic = [t for t in targets if t.name in (keys.ENERGY, keys.FORCES, keys.STRESS) and t.label is None]
    ev = evaluate_samples(model, samples) if classic else None
    loss = _classic_loss(ev, classic) if ev is not None else 0.0
    others = [t for t in targets if t not in classic and t.loss != "gaussian_nll"]
    sums: dict[str, list[float]] = {t.name: [] for t in others}
    for start in range(0, len(samples), batch_size) if others else ():
        batch = collate(samples[start : start + batch_size])
        out = compute_properties(model, batch.graph, _wanted(others, batch))
        for t in others:
            if t.key in batch.labels and t.name in out:
                unweighted = Target(t.name, 1.0, t.loss, t.label, t.variance)
                sums[t.name].append(float(batch_loss(out, batch, [unweighted])))
    per_target = {name: float(np.mean(v)) for name, v in sums.items() if v}
    loss += sum(t.weight * per_target.get(t.name, 0.0) for t in others)
    return float(loss), ev, per_target


def save_checkpoint(state: TrainState, config: TrainConfig, path: str | Path) -> Path:
    """Write the state atomically (a killed run resumes from the last one written)."""
    model_config = getattr(state.model, "config", None)
    return atomic_torch_save(
        {
            "format": CHECKPOINT_FORMAT,
            "ennp_lab_version": __version__,
            "model_config": model_config.to_dict() if model_config is not None else None,
            "train_config": config.to_dict(),
            "epoch": state.epoch,
            "model_state": state.model.state_dict(),
            "optimizer_state": state.optimizer.state_dict(),
            "scheduler_state": state.scheduler.state_dict() if state.scheduler is not None else None,
            "generator_state": state.generator.get_state(),
            "ema_state": state.ema,
            "ema_updates": state.ema_updates,
            "best_state": state.best_state,
            "best_loss": state.best_loss,
            "best_epoch": state.best_epoch,
            "bad_epochs": state.bad_epochs,
            "history": state.history.to_dict(),
        },
        path,
    )


# ---------------------------------------------------------------------------- workflow
def train(
    model,
    train_frames: Sequence[Atoms],
    val_frames: Sequence[Atoms] | None,
    config: TrainConfig = TrainConfig(),
    callback: Callable[[History], bool | None] | None = None,
    resume: str | Path | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``train_frames``, validating on ``val_frames``.

    Args:
        model: any ennp_lab model (its dtype and device are used for the data).
        train_frames: labelled frames (the labels the targets need).
        val_frames: labelled frames for validation, or None for none (the training loss
            of each epoch is then what schedules and early stopping follow, and the last
            weights are returned).
        config: :class:`TrainConfig`.
        callback: called with the :class:`History` after every epoch (after the
            checkpoint is written), e.g. by a live training panel; returning True stops
            training (stop reason "callback").
        resume: a checkpoint written by an earlier (possibly killed) run with the same
            model architecture and training options (up to :data:`RESUMABLE_CHANGES`):
            training continues after its last finished epoch, with the optimizer,
            scheduler, EMA, shuffling state and history restored.

    Returns:
        :class:`TrainResult`; ``model`` holds the best EMA weights.

    Raises:
        ValueError: empty data, frames without the targets' labels, targets the model
            cannot predict, a checkpoint that is corrupt or of another architecture or
            other options.
    """
    if not train_frames or (val_frames is not None and not val_frames):
        raise ValueError("train needs at least one training frame and one validation frame (or val_frames=None)")
    check_targets(config.loss_targets, available_properties(model), declared_outputs(model))
    train_samples = _samples(model, train_frames, config)
    val_samples = _samples(model, val_frames, config) if val_frames is not None else None
    state = init_state(model, config, train_frames, resume)
    eval_model = copy.deepcopy(model) if val_samples is not None else None
    history = state.history
    t0 = time.perf_counter() - (history.wall_time[-1] if len(history) else 0.0)
    stop_reason = "max_epochs"
    bar = tqdm(total=config.max_epochs, initial=state.epoch, disable=not config.progress, desc="training", unit="epoch")
    try:
        for epoch in range(state.epoch, config.max_epochs):
            state.epoch = epoch
            train_loss = run_epoch(state, train_samples, config)
            ev, others = None, {}
            if val_samples is not None:
                eval_model.load_state_dict(state.ema)
                val_loss, ev, others = validate(eval_model, val_samples, config)
            else:
                val_loss = train_loss
            if config.scheduler == "plateau":
                state.scheduler.step(val_loss)
            elif state.scheduler is not None:
                state.scheduler.step()
            _record(history, epoch, train_loss, val_loss, ev, others, state.optimizer, time.perf_counter() - t0)
            if val_loss < state.best_loss:
                state.best_loss, state.best_epoch, state.bad_epochs = val_loss, epoch, 0
                if val_samples is not None:  # without validation the last weights are kept
                    state.best_state = {k: v.clone() for k, v in state.ema.items()}
            else:
                state.bad_epochs += 1
            if config.early_stopping_patience is not None and state.bad_epochs >= config.early_stopping_patience:
                stop_reason = "early_stopping"
            elif config.max_time_s is not None and history.wall_time[-1] >= config.max_time_s:
                stop_reason = "max_time"
            last = stop_reason != "max_epochs" or epoch == config.max_epochs - 1
            if config.checkpoint_path and ((epoch + 1) % config.checkpoint_every == 0 or last):
                save_checkpoint(state, config, config.checkpoint_path)
            bar.update(1)
            if ev is not None:
                bar.set_postfix(val_F_mae_meV=f"{EV_TO_MEV * ev.force_mae:.1f}", val_E_mae_meV=f"{EV_TO_MEV * ev.energy_mae:.2f}")
            if callback is not None and callback(history) is True and stop_reason == "max_epochs":
                stop_reason = "callback"
            if stop_reason != "max_epochs":
                break
    finally:
        bar.close()
    model.load_state_dict(state.best_weights())
    model.eval()
    return TrainResult(model=model, history=history, best_epoch=state.best_epoch, stop_reason=stop_reason)


def _record(history: History, epoch: int, train_loss: float, val_loss: float, ev: Evaluation | None, others: dict,
            optimizer, wall: float) -> None:
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.val_loss.append(val_loss)
    nan = float("nan")
    history.val_energy_mae.append(ev.energy_mae if ev is not None else nan)
    history.val_force_mae.append(ev.force_mae if ev is not None else nan)
    history.val_stress_mae.append(ev.stress_mae if ev is not None else nan)
    for name, value in others.items():
        history.val_targets.setdefault(name, []).append(value)
    history.lr.append(optimizer.param_groups[0]["lr"])
    history.wall_time.append(wall)


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


def _load_checkpoint(path: str | Path, model, config: TrainConfig) -> dict:
    ckpt = load_tagged_torch_file(path, CHECKPOINT_FORMAT, "ennp_lab training checkpoint", map_location=model.device)
    model_config = getattr(model, "config", None)
    if model_config is not None and ckpt.get("model_config") != model_config.to_dict():
        raise ValueError(f"{path} was written for another model architecture: {ckpt.get('model_config')}")
    stored = TrainConfig.from_dict(ckpt.get("train_config", {})).to_dict()
    changed = sorted(k for k, v in config.to_dict().items() if stored.get(k) != v and k not in RESUMABLE_CHANGES)
    if changed:
        listed = ", ".join(f"{k}: {stored.get(k)!r} → {config.to_dict()[k]!r}" for k in changed)
        raise ValueError(f"{path} was written with other training options ({listed}); resume with the same options "
                         f"(only {sorted(RESUMABLE_CHANGES)} may change) or start a new run")
    return ckpt
