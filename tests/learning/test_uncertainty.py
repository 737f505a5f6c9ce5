"""Ensembles and calibration: mean/variance against numpy, epistemic σ out of
distribution (shipped bulk-only ensemble vs EMT), metrics against REFERENCES.md and
uncertainty-toolbox."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import AtomGraph, ENNPCalculator
from ennp_lab.data.generators import emt_lattice_constant, label_frames, md_frames, rattled_frames, slab_frames, vacancy_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.calibration import calibration_report, gaussian_nll, miscalibration_area, spearman
from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.learning.ensemble import train_ensemble
from ennp_lab.models.ensemble import Ensemble, compute_member_properties
from ennp_lab.pretrained import load_pretrained_ensemble
from ennp_lab.testing import assert_forces_match_finite_differences, tiny_model

# REFERENCES.md, "Uncertainty calibration (synthetic, n = 5000, true σ uniform in 0.05–0.5)"
REFERENCE = {1.0: (0.004, -0.019, 0.50), 0.5: (0.208, 0.800, 0.50), 2.0: (0.203, 0.296, 0.50)}


def synthetic(n: int = 5000, seed: int = 0):
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(0.05, 0.5, n)
    return np.zeros(n), sigma, rng.normal(0.0, sigma)


@pytest.mark.parametrize("factor", [1.0, 0.5, 2.0])
def test_calibration_metrics_reproduce_the_reference_table(factor):
    mu, sigma, y = synthetic()
    report = calibration_report(mu, factor * sigma, y)
    area, nll, rho = REFERENCE[factor]
    assert abs(report.miscalibration_area - area) <= 0.01
    assert abs(report.nll - nll) <= 0.01
    assert abs(report.spearman - rho) <= 0.01
    # σ scaled by the recalibration factor is calibrated again
    assert abs(report.recalibration_factor - 1.0 / factor) < 0.03
    fixed = calibration_report(mu, factor * sigma * report.recalibration_factor, y)
    assert fixed.miscalibration_area < 0.01 and fixed.nll <= report.nll + 1e-12


def test_calibration_metrics_match_uncertainty_toolbox():
    uct = pytest.importorskip("uncertainty_toolbox")
    rng = np.random.default_rng(3)
    mu, sigma, y = rng.normal(size=700), rng.uniform(0.1, 2.0, 700), rng.normal(size=700) * 1.3
    assert abs(miscalibration_area(mu, sigma, y) - uct.metrics_calibration.miscalibration_area(mu, sigma, y)) < 1e-12
    ours = calibration_report(mu, sigma, y)
    assert abs(ours.rms_calibration_error - uct.metrics_calibration.root_mean_squared_calibration_error(mu, sigma, y)) < 1e-12
    assert abs(gaussian_nll(mu, sigma, y) - uct.metrics_scoring_rule.nll_gaussian(mu, sigma, y)) < 1e-12
    with pytest.raises(ValueError, match="positive"):
        spearman(mu, -sigma, y)
    with pytest.raises(ValueError, match="NaN"):
        gaussian_nll(mu, sigma, np.full(700, np.nan))


def test_ensemble_mean_and_spread_equal_numpy_over_members(triclinic_cu):
    members = [tiny_model(["Cu"], seed=s) for s in range(3)]
    ensemble = Ensemble(members)
    calc = EnsembleCalculator(ensemble, device="cpu")
    atoms = triclinic_cu.copy()
    atoms.calc = calc
    singles = []
    for m in members:
        a = triclinic_cu.copy()
        a.calc = ENNPCalculator(m, device="cpu")
        singles.append((a.get_potential_energy(), a.get_forces(), a.get_stress()))
    e = np.array([s[0] for s in singles])
    f = np.stack([s[1] for s in singles])
    st = np.stack([s[2] for s in singles])
    assert np.ptp(e) > 1e-3 and np.abs(f[0] - f[1]).max() > 1e-3  # members differ
    np.testing.assert_allclose(atoms.get_potential_energy(), e.mean(), atol=1e-12)
    np.testing.assert_allclose(calc.results["energy_std"], e.std(), atol=1e-12)
    np.testing.assert_allclose(atoms.get_forces(), f.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(calc.results["forces_std"], np.sqrt(f.var(axis=0).sum(axis=1)), atol=1e-12)
    np.testing.assert_allclose(atoms.get_stress(), st.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(calc.results["stress_std"], full_3x3_to_voigt_6_stress(
        np.stack([np.array([[s[0], s[5], s[4]], [s[5], s[1], s[3]], [s[4], s[3], s[2]]]) for s in st]).std(axis=0)), atol=1e-12)
    np.testing.assert_allclose(calc.results["member_forces"], f, atol=1e-12)
    # the ensemble as a model: mean forces are conservative (derivative of the mean energy)
    assert_forces_match_finite_differences(ENNPCalculator(ensemble, device="cpu"), triclinic_cu)
    graph = AtomGraph.from_atoms([triclinic_cu, triclinic_cu], ensemble.cutoff)
    out = compute_member_properties(ensemble, graph)
    assert out["energy"].shape == (3, 2) and out["forces"].shape == (3, 16, 3)
    with pytest.raises(ValueError, match="share"):
        Ensemble([tiny_model(["Cu"]), tiny_model(["Cu", "Au"])])
    with pytest.raises(ValueError, match="at least two"):
        Ensemble(members[:1])


def test_train_ensemble_bootstraps_and_seeds_members():
    cell = bulk("Cu", "fcc", a=3.6, cubic=True)
    frames = label_frames(rattled_frames(cell, 6, seed=1), EMT())
    build = partial(tiny_model, ["Cu"])
    config = TrainConfig(max_epochs=2, batch_size=2, progress=False, ema_decay=None)
    ensemble, results = train_ensemble(build, frames[:4], frames[4:], size=2, config=config)
    assert len(ensemble) == 2 and len(results) == 2
    a, b = (dict(m.named_parameters()) for m in ensemble.members)
    assert any(not np.allclose(a[k].detach(), b[k].detach()) for k in a)
    with pytest.raises(ValueError, match="at least two"):
        train_ensemble(build, frames[:4], frames[4:], size=1, config=config)


def _strained(cell, factor, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        a = cell.copy()
        a.set_cell(cell.cell[:] * (1 + factor * rng.choice([-1, 1])), scale_atoms=True)
        a.rattle(0.05, seed=seed + k)
        out.append(a)
    return out


@pytest.mark.slow
def test_shipped_ensemble_is_uncertain_out_of_distribution_and_sigma_ranks_errors():
    """cu-bulk-ensemble saw only bulk: mean per-atom σ_F on every vacancy, (111) slab and
    ±10 %-strained cell exceeds that on every held-out bulk MD frame, and over the mixed
    set the Spearman correlation of per-structure force error (vs EMT) with σ is ≥ 0.5."""
    calc = EnsembleCalculator(load_pretrained_ensemble("cu-bulk-ensemble"), device="cpu")
    a0 = emt_lattice_constant("Cu")
    cell = bulk("Cu", "fcc", a=a0, cubic=True).repeat(2)
    groups = {
        "bulk": md_frames(cell, EMT(), 600.0, 8, seed=123),
        "vacancy": vacancy_frames(cell, 4, seed=5),
        "slab": slab_frames("Cu", a0, (1, 1, 1), n_frames=4, seed=5),
        "strained": _strained(cell, 0.10, 4, seed=7),
    }
    sigma, error = {}, {}
    for name, frames in groups.items():
        for atoms in frames:
            a, ref = atoms.copy(), atoms.copy()
            a.calc, ref.calc = calc, EMT()
            forces = a.get_forces()
            sigma.setdefault(name, []).append(calc.results["forces_std"].mean())
            error.setdefault(name, []).append(np.abs(forces - ref.get_forces()).mean())
    for name in ("vacancy", "slab", "strained"):
        assert min(sigma[name]) > max(sigma["bulk"]), f"{name}: σ {sigma[name]} vs bulk {sigma['bulk']}"
    all_sigma = np.concatenate(list(sigma.values()))
    all_error = np.concatenate(list(error.values()))
    rho = spearman(np.zeros_like(all_error), all_sigma, all_error)
    print(f"Spearman(force error, σ) = {rho:.2f}")
    assert rho >= 0.5
