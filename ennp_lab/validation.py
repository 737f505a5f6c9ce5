"""Checks of plain input values with messages that name the input (one copy of each).

Values that would otherwise be truncated or coerced without a word (a Miller index 1.5,
a supercell 2.5, a temperature of −300 K, a NaN time step) are refused here.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
import numpy as np

__all__ = ["as_int", "as_ints", "as_real"]


def as_int(value, name: str, minimum: int | None = None) -> int:
    """``value`` as an int: an integer, or a float with an integral value (2.0).

    Raises:
        ValueError: a bool, a non-integral or non-finite number, anything else, or a value
            below ``minimum``; the message names ``name``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, Integral):
        out = int(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        out = int(value)
    else:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


def as_ints(values, name: str, length: int | None = None, minimum: int | None = None) -> tuple[int, ...]:
    """A sequence of ints (see :func:`as_int`), of ``length`` entries when given."""
    if np.ndim(values) == 0:
        raise ValueError(f"{name} must be a sequence of integers, got {values!r}")
    out = tuple(as_int(v, f"{name}[{k}]", minimum) for k, v in enumerate(np.asarray(values, dtype=object).ravel()))
    if length is not None and len(out) != length:
        raise ValueError(f"{name} must hold {length} integers, got {len(out)}: {tuple(np.ravel(values).tolist())}")
    return out


def as_real(value, name: str, minimum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite float, at least ``minimum`` (above it when ``strict``).

    Raises:
        ValueError: not a real number, NaN or inf, or out of range; the message names ``name``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    if minimum is not None and (out < minimum or (strict and out == minimum)):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {out:g}")
    return out

