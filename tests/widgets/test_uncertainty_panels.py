"""UncertaintyPanel and ActiveLearningPanel driven from Python (no browser): the map,
the per-atom σ on the structure and the live rounds show what the library computed."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.data.generators import label_frames, rattled_frames, vacancy_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.active import ActiveLearningConfig, run_active_learning
from ennp_lab.learning.calibration import calibration_report
from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.models.ensemble import Ensemble
from ennp_lab.learning.uncertainty_map import run_uncertainty_map
from ennp_lab.testing import tiny_model
from ennp_lab.viz.uncertainty import sigma_error_figure
from ennp_lab.widgets import ActiveLearningPanel, UncertaintyPanel


@pytest.fixture(scope="module")
def calc():
    return EnsembleCalculator(Ensemble([tiny_model(["Cu"], seed=s) for s in range(3)]), device="cpu")


@pytest.fixture(scope="module")
def umap(calc):
    cell = bulk("Cu", "fcc", a=3.6, cubic=True)
    return run_uncertainty_map(calc, EMT(), cell, strains=(-0.05, 0.0, 0.05), temperatures_K=(100.0, 800.0),
                           n_samples=1, interval=2, equilibration=3)


def test_uncertainty_map_records_sigma_and_error_of_each_cell(umap, calc):
    assert umap.sigma.shape == umap.error.shape == (3, 2)
    # a cell's last snapshot: σ and error recomputed from scratch agree with the map (one sample per cell)
    frame = umap.frames[2][1]
    a, ref = frame.copy(), frame.copy()
    a.calc, ref.calc = calc, EMT()
    forces = a.get_forces()
    assert abs(calc.results["forces_std"].mean() - umap.sigma[2, 1]) < 1e-12
    np.testing.assert_allclose(calc.results["forces_std"], umap.atom_sigma[2][1], atol=1e-12)
    assert abs(np.abs(forces - ref.get_forces()).mean() - umap.error[2, 1]) < 1e-12
    np.testing.assert_allclose(np.linalg.det(frame.cell[:]), 1.05**3 * 3.6**3, rtol=1e-12)
    molecule = bulk("Cu", "fcc", a=3.6, cubic=True)
    molecule.pbc = False
    with pytest.raises(ValueError, match="periodic"):
        run_uncertainty_map(calc, EMT(), molecule)
    with pytest.raises(ValueError, match="strains must be"):
        run_uncertainty_map(calc, EMT(), bulk("Cu", "fcc", a=3.6, cubic=True), strains=(-1.5,))


def test_uncertainty_panel_shows_map_cells_and_structures(umap, calc):
    cell = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    vac = vacancy_frames(cell, 1, seed=0)[0]
    structures = {}
    for name, atoms in {"bulk": cell, "vacancy": vac}.items():
        a = atoms.copy()
        a.calc = calc
        a.get_forces()
        structures[name] = (atoms, calc.results["forces_std"].copy())
    rng = np.random.default_rng(0)
    sigma = rng.uniform(0.1, 1, 400)
    reports = {"test": calibration_report(np.zeros(400), sigma, rng.normal(0, sigma))}
    panel = UncertaintyPanel(umap, structures, reports)
    heat = [t for t in panel.map_figure.data if t.type == "heatmap"]
    np.testing.assert_allclose(np.array(heat[0].z), 1e3 * umap.sigma)
    np.testing.assert_allclose(np.array(heat[1].z), 1e3 * umap.error)
    assert panel.shown == "bulk"
    np.testing.assert_allclose(panel.structure_panel.scene.values[0], structures["bulk"][1])
    panel.structure.value = "vacancy"
    assert len(panel.structure_panel.scene.frames[0]) == 31
    np.testing.assert_allclose(panel.structure_panel.scene.values[0], structures["vacancy"][1])
    panel.temperature.value = 1
    assert panel.cell == (1, 1) and panel.shown == "map cell (1, 1)"
    np.testing.assert_allclose(panel.structure_panel.scene.values[0], umap.atom_sigma[1][1])
    marker = [t for t in panel.map_figure.data if t.type == "scatter"][0]
    assert list(marker.x) == ["800 K"] and list(marker.y) == ["+0 %"]
    curve = [t for t in panel.calibration_figure.data if "area" in (t.name or "")][0]
    np.testing.assert_allclose(curve.y, reports["test"].observed)
    with pytest.raises(ValueError, match="per-atom σ"):
        UncertaintyPanel(umap, {"bad": (cell, np.zeros(3))})
    fig = sigma_error_figure({"bulk": ([0.01, 0.02], [0.02, 0.03])})
    np.testing.assert_allclose(fig.data[0].x, [10.0, 20.0])


def test_active_learning_panel_runs_live_and_stops():
    cell = bulk("Cu", "fcc", a=3.6, cubic=True)
    initial = label_frames(rattled_frames(cell, 3, sigma=0.03, seed=1), EMT(), "initial")
    test = label_frames(rattled_frames(cell, 2, sigma=0.1, seed=2), EMT(), "test")
    candidates = [f for s, sigma in enumerate((0.02, 0.2)) for f in rattled_frames(cell, 2, sigma=sigma, seed=10 + s)]

    def pool(calc, round_index, seed):
        return [c.copy() for c in candidates]

    config = TrainConfig(max_epochs=1, batch_size=2, progress=False, ema_decay=None, early_stopping_patience=None)
    job = partial(run_active_learning, EMT(), initial, pool, partial(tiny_model, ["Cu"]), test,
                  ActiveLearningConfig(rounds=2, per_round=2, ensemble_size=2, training=config))
    panel = ActiveLearningPanel()
    result = panel.run(job, label="uncertainty")
    records = panel.records["uncertainty"]
    assert [r.n_train for r in records] == [3, 5, 7] and panel.results["uncertainty"] is result
    mae = [t for t in panel.figure.data if t.name == "uncertainty: test MAE"][0]
    np.testing.assert_allclose(mae.y, 1e3 * result.force_mae)
    # the newest picks (round 1) are shown, coloured by their per-atom σ when picked
    assert panel.picked == list(result.rounds[1].picked)
    assert panel.pick.max == 1 and "newest picks" in panel.picks_table.value
    atom_sigma = result.rounds[1].picked_atom_sigma
    np.testing.assert_allclose(panel.structure_panel.scene.values[0], atom_sigma[0])
    assert atom_sigma[0].max() == pytest.approx(result.rounds[1].picked_sigma[0])
    panel.pick.value = 1
    np.testing.assert_allclose(panel.structure_panel.scene.values[0], atom_sigma[1])
    # stop: pressed during the first round, the loop ends after it
    panel.prepare(job, label="stopped")
    panel.stop_requested = True
    assert panel.callback(result.rounds[0], "probe") is True  # a pressed stop answers True
    original = panel.callback

    def press_stop_then_record(record, label=None):
        panel.stop()
        return original(record, label)

    panel.callback = press_stop_then_record
    thread = panel.start()
    thread.join(timeout=300)
    assert not thread.is_alive() and len(panel.records["stopped"]) == 1 and "stopped" in panel.status.value
    assert not panel.start_button.disabled and panel.stop_button.disabled
    with pytest.raises(ValueError, match="no active-learning job"):
        ActiveLearningPanel().run()
