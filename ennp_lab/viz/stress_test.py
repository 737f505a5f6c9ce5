"""Stress-test figures: per-atom force error by environment class, and generalised
stacking-fault lines, model over reference (mJ/m² at this display edge)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.stress_test import ENVIRONMENTS, StructureReport
from ennp_lab.structures.defects import StackingFaultLine
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2

__all__ = ["environment_error_figure", "stacking_fault_figure", "ENVIRONMENT_CODES"]

#: environment class → the number it is coloured by on a structure
ENVIRONMENT_CODES = {name: k for k, name in enumerate(ENVIRONMENTS)}


def environment_error_figure(report: StructureReport, quantity: str = "force error") -> go.Figure:
    """Box plots of the per-atom force error (or the ensemble's σ) in each environment class."""
    values = report.force_error if quantity == "force error" else report.sigma
    if values is None:
        raise ValueError(f"the report of {report.name!r} has no {quantity!r} (σ needs an ensemble calculator)")
    fig = go.Figure()
    for k, env in enumerate(ENVIRONMENTS):
        mask = report.environment == env
        if mask.any():
            fig.add_trace(go.Box(y=values[mask], name=f"{env} ({int(mask.sum())})", boxpoints="all", jitter=0.4,
                                 marker=dict(color=qualitative.Plotly[k], size=4)))
    fig.update_layout(title=f"{report.name}: per-atom {quantity} by environment", yaxis_title=f"{quantity} (eV/Å)",
                      template="plotly_white", width=520, height=380, showlegend=False)
    return fig


def stacking_fault_figure(lines: Mapping[str, StackingFaultLine]) -> go.Figure:
    """γ(u) (mJ/m²) against the shift (fraction of the glide period), one line per label
    (e.g. {"model": …, "reference": …})."""
    fig = go.Figure()
    for k, (label, line) in enumerate(lines.items()):
        fig.add_trace(go.Scatter(x=line.shift, y=np.asarray(line.gamma) * EV_PER_A2_TO_J_PER_M2 * 1e3,
                                 mode="lines+markers", name=f"{label}{' (relaxed)' if line.relaxed else ''}",
                                 line=dict(color=qualitative.Plotly[k % 10])))
    fig.update_layout(title="Generalised stacking fault, (111)", xaxis_title="shift along the glide direction (period)",
                      yaxis_title="γ (mJ/m²)", template="plotly_white", width=520, height=380)
    return fig
