"""Saving and loading models: config + species + weights + version, no code execution."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ennp_lab._version import __version__
from ennp_lab.device import resolve_device
from ennp_lab.files import atomic_torch_save, load_tagged_torch_file
from ennp_lab.models.ennp import ENNP, ENNPConfig

__all__ = ["save_model", "load_model", "save_ensemble", "load_ensemble", "MODEL_FORMAT"]

#: Tag stored in every model file; anything without it is not an ennp_lab model.
MODEL_FORMAT = "ennp_lab.model"
FORMAT_VERSION = 1


def save_model(model, path: str | os.PathLike) -> Path:
    """Write ``model`` (an :class:`ENNP`, or a
    :class:`~ennp_lab.models.electrostatics.ChargedENNP`: its local ENNP and its
    electrostatics settings) to ``path`` atomically (temporary file + rename).

    The file holds only tensors and plain Python values (format tag, format version,
    ennp_lab version, config incl. species, CPU state dict), so :func:`load_model` can read
    it with ``torch.load(weights_only=True)``.
    """
    from ennp_lab.models.electrostatics import ChargedENNP

    hybrid = isinstance(model, ChargedENNP)
    local = model.local if hybrid else model
    if not isinstance(local, ENNP):
        raise ValueError(f"save_model takes an ENNP or a ChargedENNP around one, got {type(model).__name__}")
    payload = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "ennp_lab_version": __version__,
        "config": local.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in local.state_dict().items()},
    }
    if hybrid:
        payload["electrostatics"] = model.electrostatics.to_dict()
    return atomic_torch_save(payload, path)


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu"):
    """Load a model written by :func:`save_model` (``weights_only=True``: no code runs):
    an :class:`ENNP`, or a ``ChargedENNP`` when the file holds electrostatics settings.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a truncated/corrupt file, a file that is not an ennp_lab model, a
            newer format, or weights that do not match the stored config.
    """
    path = Path(path)
    payload = load_tagged_torch_file(path, MODEL_FORMAT, "ennp_lab model file")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format version {version}; this ennp_lab ({__version__}) reads up to {FORMAT_VERSION}"
        )
    try:
        config = ENNPConfig.from_dict(dict(payload["config"]))
        model = ENNP.from_config(config)
        model.load_state_dict(payload["state_dict"], strict=True)
        model.exact_constants()  # checkpoints made before this fix hold float32-rounded ones
    except (KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path}: the stored weights do not match the stored config: {exc}") from exc
    broken = [name for name, t in model.state_dict().items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if broken:
        raise ValueError(f"{path}: the weights {broken[:5]}{' ...' if len(broken) > 5 else ''} hold NaN or inf; "
                         f"refusing a model that can only predict NaN")
    if "electrostatics" in payload:
        from ennp_lab.models.electrostatics import ChargedENNP, Electrostatics

        try:
            model = ChargedENNP(model, Electrostatics.from_dict(payload["electrostatics"]))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: bad electrostatics settings: {exc}") from exc
    return model.to(resolve_device(device))


def save_ensemble(ensemble, directory: str | os.PathLike) -> list[Path]:
    """Write member k of an :class:`~ennp_lab.models.ensemble.Ensemble` to
    ``directory/member_k.pt`` (atomically, :func:`save_model`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [save_model(m, directory / f"member_{k}.pt") for k, m in enumerate(ensemble.members)]


def load_ensemble(paths, device: str | torch.device = "cpu"):
    """An :class:`~ennp_lab.models.ensemble.Ensemble` of the models in ``paths`` (see :func:`load_model`)."""
    from ennp_lab.models.ensemble import Ensemble

    return Ensemble([load_model(p, device=device) for p in paths])
