"""`DesignPanel`: a design's objective and rigid drift against the step, projected and
naive side by side; the structure morphing through the run with the raw or projected
gradient (or the rigid part projection removes) as arrows; a target slider that re-runs
a short design."""

from __future__ import annotations

from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ennp_lab.design.loop import DesignResult
from ennp_lab.viz.design import design_drift_figure, design_history_figure
from ennp_lab.widgets.base import Panel, replace_figure
from ennp_lab.widgets.structure import StructurePanel

__all__ = ["DesignPanel"]

ARROWS = ("raw gradient", "projected gradient", "removed rigid part")


class DesignPanel(Panel):
    """Explore design runs.

    Args:
        runs: label → :class:`~ennp_lab.design.loop.DesignResult` (e.g. {"projected": …,
            "naive": …}).
        target: the objective value that counts as reached (drawn dashed), or None.
        rerun: ``rerun(target) -> runs``: given, a ``target`` slider (from ``target_range``)
            re-runs the design when released.

    ``run`` (dropdown) picks the run on the structure; ``arrows`` what the arrows show
    (−gradient directions, so they point where the atoms go).
    """

    def __init__(self, runs: Mapping[str, DesignResult], target: float | None = None,
                 rerun: Callable[[float], Mapping[str, DesignResult]] | None = None,
                 target_range: tuple[float, float] | None = None) -> None:
        if not runs:
            raise ValueError("DesignPanel needs at least one design run")
        self.runs, self.target, self.rerun = dict(runs), target, rerun
        self.history, self.drift = go.FigureWidget(), go.FigureWidget()
        self.run = widgets.Dropdown(options=list(self.runs), description="structure of")
        self.arrows = widgets.Dropdown(options=ARROWS, description="arrows")
        self.structure = StructurePanel(list(self.runs[self.run.value].frames), vectors=self.vectors(),
                                        arrow_scale=self._scale())
        self.run.observe(lambda _: self._show_structure(), names="value")
        self.arrows.observe(lambda _: self._show_structure(), names="value")
        controls = [self.run, self.arrows]
        if rerun is not None:
            lo, hi = target_range if target_range is not None else sorted((0.5 * (target or -1.0), 1.5 * (target or -1.0)))
            self.target_slider = widgets.FloatSlider(value=target if target is not None else lo, min=lo, max=hi,
                                                     step=(hi - lo) / 20, description="target", continuous_update=False)
            self.target_slider.observe(self._on_target, names="value")
            controls.insert(0, self.target_slider)
        # the structure's frame slider sits in one box with the view it moves
        self.widget = widgets.VBox([widgets.HBox([self.history, self.drift]), widgets.HBox(controls), self.structure.widget])
        self._draw()

    def vectors(self, label: str | None = None):
        """(M, N, 3) the arrows of a run as chosen (−gradient: where the atoms are pushed)."""
        run = self.runs[label or self.run.value]
        raw = -run.gradients
        if self.arrows.value == "raw gradient":
            return raw
        projected = -run.projected_gradients()
        return projected if self.arrows.value == "projected gradient" else raw - projected

    def _scale(self) -> float:
        """One arrow scale for all three choices: the longest raw arrow of the run is 1.5 Å
        (a removed rigid part of 10⁻¹⁵ stays invisible instead of being blown up)."""
        longest = float(np.abs(self.runs[self.run.value].gradients).max())
        return 1.5 / longest if longest > 0 else 1.0

    def _show_structure(self) -> None:
        run = self.runs[self.run.value]
        self.structure.show(list(run.frames), vectors=self.vectors(), arrow_scale=self._scale())

    def _draw(self) -> None:
        replace_figure(self.history, design_history_figure(self.runs, self.target))
        replace_figure(self.drift, design_drift_figure(self.runs))

    def _on_target(self, change) -> None:
        self.target = float(change["new"])
        self.runs = dict(self.rerun(self.target))
        self.run.options = list(self.runs)
        self._draw()
        self._show_structure()
