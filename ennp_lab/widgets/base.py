"""What every panel shares: the :class:`Panel` base and updating a figure in place.

A panel keeps all its state in Python (tests drive it without a browser) and builds one
ipywidgets tree, ``panel.widget``; Jupyter displays a panel as that tree. Panels take
results (and ``Atoms``); when they recompute (a slider), they call the function they were
handed, never a model.
"""

from __future__ import annotations

import ipywidgets as widgets
import plotly.graph_objects as go

__all__ = ["Panel", "replace_figure"]


class Panel:
    """Base of every panel: ``widget`` is the ipywidgets tree it shows."""

    widget: widgets.Widget

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def display(self) -> None:
        """Show the panel (outside a cell's last line)."""
        from IPython.display import display

        display(self.widget)


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
