"""Training options and records: :class:`TrainConfig` (validated field by field, stored in
every checkpoint), :class:`History` (per epoch) and :class:`TrainResult`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import torch

from ennp_lab.learning.targets import Target, default_targets

__all__ = ["TrainConfig", "History", "TrainResult", "RESUMABLE_CHANGES", "check_fields"]


def check_fields(cls, data: dict, what: str) -> dict:
    """``data`` as a dict, after checking that it names only fields of the dataclass ``cls``.

    Raises:
        ValueError: unknown names, listed ("unknown <what> options: [...]").
    """
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} options: {sorted(unknown)}")
    return dict(data)

#: options that may change when a run is resumed (everything else must match the checkpoint)
RESUMABLE_CHANGES = frozenset({"max_epochs", "max_time_s", "progress", "checkpoint_path"})

_INT, _FLOAT, _STR, _BOOL = (int,), (int, float), (str,), (bool,)
_TYPES = {
    "max_epochs": _INT, "batch_size": _INT, "lr": _FLOAT, "optimizer": _STR, "weight_decay": _FLOAT,
    "scheduler": _STR, "plateau_factor": _FLOAT, "plateau_patience": _INT, "min_lr": _FLOAT,
    "energy_weight": _FLOAT, "force_weight": _FLOAT, "stress_weight": _FLOAT, "ema_decay": _FLOAT,
    "early_stopping_patience": _INT, "clip_grad_norm": _FLOAT, "seed": _INT, "checkpoint_path": _STR,
    "checkpoint_every": _INT, "fit_energy_shift": _BOOL, "max_time_s": _FLOAT, "progress": _BOOL,
    "noise_head": _STR, "noise_weight": _FLOAT, "shuffle": _BOOL,
}
_OPTIONAL = {"ema_decay", "early_stopping_patience", "clip_grad_norm", "checkpoint_path", "max_time_s", "noise_head"}


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
        plateau_factor, plateau_patience: ReduceLROnPlateau settings (factor in (0, 1)).
        min_lr: smallest learning rate (≥ 0).
        energy_weight, force_weight, stress_weight: loss weights w_E, w_F, w_S of the
            default targets.
        ema_decay: EMA decay of the weights (None: no EMA).
        early_stopping_patience: epochs without a better validation loss before
            stopping (≥ 1; None: never).
        clip_grad_norm: gradient norm clip (None: no clipping).
        seed: seed of the batch shuffling.
        checkpoint_path: where to write checkpoints (None: none).
        checkpoint_every: epochs between checkpoints (the last epoch is always saved).
        fit_energy_shift: least-squares per-species energy shift (and force-RMS scale)
            before training.
        max_time_s: stop after this much wall time (> 0; None: no limit).
        progress: show a tqdm progress bar.
        noise_head: name of a scalar ("0e") per-atom head trained as log σ_i² of the
            force-label noise by Gaussian NLL (None: no noise model).
        noise_weight: weight w_noise of that NLL term.
        targets: the loss terms (:class:`~ennp_lab.learning.targets.Target`); empty:
            the default energy/forces/stress (and noise) terms from the weights above.
        shuffle: shuffle the frames every epoch (False: in the given order, e.g. one
            full batch).

    Raises:
        ValueError: a field of the wrong type or out of range, named.
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
    targets: tuple[Target, ...] = ()
    shuffle: bool = True

    def __post_init__(self) -> None:
        for name, types in _TYPES.items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
            if not ok:
                kind = " or ".join(t.__name__ for t in types) + (" or None" if name in _OPTIONAL else "")
                raise ValueError(f"training option {name} must be {kind}, got {value!r} ({type(value).__name__})")
        targets = tuple(t if isinstance(t, Target) else Target(**t) for t in self.targets)
        object.__setattr__(self, "targets", targets)
        checks = [
            (self.max_epochs >= 1, f"max_epochs must be >= 1, got {self.max_epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.lr > 0 and math.isfinite(self.lr), f"lr must be positive and finite, got {self.lr}"),
            (self.optimizer in ("adam", "adamw"), f"optimizer must be 'adam' or 'adamw', got {self.optimizer!r}"),
            (self.scheduler in ("plateau", "cosine", "none"), f"scheduler must be 'plateau', 'cosine' or 'none', got {self.scheduler!r}"),
            (0 < self.plateau_factor < 1, f"plateau_factor must be in (0, 1) (it multiplies the learning rate), got {self.plateau_factor}"),
            (self.plateau_patience >= 0, f"plateau_patience must be >= 0, got {self.plateau_patience}"),
            (self.min_lr >= 0, f"min_lr must be >= 0, got {self.min_lr}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (self.ema_decay is None or 0 < self.ema_decay < 1, f"ema_decay must be in (0, 1), got {self.ema_decay}"),
            (self.early_stopping_patience is None or self.early_stopping_patience >= 1,
             f"early_stopping_patience must be >= 1 or None, got {self.early_stopping_patience}"),
            (self.clip_grad_norm is None or self.clip_grad_norm > 0, f"clip_grad_norm must be positive, got {self.clip_grad_norm}"),
            (self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}"),
            (self.max_time_s is None or self.max_time_s > 0, f"max_time_s must be positive or None, got {self.max_time_s}"),
            (min(self.energy_weight, self.force_weight, self.stress_weight, self.noise_weight) >= 0, "loss weights must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def loss_targets(self) -> tuple[Target, ...]:
        """The loss terms: ``targets``, or the default ones from the weights."""
        if self.targets:
            return self.targets
        return default_targets(self.energy_weight, self.force_weight, self.stress_weight, self.noise_head, self.noise_weight)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["targets"] = [t.to_dict() for t in self.targets]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        data = check_fields(cls, data, "training")
        if "targets" in data:
            data["targets"] = tuple(Target(**t) if isinstance(t, dict) else t for t in data["targets"])
        return cls(**data)


@dataclass
class History:
    """Per-epoch record (ASE units): losses, validation MAEs, learning rate, wall time (s),
    and the validation loss of each target besides energy, forces and stress."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_energy_mae: list[float] = field(default_factory=list)  # eV/atom
    val_force_mae: list[float] = field(default_factory=list)  # eV/Å
    val_stress_mae: list[float] = field(default_factory=list)  # eV/Å³
    lr: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    val_targets: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**{k: ({n: list(x) for n, x in v.items()} if isinstance(v, dict) else list(v)) for k, v in data.items()})

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass
class TrainResult:
    """The trained model (best EMA weights), its history and why training stopped."""

    model: torch.nn.Module
    history: History
    best_epoch: int
    stop_reason: str
