"""Piezoelectric figures: the 3×6 Voigt matrix with the point group's zeros marked, and
the longitudinal response e_L(n) as a 3D surface (display unit: C/m²)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ennp_lab.properties.directions import sphere_grid
from ennp_lab.properties.piezo import PiezoelectricTensor, longitudinal_response
from ennp_lab.units import E_PER_A2_TO_C_PER_M2

__all__ = ["piezo_matrix_figure", "longitudinal_surface_figure"]

_VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")


def piezo_matrix_figure(tensor: PiezoelectricTensor, zeros: np.ndarray | None = None, title: str = "e_iJ (C/m²)") -> go.Figure:
    """Heatmap of e_iJ in C/m² (rows i = x, y, z; columns J in Voigt order), each cell
    labelled with its value, or "0 (sym.)" where the point group forces it to zero."""
    e = tensor.voigt * E_PER_A2_TO_C_PER_M2
    zeros = np.zeros((3, 6), bool) if zeros is None else np.asarray(zeros, bool)
    text = [[("0 (sym.)" if zeros[i, j] else f"{e[i, j]:+.3f}") for j in range(6)] for i in range(3)]
    limit = float(np.abs(e).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=e, x=[f"{j + 1} ({v})" for j, v in enumerate(_VOIGT)], y=["1 (x)", "2 (y)", "3 (z)"],
                               text=text, texttemplate="%{text}", colorscale="RdBu_r", zmin=-limit, zmax=limit,
                               colorbar=dict(title="C/m²")))
    fig.update_layout(title=title, yaxis=dict(autorange="reversed"), width=620, height=320, template="plotly_white")
    return fig


def longitudinal_surface_figure(tensors: Mapping[str, PiezoelectricTensor], n_theta: int = 37, n_phi: int = 73) -> go.Figure:
    """r(n) = |e_L(n)| n (C/m²), coloured by the sign of e_L, one surface per label (the
    first opaque, the others translucent: a model over its reference)."""
    _, _, directions = sphere_grid(n_theta, n_phi)
    fig = go.Figure()
    limit = max(float(np.abs(longitudinal_response(t, directions)).max()) for t in tensors.values()) * E_PER_A2_TO_C_PER_M2
    for k, (label, tensor) in enumerate(tensors.items()):
        values = longitudinal_response(tensor, directions) * E_PER_A2_TO_C_PER_M2
        radius = np.abs(values)[..., None] * directions
        fig.add_trace(go.Surface(x=radius[..., 0], y=radius[..., 1], z=radius[..., 2], surfacecolor=values, name=label,
                                 colorscale="RdBu_r" if k == 0 else "Greys", cmin=-limit or -1, cmax=limit or 1,
                                 opacity=1.0 if k == 0 else 0.35, showscale=k == 0, showlegend=True,
                                 colorbar=dict(title="e_L (C/m²)")))
    fig.update_layout(title="Longitudinal piezoelectric response e_L(n) = nᵢnⱼnₖ e_ijk",
                      scene=dict(aspectmode="data"), width=560, height=520, template="plotly_white", legend=dict(x=0, y=1))
    return fig
