"""`PolarizationPanel`: the double well and P along the switching path with the quantum's
branches, the P–ℰ hysteresis loop, and the polar displacements as arrows on the structure
through the loop (they flip when the field reverses)."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.properties.ferroelectric import HysteresisLoop, SwitchingPath
from ennp_lab.viz.ferroelectric import double_well_figure, hysteresis_figure, path_polarization_figure
from ennp_lab.widgets.base import Panel, replace_figure
from ennp_lab.widgets.structure import StructurePanel

__all__ = ["PolarizationPanel"]


class PolarizationPanel(Panel):
    """Explore ferroelectric switching.

    Args:
        paths: label → :class:`~ennp_lab.properties.ferroelectric.SwitchingPath` (e.g.
            {"ENNP": ..., "reference": ...}).
        loops: label → :class:`~ennp_lab.properties.ferroelectric.HysteresisLoop`.
        paraelectric: the structure whose sites the arrows start from.

    ``loop`` (dropdown) picks the run shown on the structure; the structure's ``frame``
    slider steps through that run's samples and marks the sample on the loop.
    """

    def __init__(self, paths: Mapping[str, SwitchingPath], loops: Mapping[str, HysteresisLoop], paraelectric: Atoms) -> None:
        if not paths or not loops:
            raise ValueError("PolarizationPanel needs at least one switching path and one hysteresis loop")
        self.paths, self.loops, self.paraelectric = dict(paths), dict(loops), paraelectric.copy()
        self.well = go.FigureWidget(double_well_figure(self.paths))
        self.branch = go.FigureWidget(path_polarization_figure(self.paths))
        self.hysteresis = go.FigureWidget()
        self.loop = widgets.Dropdown(options=list(self.loops), description="structure of")
        first = next(iter(self.loops))
        self.structure = StructurePanel(list(self.loops[first].frames),
                                        vectors=self.loops[first].displacements(self.paraelectric))
        self.loop.observe(self._on_loop, names="value")
        self.structure.frame.observe(lambda _: self.update(), names="value")
        # the structure's frame slider sits in one box with the view it moves
        self.widget = widgets.VBox([widgets.HBox([self.well, self.branch]), self.hysteresis, self.loop, self.structure.widget])
        self.update()

    def _on_loop(self, change) -> None:
        loop = self.loops[change["new"]]
        self.structure.show(list(loop.frames), vectors=loop.displacements(self.paraelectric))
        self.update()

    def update(self) -> None:
        replace_figure(self.hysteresis, hysteresis_figure(self.loops, (self.loop.value, int(self.structure.frame.value))))
