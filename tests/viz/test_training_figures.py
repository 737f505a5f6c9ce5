"""Training figures and the offline HTML report."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab.learning.metrics import Evaluation
from ennp_lab.learning.train import History
from ennp_lab.viz.report import html_table, write_html_report
from ennp_lab.viz.training import learning_curve_figure, parity_figure


def _evaluation(seed):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(10, 3))
    e = rng.normal(size=4)
    return Evaluation(e, e + 0.001, f, f + 0.01 * rng.normal(size=f.shape), np.full(10, 29), np.zeros((0, 6)), np.zeros((0, 6)),
                      np.array([3, 3, 2, 2]), ("a", "a", "b", "b"))


def test_parity_figure_holds_the_data():
    evs = {"one": _evaluation(0), "two": _evaluation(1)}
    fig = parity_figure(evs, "forces")
    assert [t.name.split(" (")[0] for t in fig.data] == ["one", "two", "y = x"]
    np.testing.assert_allclose(fig.data[0].x, evs["one"].forces_true.ravel())
    np.testing.assert_allclose(fig.data[0].y, evs["one"].forces_pred.ravel())
    assert "meV/Å" in fig.data[0].name
    energy = parity_figure(evs, "energy")
    np.testing.assert_allclose(energy.data[1].y, evs["two"].energy_per_atom_pred)
    with pytest.raises(ValueError, match="quantity"):
        parity_figure(evs, "stress")


def test_by_config_type_splits_atoms_by_frame():
    ev = _evaluation(0)
    table = ev.by_config_type()
    assert table["a"]["frames"] == 2 and table["b"]["frames"] == 2
    err = np.abs(ev.forces_pred - ev.forces_true)
    np.testing.assert_allclose(table["a"]["force_mae"], err[:6].mean())
    np.testing.assert_allclose(table["b"]["force_mae"], err[6:].mean())


def test_learning_curve_in_mev():
    h = History(epoch=[0, 1], train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], val_energy_mae=[0.01, 0.005],
                val_force_mae=[0.1, 0.05], val_stress_mae=[0.0, 0.0], lr=[1e-3, 1e-3], wall_time=[1.0, 2.0])
    fig = learning_curve_figure(h)
    force = [t for t in fig.data if "force" in t.name][0]
    np.testing.assert_allclose(force.y, [100.0, 50.0])


def test_report_is_self_contained(tmp_path):
    fig = parity_figure({"m": _evaluation(0)}, "forces")
    path = write_html_report(tmp_path / "r.html", "T <&>", ["<p>hello</p>", html_table(["a", "b"], [[1, 0.12345]]), fig, fig])
    text = path.read_text()
    assert "T &lt;&amp;&gt;" in text and "<td>0.123</td>" in text
    assert text.count("Plotly.newPlot") == 2
    assert 'src="https://cdn' not in text and "<script src=" not in text  # no CDN: plotly.js inlined
    assert len(text) > 1_000_000  # the plotly.js bundle is in the file
