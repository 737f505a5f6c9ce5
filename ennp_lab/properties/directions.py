"""Sampling directions: great circles (zone cuts) and sphere grids (directional surfaces)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["great_circle", "sphere_grid", "unit"]


def unit(vectors: Sequence[float] | np.ndarray, what: str = "direction") -> np.ndarray:
    """``vectors`` (..., 3) normalised.

    Raises:
        ValueError: a zero or non-finite vector.
    """
    v = np.asarray(vectors, dtype=float)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(~np.isfinite(norm)) or np.any(norm == 0):
        raise ValueError(f"a {what} must be a finite non-zero vector")
    return v / norm


def great_circle(normal: Sequence[float], n_points: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Angles ψ (deg, (P,)) and unit directions (P, 3) on the great circle ⟂ ``normal``:
    d(ψ) = cos ψ u + sin ψ w, with u ⟂ n (from z, or x when n is near z) and w = n × u."""
    n = unit(normal, "plane normal")
    u = np.cross(n, [0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.cross(n, [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    w = np.cross(n, u)
    angle = np.linspace(0.0, 2 * np.pi, n_points)
    return np.degrees(angle), np.cos(angle)[:, None] * u + np.sin(angle)[:, None] * w


def sphere_grid(n_theta: int = 46, n_phi: int = 91) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polar angles θ (T,), azimuths φ (P,) (rad) and unit directions (T, P, 3) on a grid."""
    theta = np.linspace(0, np.pi, n_theta)
    phi = np.linspace(0, 2 * np.pi, n_phi)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    return theta, phi, np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)
