"""NuclearForcePanel: the matrix follows the direction (and turns as the operator does), the
density follows M, the level and the D-state toggle."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab.nuclear.deuteron import solve_deuteron
from ennp_lab.nuclear.references import reid_triplet_radial
from ennp_lab.nuclear.spin import tensor_operator
from ennp_lab.widgets import NuclearForcePanel


@pytest.fixture(scope="module")
def deuteron():
    return solve_deuteron(reid_triplet_radial)


def test_direction_sliders_turn_the_operator_and_density_controls_redraw(deuteron):
    r = np.linspace(0.5, 5.0, 50)
    panel = NuclearForcePanel(r, {"Reid": reid_triplet_radial(r)}, tensor_operator, deuteron)
    np.testing.assert_allclose(panel.operator_matrix(), tensor_operator([0, 0, 1]))  # θ = 0: along z
    before = np.array(panel.matrix.data[0].z)
    panel.theta.value = 90.0
    np.testing.assert_allclose(panel.direction(), [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.array(panel.matrix.data[0].z), tensor_operator([1, 0, 0]).real, atol=1e-12)
    assert not np.allclose(before, np.array(panel.matrix.data[0].z))
    assert len(panel.radial.data) == 3 and panel.waves.data[1].name.startswith("w")
    iso = lambda: float(panel.density.data[0].isomin)  # noqa: E731
    first = iso()
    panel.level.value = 0.8
    assert iso() == pytest.approx(first * 0.8 / 0.5)
    values_torus = np.array(panel.density.data[0].value)
    panel.M.value = 1
    assert not np.allclose(values_torus, np.array(panel.density.data[0].value))
    panel.d_state.value = False  # the S-wave alone: the same density for every M
    s_wave = np.array(panel.density.data[0].value)
    panel.M.value = 0
    np.testing.assert_allclose(np.array(panel.density.data[0].value), s_wave, rtol=1e-10)
    with pytest.raises(ValueError, match="at least one set"):
        NuclearForcePanel(r, {}, tensor_operator, deuteron)
