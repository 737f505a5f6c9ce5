"""Atomic file writes: a killed run leaves either the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, IO

import torch

__all__ = ["atomic_write", "atomic_torch_save", "load_tagged_torch_file"]


def _stale_temporaries(path: Path) -> list[Path]:
    """Temporaries ``.NAME.<pid>.*.tmp`` of ``path`` left by processes that no longer run
    (a SIGKILL inside a write leaves one; nothing else would remove it)."""
    stale = []
    for candidate in path.parent.glob(f".{path.name}.*.tmp"):
        parts = candidate.name[len(path.name) + 2 :].split(".")
        if not parts or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            stale.append(candidate)
        except (PermissionError, OSError):
            continue  # alive (someone else's), or no way to tell
    return stale


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(handle)`` on a temporary file beside ``path``, fsync, then rename.

    ``os.replace`` is atomic on POSIX and Windows when source and target share a
    directory, so readers see either the previous file or the complete new one. The
    temporary is ``.NAME.<pid>.<random>.tmp``; ones left by killed processes are removed
    on the next write to the same path.

    Raises:
        IsADirectoryError: ``path`` is an existing directory.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory: give the name of the file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        for stale in _stale_temporaries(path):
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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
        # torch's text advises weights_only=False, the one thing not to do with an untrusted file
        raise ValueError(f"{path} is not a readable {what}: it is truncated or corrupt, or holds Python objects "
                         f"beyond tensors and plain values, which ennp_lab never unpickles "
                         f"(no code from a file runs) [{type(exc).__name__}]") from exc
    if not isinstance(payload, dict) or payload.get("format") != tag:
        raise ValueError(f"{path} is not an {what} (no '{tag}' format tag)")
    return payload
