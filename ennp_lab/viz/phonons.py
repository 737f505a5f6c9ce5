"""Phonon figures: band structures with DOS and per-branch errors (THz at the display edge).

Band structures arrive in THz from phonopy (``frequencies_thz``), so nothing is
converted here; every trace carries ``customdata`` = (q index, branch) so that a
panel can tell which mode was clicked.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ennp_lab.properties.phonons import PhononBands, PhononDOS, compare_bands

__all__ = ["band_structure_figure"]


def band_trace_name(label: str, branch: int) -> str:
    return f"{label} · branch {branch + 1}"


def _branch_xy(bands: PhononBands, branch: int) -> tuple[list, list, list]:
    """x, y and customdata of one branch, with gaps (None) between segments."""
    x: list = []
    y: list = []
    custom: list = []
    for _, _, i, j in bands.segments:
        x += list(bands.distances[i:j]) + [None]
        y += list(bands.frequencies_thz[i:j, branch]) + [None]
        custom += [[q, branch] for q in range(i, j)] + [[None, None]]
    return x, y, custom


def band_structure_figure(
    bands: Mapping[str, PhononBands],
    dos: Mapping[str, PhononDOS] | None = None,
    reference: str | None = None,
) -> go.Figure:
    """Bands of one or more models on the same path, DOS at the side, errors below.

    Args:
        bands: label → bands (all on the same path), e.g. {"ENNP": ..., "EMT": ...}.
        dos: label → DOS, drawn in a side panel when given.
        reference: the label the others are compared with; adds a row of
            Δν(q) = ν_model − ν_reference per branch, and the per-branch mean |Δν| in
            the legend.
    """
    if not bands:
        raise ValueError("band_structure_figure needs at least one band structure")
    if reference is not None and reference not in bands:
        raise ValueError(f"reference {reference!r} is not one of {list(bands)}")
    first = next(iter(bands.values()))
    rows = 2 if reference is not None and len(bands) > 1 else 1
    cols = 2 if dos else 1
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes="columns",
        shared_yaxes="rows",
        column_widths=[0.78, 0.22] if cols == 2 else None,
        row_heights=[0.72, 0.28] if rows == 2 else None,
        horizontal_spacing=0.02,
        vertical_spacing=0.06,
    )
    for k, (label, b) in enumerate(bands.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        dash = "dash" if label == reference else "solid"
        comparison = compare_bands(b, bands[reference]) if rows == 2 and label != reference else None
        for branch in range(b.frequencies_thz.shape[1]):
            x, y, custom = _branch_xy(b, branch)
            name = band_trace_name(label, branch)
            if branch == 0:  # the legend entry of the model
                name = label if comparison is None else f"{label} (mean |Δν| {comparison.branch_mae_thz.mean():.3f} THz)"
            fig.add_trace(
                go.Scatter(
                    x=x, y=y, customdata=custom, mode="lines", line=dict(color=color, dash=dash, width=2),
                    name=name, legendgroup=label, showlegend=branch == 0,
                    hovertemplate="ν = %{y:.3f} THz<extra>" + label + "</extra>",
                ),
                row=1, col=1,
            )
            if comparison is not None:
                diff = [None if v is None else float(comparison.difference_thz[q, branch]) for v, (q, _) in zip(y, custom)]
                fig.add_trace(
                    go.Scatter(x=x, y=diff, mode="lines", line=dict(color=color, width=1.5),
                               name=f"Δν {label} branch {branch + 1} (MAE {comparison.branch_mae_thz[branch]:.3f} THz)",
                               showlegend=False, hovertemplate="Δν = %{y:.3f} THz<extra>branch " + str(branch + 1) + "</extra>"),
                    row=2, col=1,
                )
        if dos and label in dos:
            d = dos[label]
            fig.add_trace(
                go.Scatter(x=d.dos, y=d.frequencies_thz, mode="lines", line=dict(color=color, dash=dash),
                           name=f"DOS {label}", showlegend=False),
                row=1, col=2,
            )
    # explicit frequency range (autorange can be lost when a FigureWidget updates a trace)
    top = max(float(np.nanmax(b.frequencies_thz)) for b in bands.values())
    bottom = min(0.0, min(float(np.nanmin(b.frequencies_thz)) for b in bands.values()))
    fig.update_yaxes(range=[bottom - 0.03 * top, 1.05 * top], row=1, col=1)
    if cols == 2:
        fig.update_yaxes(range=[bottom - 0.03 * top, 1.05 * top], row=1, col=2)
    positions, labels = first.ticks
    for r in range(1, rows + 1):
        fig.update_xaxes(tickvals=positions, ticktext=labels, showgrid=True, gridcolor="#bbb", row=r, col=1,
                         range=[positions[0], positions[-1]])
    fig.update_yaxes(title_text="frequency (THz)", zeroline=True, row=1, col=1)
    if rows == 2:
        fig.update_yaxes(title_text="Δν (THz)", row=2, col=1)
    if cols == 2:
        fig.update_xaxes(title_text="DOS (states/THz)", row=1, col=2)
    fig.update_layout(template="plotly_white", title="Phonon dispersion", width=850, height=560 if rows == 2 else 450,
                      legend=dict(orientation="h", y=-0.12), hovermode="closest")
    return fig
