"""`TimestepPanel`: energy conservation vs Δt on log–log axes with the predicted Δt_max."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import plotly.graph_objects as go

from ennp_lab.properties.md import TimestepScan
from ennp_lab.viz.md import TIMESTEP_QUANTITIES, timestep_figure
from ennp_lab.widgets.base import Panel

__all__ = ["TimestepPanel"]


class TimestepPanel(Panel):
    """Time-step scans of one or more calculators with their Hessian limits.

    Args:
        scans: label → :class:`~ennp_lab.properties.md.TimestepScan`.
        dt_max: label → predicted Δt_max = 2/ω_max (fs).

    ``quantity`` (a dropdown: fluctuation, drift, max error) picks what is plotted;
    ``figure`` is the ``FigureWidget``; ``table`` an HTML summary of predicted vs
    observed limits.
    """

    def __init__(self, scans: Mapping[str, TimestepScan], dt_max: Mapping[str, float] | None = None) -> None:
        figure = timestep_figure(scans, dt_max)  # validates both
        self.scans, self.dt_max = dict(scans), dict(dt_max or {})
        self.quantity = widgets.Dropdown(options=list(TIMESTEP_QUANTITIES), value="fluctuation", description="show")
        self.figure = go.FigureWidget(figure)
        self.quantity.observe(self._on_quantity, names="value")
        rows = "".join(
            f"<tr><td>{label}</td><td>{self.dt_max.get(label, float('nan')):.1f}</td>"
            f"<td>{'—' if scan.onset is None else f'{scan.onset:.1f}'}</td></tr>"
            for label, scan in self.scans.items()
        )
        self.table = widgets.HTML(
            "<table><tr><th>calculator</th><th>predicted Δt_max (fs)</th><th>first unstable Δt (fs)</th></tr>"
            f"{rows}</table>"
        )
        self.widget = widgets.VBox([self.quantity, self.figure, self.table])

    def _on_quantity(self, change) -> None:
        new = timestep_figure(self.scans, self.dt_max, change["new"])
        with self.figure.batch_update():
            for trace, fresh in zip(self.figure.data, new.data):
                trace.x, trace.y = fresh.x, fresh.y
            self.figure.layout.yaxis.title.text = new.layout.yaxis.title.text
