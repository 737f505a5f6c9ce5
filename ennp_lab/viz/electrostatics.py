"""Electrostatics figures: lattice sums against the number of shells, energy against
separation (reference, local, hybrid), learned charges on the structure, and the force
error of local and hybrid models against the cutoff (display units: meV/Å)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from ase import Atoms
from ase.data import covalent_radii
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ennp_lab.properties.electrostatics import CutoffScan, SeparationCurve
from ennp_lab.units import EV_TO_MEV

__all__ = ["lattice_sum_figure", "separation_curve_figure", "charges_figure", "cutoff_scan_figure"]


def lattice_sum_figure(shells: Sequence[float], sums: Mapping[str, Sequence[float]], madelung: float) -> go.Figure:
    """Partial lattice sums (per ion pair, q²/4πε₀r_nn) against the cutoff in r_nn, one
    line per kernel, with −M (the converged Ewald value) as a dashed line."""
    fig = go.Figure()
    for k, (label, values) in enumerate(sums.items()):
        fig.add_trace(go.Scatter(x=list(shells), y=list(values), mode="lines+markers", name=label,
                                 line=dict(color=qualitative.Plotly[k % 10])))
    fig.add_hline(y=-madelung, line=dict(color="black", dash="dash"), annotation_text=f"−M = {-madelung:.6f} (Ewald)")
    fig.update_layout(title="A cut 1/r sum never converges; a screened one does", xaxis_title="cutoff (r_nn)",
                      yaxis_title="E per ion pair (q²/4πε₀ r_nn)", template="plotly_white", width=700, height=420)
    return fig


def separation_curve_figure(curve: SeparationCurve) -> go.Figure:
    """ΔE(d) of the reference and every model, with the local cutoff r_c marked (past it a
    local model's curve is flat; a model with electrostatics follows the 1/d tail)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve.distances, y=curve.reference, mode="lines+markers", name="reference",
                             line=dict(color="black", width=3)))
    for k, (label, values) in enumerate(curve.predicted.items()):
        fig.add_trace(go.Scatter(x=curve.distances, y=values, mode="lines+markers", name=label,
                                 line=dict(color=qualitative.Plotly[k % 10], dash="dash")))
    fig.add_vline(x=curve.cutoff, line=dict(color="#888", dash="dot"), annotation_text=f"r_c = {curve.cutoff:g} Å")
    fig.update_layout(title="Pulling Na⁺ and Cl⁻ apart", xaxis_title="separation d (Å)", yaxis_title="E(d) − E(d₀) (eV)",
                      template="plotly_white", width=700, height=450, legend=dict(x=0.6, y=0.1))
    return fig


def charges_figure(atoms: Atoms, charges: np.ndarray, title: str = "learned charges", limit: float | None = None) -> go.Figure:
    """Atoms coloured by their charge (e) on a diverging scale symmetric about 0 (±``limit``,
    default the largest |q|), with the cell's edges; hover shows element and charge."""
    q = np.asarray(charges, dtype=float)
    if q.shape != (len(atoms),):
        raise ValueError(f"charges must have shape ({len(atoms)},), got {q.shape}")
    limit = float(np.abs(q).max()) if limit is None else float(limit)
    limit = limit if limit > 0 else 1.0
    pos = atoms.positions
    fig = go.Figure()
    if atoms.pbc.any():
        corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float) @ atoms.cell[:]
        edges = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
        xyz = np.full((3 * len(edges), 3), np.nan)
        for n, (a, b) in enumerate(edges):
            xyz[3 * n], xyz[3 * n + 1] = corners[a], corners[b]
        fig.add_trace(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], mode="lines", line=dict(color="#aaa", width=2),
                                   hoverinfo="skip", showlegend=False, name="cell"))
    fig.add_trace(go.Scatter3d(
        x=pos[:, 0], y=pos[:, 1], z=pos[:, 2], mode="markers", name="atoms", showlegend=False,
        marker=dict(size=8 + 10 * covalent_radii[atoms.numbers], color=q, colorscale="RdBu_r", cmin=-limit, cmax=limit,
                    colorbar=dict(title="q (e)"), line=dict(color="#333", width=1)),
        text=[f"{k}: {s} q = {v:+.3f} e" for k, (s, v) in enumerate(zip(atoms.get_chemical_symbols(), q))], hoverinfo="text",
    ))
    fig.update_layout(title=f"{title}: Σq = {q.sum():+.2e} e", scene=dict(aspectmode="data"), width=560, height=500,
                      margin=dict(l=0, r=0, t=40, b=0))
    return fig


def cutoff_scan_figure(scan: CutoffScan) -> go.Figure:
    """Held-out force MAE (meV/Å) against the local cutoff, one panel per kind of data:
    the local model and the hybrid (same local part + electrostatics)."""
    labels = list(scan.local)
    fig = make_subplots(rows=1, cols=len(labels), subplot_titles=[f"{label} data" for label in labels], shared_yaxes=True)
    for col, label in enumerate(labels, start=1):
        for name, values, color in (("local ENNP", scan.local[label], "#d62728"),
                                    ("local + electrostatics", scan.hybrid.get(label), "#1f77b4")):
            if values is None:
                continue
            fig.add_trace(go.Scatter(x=scan.cutoffs, y=EV_TO_MEV * np.asarray(values), mode="lines+markers", name=name,
                                     line=dict(color=color), legendgroup=name, showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text="local cutoff r_c (Å)", row=1, col=col)
    fig.update_yaxes(type="log", tickvals=[5, 10, 20, 50, 100, 200, 500, 1000])
    fig.update_yaxes(title_text="force MAE (meV/Å)", row=1, col=1)
    fig.update_layout(title="The choice of architecture is a physical statement", template="plotly_white", width=900, height=420)
    return fig
