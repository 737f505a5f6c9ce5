"""MD figures: energy conservation against the time step, with the Hessian limit marked."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.md import MDResult, TimestepScan
from ennp_lab.units import EV_TO_MEV

__all__ = ["timestep_figure", "energy_series_figure", "TIMESTEP_QUANTITIES"]

#: quantity name → (attribute of TimestepScan, axis title); meV at the display edge
TIMESTEP_QUANTITIES = {
    "fluctuation": ("fluctuation", "energy fluctuation std(E_tot)/N (meV/atom)"),
    "drift": ("drift", "|energy drift| (meV/atom/ps)"),
    "max error": ("max_error", "max |E_tot − E_tot(0)|/N (meV/atom)"),
}


def timestep_figure(
    scans: Mapping[str, TimestepScan],
    dt_max: Mapping[str, float] | None = None,
    quantity: str = "fluctuation",
) -> go.Figure:
    """Log–log energy conservation vs Δt per calculator; unstable runs as crosses, the
    predicted Δt_max = 2/ω_max as a dashed vertical line, and a Δt² guide. Each
    calculator gives the same four traces (stable, unstable, guide, limit) whatever the
    quantity, so a panel can swap quantities trace by trace.

    Args:
        scans: label → :class:`TimestepScan`.
        dt_max: label → predicted limit (fs).
        quantity: a key of :data:`TIMESTEP_QUANTITIES`.
    """
    if quantity not in TIMESTEP_QUANTITIES:
        raise ValueError(f"quantity must be one of {list(TIMESTEP_QUANTITIES)}, got {quantity!r}")
    if not isinstance(scans, Mapping) or not scans:
        raise ValueError(f"scans must be a non-empty mapping label → TimestepScan, got {scans!r}")
    bad = [label for label, scan in scans.items() if not isinstance(scan, TimestepScan)]
    if bad:
        raise ValueError(f"scans {bad} are not TimestepScan results (from run_timestep_scan)")
    if dt_max is not None and not isinstance(dt_max, Mapping):
        raise ValueError(f"dt_max must be a mapping label → Δt_max (fs), got {dt_max!r}; e.g. {{{next(iter(scans))!r}: {dt_max!r}}}")
    attribute, title = TIMESTEP_QUANTITIES[quantity]
    fig = go.Figure()
    for k, (label, scan) in enumerate(scans.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        y = np.abs(getattr(scan, attribute)) * EV_TO_MEV
        for stable, symbol, suffix in ((True, "circle", ""), (False, "x", " (unstable)")):
            keep = scan.stable == stable
            fig.add_trace(
                go.Scatter(
                    x=scan.timesteps[keep], y=y[keep], mode="lines+markers" if stable else "markers",
                    marker=dict(symbol=symbol, size=9, color=color), line=dict(color=color),
                    name=f"{label}{suffix}", legendgroup=label,
                )
            )
        # a Δt² guide through the smallest stable point (empty unless fluctuations are shown,
        # so that every quantity gives the same traces)
        ok = scan.stable & (y > 0)
        gx, gy = [], []
        if quantity == "fluctuation" and ok.any():
            t0, y0 = scan.timesteps[ok][0], y[ok][0]
            gx = [float(t0), float(scan.timesteps.max())]
            gy = [float(y0), float(y0 * (gx[1] / t0) ** 2)]
        fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", line=dict(color=color, dash="dot", width=1),
                                 name=f"∝ Δt² ({label})", legendgroup=label))
        if dt_max and label in dt_max:
            # a trace, not a layout shape: shapes on log axes take log10 coordinates
            finite = y[y > 0]
            lo, hi = (finite.min() / 3, finite.max() * 3) if len(finite) else (1e-6, 1.0)
            fig.add_trace(go.Scatter(x=[dt_max[label]] * 2, y=[lo, hi], mode="lines+text",
                                     line=dict(color=color, dash="dash"), text=["", f"2/ω_max = {dt_max[label]:.1f} fs"],
                                     textposition="top left", name=f"predicted Δt_max ({label})", legendgroup=label))
    fig.update_xaxes(type="log", title="time step Δt (fs)")
    fig.update_yaxes(type="log", title=title)
    fig.update_layout(template="plotly_white", title="Velocity Verlet: energy conservation vs time step",
                      width=750, height=480)
    return fig


def energy_series_figure(runs: Mapping[str, MDResult]) -> go.Figure:
    """Total, potential and kinetic energy per atom (meV/atom, relative to the first step) against time."""
    fig = go.Figure()
    for k, (label, run) in enumerate(runs.items()):
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        for series, dash in (("total_energy", "solid"), ("potential_energy", "dot"), ("kinetic_energy", "dash")):
            values = getattr(run, series)
            fig.add_trace(go.Scatter(x=run.times, y=(values - values[0]) / run.n_atoms * EV_TO_MEV, mode="lines",
                                     line=dict(color=color, dash=dash), name=f"{label}: {series.split('_')[0]}"))
    fig.update_layout(template="plotly_white", xaxis_title="time (fs)", yaxis_title="E − E(0) (meV/atom)",
                      title="MD energies", width=750, height=420)
    return fig
