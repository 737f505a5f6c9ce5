"""Elasticity figures: directional surfaces, polar cuts in crystal planes, the 6×6 matrix (GPa)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.elasticity import DirectionalCut, DirectionalSurface, ElasticTensor
from ennp_lab.units import EV_PER_A3_TO_GPA, GPA_PER_TPA

__all__ = ["QUANTITIES", "directional_surface_figure", "polar_cut_figure", "voigt_matrix_figure"]

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


def polar_cut_figure(cuts: Mapping[str, DirectionalCut]) -> go.Figure:
    """Zone cuts (polar plot), one per label, with the minimum dotted for G and ν."""
    if not cuts:
        raise ValueError("polar_cut_figure needs at least one cut")
    fig = go.Figure()
    for k, (label, cut) in enumerate(cuts.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        fig.add_trace(go.Scatterpolar(r=_display(cut.quantity, cut.maximum), theta=cut.angles, mode="lines",
                                      line=dict(color=color), name=f"{label}"))
        if cut.quantity in ("shear", "poisson"):
            fig.add_trace(go.Scatterpolar(r=_display(cut.quantity, cut.minimum), theta=cut.angles, mode="lines",
                                          line=dict(color=color, dash="dot"), name=f"{label} (min)"))
    first = next(iter(cuts.values()))
    name, unit, _ = QUANTITIES[first.quantity]
    hkl = "".join(str(int(v)) if float(v).is_integer() else f"{v:g}" for v in first.plane)
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
