"""Ferroelectric figures: the double well E(λ), the polarization along the switching path
with the branches of the polarization lattice, and the P–ℰ hysteresis loop (display units
meV, C/m²)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ennp_lab.properties.ferroelectric import HysteresisLoop, SwitchingPath
from ennp_lab.units import E_PER_A2_TO_C_PER_M2, EV_TO_MEV

__all__ = ["double_well_figure", "path_polarization_figure", "hysteresis_figure"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def _axis(path: SwitchingPath) -> np.ndarray:
    ps = path.spontaneous_polarization
    return ps / np.linalg.norm(ps) if np.linalg.norm(ps) > 0 else np.array([0.0, 0.0, 1.0])


def double_well_figure(paths: Mapping[str, SwitchingPath]) -> go.Figure:
    """E(λ) − E(0) in meV per cell, one curve per label, the depth in the legend."""
    fig = go.Figure()
    for k, (label, path) in enumerate(paths.items()):
        zero = np.flatnonzero(np.isclose(path.lambdas, 0.0))
        e0 = path.energies[zero[0]] if len(zero) else path.energies.max()
        fig.add_trace(go.Scatter(x=path.lambdas, y=(path.energies - e0) * EV_TO_MEV, mode="lines+markers",
                                 name=f"{label} (depth {path.well_depth * EV_TO_MEV:.1f} meV)",
                                 line=dict(color=_COLORS[k % 4]), marker=dict(size=4)))
    fig.update_layout(title="Double well along the switching path", xaxis_title="λ (0 paraelectric, ±1 polar)",
                      yaxis_title="E − E(λ=0) (meV/cell)", width=520, height=360, template="plotly_white")
    return fig


def path_polarization_figure(paths: Mapping[str, SwitchingPath], branches: int = 1) -> go.Figure:
    """P·n̂ (C/m², n̂ along the first path's P_s) against λ; the branches P + nQ of the first
    path dotted (n = ±1 … ±``branches``): the values a Berry-phase calculation could report."""
    fig = go.Figure()
    first = next(iter(paths.values()))
    axis = _axis(first)
    shifted = first.branches(branches) @ axis * E_PER_A2_TO_C_PER_M2
    for n, values in zip(range(-branches, branches + 1), shifted):
        if n:
            fig.add_trace(go.Scatter(x=first.lambdas, y=values, mode="lines", name=f"branch {n:+d} quantum",
                                     line=dict(color="grey", dash="dot", width=1)))
    for k, (label, path) in enumerate(paths.items()):
        fig.add_trace(go.Scatter(x=path.lambdas, y=path.polarizations @ axis * E_PER_A2_TO_C_PER_M2, mode="lines+markers",
                                 name=f"{label}: |P_s| {np.linalg.norm(path.spontaneous_polarization) * E_PER_A2_TO_C_PER_M2:.3f} C/m²",
                                 line=dict(color=_COLORS[k % 4]), marker=dict(size=4)))
    fig.update_layout(title="Polarization along the path (one continuous branch)", xaxis_title="λ",
                      yaxis_title="P·n̂ (C/m²)", width=520, height=360, template="plotly_white")
    return fig


def hysteresis_figure(loops: Mapping[str, HysteresisLoop], marker: tuple[str, int] | None = None) -> go.Figure:
    """P·n̂ (C/m²) against ℰ·n̂ (V/Å), one loop per label with its coercive field; ``marker``
    (label, sample) marks one sample (the frame shown on the structure)."""
    fig = go.Figure()
    for k, (label, loop) in enumerate(loops.items()):
        try:
            name = f"{label} (E_c {loop.coercive_field:.3f} V/Å)"
        except ValueError:
            name = f"{label} (no switching)"
        fig.add_trace(go.Scatter(x=loop.fields, y=loop.polarizations * E_PER_A2_TO_C_PER_M2, mode="lines", name=name,
                                 line=dict(color=_COLORS[k % 4])))
    if marker is not None:
        label, sample = marker
        loop = loops[label]
        fig.add_trace(go.Scatter(x=[loop.fields[sample]], y=[loop.polarizations[sample] * E_PER_A2_TO_C_PER_M2],
                                 mode="markers", name=f"t = {loop.times[sample]:.0f} fs",
                                 marker=dict(size=12, color="black", symbol="x")))
    fig.update_layout(title="P–ℰ hysteresis (field-driven MD)", xaxis_title="ℰ·n̂ (V/Å)", yaxis_title="P·n̂ (C/m²)",
                      width=520, height=380, template="plotly_white")
    return fig
