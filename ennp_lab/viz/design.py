"""Design figures: the objective (and its terms) and the rigid drift against the step, one
colour per run (projected and naive side by side)."""

from __future__ import annotations

from typing import Mapping

import plotly.graph_objects as go

from ennp_lab.design.loop import DesignResult

__all__ = ["design_history_figure", "design_drift_figure"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


_DASHES = ("dash", "dot", "dashdot", "longdash")


def design_history_figure(runs: Mapping[str, DesignResult], target: float | None = None) -> go.Figure:
    """The objective against the accepted step (solid), and for a combined objective each
    weighted term — the target and every constraint — in the run's colour (broken lines);
    ``target`` dashed grey."""
    fig = go.Figure()
    for k, (label, run) in enumerate(runs.items()):
        steps = list(range(len(run.values)))
        relaxed = ", relaxed between steps" if run.relaxed else ""
        fig.add_trace(go.Scatter(x=steps, y=run.values, mode="lines+markers", legendgroup=label,
                                 name=f"{label}{relaxed} ({run.stop_reason})", line=dict(color=_COLORS[k % 4])))
        for t, (term, values) in enumerate(run.terms.items()):
            fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", legendgroup=label, name=f"{label}: {term}",
                                     line=dict(color=_COLORS[k % 4], dash=_DASHES[t % 4], width=1.5)))
    if target is not None:
        fig.add_hline(y=target, line=dict(dash="dash", color="grey"), annotation_text="target")
    fig.update_layout(title="Objective", xaxis_title="step", yaxis_title="objective", width=520, height=340,
                      template="plotly_white", legend=dict(x=0, y=-0.35, orientation="h"))
    return fig


def design_drift_figure(runs: Mapping[str, DesignResult]) -> go.Figure:
    """The rotation (°) of the best superposition on the start and the centroid shift (Å)
    against the step: what a naive loop spends on moving the whole system."""
    fig = go.Figure()
    for k, (label, run) in enumerate(runs.items()):
        steps = list(range(len(run.values)))
        fig.add_trace(go.Scatter(x=steps, y=run.drift[:, 1], mode="lines+markers", name=f"{label}: rotation (°)",
                                 line=dict(color=_COLORS[k % 4])))
        fig.add_trace(go.Scatter(x=steps, y=run.drift[:, 0], mode="lines", name=f"{label}: centroid shift (Å)",
                                 line=dict(color=_COLORS[k % 4], dash="dot"), yaxis="y2"))
    fig.update_layout(title="Rigid drift from the start", xaxis_title="step", yaxis_title="rotation (°)",
                      yaxis2=dict(title="centroid shift (Å)", overlaying="y", side="right"), width=520, height=340,
                      template="plotly_white", legend=dict(x=0, y=-0.35, orientation="h"))
    return fig
