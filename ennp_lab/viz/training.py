"""Training figures: parity plots and learning curves (display units: meV)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ennp_lab.learning.metrics import Evaluation
from ennp_lab.learning.train import History

__all__ = ["parity_figure", "learning_curve_figure"]


def parity_figure(evaluations: Mapping[str, Evaluation], quantity: str = "forces") -> go.Figure:
    """Predicted vs reference for each named evaluation, with the y = x line.

    Args:
        evaluations: label → :class:`Evaluation` (e.g. {"demo model": ..., "cu-emt": ...}).
        quantity: "energy" (eV/atom) or "forces" (eV/Å, all Cartesian components).
    """
    if quantity not in ("energy", "forces"):
        raise ValueError(f"quantity must be 'energy' or 'forces', got {quantity!r}")
    fig = go.Figure()
    lo, hi = np.inf, -np.inf
    for label, ev in evaluations.items():
        if quantity == "energy":
            x, y = ev.energy_per_atom_true, ev.energy_per_atom_pred
            mae = f"{ev.energy_mae_mev_per_atom:.2f} meV/atom"
        else:
            x, y = ev.forces_true.ravel(), ev.forces_pred.ravel()
            mae = f"{ev.force_mae_mev_per_a:.1f} meV/Å"
        lo, hi = min(lo, x.min(), y.min()), max(hi, x.max(), y.max())
        fig.add_trace(go.Scattergl(x=x, y=y, mode="markers", marker=dict(size=4, opacity=0.6), name=f"{label} (MAE {mae})"))
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="black", dash="dash"), name="y = x"))
    unit = "eV/atom" if quantity == "energy" else "eV/Å"
    fig.update_layout(
        title=f"{quantity.capitalize()}: ENNP vs reference",
        xaxis_title=f"reference {quantity} ({unit})",
        yaxis_title=f"predicted {quantity} ({unit})",
        template="plotly_white",
        legend=dict(x=0.01, y=0.99),
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def learning_curve_figure(history: History) -> go.Figure:
    """Training loss and validation force/energy MAE (meV) per epoch, log scale."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history.epoch, y=history.train_loss, name="train loss", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=history.epoch, y=history.val_loss, name="validation loss", mode="lines+markers"))
    fig.add_trace(
        go.Scatter(x=history.epoch, y=[1e3 * v for v in history.val_force_mae], name="val force MAE (meV/Å)", mode="lines+markers", yaxis="y2")
    )
    fig.add_trace(
        go.Scatter(x=history.epoch, y=[1e3 * v for v in history.val_energy_mae], name="val energy MAE (meV/atom)", mode="lines+markers", yaxis="y2")
    )
    fig.update_layout(
        title="Learning curve",
        xaxis_title="epoch",
        yaxis=dict(title="loss", type="log"),
        yaxis2=dict(title="MAE (meV)", type="log", overlaying="y", side="right"),
        template="plotly_white",
        legend=dict(x=0.55, y=0.99),
    )
    return fig
