"""`ElasticityPanel` and `SurfacePanel`: directional elasticity and surface energies, no physics here."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import ipywidgets as widgets
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.properties.elasticity import ElasticTensor, compute_directional_cut, compute_directional_surface
from ennp_lab.properties.surfaces import OrientationModel, SurfaceEnergy, WulffShape, compute_gamma_cut
from ennp_lab.widgets.base import Panel, replace_figure
from ennp_lab.viz.elasticity import QUANTITIES, directional_surface_figure, polar_cut_figure, voigt_matrix_figure
from ennp_lab.viz.surfaces import gamma_polar_figure, wulff_figure

__all__ = ["ElasticityPanel", "SurfacePanel"]

PLANES = {"(001)": (0, 0, 1), "(110)": (1, 1, 0), "(111)": (1, 1, 1)}


class ElasticityPanel(Panel):
    """Directional moduli of one or more elasticity tensors (ENNP vs reference).

    Controls: ``quantity`` (E, β, G, ν), ``bound`` (min/max over the perpendicular
    direction for G and ν), ``plane`` for the 2D cut. Figures: ``surface`` (3D),
    ``cut`` (polar), ``matrix`` (6×6 of the first tensor). The sampling is done by the
    functions it is handed (by default :func:`~ennp_lab.properties.elasticity.compute_directional_surface`
    and :func:`~ennp_lab.properties.elasticity.compute_directional_cut`).
    """

    def __init__(self, tensors: Mapping[str, ElasticTensor], resolution: tuple[int, int] = (31, 61),
                 surface: Callable = compute_directional_surface, cut: Callable = compute_directional_cut) -> None:
        if not tensors:
            raise ValueError("ElasticityPanel needs at least one tensor")
        self.tensors = dict(tensors)
        self.resolution = resolution
        self._sample_surface, self._sample_cut = surface, cut
        self.quantity = widgets.Dropdown(options=[(v[0], k) for k, v in QUANTITIES.items()], value="young", description="quantity")
        self.bound = widgets.ToggleButtons(options=["maximum", "minimum"], value="maximum", description="over m ⟂ n")
        self.plane = widgets.Dropdown(options=list(PLANES), value="(001)", description="plane")
        self.surface = go.FigureWidget(self._surface_figure())
        self.cut = go.FigureWidget(self._cut_figure())
        first = next(iter(self.tensors))
        self.matrix = go.FigureWidget(voigt_matrix_figure(self.tensors[first], f"C_IJ of {first} (GPa)"))
        for control in (self.quantity, self.bound):
            control.observe(self._on_quantity, names="value")
        self.plane.observe(self._on_plane, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.quantity, self.bound]),
            widgets.HBox([self.surface, self.cut]),
            widgets.HBox([self.plane]),
            self.matrix,
        ])

    def _surface_figure(self) -> go.Figure:
        surfaces = {label: self._sample_surface(t, self.quantity.value, *self.resolution) for label, t in self.tensors.items()}
        return directional_surface_figure(surfaces, self.bound.value)

    def _cut_figure(self) -> go.Figure:
        plane = PLANES[self.plane.value]
        return polar_cut_figure({label: self._sample_cut(t, self.quantity.value, plane) for label, t in self.tensors.items()})

    def _on_quantity(self, _change) -> None:
        replace_figure(self.surface, self._surface_figure())
        self._on_plane(None)

    def _on_plane(self, _change) -> None:
        replace_figure(self.cut, self._cut_figure())



class SurfacePanel(Panel):
    """γ(n) against orientation (polar cut through a chosen zone) and the Wulff shape.

    Args:
        bulk: the bulk cell the Miller indices refer to.
        models: label → fitted :class:`OrientationModel`.
        energies: label → computed :class:`SurfaceEnergy` list (markers).
        shapes: label → :class:`WulffShape`; ``shape`` picks which one is drawn.
        cut: the zone cut (default :func:`~ennp_lab.properties.surfaces.compute_gamma_cut`).
    """

    ZONES = {"[1-10] zone": (1, -1, 0), "[001] zone": (0, 0, 1), "[11-2] zone": (1, 1, -2)}

    def __init__(
        self,
        bulk: Atoms,
        models: Mapping[str, OrientationModel],
        energies: Mapping[str, Sequence[SurfaceEnergy]],
        shapes: Mapping[str, WulffShape],
        cut: Callable = compute_gamma_cut,
    ) -> None:
        self.bulk, self.models, self.energies, self.shapes = bulk, dict(models), dict(energies), dict(shapes)
        self._cut = cut
        self.zone = widgets.Dropdown(options=list(self.ZONES), value="[1-10] zone", description="normals in")
        self.shape = widgets.Dropdown(options=list(self.shapes), description="Wulff of")
        self.polar = go.FigureWidget(self._polar_figure(self.zone.value))
        self.wulff = go.FigureWidget(wulff_figure(self.shapes[self.shape.value], f"Wulff shape, {self.shape.value}"))
        self.zone.observe(self._on_zone, names="value")
        self.shape.observe(self._on_shape, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.zone, self.shape]), widgets.HBox([self.polar, self.wulff])])

    def _polar_figure(self, zone: str) -> go.Figure:
        return gamma_polar_figure({label: self._cut(self.bulk, model, self.energies.get(label, ()), self.ZONES[zone])
                                   for label, model in self.models.items()})

    def _on_zone(self, change) -> None:
        replace_figure(self.polar, self._polar_figure(change["new"]))

    def _on_shape(self, change) -> None:
        replace_figure(self.wulff, wulff_figure(self.shapes[change["new"]], f"Wulff shape, {change['new']}"))
