"""PhononPanel and TimestepPanel driven from Python."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nglview")

from ase.build import bulk  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402

from ennp_lab.properties.md import TimestepScan  # noqa: E402
from ennp_lab.properties.phonons import compute_band_structure, compute_force_constants  # noqa: E402
from ennp_lab.widgets import PhononPanel, TimestepPanel  # noqa: E402


class _Points:
    def __init__(self, inds):
        self.point_inds = inds


@pytest.fixture(scope="module")
def bands():
    fc = compute_force_constants(bulk("Cu", "fcc", a=3.5898), EMT(), supercell=3)
    return compute_band_structure(fc, path="GXL", npoints=5, eigenvectors=True)


def test_clicking_a_band_animates_that_mode(bands):
    panel = PhononPanel({"EMT": bands}, repeat=(2, 2, 2), amplitude=0.25, n_frames=6)
    assert panel.selected is None
    lines = [t for t in panel.figure.data if t.customdata is not None]
    top = lines[2]  # highest branch
    # the X point is the last point of the first segment (index 4 in the trace)
    q_index, branch = top.customdata[4]
    top._dispatch_on_click(_Points([4]), None)  # what plotly does when the browser reports a click
    assert panel.selected == (q_index, branch) == (4, 2)
    structure = panel.structure
    assert structure.scene.n_frames == 6 and structure.frame.max == 5
    assert len(structure.drawn_arrows) == 8  # one arrow per atom of the 2×2×2 supercell
    # arrows follow the displacements of the frame, scaled so that the longest is 1.5 Å
    arrows = np.array([end - start for start, end in structure.drawn_arrows])
    _, displacements = panel._frames_for_mode(4, 2)
    u = np.array(displacements)
    assert np.linalg.norm(u, axis=2).max() <= 0.25 + 1e-12  # the amplitude bounds every displacement
    scale = 1.5 / np.linalg.norm(u, axis=2).max()
    np.testing.assert_allclose(arrows, scale * u[0], atol=1e-9)
    assert f"{bands.frequencies_thz[4, 2]:.3f} THz" in panel.status.value
    marker = panel.figure.data[-1]
    assert marker.y[0] == pytest.approx(bands.frequencies_thz[4, 2])
    # a later frame shows the atoms displaced along the arrows of that frame
    structure.frame.value = 3
    start, end = structure.drawn_arrows[0]
    np.testing.assert_allclose(start, structure.scene.frames[3].positions[0])
    panel.select(8, 0)  # TA at L
    assert panel.selected == (8, 0) and structure.frame.value == 0


def test_phonon_panel_needs_eigenvectors():
    fc = compute_force_constants(bulk("Cu", "fcc", a=3.5898), EMT(), supercell=2)
    with pytest.raises(ValueError, match="eigenvectors"):
        PhononPanel({"EMT": compute_band_structure(fc, path="GX", npoints=3)})


def test_timestep_panel_switches_quantity():
    scan = TimestepScan(np.array([5.0, 10.0, 50.0]), np.array([1e-5, 4e-5, 1e-2]), np.array([1e-7, 2e-6, 1.0]),
                        np.array([2e-5, 8e-5, 1e-1]), np.array([True, True, False]), 500.0, 10.0)
    panel = TimestepPanel({"EMT": scan}, {"EMT": 39.1})
    assert list(panel.figure.data[0].y) == pytest.approx([0.01, 0.04])
    panel.quantity.value = "drift"
    assert list(panel.figure.data[0].y) == pytest.approx([1e-4, 2e-3])
    assert "drift" in panel.figure.layout.yaxis.title.text
    assert "39.1" in panel.table.value and "50.0" in panel.table.value
