"""Phonon and time-step figures: what they draw follows the results handed in."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.properties.md import TimestepScan
from ennp_lab.properties.phonons import compute_band_structure, compute_dos, compute_force_constants
from ennp_lab.viz.md import timestep_figure
from ennp_lab.viz.phonons import band_structure_figure


@pytest.fixture(scope="module")
def two_bands():
    ref = compute_force_constants(bulk("Cu", "fcc", a=3.5898), EMT(), supercell=3)
    squeezed = compute_force_constants(bulk("Cu", "fcc", a=3.55), EMT(), supercell=3)
    return (
        {"squeezed": compute_band_structure(squeezed, npoints=9), "EMT": compute_band_structure(ref, npoints=9)},
        {"EMT": compute_dos(ref, mesh=8)},
    )


def test_band_figure_draws_every_branch_error_and_dos(two_bands):
    bands, dos = two_bands
    fig = band_structure_figure(bands, dos, reference="EMT")
    lines = [t for t in fig.data if t.customdata is not None]
    assert len(lines) == 6  # 3 branches × 2 models
    errors = [t for t in fig.data if t.name.startswith("Δν")]
    assert len(errors) == 3
    # the error row is ν_squeezed − ν_EMT at every path point (None at segment gaps)
    diff = bands["squeezed"].frequencies_thz - bands["EMT"].frequencies_thz
    drawn = np.array([v for v in errors[2].y if v is not None])
    np.testing.assert_allclose(drawn, diff[:, 2])
    assert np.all(drawn >= -1e-9)  # compressing Cu stiffens it
    # customdata maps every drawn point back to (q index, branch)
    q, branch = lines[4].customdata[5]
    assert lines[4].y[5] == pytest.approx(bands["EMT"].frequencies_thz[q, branch])
    # ticks at the special points; DOS drawn in its own panel
    assert list(fig.layout.xaxis.ticktext)[:3] == ["Γ", "X", "W"]
    assert any(t.name == "DOS EMT" for t in fig.data)
    with pytest.raises(ValueError, match="reference"):
        band_structure_figure(bands, reference="DFT")


def test_timestep_figure_marks_unstable_runs_and_the_limit():
    scan = TimestepScan(
        timesteps=np.array([5.0, 10.0, 20.0, 40.0]),
        fluctuation=np.array([1e-5, 4e-5, 1.6e-4, 1e-2]),
        drift=np.array([0.0, 1e-6, 1e-5, 1.0]),
        max_error=np.array([1e-5, 4e-5, 1.6e-4, 1e-1]),
        stable=np.array([True, True, True, False]),
        duration=500.0,
        temperature=10.0,
    )
    fig = timestep_figure({"EMT": scan}, {"EMT": 39.1})
    stable, unstable, guide, limit = fig.data
    np.testing.assert_allclose(stable.y, [0.01, 0.04, 0.16])  # meV/atom
    assert list(unstable.x) == [40.0] and unstable.marker.symbol == "x"
    assert guide.y[1] / guide.y[0] == pytest.approx((40 / 5) ** 2)
    assert list(limit.x) == [39.1, 39.1] and fig.layout.xaxis.type == "log"
    assert limit.y[0] < 0.01 and limit.y[1] > 10  # spans the data
    drift = timestep_figure({"EMT": scan}, {"EMT": 39.1}, "drift")
    assert len(drift.data) == 4 and len(drift.data[2].x) == 0
    with pytest.raises(ValueError, match="quantity"):
        timestep_figure({"EMT": scan}, quantity="temperature")
