"""PiezoPanel driven from Python: the matrix is e in C/m² with the point group's zeros
marked, the sliders rotate the tensor, the surface is e_L(n) of every tensor."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from ennp_lab.properties.piezo import PiezoelectricTensor, longitudinal_response, symmetry_zero_pattern
from ennp_lab.units import E_PER_A2_TO_C_PER_M2
from ennp_lab.widgets import PiezoPanel


def _zincblende_like(e14):
    e = np.zeros((3, 3, 3))
    for i, (j, k) in enumerate(((1, 2), (0, 2), (0, 1))):
        e[i, j, k] = e[i, k, j] = e14
    return PiezoelectricTensor(e, e, True, "test")


def test_the_panel_draws_the_matrix_rotates_the_tensor_and_shows_both_surfaces():
    tensors = {"model": _zincblende_like(0.011), "reference": _zincblende_like(0.010)}
    zeros = symmetry_zero_pattern(bulk("NaCl", "zincblende", a=5.0))
    panel = PiezoPanel(tensors, zeros)
    z = np.array(panel.matrix.data[0].z)
    assert z[0, 3] == pytest.approx(0.011 * E_PER_A2_TO_C_PER_M2) and z[0, 0] == 0
    assert panel.matrix.data[0].text[0][0] == "0 (sym.)" and panel.matrix.data[0].text[0][3].startswith("+0.17")
    assert len(panel.surface.data) == 2 and panel.surface.data[1].opacity < 1
    panel.beta.value = 45.0
    rotated = panel.shown()["model"]
    np.testing.assert_allclose(rotated.full, tensors["model"].rotated(panel.rotation()).full, atol=1e-15)
    z = np.array(panel.matrix.data[0].z)
    np.testing.assert_allclose(z, rotated.voigt * E_PER_A2_TO_C_PER_M2, atol=1e-12)
    assert "sym." not in str(panel.matrix.data[0].text)  # the zero marks hold only unrotated
    surface = panel.surface.data[0]
    n = np.stack([np.array(surface.x), np.array(surface.y), np.array(surface.z)], axis=-1)
    radius = np.linalg.norm(n, axis=-1)
    assert radius.max() == pytest.approx(np.abs(np.array(surface.surfacecolor)).max(), rel=1e-12)
    panel.model.value = "reference"
    assert np.array(panel.matrix.data[0].z)[np.nonzero(z)].size > 0 and "reference" in panel.matrix.layout.title.text
    with pytest.raises(ValueError, match="at least one tensor"):
        PiezoPanel({})
    assert longitudinal_response(tensors["model"], np.array([0.0, 0.0, 1.0])) == 0.0
