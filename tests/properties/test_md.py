"""MD on ASE's integrators and the Hessian time-step limit against observed instability."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.properties.md import MDGuard, run_md, run_timestep_scan
from ennp_lab.properties.stability import compute_max_stable_timestep


@pytest.fixture
def cu32():
    return bulk("Cu", "fcc", a=3.5898, cubic=True).repeat(2)


def test_nve_conserves_energy_and_records_a_trajectory(cu32):
    run = run_md(cu32, EMT(), "nve", dt=1.0, steps=60, temperature=300, interval=20, seed=1)
    assert run.stop_reason is None
    assert len(run.times) == 61 and run.times[-1] == pytest.approx(60.0)
    assert len(run.frames) == 4 and run.frames[0].calc is None
    assert run.max_energy_error < 2e-5  # eV/atom at 1 fs
    # the first snapshot carries the Maxwell–Boltzmann start at 300 K (less the removed drift)
    assert run.temperature[0] == pytest.approx(300.0, rel=0.1)
    assert np.abs(run.frames[0].get_momenta().sum(axis=0)).max() < 1e-10
    # frames really move, and the input is untouched
    assert np.abs(run.frames[-1].positions - cu32.positions).max() > 0.01
    assert cu32.calc is None and not cu32.get_momenta().any()


def test_langevin_thermalises_towards_its_target(cu32):
    run = run_md(cu32, EMT(), "langevin", dt=5.0, steps=400, temperature=600, friction=0.02, interval=100, seed=2)
    assert run.temperature[200:].mean() == pytest.approx(600, rel=0.2)
    assert run.ensemble == "langevin"


def test_md_bad_input(cu32):
    with pytest.raises(ValueError, match="unknown ensemble"):
        run_md(cu32, EMT(), "npt")
    with pytest.raises(ValueError, match="dt \\(fs\\) must be > 0"):
        run_md(cu32, EMT(), dt=0.0)
    with pytest.raises(ValueError, match="temperature"):
        run_md(cu32, EMT(), "langevin")
    with pytest.raises(ValueError, match="positive"):
        run_timestep_scan(cu32, EMT(), [])


def test_blowup_stops_a_run_early(cu32):
    run = run_md(cu32, EMT(), "nve", dt=60.0, steps=200, temperature=50, guard=MDGuard(energy_error=1.0))
    assert run.stop_reason is not None and len(run.times) < 201


@pytest.mark.slow
def test_energy_fluctuation_scales_as_dt_squared_and_dt_max_predicts_the_onset(cu32):
    calc = EMT()
    dt_max = compute_max_stable_timestep(cu32, calc)
    assert dt_max == pytest.approx(39.1, abs=0.1)  # REFERENCES.md (the 2×2×2 cell holds X)
    grid = np.concatenate([[2.5, 5.0, 10.0, 20.0], dt_max * np.arange(0.70, 1.40, 0.05)])
    scan = run_timestep_scan(cu32, calc, grid, duration=1000.0, temperature=10.0)
    slope = scan.scaling_exponent(below=0.6 * dt_max)
    assert slope == pytest.approx(2.0, abs=0.3)
    assert scan.onset is not None and scan.onset == pytest.approx(dt_max, rel=0.15)
    assert scan.stable[scan.timesteps < 0.9 * dt_max].all() and not scan.stable[scan.timesteps > 1.1 * dt_max].any()
    # fluctuations grow monotonically with Δt among the stable runs
    stable = scan.fluctuation[scan.stable]
    assert np.all(np.diff(stable) > 0)
    assert scan.temperature == 10.0 and scan.duration == 1000.0
