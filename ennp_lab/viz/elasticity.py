"""Elasticity figures: directional surfaces, polar cuts in crystal planes, the 6×6 matrix (GPa)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.elasticity import DirectionalSurface, ElasticTensor, directional_values
from ennp_lab.units import EV_PER_A3_TO_GPA, GPA_PER_TPA

__all__ = ["QUANTITIES", "directional_surface_figure", "polar_cut_figure", "voigt_matrix_figure", "plane_circle"]

#: quantity → (label, unit, factor from eV/Å³ or Å³/eV to the display unit)
QUANTITIES = {
    "young": ("Young's modulus E", "GPa", EV_PER_A3_TO_GPA),
    "linear_compressibility": ("linear compressibility β", "1/TPa", GPA_PER_TPA / EV_PER_A3_TO_GPA),
    "shear": ("shear modulus G", "GPa", EV_PER_A3_TO_GPA),
    "poisson": ("Poisson ratio ν", "", 1.0),
}


def _display(quantity: str, values: np.ndarray) -> np.ndarray:
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}: {list(QUANTITIES)}")
    return np.asarray(values) * QUANTITIES[quantity][2]


def directional_surface_figure(surfaces: Mapping[str, DirectionalSurface], bound: str = "maximum") -> go.Figure:
    """3D surfaces r(n) = value(n)·n (display units), one per label; the first opaque."""
    if bound not in ("minimum", "maximum"):
        raise ValueError("bound must be 'minimum' or 'maximum'")
    fig = go.Figure()
    quantity = ""
    for k, (label, s) in enumerate(surfaces.items()):
        quantity = s.quantity
        values = _display(s.quantity, getattr(s, bound))
        radius = np.abs(values)[..., None] * s.directions
        fig.add_trace(go.Surface(
            x=radius[..., 0], y=radius[..., 1], z=radius[..., 2], surfacecolor=values, name=label,
            colorscale="Viridis" if k == 0 else "Greys", opacity=1.0 if k == 0 else 0.35, showscale=k == 0,
            colorbar=dict(title=QUANTITIES[quantity][1]), showlegend=True,
        ))
    label, unit, _ = QUANTITIES[quantity]
    fig.update_layout(title=f"{label} ({bound} over the perpendicular direction)" if quantity in ("shear", "poisson") else label,
                      scene=dict(aspectmode="data", xaxis_title=f"x ({unit})", yaxis_title=f"y ({unit})", zaxis_title=f"z ({unit})"),
                      width=560, height=520, template="plotly_white", legend=dict(x=0, y=1))
    return fig


def plane_circle(normal: Sequence[float], n_points: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Angles (deg) and unit directions (n_points, 3) on the great circle ⟂ ``normal``."""
    n = np.asarray(normal, dtype=float)
    n = n / np.linalg.norm(n)
    u = np.cross(n, [0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.cross(n, [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    w = np.cross(n, u)
    angle = np.linspace(0.0, 2 * np.pi, n_points)
    return np.degrees(angle), np.cos(angle)[:, None] * u + np.sin(angle)[:, None] * w


def polar_cut_figure(tensors: Mapping[str, ElasticTensor], quantity: str = "young", plane: Sequence[float] = (0, 0, 1)) -> go.Figure:
    """The quantity along directions in the plane ⟂ ``plane`` (polar plot), min and max for G and ν."""
    angles, directions = plane_circle(plane)
    fig = go.Figure()
    for k, (label, tensor) in enumerate(tensors.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        lo, hi = (_display(quantity, v) for v in directional_values(tensor, quantity, directions))
        fig.add_trace(go.Scatterpolar(r=hi, theta=angles, mode="lines", line=dict(color=color), name=f"{label}"))
        if quantity in ("shear", "poisson"):
            fig.add_trace(go.Scatterpolar(r=lo, theta=angles, mode="lines", line=dict(color=color, dash="dot"),
                                          name=f"{label} (min)"))
    name, unit, _ = QUANTITIES[quantity]
    hkl = "".join(str(int(v)) if float(v).is_integer() else f"{v:g}" for v in plane)
    fig.update_layout(title=f"{name} in the ({hkl}) plane" + (f" ({unit})" if unit else ""), template="plotly_white",
                      width=480, height=450)
    return fig


def voigt_matrix_figure(tensor: ElasticTensor, title: str = "C_IJ (GPa)") -> go.Figure:
    """The 6×6 Voigt matrix as an annotated heatmap: its symmetry pattern at a glance."""
    c = tensor.voigt * EV_PER_A3_TO_GPA
    labels = ["xx", "yy", "zz", "yz", "xz", "xy"]
    limit = float(np.abs(c).max())
    fig = go.Figure(go.Heatmap(z=c, x=labels, y=labels, colorscale="RdBu", zmid=0, zmin=-limit, zmax=limit,
                               text=np.round(c, 1), texttemplate="%{text}", colorbar=dict(title="GPa")))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, width=460, height=420, template="plotly_white")
    return fig
