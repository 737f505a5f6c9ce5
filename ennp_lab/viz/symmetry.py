"""Figures for symmetry and chirality: side-by-side 3D views, mirror planes, leakage
tables and maps, predicted-vs-true pseudoscalars."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from ase import Atoms
from ase.data import covalent_radii
from plotly.subplots import make_subplots

from ennp_lab.properties.chirality import EnantiomerEvaluation
from ennp_lab.symmetry import EquivarianceReport
from ennp_lab.viz.report import html_table
from ennp_lab.viz.structure import _element_hex

__all__ = [
    "atoms_traces",
    "plane_trace",
    "side_by_side_figure",
    "enantiomer_figure",
    "leakage_table_html",
    "leakage_map_figure",
    "chirality_parity_figure",
]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def atoms_traces(atoms: Atoms, vectors: np.ndarray | None = None, vector_color: str = "#d62728",
                 arrow_length: float | None = None, name: str = "atoms") -> list[go.Scatter3d | go.Cone]:
    """Atoms as spheres (element colours, size ∝ covalent radius), bonds as lines, and
    per-atom ``vectors`` (N, 3) as lines with cone heads of at most ``arrow_length`` Å."""
    pos = atoms.positions
    traces: list = []
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    radii = covalent_radii[atoms.numbers]
    i, j = np.nonzero(np.triu(d < 1.2 * (radii[:, None] + radii[None, :]), 1))
    if len(i):
        xyz = np.full((3 * len(i), 3), np.nan)
        xyz[0::3], xyz[1::3] = pos[i], pos[j]
        traces.append(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], mode="lines", line=dict(color="#999", width=5),
                                   hoverinfo="skip", showlegend=False, name="bonds"))
    traces.append(go.Scatter3d(
        x=pos[:, 0], y=pos[:, 1], z=pos[:, 2], mode="markers", name=name, showlegend=False,
        marker=dict(size=10 + 12 * radii, color=list(_element_hex(atoms.numbers)), line=dict(color="#333", width=1)),
        text=[f"{k}: {s}" for k, s in enumerate(atoms.get_chemical_symbols())], hoverinfo="text",
    ))
    if vectors is not None:
        v = np.asarray(vectors, dtype=float)
        longest = float(np.linalg.norm(v, axis=1).max()) if len(v) else 0.0
        if longest > 0:
            v = v * ((arrow_length or 1.5) / longest)
            tips = pos + v
            xyz = np.full((3 * len(pos), 3), np.nan)
            xyz[0::3], xyz[1::3] = pos, tips
            traces.append(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], mode="lines", showlegend=False,
                                       line=dict(color=vector_color, width=6), hoverinfo="skip", name="forces"))
            traces.append(go.Cone(x=tips[:, 0], y=tips[:, 1], z=tips[:, 2], u=v[:, 0], v=v[:, 1], w=v[:, 2],
                                  sizemode="absolute", sizeref=0.3, anchor="tip", showscale=False,
                                  colorscale=[[0, vector_color], [1, vector_color]], hoverinfo="skip", name="arrows"))
    return traces


def plane_trace(normal: Sequence[float], point: Sequence[float], size: float = 4.0, color: str = "#7f7fff") -> go.Mesh3d:
    """A translucent square of side 2·``size`` Å in the plane through ``point`` ⟂ ``normal``."""
    n = np.asarray(normal, float)
    n /= np.linalg.norm(n)
    helper = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u)
    w = np.cross(n, u)
    p = np.asarray(point, float)
    corners = np.array([p + size * (a * u + b * w) for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    return go.Mesh3d(x=corners[:, 0], y=corners[:, 1], z=corners[:, 2], i=[0, 0], j=[1, 2], k=[2, 3],
                     color=color, opacity=0.3, hoverinfo="skip", name="mirror plane")


def _scene() -> dict:
    axis = dict(visible=False)
    return dict(xaxis=axis, yaxis=axis, zaxis=axis, aspectmode="data")


def side_by_side_figure(left: Atoms, right: Atoms, titles: Sequence[str] = ("A", "g·A"),
                        vectors: Sequence[np.ndarray | None] = (None, None),
                        expected: np.ndarray | None = None, plane: tuple[Sequence[float], Sequence[float]] | None = None) -> go.Figure:
    """Two 3D scenes: ``left`` and ``right`` with their vectors (forces); on the right also
    the vectors it should have (``expected``, green) and, for a mirror, the plane
    (normal, point)."""
    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "scene"}]], subplot_titles=list(titles),
                        horizontal_spacing=0.02)
    scale = max(float(np.linalg.norm(v, axis=1).max()) for v in vectors if v is not None) if any(
        v is not None for v in vectors) else None
    for col, (atoms, vec) in enumerate(zip((left, right), vectors), start=1):
        length = None if scale is None or vec is None else 1.5 * float(np.linalg.norm(vec, axis=1).max()) / scale
        for trace in atoms_traces(atoms, vec, arrow_length=length):
            fig.add_trace(trace, row=1, col=col)
    if expected is not None and scale:
        length = 1.5 * float(np.linalg.norm(expected, axis=1).max()) / scale
        for trace in atoms_traces(right, expected, vector_color="#2ca02c", arrow_length=length)[-2:]:
            fig.add_trace(trace, row=1, col=2)
    if plane is not None:
        fig.add_trace(plane_trace(*plane), row=1, col=1)
        fig.add_trace(plane_trace(*plane), row=1, col=2)
    fig.update_layout(scene=_scene(), scene2=_scene(), height=420, margin=dict(l=0, r=0, t=30, b=0))
    return fig


def enantiomer_figure(atoms: Atoms, image: Atoms, normal: Sequence[float], point: Sequence[float],
                      title: str = "") -> go.Figure:
    """A molecule and its mirror image in one scene, with the mirror plane between them."""
    fig = go.Figure()
    for trace in atoms_traces(atoms, name="molecule") + atoms_traces(image, name="mirror image"):
        fig.add_trace(trace)
    size = 0.6 * float(np.ptp(np.vstack([atoms.positions, image.positions]), axis=0).max()) + 1.0
    fig.add_trace(plane_trace(normal, point, size=size))
    fig.update_layout(scene=_scene(), height=380, margin=dict(l=0, r=0, t=30, b=0), title=title)
    return fig


def leakage_table_html(reports: Mapping[str, EquivarianceReport], operation: str | None = None) -> str:
    """HTML table: rows outputs, one column per model, relative leakage under one operation
    (the first of each report by default)."""
    labels = list(reports)
    outputs = []
    for r in reports.values():
        outputs += [o for o in r.outputs if o not in outputs]
    rows = []
    for out in outputs:
        row = [out]
        for label in labels:
            r = reports[label]
            op = operation or r.operations[0]
            row.append(f"{r.value(op, out):.1e}" if out in r.outputs else "—")
        rows.append(row)
    return html_table(["output", *[f"{label}: leakage" for label in labels]], rows)


def leakage_map_figure(reports: Mapping[str, EquivarianceReport], floor: float = 1e-16) -> go.Figure:
    """log₁₀ leakage, operations × outputs, one heatmap per model side by side."""
    labels = list(reports)
    fig = make_subplots(rows=1, cols=len(labels), subplot_titles=labels, shared_yaxes=True, horizontal_spacing=0.04)
    for col, label in enumerate(labels, start=1):
        r = reports[label]
        z = np.log10(np.maximum(r.leakage, floor))
        fig.add_trace(go.Heatmap(z=z, x=list(r.outputs), y=list(r.operations), zmin=-16, zmax=1, colorscale="RdYlGn_r",
                                 colorbar=dict(title="log₁₀ leak"), showscale=col == len(labels),
                                 text=[[f"{v:.1e}" for v in row] for row in r.leakage], texttemplate="%{text}",
                                 hovertemplate="%{y} / %{x}: %{text}<extra></extra>"), row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=120 + 32 * max(len(r.operations) for r in reports.values()), margin=dict(t=40))
    return fig


def chirality_parity_figure(evaluations: Mapping[str, EnantiomerEvaluation], highlight: int | None = None) -> go.Figure:
    """Predicted vs true χ per model; mirror partners share a marker index, ``highlight``
    (a pair index into the evaluations' pair order) is circled."""
    fig = go.Figure()
    lo = min(min(e.target.min(), e.predicted.min()) for e in evaluations.values())
    hi = max(max(e.target.max(), e.predicted.max()) for e in evaluations.values())
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="#aaa", dash="dash"),
                             name="ideal", hoverinfo="skip"))
    for k, (label, ev) in enumerate(evaluations.items()):
        fig.add_trace(go.Scatter(x=ev.target, y=ev.predicted, mode="markers", name=f"{label} (R² = {ev.r2:.3f})",
                                 marker=dict(color=_COLORS[k % len(_COLORS)], size=6, opacity=0.7),
                                 customdata=np.arange(len(ev.target)) // 2,
                                 hovertemplate="pair %{customdata}: true %{x:.3f}, predicted %{y:.3f}<extra></extra>"))
        if highlight is not None:
            idx = [2 * highlight, 2 * highlight + 1]
            fig.add_trace(go.Scatter(x=ev.target[idx], y=ev.predicted[idx], mode="markers", showlegend=False,
                                     marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color=_COLORS[k % len(_COLORS)], width=2)),
                                     hoverinfo="skip", name=f"{label} selected"))
    pad = 0.05 * (hi - lo)
    fig.update_layout(xaxis=dict(title="true χ", range=[lo - pad, hi + pad]),
                      yaxis=dict(title="predicted χ", range=[lo - pad, hi + pad]), height=420, margin=dict(t=30))
    return fig
