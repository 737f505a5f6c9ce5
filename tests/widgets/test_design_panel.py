"""DesignPanel: both runs drawn, the arrows switch between raw, projected and removed parts
on one scale, and the target slider re-runs the design."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from ennp_lab.design import Objective, run_design
from ennp_lab.widgets.design import DesignPanel


class _LabFrame(Objective):
    """|r_0 − a|² to a fixed point a: not invariant, so its gradient has rigid parts."""

    name = "lab frame"

    def __call__(self, atoms):
        d = atoms.positions[0] - np.array([1.0, 2.0, 0.5])
        g = np.zeros((len(atoms), 3))
        g[0] = 2 * d
        return float(d @ d), g


def _runs(target=0.5):
    atoms = Atoms("H3", positions=[(0, 0, 0), (0.9, 0, 0), (0, 1.1, 0.2)])
    return {"projected": run_design(atoms, _LabFrame(), steps=8, step_size=0.1, target=target),
            "naive": run_design(atoms, _LabFrame(), steps=8, step_size=0.1, target=target, project=False)}


def test_arrows_and_the_target_slider():
    calls = []

    def rerun(target):
        calls.append(target)
        return _runs(target)

    panel = DesignPanel(_runs(), target=0.5, rerun=rerun, target_range=(0.1, 2.0))
    assert len(panel.history.data) == 2 and len(panel.drift.data) == 4
    run = panel.runs["projected"]
    raw = panel.structure.drawn_arrows
    panel.arrows.value = "removed rigid part"
    removed = panel.vectors()
    np.testing.assert_allclose(removed, -(run.gradients - run.projected_gradients()))
    assert np.abs(removed).max() > 0.1  # the lab-frame objective pulls the whole molecule
    panel.arrows.value = "projected gradient"
    np.testing.assert_allclose(panel.vectors().sum(axis=1), 0, atol=1e-12)  # no net force drawn
    assert len(raw) == 1  # only atom 0 is pushed by the raw gradient
    panel.target_slider.value = 1.0
    assert calls == [1.0] and panel.target == 1.0
    assert panel.history.layout.shapes  # the target line
    with pytest.raises(ValueError, match="at least one"):
        DesignPanel({})


def test_each_constraint_is_drawn_beside_the_objective():
    from ennp_lab.design import Combined, MinimumDistance

    atoms = Atoms("H3", positions=[(0, 0, 0), (0.9, 0, 0), (0, 1.1, 0.2)])
    objective = Combined([(1.0, _LabFrame()), (2.0, MinimumDistance(1.2, 5.0))])
    runs = {label: run_design(atoms, objective, steps=6, step_size=0.05, project=project)
            for label, project in (("projected", True), ("naive", False))}
    panel = DesignPanel(runs)
    names = [trace.name for trace in panel.history.data]
    assert len(names) == 6 and "projected: lab frame" in names and "naive: distances ≥ 1.2 Å" in names
    for label, run in runs.items():  # the terms drawn are the weighted terms, which add up to the objective
        terms = [np.asarray(t.y) for t in panel.history.data if t.name.startswith(f"{label}: ")]
        np.testing.assert_allclose(sum(terms), run.values, rtol=1e-12)
        assert np.asarray(terms[1]).max() > 0  # the distance penalty is active: H–H pairs start closer than 1.2 Å
