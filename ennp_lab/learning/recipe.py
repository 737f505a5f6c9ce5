"""Training recipes: a JSON file that says which data, which model and how to train.

A recipe (see ``configs/cu-emt.json``)::

    {
      "name": "cu-emt",
      "data": {"generator": "emt", "element": "Cu", "seed": 0, "split": [0.9, 0.1], "split_seed": 0,
               "options": {"md_per_temperature": 40}},
      "model": {"r_max": 5.0, "l_max": 1, "channels": 16, "layers": 2, "seed": 0, "dtype": "float32"},
      "training": {"max_epochs": 60, "lr": 0.005, ...}
    }

``"generator": "emt-ripple"`` labels with EMT plus a short-wavelength noise ripple
(:func:`ennp_lab.data.reference.rippled_emt`; its options under ``"ripple"``).
``data`` may instead name files: ``{"train": "train.xyz", "val": "val.xyz"}`` (paths
relative to the recipe). The species come from the data; ``avg_num_neighbors`` is
measured on the training frames unless the model section sets it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from ase import Atoms

from ennp_lab.data.generators import generate_emt_dataset
from ennp_lab.data.reference import rippled_emt
from ennp_lab.data.io import read_frames, split_frames
from ennp_lab.files import atomic_write
from ennp_lab.learning.dataset import average_num_neighbors
from ennp_lab.learning.train import History, TrainConfig, TrainResult, train
from ennp_lab.models.ennp import ENNP, build_ennp
from ennp_lab.models.io import save_model

__all__ = ["Recipe", "load_recipe", "recipe_frames", "run_recipe"]

_SECTIONS = {"name", "data", "model", "training"}


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe; ``root`` is the folder data paths are relative to."""

    name: str
    data: dict
    model: dict
    training: dict
    root: Path

    @classmethod
    def from_dict(cls, raw: dict, root: str | os.PathLike = ".") -> "Recipe":
        if not isinstance(raw, dict):
            raise ValueError("a recipe is a JSON object with 'name', 'data', 'model' and 'training'")
        unknown = set(raw) - _SECTIONS
        if unknown:
            raise ValueError(f"unknown recipe sections: {sorted(unknown)} (expected {sorted(_SECTIONS)})")
        missing = {"name", "data", "model"} - set(raw)
        if missing:
            raise ValueError(f"recipe lacks {sorted(missing)}")
        recipe = cls(str(raw["name"]), dict(raw["data"]), dict(raw["model"]), dict(raw.get("training", {})), Path(root))
        TrainConfig.from_dict(recipe.training)  # validate early
        return recipe


def load_recipe(path: str | os.PathLike) -> Recipe:
    """Read a recipe JSON file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, or not a valid recipe.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no recipe file at {path}")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    return Recipe.from_dict(raw, path.parent)


def recipe_frames(recipe: Recipe) -> tuple[list[Atoms], list[Atoms]]:
    """The training and validation frames a recipe names (generated or read)."""
    data = recipe.data
    if "generator" in data:
        element = data.get("element", "Cu")
        if data["generator"] == "emt":
            calc = None
        elif data["generator"] == "emt-ripple":
            calc = rippled_emt(element, **data.get("ripple", {}))
        else:
            raise ValueError(f"unknown data generator {data['generator']!r} (available: 'emt', 'emt-ripple')")
        frames = generate_emt_dataset(element=element, seed=int(data.get("seed", 0)), calc=calc, **data.get("options", {}))
        fractions = data.get("split", [0.9, 0.1])
        train_frames, val_frames = split_frames(frames, fractions, seed=int(data.get("split_seed", 0)))
        return train_frames, val_frames
    if "train" in data and "val" in data:
        return read_frames(recipe.root / data["train"]), read_frames(recipe.root / data["val"])
    raise ValueError("the recipe's data section needs a 'generator' or 'train' and 'val' files")


def run_recipe(
    recipe: Recipe,
    out_dir: str | os.PathLike,
    resume: bool = False,
    callback: Callable[[History], None] | None = None,
    frames: tuple[list[Atoms], list[Atoms]] | None = None,
    **overrides,
) -> tuple[ENNP, TrainResult]:
    """Train the recipe's model; write ``model.pt``, ``checkpoint.pt`` and ``history.json`` to ``out_dir``.

    Args:
        recipe: the recipe.
        out_dir: output folder (created).
        resume: continue from ``out_dir/checkpoint.pt`` (after a killed run).
        callback: per-epoch callback (see :func:`~ennp_lab.learning.train.train`).
        frames: (train, val) frames to use instead of the recipe's data section.
        **overrides: training options that replace the recipe's (e.g. ``max_epochs``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_frames, val_frames = frames if frames is not None else recipe_frames(recipe)
    species = sorted({int(z) for f in train_frames for z in f.numbers})
    model_opts = dict(recipe.model)
    r_max = float(model_opts.pop("r_max", 5.0))
    if "avg_num_neighbors" not in model_opts:
        model_opts["avg_num_neighbors"] = round(average_num_neighbors(train_frames, r_max), 3)
    model = build_ennp(species, r_max=r_max, **model_opts)
    checkpoint = out / "checkpoint.pt"
    options = {**recipe.training, **overrides, "checkpoint_path": str(checkpoint)}
    config = TrainConfig.from_dict(options)
    result = train(model, train_frames, val_frames, config, callback=callback, resume=checkpoint if resume else None)
    save_model(model, out / "model.pt")
    summary = {
        "name": recipe.name,
        "best_epoch": result.best_epoch,
        "stop_reason": result.stop_reason,
        "train_frames": len(train_frames),
        "val_frames": len(val_frames),
        "history": result.history.to_dict(),
    }
    atomic_write(out / "history.json", lambda h: h.write(json.dumps(summary, indent=1, default=_jsonable).encode()))
    return model, result


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
