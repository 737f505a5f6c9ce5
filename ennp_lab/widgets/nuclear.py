"""`NuclearForcePanel`: the two-nucleon force and the deuteron it binds — radial functions
model over reference, the 4 × 4 spin operator at a chosen direction (and how it turns), the
deuteron's u and w, and its density in 3D for M = 0 or ±1, with the D-state (the tensor
force's doing) on or off."""

from __future__ import annotations

from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ennp_lab.nuclear.deuteron import Deuteron
from ennp_lab.viz.nuclear import density_figure, operator_matrix_figure, radial_functions_figure, wavefunction_figure
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["NuclearForcePanel"]


class NuclearForcePanel(Panel):
    """Explore a two-nucleon potential.

    Args:
        r: (K,) separations (fm) of the radial curves.
        curves: label → (V_C, V_T, V_LS) on ``r`` (e.g. {"model": …, "Reid": …}).
        operator: r_vec (3,) fm → (4, 4) the spin operator drawn at the chosen direction
            (e.g. the model's S₁₂ part, or V_C + V_T S₁₂ at one r).
        deuteron: the bound state.

    ``theta``/``phi`` pick the direction of r (degrees), ``separation`` its length; ``M`` the
    deuteron's magnetic substate, ``level`` the isosurface (fraction of the maximum),
    ``d_state`` whether the D-state is kept.
    """

    def __init__(self, r: np.ndarray, curves: Mapping[str, tuple], operator: Callable, deuteron: Deuteron) -> None:
        if not curves:
            raise ValueError("NuclearForcePanel needs at least one set of radial curves")
        self.operator, self.deuteron = operator, deuteron
        self.radial = go.FigureWidget(radial_functions_figure(np.asarray(r), curves))
        self.waves = go.FigureWidget(wavefunction_figure(deuteron))
        self.theta = widgets.FloatSlider(value=0.0, min=0.0, max=180.0, step=5.0, description="θ (°)")
        self.phi = widgets.FloatSlider(value=0.0, min=0.0, max=360.0, step=5.0, description="φ (°)")
        self.separation = widgets.FloatSlider(value=1.0, min=0.3, max=5.0, step=0.1, description="r (fm)")
        self.matrix = go.FigureWidget(operator_matrix_figure(self.operator_matrix(), self._matrix_title()))
        self.M = widgets.Dropdown(options=[0, 1, -1], value=0, description="M")
        self.d_state = widgets.Checkbox(value=True, description="D-state (tensor force)")
        self.level = widgets.FloatSlider(value=0.5, min=0.1, max=0.9, step=0.05, description="level")
        self.density = go.FigureWidget(density_figure(self._state(), self.M.value, self.level.value))
        for control in (self.theta, self.phi, self.separation):
            control.observe(lambda _: self._draw_matrix(), names="value")
        for control in (self.M, self.d_state, self.level):
            control.observe(lambda _: self._draw_density(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.radial, self.waves]),
            widgets.VBox([widgets.HBox([self.theta, self.phi, self.separation]), self.matrix]),
            widgets.VBox([widgets.HBox([self.M, self.d_state, self.level]), self.density]),
        ])

    def direction(self) -> np.ndarray:
        """(3,) the chosen r (fm)."""
        t, p = np.radians(self.theta.value), np.radians(self.phi.value)
        return self.separation.value * np.array([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])

    def operator_matrix(self) -> np.ndarray:
        """(4, 4) the operator at the chosen r."""
        return np.asarray(self.operator(self.direction()))

    def _matrix_title(self) -> str:
        return f"spin operator at r = {self.separation.value:.1f} fm, θ = {self.theta.value:.0f}°, φ = {self.phi.value:.0f}°"

    def _state(self) -> Deuteron:
        return self.deuteron if self.d_state.value else self.deuteron.without_d_state()

    def _draw_matrix(self) -> None:
        replace_figure(self.matrix, operator_matrix_figure(self.operator_matrix(), self._matrix_title()))

    def _draw_density(self) -> None:
        replace_figure(self.density, density_figure(self._state(), self.M.value, self.level.value))
