"""Figures for uncertainty: σ and error maps, calibration curves, σ vs error, active-learning curves.

Results in, ``go.Figure`` out; values arrive in eV/Å and are shown in meV/Å.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ennp_lab.learning.active import RoundRecord
from ennp_lab.learning.calibration import CalibrationReport
from ennp_lab.learning.uncertainty_map import UncertaintyMap
from ennp_lab.units import EV_TO_MEV

__all__ = ["uncertainty_map_figure", "calibration_figure", "sigma_error_figure", "active_learning_figure"]

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def uncertainty_map_figure(umap: UncertaintyMap, selected: tuple[int, int] | None = None) -> go.Figure:
    """Two heatmaps over strain (rows) × temperature (columns): predicted σ_F and the
    true force MAE, on one colour scale; ``selected`` (strain index, temperature index)
    is outlined on both."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("predicted σ_F (meV/Å)", "true force error (meV/Å)"),
                        horizontal_spacing=0.12)
    x = [f"{t:g} K" for t in umap.temperatures_K]
    y = [f"{100 * s:+.0f} %" for s in umap.strains]
    zmax = EV_TO_MEV * float(max(umap.sigma.max(), umap.error.max()))
    for col, (z, name) in enumerate(((umap.sigma, "σ_F"), (umap.error, "error")), start=1):
        fig.add_trace(go.Heatmap(z=EV_TO_MEV * z, x=x, y=y, zmin=0.0, zmax=zmax, colorscale="Viridis", name=name,
                                 showscale=col == 2, colorbar=dict(title="meV/Å"),
                                 hovertemplate="strain %{y}, T %{x}<br>" + name + " %{z:.0f} meV/Å<extra></extra>"),
                      row=1, col=col)
    for col in (1, 2):
        sx, sy = ([x[selected[1]]], [y[selected[0]]]) if selected is not None else ([], [])
        fig.add_trace(go.Scatter(x=sx, y=sy, mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(symbol="square-open", size=26, color="white", line=dict(width=3))),
                      row=1, col=col)
        fig.update_xaxes(title_text="temperature", row=1, col=col)
        fig.update_yaxes(title_text="isotropic strain", row=1, col=col)
    fig.update_layout(height=360, width=820, template="plotly_white", margin=dict(t=40, b=50))
    return fig


def calibration_figure(reports: Mapping[str, CalibrationReport]) -> go.Figure:
    """Observed vs expected fraction of errors inside each central Gaussian interval; the
    diagonal is perfect calibration (below it: σ too small, overconfident)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="grey", dash="dash"), name="ideal"))
    for k, (label, rep) in enumerate(reports.items()):
        fig.add_trace(go.Scatter(
            x=rep.expected, y=rep.observed, mode="lines", line=dict(color=_COLORS[k % len(_COLORS)], width=2),
            name=f"{label} (area {rep.miscalibration_area:.3f})"))
    fig.update_layout(xaxis_title="expected fraction in interval", yaxis_title="observed fraction",
                      xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1]), height=360, width=440,
                      template="plotly_white", legend=dict(x=0.02, y=0.98), margin=dict(t=20))
    return fig


def sigma_error_figure(groups: Mapping[str, tuple[Sequence[float], Sequence[float]]]) -> go.Figure:
    """Per-structure predicted σ_F against true force error (both eV/Å, shown in meV/Å), one
    colour per group (bulk, vacancy, slab...), log–log with the line error = σ."""
    fig = go.Figure()
    values = []
    for k, (label, (sigma, error)) in enumerate(groups.items()):
        s, e = EV_TO_MEV * np.asarray(sigma, float), EV_TO_MEV * np.asarray(error, float)
        values += [s, e]
        fig.add_trace(go.Scatter(x=s, y=e, mode="markers", name=label,
                                 marker=dict(color=_COLORS[k % len(_COLORS)], size=8)))
    if values:
        allv = np.concatenate(values)
        lo, hi = float(allv[allv > 0].min()) / 1.5, float(allv.max()) * 1.5
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="error = σ",
                                 line=dict(color="grey", dash="dash")))
    fig.update_layout(xaxis=dict(type="log", title="predicted σ_F (meV/Å)"),
                      yaxis=dict(type="log", title="force MAE vs reference (meV/Å)"),
                      height=360, width=480, template="plotly_white", margin=dict(t=20))
    return fig


def active_learning_figure(runs: Mapping[str, Sequence[RoundRecord]]) -> go.Figure:
    """Held-out force MAE (solid) and mean σ_F on the held-out frames (dotted) against the
    number of labelled frames, one colour per run (e.g. uncertainty vs random picks)."""
    fig = go.Figure()
    for k, (label, records) in enumerate(runs.items()):
        color = _COLORS[k % len(_COLORS)]
        n = [r.n_train for r in records]
        fig.add_trace(go.Scatter(x=n, y=[EV_TO_MEV * r.test_force_mae for r in records], mode="lines+markers",
                                 name=f"{label}: test MAE", line=dict(color=color, width=2)))
        fig.add_trace(go.Scatter(x=n, y=[EV_TO_MEV * r.test_sigma for r in records], mode="lines+markers",
                                 name=f"{label}: mean σ_F", line=dict(color=color, dash="dot"),
                                 marker=dict(symbol="diamond")))
    fig.update_layout(xaxis_title="labelled frames", yaxis=dict(type="log", title="force (meV/Å)"),
                      height=380, width=640, template="plotly_white", margin=dict(t=20))
    return fig
