"""Training recipes: a JSON file that says which data, which model and how to train.

A recipe (the shipped ones are package data: ``ennp_lab/recipes/cu-emt.json``,
``cu-ripple.json``; :func:`load_recipe` takes their names too)::

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

import inspect
import json
import os
from dataclasses import dataclass
from importlib import resources
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
from ennp_lab.models.ennp import ENNP, ENNPConfig, build_ennp
from ennp_lab.models.io import save_model
from ennp_lab.validation import as_int, as_real

__all__ = ["Recipe", "RECIPES", "load_recipe", "recipe_path", "recipe_frames", "run_recipe"]

_SECTIONS = {"name", "data", "model", "training"}
_DATA_KEYS = {"generator", "element", "seed", "options", "split", "split_seed", "ripple", "train", "val"}
#: the recipes shipped inside the package, by name
RECIPES = ("cu-emt", "cu-ripple")


def recipe_path(name: str):
    """Path of a shipped recipe."""
    if name not in RECIPES:
        raise ValueError(f"unknown shipped recipe {name!r}; available: {', '.join(RECIPES)}")
    return resources.files("ennp_lab") / "recipes" / f"{name}.json"


def _check_options(options: dict, function: Callable, skip: set[str], what: str) -> None:
    """Every key of ``options`` is a keyword of ``function`` (minus ``skip``), of the type of its default."""
    if not isinstance(options, dict):
        raise ValueError(f"the recipe's {what} must be a JSON object, got {options!r}")
    parameters = {k: p for k, p in inspect.signature(function).parameters.items() if k not in skip}
    unknown = sorted(set(options) - set(parameters))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {sorted(parameters)}")
    for key, value in options.items():
        default = parameters[key].default
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{what} {key} must be true or false, got {value!r}")
        elif isinstance(default, int):
            as_int(value, f"{what} {key}", minimum=0)
        elif isinstance(default, float):
            as_real(value, f"{what} {key}")
        elif isinstance(default, (tuple, list)):
            if np.ndim(value) != 1:
                raise ValueError(f"{what} {key} must be a list of numbers, got {value!r}")
            for k, v in enumerate(value):
                as_real(v, f"{what} {key}[{k}]")


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
        for section in ("data", "model", "training"):
            if section in raw and not isinstance(raw[section], dict):
                raise ValueError(f"the recipe's {section} section must be a JSON object, got {raw[section]!r}")
        recipe = cls(str(raw["name"]), dict(raw["data"]), dict(raw["model"]), dict(raw.get("training", {})), Path(root))
        # validate every section now: a typo is a one-line error, not a traceback after minutes of data generation
        TrainConfig.from_dict(recipe.training)
        unknown = sorted(set(recipe.model) - (set(ENNPConfig.__dataclass_fields__) - {"species"}))
        if unknown:
            raise ValueError(f"unknown model options {unknown} in the recipe; known: "
                             f"{sorted(set(ENNPConfig.__dataclass_fields__) - {'species'})}")
        ENNPConfig(species=(1,), **recipe.model)
        unknown = sorted(set(recipe.data) - _DATA_KEYS)
        if unknown:
            raise ValueError(f"unknown data keys {unknown} in the recipe; known: {sorted(_DATA_KEYS)}")
        _check_options(recipe.data.get("options", {}), generate_emt_dataset, {"element", "seed", "calc"}, "data option")
        _check_options(recipe.data.get("ripple", {}), rippled_emt, {"element"}, "ripple option")
        for key in ("seed", "split_seed"):
            if key in recipe.data:
                as_int(recipe.data[key], f"data {key}")
        return recipe


def load_recipe(path: str | os.PathLike) -> Recipe:
    """Read a recipe JSON file, or a shipped recipe by name (:data:`RECIPES`).

    Raises:
        FileNotFoundError: no such file (and no shipped recipe of that name).
        ValueError: not JSON, or not a valid recipe.
    """
    if str(path) in RECIPES:
        path = Path(str(recipe_path(str(path))))
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no recipe file at {path} (and no shipped recipe of that name: {', '.join(RECIPES)})")
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
