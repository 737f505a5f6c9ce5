"""Atomic file writes: a killed run leaves either the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, IO

import torch

__all__ = ["atomic_write", "atomic_torch_save", "load_tagged_torch_file"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(handle)`` on a temporary file beside ``path``, fsync, then rename.

    ``os.replace`` is atomic on POSIX and Windows when source and target share a
    directory, so readers see either the previous file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` through :func:`atomic_write`."""
    return atomic_write(path, lambda handle: torch.save(obj, handle))


def load_tagged_torch_file(path: str | os.PathLike, tag: str, what: str, map_location: Any = "cpu") -> dict:
    """``torch.load(weights_only=True)`` of a dict written with ``{"format": tag, ...}``.

    No code in the file runs. Errors name the file and say what is wrong in one line.

    Raises:
        FileNotFoundError: no such file.
        ValueError: unreadable (truncated, corrupt) or not a ``tag`` file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle/zip errors of many kinds; torch's messages run to a page
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"{path} is not a readable {what} (truncated or corrupt?): {first}") from exc
    if not isinstance(payload, dict) or payload.get("format") != tag:
        raise ValueError(f"{path} is not an {what} (no '{tag}' format tag)")
    return payload
