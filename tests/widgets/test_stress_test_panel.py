"""StressTestPanel: the atoms show the chosen per-atom quantity, the error figure follows
the structure, σ is offered only with an ensemble, leakage per atom, stacking-fault lines are drawn."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.properties.stress_test import StressTestResult, stress_test
from ennp_lab.structures.defects import fcc_dislocation, stacking_fault_line
from ennp_lab.widgets import StressTestPanel


def _result():
    from ennp_lab import ENNPCalculator
    from ennp_lab.pretrained import load_pretrained

    vacancy = bulk("Cu", "fcc", a=3.59, cubic=True).repeat(2)
    del vacancy[0]
    screw = fcc_dislocation("Cu", 3.59, (176.2, 124.9, 81.8), radius=10.0).atoms
    return stress_test(ENNPCalculator(load_pretrained("cu-emt"), device="cpu"), EMT(), {"screw": screw, "vacancy": vacancy})


def test_colours_structures_and_faults():
    result = _result()
    line = stacking_fault_line("Cu", 3.59, EMT(), n_images=4)
    panel = StressTestPanel(result, stacking_faults={"EMT": line})
    assert list(panel.colour.options) == ["force error", "leakage", "environment"]  # no σ from a single model
    np.testing.assert_allclose(panel.view.scene.values[0], result.reports["screw"].force_error)
    names = [t.name for t in panel.errors.data]
    assert any(n.startswith("bulk") for n in names) and any(n.startswith("fixed") for n in names)
    panel.colour.value = "leakage"
    np.testing.assert_allclose(panel.view.scene.values[0], result.reports["screw"].leakage)
    assert panel.view.scene.values[0].max() < 1e-9  # the exact model: round-off on every atom
    panel.colour.value = "environment"
    codes = panel.view.scene.values[0]
    assert set(np.unique(codes)) <= {0.0, 1.0, 2.0, 3.0} and (codes == 1.0).any()  # the core is 'defect'
    panel.structure.value = "vacancy"
    assert len(panel.view.scene.frames[0]) == 31 and (panel.view.scene.values[0] == 2.0).sum() == 12
    assert len(panel.faults.data) == 1 and np.asarray(panel.faults.data[0].y)[2] == pytest.approx(-5.38, abs=0.05)
    with pytest.raises(ValueError, match="at least one structure"):
        StressTestPanel(StressTestResult({}))
