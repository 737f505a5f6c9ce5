"""Device and dtype resolution, done once at the edge (model/calculator construction)."""

from __future__ import annotations

import torch

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"`` into CUDA when present, else CPU; validate anything else.

    Raises:
        ValueError: for an unknown device string, or ``"cuda"`` without a CUDA device.
    """
    if isinstance(device, torch.device):
        dev = device
    elif device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"unknown device {device!r}: use 'auto', 'cpu' or 'cuda[:k]'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but no CUDA device is available")
    return dev


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """Accept ``torch.float32``/``torch.float64`` or their names."""
    if isinstance(dtype, torch.dtype):
        if dtype not in _DTYPES.values():
            raise ValueError(f"unsupported dtype {dtype}: use float32 or float64")
        return dtype
    name = str(dtype).replace("torch.", "")
    if name not in _DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}: use 'float32' or 'float64'")
    return _DTYPES[name]


def dtype_name(dtype: torch.dtype) -> str:
    """The inverse of :func:`resolve_dtype` (for serialisation)."""
    return str(dtype).replace("torch.", "")
