"""The panels' FigureWidgets open their comm with the figure already in it."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
from ipywidgets.widgets import widget as ipywidget

from ennp_lab.widgets._figures import FigureWidget, replace_figure

WIDGETS = Path(__file__).resolve().parents[2] / "ennp_lab" / "widgets"


@pytest.fixture
def opened(monkeypatch):
    """The ``data`` of every comm opened, in order (what the front end first receives)."""
    sent: list[dict] = []
    create = ipywidget.comm.create_comm

    def record(**kwargs):
        sent.append(kwargs["data"]["state"])
        return create(**kwargs)

    monkeypatch.setattr(ipywidget.comm, "create_comm", record)
    return sent


def _figure() -> go.Figure:
    return go.Figure([go.Scatter(x=[0, 1], y=[2, 3], name="a"), go.Bar(x=[0], y=[1], name="b")],
                     layout=dict(title=dict(text="bands"), height=300))


def test_first_comm_message_carries_traces_and_layout(opened):
    widget = FigureWidget(_figure())
    states = [s for s in opened if s.get("_model_name") == widget.get_state()["_model_name"]]
    assert len(states) == 1, "the figure's comm must be opened exactly once"
    first = states[0]
    assert [t["name"] for t in first["_widget_data"]] == ["a", "b"]
    assert first["_widget_layout"]["title"]["text"] == "bands"
    assert widget.comm is not None
    # and it is still a working FigureWidget: updates reach the traces
    replace_figure(widget, go.Figure([go.Scatter(x=[5], y=[6], name="c")]))
    assert [t.name for t in widget.data] == ["c"]


def test_no_panel_builds_a_plain_plotly_figure_widget():
    offenders = [p.name for p in WIDGETS.glob("*.py")
                 if p.name != "_figures.py" and "go.FigureWidget(" in p.read_text()]
    assert not offenders, f"use ennp_lab.widgets._figures.FigureWidget in {offenders}"
