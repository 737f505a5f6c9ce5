"""ThermalPanel: κ(T) per model, the branch slider redraws the 3D wedge with that branch's
lifetimes, the temperature drop-down redraws lifetimes and the cumulative κ; figures refuse
bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab.data.silicon import diamond_silicon, stillinger_weber
from ennp_lab.properties.thermal import (compute_thermal_conductivity, compute_third_order_force_constants,
                                         gruneisen_along_path)
from ennp_lab.viz.thermal import brillouin_zone_figure, kappa_temperature_figure
from ennp_lab.widgets import ThermalPanel


@pytest.fixture(scope="module")
def silicon():
    fc = compute_third_order_force_constants(diamond_silicon(1), stillinger_weber(), supercell=1)
    return fc, compute_thermal_conductivity(fc, mesh=5, temperatures=(300.0, 600.0))


def test_panel_follows_branch_and_temperature(silicon):
    fc, kappa = silicon
    halved = type(kappa)(**{**kappa.__dict__, "kappa_wmk": kappa.kappa_wmk / 2})
    path = gruneisen_along_path(fc, "GXKGL", npoints=9)
    panel = ThermalPanel({"a": halved, "SW": kappa}, fc.primitive.cell.reciprocal(), reference="SW",
                         gruneisen={"SW": path})
    assert "0.50× SW at 300 K" in panel.kappa.data[0].name
    np.testing.assert_allclose(panel.kappa.data[1].y, kappa.kappa_average)
    before = np.array(panel.wedge.data[0].marker.color, dtype=float)
    panel.model.value = "SW"
    panel.branch.value = 5
    after = np.array(panel.wedge.data[0].marker.color, dtype=float)
    tau = kappa.lifetimes_ps[0, :, 5]
    np.testing.assert_allclose(after[np.isfinite(tau)], np.log10(tau[np.isfinite(tau)]))
    assert not np.allclose(before, after, equal_nan=True) and panel.branch_name.value == "LO"
    lifetimes_300 = np.concatenate([np.asarray(t.y, dtype=float) for t in panel.lifetimes.data])
    panel.temperature.value = 600.0
    lifetimes_600 = np.concatenate([np.asarray(t.y, dtype=float) for t in panel.lifetimes.data])
    assert np.median(lifetimes_600) < np.median(lifetimes_300)  # more scattering when hotter
    assert panel.cumulative.data[1].y[-1] == pytest.approx(kappa.at(600.0))
    assert "600 K" in panel.wedge.layout.title.text


def test_bad_input_is_rejected(silicon):
    fc, kappa = silicon
    with pytest.raises(ValueError, match="at least one"):
        ThermalPanel({}, np.eye(3))
    with pytest.raises(ValueError, match="reference"):
        ThermalPanel({"SW": kappa}, np.eye(3), reference="DFT")
    with pytest.raises(ValueError, match="branch"):
        brillouin_zone_figure(kappa, np.eye(3), branch=6)
    with pytest.raises(ValueError, match="at least one"):
        kappa_temperature_figure({})
    other = compute_thermal_conductivity(fc, mesh=5, temperatures=(300.0,))
    with pytest.raises(ValueError, match="different temperatures"):
        ThermalPanel({"SW": kappa, "other": other}, np.eye(3))
