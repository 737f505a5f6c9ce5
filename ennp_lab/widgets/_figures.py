"""Plotly ``FigureWidget``s for the panels: built with their data, updated in place."""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["FigureWidget", "replace_figure"]


class FigureWidget(go.FigureWidget):
    """A ``go.FigureWidget`` whose comm opens with its traces and layout already in it.

    plotly's ``FigureWidget`` opens its comm (ipywidgets does so at the end of
    ``Widget.__init__``) with an empty ``_widget_data``/``_widget_layout`` and sends the
    figure in a second, state-update message. Its front end reads the data once, when the
    view renders, and ignores later changes of ``_widget_data``; when the update is
    deserialised after the view rendered (a race seen on a busy 2-core machine, in
    JupyterLab with Chromium) the figure shows empty default axes for good. Here the comm
    opens only after the figure is set, so its first message carries everything.
    """

    def __init__(self, *args, **kwargs):
        self._ennp_defer_open = True
        try:
            super().__init__(*args, **kwargs)
        finally:
            self._ennp_defer_open = False
        self.open()

    def open(self) -> None:
        if getattr(self, "_ennp_defer_open", False):
            return
        super().open()


def replace_figure(figure: go.FigureWidget, new: go.Figure) -> None:
    """Show ``new`` in ``figure``.

    When the traces have the same number and types, they are updated in place, so the
    front end keeps its WebGL canvas (and the user's 3D camera); otherwise the traces
    are swapped.
    """
    same = len(figure.data) == len(new.data) and all(a.type == b.type for a, b in zip(figure.data, new.data))
    layout = new.layout.to_plotly_json()
    if same:
        for key in [k for k in layout if k.startswith("scene")]:
            layout[key].pop("camera", None)  # keep the user's view
    with figure.batch_update():
        if same:
            for old, trace in zip(figure.data, new.data):
                old.update(trace.to_plotly_json(), overwrite=True)
        else:
            figure.data = ()
            figure.add_traces(list(new.data))
        figure.layout.update(layout, overwrite=True)
