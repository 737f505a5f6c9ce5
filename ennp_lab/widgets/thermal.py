"""`ThermalPanel`: lattice thermal conductivity, model over reference — κ(T), lifetimes vs
frequency by branch, cumulative κ vs frequency, Grüneisen parameters along the band path,
and the irreducible Brillouin-zone wedge of one branch coloured by lifetime."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ennp_lab.properties.phonons import PhononBands
from ennp_lab.properties.thermal import GruneisenParameters, ThermalConductivity
from ennp_lab.viz.thermal import (BRANCH_NAMES, brillouin_zone_figure, cumulative_kappa_figure, gruneisen_figure,
                                  kappa_temperature_figure, lifetime_figure)
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["ThermalPanel"]


class ThermalPanel(Panel):
    """Explore κ and the phonon lifetimes behind it.

    Args:
        results: label → :class:`ThermalConductivity` (same mesh and temperatures), e.g.
            {"ENNP": …, "Stillinger–Weber": …}.
        reciprocal_cell: (3, 3) rows b_i/2π of the primitive cell, for the 3D wedge.
        reference: the label the others are compared with (dashed κ(T)).
        gruneisen: label → (bands, Grüneisen parameters) along a path, optional.
        points: extra κ points, label → (T, κ), e.g. the LBTE solution.
        curves: κ(T) curves, label → (T K, κ W/(m·K)), e.g. a shipped record on a finer
            mesh or more temperatures; by default the results' own.

    ``temperature`` picks the temperature of the lifetime, cumulative and wedge views;
    ``model`` which result the wedge shows; ``branch`` its branch.
    """

    def __init__(self, results: Mapping[str, ThermalConductivity], reciprocal_cell: np.ndarray,
                 reference: str | None = None,
                 gruneisen: Mapping[str, tuple[PhononBands, GruneisenParameters]] | None = None,
                 points: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
                 curves: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        if not results:
            raise ValueError("ThermalPanel needs at least one κ result")
        if reference is not None and reference not in results:
            raise ValueError(f"reference {reference!r} is not one of {list(results)}")
        temperatures = [tuple(r.temperatures.tolist()) for r in results.values()]
        if len(set(temperatures)) != 1:
            raise ValueError(f"the results were computed at different temperatures: {temperatures}")
        self.results, self.reciprocal_cell = dict(results), np.asarray(reciprocal_cell, dtype=float)
        first = next(iter(results.values()))
        if curves is None:
            curves = {label: (r.temperatures, r.kappa_average) for label, r in results.items()}
        self.kappa = go.FigureWidget(kappa_temperature_figure(curves, reference, points))
        self.temperature = widgets.Dropdown(options=[(f"{t:.0f} K", float(t)) for t in first.temperatures],
                                            value=float(first.temperatures[np.argmin(np.abs(first.temperatures - 300))]),
                                            description="T")
        self.lifetimes = go.FigureWidget(lifetime_figure(self.results, self.temperature.value))
        self.cumulative = go.FigureWidget(cumulative_kappa_figure(self.results, self.temperature.value))
        self.gruneisen = go.FigureWidget(gruneisen_figure(gruneisen)) if gruneisen else None
        n = first.frequencies_thz.shape[1]
        self.model = widgets.Dropdown(options=list(self.results), description="wedge of")
        self.branch = widgets.IntSlider(value=0, min=0, max=n - 1, description="branch",
                                        readout_format="d")
        self.branch_name = widgets.Label(self._branch_label())
        self.wedge = go.FigureWidget(self._wedge_figure())
        self.temperature.observe(lambda _: self._draw_temperature(), names="value")
        for control in (self.model, self.branch):
            control.observe(lambda _: self._draw_wedge(), names="value")
        top = [self.kappa] + ([self.gruneisen] if self.gruneisen is not None else [])
        self.widget = widgets.VBox([
            widgets.HBox(top),
            widgets.VBox([self.temperature, widgets.HBox([self.lifetimes, self.cumulative])]),
            widgets.VBox([widgets.HBox([self.model, self.branch, self.branch_name]), self.wedge]),
        ])

    def _branch_label(self) -> str:
        n = next(iter(self.results.values())).frequencies_thz.shape[1]
        return BRANCH_NAMES[self.branch.value] if n == len(BRANCH_NAMES) else f"branch {self.branch.value + 1}"

    def _wedge_figure(self) -> go.Figure:
        return brillouin_zone_figure(self.results[self.model.value], self.reciprocal_cell, self.branch.value,
                                     self.temperature.value, self.model.value)

    def _draw_temperature(self) -> None:
        replace_figure(self.lifetimes, lifetime_figure(self.results, self.temperature.value))
        replace_figure(self.cumulative, cumulative_kappa_figure(self.results, self.temperature.value))
        self._draw_wedge()

    def _draw_wedge(self) -> None:
        self.branch_name.value = self._branch_label()
        replace_figure(self.wedge, self._wedge_figure())
