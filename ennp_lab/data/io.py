"""extxyz reading and writing of labelled frames (energy, forces, stress), via ``ase.io``."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from ase import Atoms
from ase.io import read, write
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab.files import atomic_write

__all__ = ["read_frames", "write_frames", "frame_labels", "split_frames"]

_LABELS = ("energy", "forces", "stress")


def frame_labels(atoms: Atoms, index: int = 0, require: Iterable[str] = ("energy", "forces")) -> dict[str, np.ndarray]:
    """The labels a frame carries: ``energy`` (eV), ``forces`` (N, 3) eV/Å, ``stress`` (6,) eV/Å³.

    Stress is returned only for 3D-periodic frames that carry it.

    Raises:
        ValueError: a required label is missing, or a label has the wrong shape or
            non-finite values; the message names the frame ``index``.
    """
    results = dict(atoms.calc.results) if atoms.calc is not None else {}
    require = set(require)
    missing = sorted(k for k in require if k not in results)
    if missing:
        raise ValueError(f"frame {index} ({atoms.get_chemical_formula()}) has no {', '.join(missing)} label")
    out: dict[str, np.ndarray] = {}
    shapes = {"energy": (), "forces": (len(atoms), 3), "stress": (6,)}
    for key in _LABELS:
        if key not in results:
            continue
        value = np.asarray(results[key], dtype=float)
        if key == "stress" and value.shape == (3, 3):
            value = full_3x3_to_voigt_6_stress(value)
        if value.shape != shapes[key]:
            raise ValueError(f"frame {index}: {key} has shape {value.shape}, expected {shapes[key]}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"frame {index}: {key} has non-finite values")
        out[key] = value
    return out


def read_frames(path: str | os.PathLike, index: str = ":", require: Sequence[str] = ("energy", "forces")) -> list[Atoms]:
    """Read labelled frames from an extxyz file and validate their labels.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file cannot be parsed, holds no frames, or a frame lacks a
            required label or has inconsistent shapes (see :func:`frame_labels`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path}")
    try:
        frames = read(path, index=index, format="extxyz")
    except Exception as exc:
        raise ValueError(f"{path} is not a readable extxyz file: {exc}") from exc
    frames = frames if isinstance(frames, list) else [frames]
    if not frames:
        raise ValueError(f"{path} holds no frames")
    for k, atoms in enumerate(frames):
        frame_labels(atoms, k, require)
    return frames


def write_frames(path: str | os.PathLike, frames: Sequence[Atoms]) -> Path:
    """Write labelled frames to extxyz atomically (temporary file + rename).

    Raises:
        ValueError: a frame without energy and forces, or with inconsistent shapes.
    """
    frames = list(frames)
    for k, atoms in enumerate(frames):
        frame_labels(atoms, k)
    text = io.StringIO()
    write(text, frames, format="extxyz")
    return atomic_write(path, lambda handle: handle.write(text.getvalue().encode()))


def split_frames(frames: Sequence[Atoms], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> list[list[Atoms]]:
    """Shuffle with ``seed`` and split into parts of the given fractions (e.g. train/val/test).

    Every part gets at least one frame when there are enough frames.
    """
    fractions = np.asarray(fractions, dtype=float)
    if np.any(fractions < 0) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions.tolist()}")
    if len(frames) < len(fractions):
        raise ValueError(f"cannot split {len(frames)} frames into {len(fractions)} parts")
    order = np.random.default_rng(seed).permutation(len(frames))
    bounds = np.round(np.cumsum(fractions) * len(frames)).astype(int)
    parts, start = [], 0
    for end in bounds:
        parts.append([frames[i] for i in order[start:end]])
        start = end
    return parts
