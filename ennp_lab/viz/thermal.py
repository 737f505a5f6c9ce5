"""Thermal-transport figures: κ(T) model over reference, lifetimes vs frequency by branch,
cumulative κ vs frequency, Grüneisen parameters along the band path, and the irreducible
wedge of the Brillouin zone coloured by lifetime. κ arrives in W/(m·K), frequencies in
THz and lifetimes in ps from phono3py (:mod:`ennp_lab.properties.thermal`): nothing is
converted here."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.phonons import PhononBands
from ennp_lab.properties.thermal import GruneisenParameters, ThermalConductivity

__all__ = ["kappa_temperature_figure", "lifetime_figure", "cumulative_kappa_figure", "gruneisen_figure",
           "brillouin_zone_figure", "BRANCH_NAMES"]

#: names of the six branches of a two-atom primitive cell (ascending frequency at a general q)
BRANCH_NAMES = ("TA₁", "TA₂", "LA", "TO₁", "TO₂", "LO")


def _branch_name(b: int, n: int) -> str:
    return BRANCH_NAMES[b] if n == len(BRANCH_NAMES) else f"branch {b + 1}"


def _check(results: Mapping, what: str) -> None:
    if not results:
        raise ValueError(f"{what} needs at least one result")


def kappa_temperature_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], reference: str | None = None,
                             points: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> go.Figure:
    """κ(T) (trace average) per label: ``curves`` label → (T K, κ W/(m·K)) as lines,
    ``points`` label → (T, κ) as markers (e.g. LBTE at 300 K); the reference dashed, the
    others' ratio to it in their legend entry at the first common temperature."""
    _check(curves, "kappa_temperature_figure")
    fig = go.Figure()
    ref = curves.get(reference) if reference is not None else None
    for k, (label, (t, kappa)) in enumerate(curves.items()):
        name = label
        if ref is not None and label != reference:
            common = np.intersect1d(np.asarray(t), np.asarray(ref[0]))
            if len(common):
                at = common[np.argmin(np.abs(common - 300.0))]
                ratio = np.interp(at, t, kappa) / np.interp(at, ref[0], ref[1])
                name = f"{label} ({ratio:.2f}× {reference} at {at:.0f} K)"
        fig.add_trace(go.Scatter(x=np.asarray(t), y=np.asarray(kappa), mode="lines+markers", name=name,
                                 line=dict(color=qualitative.Plotly[k % 10], dash="dash" if label == reference else "solid"),
                                 hovertemplate="T = %{x:.0f} K<br>κ = %{y:.1f} W/(m K)<extra>" + label + "</extra>"))
    for k, (label, (t, kappa)) in enumerate((points or {}).items()):
        fig.add_trace(go.Scatter(x=np.asarray(t), y=np.asarray(kappa), mode="markers", name=label,
                                 marker=dict(symbol="diamond", size=10, color=qualitative.Plotly[(k + 5) % 10])))
    fig.update_layout(template="plotly_white", title="Lattice thermal conductivity", width=520, height=380,
                      xaxis_title="T (K)", yaxis_title="κ (W/(m K))", yaxis_type="log", xaxis_type="log",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def lifetime_figure(results: Mapping[str, ThermalConductivity], temperature: float = 300.0) -> go.Figure:
    """Phonon lifetimes τ (ps, log) vs frequency at ``temperature``, coloured by branch,
    one marker symbol per label."""
    _check(results, "lifetime_figure")
    fig = go.Figure()
    symbols = ("circle", "x", "diamond", "square")
    for s, (label, result) in enumerate(results.items()):
        t = int(np.argmin(np.abs(result.temperatures - temperature)))
        n = result.frequencies_thz.shape[1]
        for b in range(n):
            tau = result.lifetimes_ps[t, :, b]
            keep = np.isfinite(tau) & (result.frequencies_thz[:, b] > 1e-3)
            fig.add_trace(go.Scatter(
                x=result.frequencies_thz[keep, b], y=tau[keep], mode="markers", legendgroup=_branch_name(b, n),
                name=f"{label} · {_branch_name(b, n)}",
                marker=dict(color=qualitative.Plotly[b % 10], symbol=symbols[s % len(symbols)], size=6, opacity=0.7),
                hovertemplate="ν = %{x:.2f} THz<br>τ = %{y:.2f} ps<extra>" + label + "</extra>"))
    fig.update_layout(template="plotly_white", title=f"Phonon lifetimes at {temperature:.0f} K", width=520,
                      height=380, xaxis_title="frequency (THz)", yaxis_title="τ (ps)", yaxis_type="log")
    return fig


def cumulative_kappa_figure(results: Mapping[str, ThermalConductivity], temperature: float = 300.0) -> go.Figure:
    """The cumulative κ vs frequency at ``temperature`` per label (its last value is κ)."""
    _check(results, "cumulative_kappa_figure")
    fig = go.Figure()
    for k, (label, result) in enumerate(results.items()):
        t = float(result.temperatures[np.argmin(np.abs(result.temperatures - temperature))])
        nu, cumulative = result.cumulative(t)
        fig.add_trace(go.Scatter(x=nu, y=cumulative, mode="lines", name=f"{label} (κ = {cumulative[-1]:.0f})",
                                 line=dict(color=qualitative.Plotly[k % 10], shape="hv")))
    fig.update_layout(template="plotly_white", title=f"Cumulative κ at {temperature:.0f} K", width=520, height=380,
                      xaxis_title="frequency (THz)", yaxis_title="κ(ν' < ν) (W/(m K))")
    return fig


def gruneisen_figure(paths: Mapping[str, tuple[PhononBands, GruneisenParameters]]) -> go.Figure:
    """Mode Grüneisen parameters along the band path, per branch; one dash style per label."""
    _check(paths, "gruneisen_figure")
    fig = go.Figure()
    dashes = ("solid", "dash", "dot")
    first = next(iter(paths.values()))[0]
    for s, (label, (bands, gruneisen)) in enumerate(paths.items()):
        n = gruneisen.gamma.shape[1]
        for b in range(n):
            x: list = []
            y: list = []
            for _, _, i, j in bands.segments:
                x += list(bands.distances[i:j]) + [None]
                y += [None if not np.isfinite(v) else float(v) for v in gruneisen.gamma[i:j, b]] + [None]
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{label} · {_branch_name(b, n)}",
                                     legendgroup=label, showlegend=b == 0 or s == 0,
                                     line=dict(color=qualitative.Plotly[b % 10], dash=dashes[s % len(dashes)])))
    positions, labels = first.ticks
    fig.update_xaxes(tickvals=positions, ticktext=labels, showgrid=True, gridcolor="#bbb",
                     range=[positions[0], positions[-1]])
    fig.update_layout(template="plotly_white", title="Mode Grüneisen parameters γ = −d ln ω / d ln V", width=620,
                      height=380, yaxis_title="γ", legend=dict(font=dict(size=9)))
    return fig


