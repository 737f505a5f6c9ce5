"""ElasticityPanel and SurfacePanel driven from Python; the figures they draw."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("plotly")

from ase.build import bulk  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402

from ennp_lab.properties.elasticity import ElasticTensor, compute_elastic_tensor  # noqa: E402
from ennp_lab.properties.surfaces import SurfaceEnergy, fit_orientation_model, compute_wulff_shape  # noqa: E402
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2, EV_PER_A3_TO_GPA  # noqa: E402
from ennp_lab.viz.elasticity import voigt_matrix_figure  # noqa: E402
from ennp_lab.widgets import ElasticityPanel, SurfacePanel  # noqa: E402

CU = bulk("Cu", "fcc", a=3.5898, cubic=True)


@pytest.fixture(scope="module")
def tensors():
    emt = compute_elastic_tensor(CU, EMT())
    softer = ElasticTensor(emt.voigt * 0.9)
    return {"model": softer, "EMT": emt}


def test_elasticity_panel_follows_its_controls(tensors):
    panel = ElasticityPanel(tensors, resolution=(13, 25))
    surface = panel.surface.data[0]
    radius = np.sqrt(np.array(surface.x) ** 2 + np.array(surface.y) ** 2 + np.array(surface.z) ** 2)
    # the 3D surface's radius is E(n) in GPa: ⟨100⟩ minimum, ⟨111⟩ maximum for copper
    e100, e111 = tensors["model"].young(np.array([[1, 0, 0], [1, 1, 1]])) * EV_PER_A3_TO_GPA
    assert radius.min() == pytest.approx(e100, rel=1e-6) and radius.max() <= e111 * (1 + 1e-9)
    assert len(panel.surface.data) == 2 and panel.surface.data[1].opacity < 1
    # the (001) cut: E along [100] and along [110]
    cut = np.array(panel.cut.data[0].r)
    assert cut.min() == pytest.approx(e100, rel=1e-6)
    panel.quantity.value = "shear"
    assert len(panel.cut.data) == 4  # max and min for each tensor
    panel.bound.value = "minimum"
    assert "minimum" in panel.surface.layout.title.text
    panel.plane.value = "(111)"
    assert "(111)" in panel.cut.layout.title.text
    # the 6×6 heatmap shows C in GPa with the cubic pattern
    z = np.array(panel.matrix.data[0].z)
    assert z[0, 0] == pytest.approx(0.9 * 172.6, abs=0.5) and abs(z[0, 3]) < 1e-3


def test_voigt_heatmap_annotates_values(tensors):
    fig = voigt_matrix_figure(tensors["EMT"])
    assert np.array(fig.data[0].text)[3, 3] == pytest.approx(89.9, abs=0.1)


def test_surface_panel_draws_gamma_and_the_wulff_shape():
    gammas = {(1, 1, 1): 1.0437, (1, 0, 0): 1.1338, (1, 1, 0): 1.2292, (2, 1, 0): 1.2855}
    energies = [SurfaceEnergy(m, g / EV_PER_A2_TO_J_PER_M2, g / EV_PER_A2_TO_J_PER_M2, 1.0, 7, 28, True) for m, g in gammas.items()]
    model = fit_orientation_model(CU, energies, n_shells=2)
    shapes = {"EMT": compute_wulff_shape(CU, {m: g for m, g in list(gammas.items())[:3]}),
              "isotropic": compute_wulff_shape(CU, {(1, 1, 1): 1.0, (1, 0, 0): 1.0})}
    panel = SurfacePanel(CU, {"EMT": model}, {"EMT": energies}, shapes)
    line, markers = panel.polar.data
    # the [1-10] zone holds (001), (110), (111) normals: 2 + 2 + 4 markers at their γ
    assert sorted(set(np.round(markers.r, 4))) == [1.0437, 1.1338, 1.2292]
    assert max(line.r) >= 1.2292 - 0.01 and min(line.r) <= 1.0437 + 0.01
    assert len(panel.wulff.data) == 3 and "{111}" in panel.wulff.data[0].name
    panel.shape.value = "isotropic"
    assert len(panel.wulff.data) == 2
    panel.zone.value = "[001] zone"
    assert sorted(set(np.round(panel.polar.data[1].r, 4))) == [1.1338, 1.2292, 1.2855]
