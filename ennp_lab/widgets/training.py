"""`TrainingPanel`: live learning curves and a progress bar fed by the training callback."""

from __future__ import annotations

import ipywidgets as widgets
import plotly.graph_objects as go

from ennp_lab.learning.train import History
from ennp_lab.viz.training import learning_curve_figure, learning_curve_series
from ennp_lab.units import EV_TO_MEV
from ennp_lab.widgets.base import Panel

__all__ = ["TrainingPanel"]


class TrainingPanel(Panel):
    """Live view of a training run.

    Usage::

        panel = TrainingPanel(max_epochs=config.max_epochs)
        display(panel)
        train(model, train_frames, val_frames, config, callback=panel.callback)

    Attributes:
        figure: the plotly ``FigureWidget`` (losses; validation MAEs in meV).
        progress: an ``IntProgress`` counting finished epochs.
        status: an ``HTML`` line with the latest numbers.
        widget: the whole panel (a ``VBox``).
    """

    def __init__(self, max_epochs: int = 100) -> None:
        self.figure = go.FigureWidget(learning_curve_figure(History()))
        self.progress = widgets.IntProgress(value=0, min=0, max=max_epochs, description="epochs")
        self.status = widgets.HTML("waiting for the first epoch")
        self.stop_requested = False
        self.stop_button = widgets.Button(description="stop", tooltip="stop after this epoch")
        self.stop_button.on_click(lambda _: setattr(self, "stop_requested", True))
        self.widget = widgets.VBox([widgets.HBox([self.progress, self.stop_button, self.status]), self.figure])

    def callback(self, history: History) -> bool:
        """Show ``history``; pass this as ``train(..., callback=panel.callback)``.

        Returns True (stop training) once the stop button was pressed.
        """
        with self.figure.batch_update():
            for trace, (_, x, y, _) in zip(self.figure.data, learning_curve_series(history)):
                trace.x, trace.y = list(x), list(y)
        self.progress.value = min(len(history), self.progress.max)
        if len(history):
            self.status.value = (
                f"epoch {history.epoch[-1]}: val force MAE {EV_TO_MEV * history.val_force_mae[-1]:.1f} meV/Å, "
                f"energy MAE {EV_TO_MEV * history.val_energy_mae[-1]:.2f} meV/atom, lr {history.lr[-1]:.2e}"
            )
        return self.stop_requested
