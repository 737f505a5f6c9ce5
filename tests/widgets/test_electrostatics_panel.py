"""ElectrostaticsPanel and the electrostatics figures, driven from Python: they draw what
the library computed."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab import ENNPCalculator
from ennp_lab.data.ionic import ion_pair_curve, rocksalt_nacl
from ennp_lab.models.electrostatics import FixedChargeModel
from ennp_lab.properties.electrostatics import CutoffScan, compute_separation_curve, load_cutoff_scan
from ennp_lab.units import EV_TO_MEV
from ennp_lab.viz.electrostatics import charges_figure, lattice_sum_figure
from ennp_lab.widgets import ElectrostaticsPanel


@pytest.fixture
def inputs(tmp_path):
    curve = compute_separation_curve(ion_pair_curve([3.0, 6.0, 12.0]), {
        "rigid ions": ENNPCalculator(FixedChargeModel(["Na", "Cl"]), device="cpu")}, cutoff=4.0)
    scan = CutoffScan(np.array([3.0, 4.0]), {"Coulomb": np.array([0.3, 0.1]), "Yukawa": np.array([0.05, 0.01])},
                      {"Coulomb": np.array([0.06, 0.02]), "Yukawa": np.array([0.05, 0.012])}, {"script": "test"})
    scan = load_cutoff_scan(scan.save(tmp_path / "scan.json"))  # through the file, as shipped
    crystal, pair = rocksalt_nacl(1), ion_pair_curve([5.0])[0]
    charges = [np.where(crystal.numbers == 11, 0.9, -0.9), np.array([0.97, -0.97])]
    return curve, scan, [crystal, pair], charges


def test_the_panel_shows_the_curve_the_charges_and_the_scan(inputs):
    curve, scan, frames, charges = inputs
    panel = ElectrostaticsPanel(curve, scan, frames, charges)
    reference = panel.curve.data[0]
    np.testing.assert_allclose(reference.y, curve.reference)
    np.testing.assert_allclose(panel.curve.data[1].y, curve.predicted["rigid ions"])
    atoms = [t for t in panel.view.data if t.name == "atoms"][0]
    np.testing.assert_allclose(atoms.marker.color, charges[0])
    assert atoms.marker.cmin == -0.97 and atoms.marker.cmax == 0.97  # one symmetric scale for every structure
    assert "+0.914" in panel.table.value and "-0.914" in panel.table.value  # mean over all atoms: (4·0.9 + 0.97)/5
    panel.frame.value = 1
    np.testing.assert_allclose([t for t in panel.view.data if t.name == "atoms"][0].marker.color, charges[1])
    assert not any(t.name == "cell" for t in panel.view.data)  # a molecule has no cell edges
    coulomb = [t for t in panel.scan.data if t.xaxis == "x"]
    np.testing.assert_allclose(coulomb[0].y, EV_TO_MEV * scan.local["Coulomb"])
    with pytest.raises(ValueError, match="one charge array per frame"):
        ElectrostaticsPanel(curve, scan, frames, charges[:1])


def test_figures_refuse_bad_shapes_and_mark_the_converged_value():
    with pytest.raises(ValueError, match="charges must have shape"):
        charges_figure(rocksalt_nacl(1), np.zeros(3))
    fig = lattice_sum_figure([3, 5], {"bare": [4.17, 0.75]}, madelung=1.747565)
    assert fig.layout.shapes[0].y0 == pytest.approx(-1.747565)
    with pytest.raises(ValueError, match="errors for"):
        CutoffScan(np.array([3.0]), {"Coulomb": np.array([0.1, 0.2])}, {}, {})
