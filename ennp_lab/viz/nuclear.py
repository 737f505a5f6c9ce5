"""Figures of the two-nucleon force: radial functions (model over reference), the 4 × 4
spin operator at a direction, the deuteron's u and w, and its density in 3D (MeV, fm)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ennp_lab.nuclear.deuteron import Deuteron

__all__ = ["radial_functions_figure", "operator_matrix_figure", "wavefunction_figure", "density_figure", "SPIN_LABELS"]

#: the pair-spin basis, in the order of :mod:`ennp_lab.nuclear.spin`
SPIN_LABELS = ("↑↑", "↑↓", "↓↑", "↓↓")
_NAMES = ("central V_C", "tensor V_T", "spin–orbit V_LS")


def radial_functions_figure(r: np.ndarray, curves: Mapping[str, tuple], y_range=(-150.0, 250.0)) -> go.Figure:
    """V_C, V_T, V_LS (MeV) against r (fm), one line style per label (e.g. model, reference)."""
    fig = go.Figure()
    dashes = ("solid", "dash", "dot", "dashdot")
    for k, (label, functions) in enumerate(curves.items()):
        for c, (name, values) in enumerate(zip(_NAMES, functions)):
            fig.add_trace(go.Scatter(x=r, y=np.asarray(values), mode="lines", name=f"{name} ({label})",
                                     line=dict(color=qualitative.Plotly[c], dash=dashes[k % 4])))
    fig.update_layout(title="Radial functions in the ³S₁–³D₁ waves", xaxis_title="r (fm)", yaxis_title="V (MeV)",
                      yaxis_range=list(y_range), template="plotly_white", width=560, height=400)
    return fig


def operator_matrix_figure(matrix: np.ndarray, title: str) -> go.Figure:
    """Real and imaginary parts of a 4 × 4 pair-spin operator as heat maps."""
    matrix = np.asarray(matrix)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("real part", "imaginary part"), horizontal_spacing=0.15)
    span = float(np.abs(matrix).max()) or 1.0
    for col, part in enumerate((matrix.real, matrix.imag), start=1):
        fig.add_trace(go.Heatmap(z=part, x=list(SPIN_LABELS), y=list(SPIN_LABELS), zmin=-span, zmax=span,
                                 colorscale="RdBu", showscale=col == 2, text=np.round(part, 3), texttemplate="%{text}"),
                      row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    fig.update_layout(title=title, template="plotly_white", width=620, height=340)
    return fig


def wavefunction_figure(deuteron: Deuteron, r_max: float = 12.0) -> go.Figure:
    """u(r) and w(r) (fm^-1/2)."""
    keep = deuteron.r <= r_max
    fig = go.Figure([go.Scatter(x=deuteron.r[keep], y=deuteron.u[keep], name="u (³S₁)", mode="lines"),
                     go.Scatter(x=deuteron.r[keep], y=deuteron.w[keep], name="w (³D₁)", mode="lines")])
    fig.update_layout(title=f"Deuteron: B = {deuteron.binding_energy:.4f} MeV, P_D = {100 * deuteron.d_state_probability:.2f} %",
                      xaxis_title="r (fm)", yaxis_title="radial wave function (fm^-1/2)", template="plotly_white",
                      width=560, height=380)
    return fig


def density_figure(deuteron: Deuteron, M: int = 0, level: float = 0.5, extent: float = 2.5, points: int = 34) -> go.Figure:
    """The density Σ|ψ_M|² on a cube of ±``extent`` fm as an isosurface at ``level`` × its
    maximum: a torus about z for M = 0, a dumbbell along z for M = ±1."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level is a fraction of the maximum density, in (0, 1); got {level}")
    axis = np.linspace(-extent, extent, int(points))
    x, y, z = np.meshgrid(axis, axis, axis, indexing="ij")
    grid = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    rho = deuteron.density(grid, M)
    fig = go.Figure(go.Isosurface(x=grid[:, 0], y=grid[:, 1], z=grid[:, 2], value=rho, isomin=level * rho.max(),
                                  isomax=level * rho.max(), surface_count=1, colorscale="Viridis", showscale=False,
                                  caps=dict(x_show=False, y_show=False, z_show=False)))
    fig.update_layout(title=f"Deuteron density, M = {M}: {level:.0%} of its maximum", template="plotly_white",
                      width=520, height=480, scene=dict(aspectmode="cube", xaxis_title="x (fm)", yaxis_title="y (fm)",
                                                        zaxis_title="z (fm)"))
    return fig