def brillouin_zone_figure(result: ThermalConductivity, reciprocal_cell: np.ndarray, branch: int = 0,
                          temperature: float = 300.0, label: str = "") -> go.Figure:
    """The irreducible q-points phono3py computed, in Cartesian reciprocal space (1/Å, without
    the 2π), for one ``branch``: colour = log₁₀ τ (ps), size ∝ the modes' share of κ.

    Args:
        result: a :class:`ThermalConductivity`.
        reciprocal_cell: (3, 3) rows b_i/2π of the primitive cell (``primitive.cell.reciprocal()``).
    """
    n = result.frequencies_thz.shape[1]
    if not 0 <= branch < n:
        raise ValueError(f"branch must be in 0…{n - 1}, got {branch}")
    t = int(np.argmin(np.abs(result.temperatures - temperature)))
    q = result.qpoints @ np.asarray(reciprocal_cell)
    tau = result.lifetimes_ps[t, :, branch]
    share = np.clip(result.mode_kappa(float(result.temperatures[t]))[:, branch], 0.0, None)
    share = share / max(share.max(), 1e-300)
    finite = np.isfinite(tau)
    color = np.where(finite, np.log10(np.where(finite & (tau > 0), tau, 1.0)), np.nan)
    fig = go.Figure(go.Scatter3d(
        x=q[:, 0], y=q[:, 1], z=q[:, 2], mode="markers",
        marker=dict(size=3 + 12 * np.sqrt(share), color=color, colorscale="Viridis",
                    colorbar=dict(title="log₁₀ τ (ps)"), line=dict(width=0)),
        customdata=np.stack([result.frequencies_thz[:, branch], np.where(finite, tau, -1.0)], axis=1),
        hovertemplate="ν = %{customdata[0]:.2f} THz<br>τ = %{customdata[1]:.2f} ps<extra></extra>",
        name=_branch_name(branch, n)))
    fig.update_layout(template="plotly_white", width=520, height=460,
                      title=f"{label + ': ' if label else ''}{_branch_name(branch, n)} in the irreducible wedge, "
                            f"{result.temperatures[t]:.0f} K",
                      scene=dict(xaxis_title="q_x (1/Å)", yaxis_title="q_y (1/Å)", zaxis_title="q_z (1/Å)",
                                 aspectmode="data"),
                      margin=dict(l=0, r=0, t=50, b=0))
    return fig
