"""Surface figures: γ(n) in a crystal plane with computed facets, and the Wulff shape (J/m²)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.surfaces import SurfaceEnergyCut, WulffShape
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2

__all__ = ["gamma_polar_figure", "wulff_figure"]


def gamma_polar_figure(cuts: Mapping[str, SurfaceEnergyCut]) -> go.Figure:
    """γ(n) (J/m²) along a zone of normals, one line per label, its computed facets as markers."""
    fig = go.Figure()
    for k, (label, cut) in enumerate(cuts.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        fig.add_trace(go.Scatterpolar(r=cut.gamma * EV_PER_A2_TO_J_PER_M2, theta=cut.angles, mode="lines",
                                      line=dict(color=color), name=f"γ(n) model, {label}"))
        if len(cut.facet_gamma):
            fig.add_trace(go.Scatterpolar(r=cut.facet_gamma * EV_PER_A2_TO_J_PER_M2, theta=cut.facet_angles, mode="markers",
                                          marker=dict(color=color, size=9), text=list(cut.facet_labels),
                                          name=f"computed slabs, {label}"))
    fig.update_layout(title="Surface energy γ (J/m²) against the surface normal", template="plotly_white",
                      width=520, height=460)
    return fig


def wulff_figure(shape: WulffShape, title: str = "Wulff shape") -> go.Figure:
    """The Wulff polyhedron as a mesh coloured by facet family, with area fractions in the legend."""
    fig = go.Figure()
    families = list(shape.area_fractions)
    for k, family in enumerate(families):
        keep = np.array([f == family for f in shape.triangle_family])
        if not keep.any():
            continue
        tri = shape.triangles[keep]
        fig.add_trace(go.Mesh3d(
            x=shape.vertices[:, 0], y=shape.vertices[:, 1], z=shape.vertices[:, 2],
            i=tri[:, 0], j=tri[:, 1], k=tri[:, 2], color=qualitative.Set2[k % len(qualitative.Set2)], flatshading=True,
            name=f"{{{''.join(map(str, family))}}} {100 * shape.area_fractions[family]:.0f} %", showlegend=True,
        ))
    fig.update_layout(title=title, scene=dict(aspectmode="data", xaxis_visible=False, yaxis_visible=False, zaxis_visible=False),
                      width=520, height=480, template="plotly_white", legend=dict(x=0, y=1))
    return fig
