"""SymmetryPanel and ChiralityPanel driven from Python (no browser): controls → operation
→ comparison → figure and table; the figures carry what the library computed."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from ennp_lab import ENNPCalculator
from ennp_lab.data.chiral import enantiomer_dataset
from ennp_lab.models.naive import NaiveCartesianModel
from ennp_lab.properties.chirality import evaluate_enantiomers
from ennp_lab.symmetry import compare_under_operation
from ennp_lab.testing import tiny_model
from ennp_lab.viz.symmetry import leakage_map_figure
from ennp_lab.widgets import ChiralityPanel, SymmetryPanel


@pytest.fixture
def panel(triclinic_alloy):
    calcs = {"ENNP": ENNPCalculator(tiny_model(["Cu", "Au"], seed=1), device="cpu"),
             "broken": ENNPCalculator(NaiveCartesianModel(["Cu", "Au"]), device="cpu")}
    return SymmetryPanel(triclinic_alloy, partial(compare_under_operation, calcs, triclinic_alloy))


def test_symmetry_panel_controls_build_the_operation_and_show_leakage(panel, triclinic_alloy):
    c = panel.comparison
    assert c.operation.kind == "rotation" and c.operation.proper
    assert c.reports["ENNP"].max() <= 1e-10 and c.reports["broken"].max() >= 1e-2
    # the drawn red arrows on the right are F(g·A) and the green ones g·F(A): for the ENNP they coincide
    before, after = c.forces["ENNP"]
    np.testing.assert_allclose(after, c.expected_forces["ENNP"], atol=1e-10)
    np.testing.assert_allclose(c.transformed.positions - c.transformed.positions.mean(0),
                               (c.original.positions - c.original.positions.mean(0)) @ c.operation.rotation.T, atol=1e-10)
    assert "ENNP: leakage" in panel.table.value and "broken: leakage" in panel.table.value
    assert len([t for t in panel.figure.data if t.type == "cone"]) == 3  # F(A), F(g·A), g·F(A)
    panel.kind.value = "reflection"
    assert not panel.comparison.operation.proper
    assert any(t.type == "mesh3d" for t in panel.figure.data)  # the mirror plane
    n = panel.comparison.operation.parameters["normal"]
    np.testing.assert_allclose(n, panel.axis(), atol=1e-12)
    panel.theta.value = 90.0
    panel.phi.value = 0.0
    np.testing.assert_allclose(panel.comparison.operation.parameters["normal"], [1, 0, 0], atol=1e-12)
    panel.shuffle.click()
    first = panel.comparison.operation.permutation.copy()
    panel.shuffle.click()
    assert panel.kind.value == "permutation" and not np.array_equal(first, panel.comparison.operation.permutation)
    panel.kind.value = "change of lattice basis"
    assert not np.allclose(panel.comparison.transformed.cell[:], triclinic_alloy.cell[:])
    assert panel.comparison.reports["broken"].max() >= 1e-2
    panel.model.value = "broken"
    assert panel.figure.data  # redrawn with the other model's forces


def test_leakage_map_figure_carries_the_report(panel):
    reports = panel.comparison.reports
    fig = leakage_map_figure(reports)
    z = np.array(fig.data[1].z)
    np.testing.assert_allclose(10 ** z, np.maximum(reports["broken"].leakage, 1e-16), rtol=1e-12)


def test_chirality_panel_shows_pairs_and_predictions():
    frames = enantiomer_dataset(4, seed=3)
    y = np.array([a.info["chirality"] for a in frames])
    evals = {"exact": evaluate_enantiomers("exact", y, frames),
             "blind": evaluate_enantiomers("blind", np.repeat(np.abs(y[0::2]), 2), frames)}
    panel = ChiralityPanel(frames, evals)
    assert panel.pair.max == 3
    panel.pair.value = 2
    assert f"{y[4]:+.4f}" in panel.table.value and f"{y[5]:+.4f}" in panel.table.value
    assert any(t.type == "mesh3d" for t in panel.view.data)
    mols = [t for t in panel.view.data if t.type == "scatter3d" and t.mode == "markers"]
    a, b = (np.c_[t.x, t.y, t.z] for t in mols)
    # the two molecules are mirror images through the drawn plane x = x0
    plane = [t for t in panel.view.data if t.type == "mesh3d"][0]
    x0 = float(np.mean(plane.x))
    np.testing.assert_allclose(b[:, 0], 2 * x0 - a[:, 0], atol=1e-10)
    circled = [t for t in panel.scatter.data if t.name == "exact selected"][0]
    np.testing.assert_allclose(circled.x, y[4:6])
    with pytest.raises(ValueError, match="predictions"):
        ChiralityPanel(frames[:4], evals)
