"""TrainingPanel driven without a browser: its figure and controls follow the training."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("plotly")

from ennp_lab.data import generate_emt_dataset  # noqa: E402
from ennp_lab.learning import TrainConfig, train  # noqa: E402
from ennp_lab.learning.train import History  # noqa: E402
from ennp_lab.testing import tiny_model  # noqa: E402
from ennp_lab.widgets import TrainingPanel  # noqa: E402


def test_panel_shows_the_history_in_mev():
    panel = TrainingPanel(max_epochs=5)
    assert len(panel.figure.data) == 4 and panel.progress.value == 0
    h = History(epoch=[0, 1], train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], val_energy_mae=[0.01, 0.004],
                val_force_mae=[0.1, 0.05], val_stress_mae=[0.0, 0.0], lr=[1e-3, 1e-3], wall_time=[1.0, 2.0])
    assert panel.callback(h) is False
    force = [t for t in panel.figure.data if "force" in t.name][0]
    np.testing.assert_allclose(force.y, [100.0, 50.0])
    assert list(force.x) == [0, 1]
    assert panel.progress.value == 2
    assert "50.0 meV/Å" in panel.status.value and "4.00 meV/atom" in panel.status.value


def test_panel_follows_a_real_run_and_its_stop_button_stops_it():
    frames = generate_emt_dataset("Cu", md_per_temperature=1, n_strained=2, n_rattled=1, n_vacancy=1, n_slab=0, repeat=1, seed=3)
    panel = TrainingPanel(max_epochs=10)
    config = TrainConfig(max_epochs=10, batch_size=2, progress=False)

    def callback(history):
        if len(history) == 3:
            panel.stop_button.click()  # a user pressing stop
        return panel.callback(history)

    result = train(tiny_model(["Cu"]), frames[:4], frames[4:], config, callback=callback)
    assert result.stop_reason == "callback" and len(result.history) == 3
    loss = [t for t in panel.figure.data if t.name == "validation loss"][0]
    np.testing.assert_allclose(loss.y, result.history.val_loss)
    assert panel.progress.value == 3
