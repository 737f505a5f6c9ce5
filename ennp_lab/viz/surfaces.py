"""Surface figures: γ(n) in a crystal plane with computed facets, and the Wulff shape (J/m²)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from ase import Atoms
from plotly.colors import qualitative

from ennp_lab.properties.surfaces import OrientationModel, SurfaceEnergy, WulffShape, miller_normal, symmetry_images
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2
from ennp_lab.viz.elasticity import plane_circle

__all__ = ["gamma_polar_figure", "wulff_figure"]


def gamma_polar_figure(
    bulk: Atoms,
    models: Mapping[str, OrientationModel],
    energies: Mapping[str, Sequence[SurfaceEnergy]] | None = None,
    plane: Sequence[float] = (1, -1, 0),
) -> go.Figure:
    """γ(n) (J/m²) for normals n in the plane ⟂ ``plane``; computed facets lying in it as markers."""
    angles, directions = plane_circle(plane)
    axis = np.asarray(plane, dtype=float) / np.linalg.norm(plane)
    fig = go.Figure()
    for k, (label, model) in enumerate(models.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        fig.add_trace(go.Scatterpolar(r=model(directions) * EV_PER_A2_TO_J_PER_M2, theta=angles, mode="lines",
                                      line=dict(color=color), name=f"γ(n) model, {label}"))
        if energies and label in energies:
            r, theta, text = [], [], []
            reference = directions[0]
            side = np.cross(axis, reference)
            for e in energies[label]:
                for image in symmetry_images(bulk, e.miller):
                    n = miller_normal(bulk, image)
                    if abs(n @ axis) < 1e-8:  # this facet's normal lies in the plane
                        r.append(e.gamma * EV_PER_A2_TO_J_PER_M2)
                        theta.append(np.degrees(np.arctan2(n @ side, n @ reference)) % 360)
                        text.append("(" + " ".join(map(str, image)) + ")")
            fig.add_trace(go.Scatterpolar(r=r, theta=theta, mode="markers", marker=dict(color=color, size=9),
                                          text=text, name=f"computed slabs, {label}"))
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
