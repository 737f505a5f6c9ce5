"""Training figures: parity plots and learning curves (display units: meV)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ennp_lab.learning.metrics import Evaluation
from ennp_lab.learning.train import History
from ennp_lab.units import EV_TO_MEV

__all__ = ["parity_figure", "learning_curve_figure", "learning_curve_series"]


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
    for k, (label, ev) in enumerate(evaluations.items()):
        if quantity == "energy":
            x, y = ev.energy_per_atom_true, ev.energy_per_atom_pred
            mae = f"{EV_TO_MEV * ev.energy_mae:.2f} meV/atom"
        else:
            x, y = ev.forces_true.ravel(), ev.forces_pred.ravel()
            mae = f"{EV_TO_MEV * ev.force_mae:.1f} meV/Å"
        lo, hi = min(lo, x.min(), y.min()), max(hi, x.max(), y.max())
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        fig.add_trace(
            go.Scattergl(x=x, y=y, mode="markers", marker=dict(size=4, opacity=0.6, color=color), name=f"{label} (MAE {mae})")
        )
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="black", dash="dash"), name="y = x"))
    unit = "eV/atom" if quantity == "energy" else "eV/Å"
    fig.update_layout(
        title=f"{quantity.capitalize()}: ENNP vs reference",
        xaxis_title=f"reference {quantity} ({unit})",
        yaxis_title=f"predicted {quantity} ({unit})",
        template="plotly_white",
        legend=dict(x=0.01, y=0.99),
        width=650,
        height=600,
    )
    fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(range=[lo, hi])
    return fig


def learning_curve_series(history: History) -> list[tuple[str, list[int], list[float], int]]:
    """(name, epochs, values, panel row) for each curve: losses, then validation MAEs in meV."""
    return [
        ("train loss", history.epoch, history.train_loss, 1),
        ("validation loss", history.epoch, history.val_loss, 1),
        ("val force MAE (meV/Å)", history.epoch, [EV_TO_MEV * v for v in history.val_force_mae], 2),
        ("val energy MAE (meV/atom)", history.epoch, [EV_TO_MEV * v for v in history.val_energy_mae], 2),
    ]


def learning_curve_figure(history: History) -> go.Figure:
    """Losses (top) and validation force/energy MAE in meV (bottom) per epoch, log scales."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for name, x, y, row in learning_curve_series(history):
        fig.add_trace(go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers"), row=row, col=1)
    fig.update_yaxes(title_text="loss", type="log", row=1, col=1)
    fig.update_yaxes(title_text="MAE (meV)", type="log", row=2, col=1)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_layout(title="Learning curve", template="plotly_white", height=650)
    return fig
