"""Updating a FigureWidget from a freshly built figure."""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["replace_figure"]


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
