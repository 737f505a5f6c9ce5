"""Aleatoric vs epistemic: a noise head trained by Gaussian NLL recovers a known,
element-dependent label noise, separately from the ensemble spread; the total σ is
calibrated."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
from ennp_lab.data.reference import CUAU_NOISE, noisy_cuau_frames, noisy_force_labels
from ennp_lab.learning import TrainConfig, train
from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.learning.ensemble import train_ensemble
from ennp_lab.models.ensemble import Ensemble
from ennp_lab.learning.heteroscedastic import decompose_uncertainty, noise_head
from ennp_lab.models.ensemble import NOISE_HEAD, split_variance
from ennp_lab.models import build_ennp
from ennp_lab.testing import tiny_model

NOISE = CUAU_NOISE  # {"Au": 0.3, "Cu": 0.1} eV/Å per force component


def _alloy_frames(n: int, seed: int):
    return noisy_cuau_frames(n, noise={}, seed=seed)  # clean labels


def test_split_variance_is_the_law_of_total_variance():
    rng = np.random.default_rng(0)
    forces, log_var = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5))
    aleatoric, epistemic = split_variance(forces, log_var)
    # variance of the equal-weight mixture of N(F_k, exp(s_k) I₃), summed over components
    mixture = (forces**2 + np.exp(log_var)[..., None]).mean(axis=0) - forces.mean(axis=0) ** 2
    np.testing.assert_allclose(aleatoric + epistemic, mixture.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(epistemic, forces.var(axis=0).sum(axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="expected forces"):
        split_variance(forces, log_var[:, :3])


def test_noise_head_is_checked_and_reported():
    frames = _alloy_frames(4, seed=0)
    config = TrainConfig(max_epochs=1, progress=False, noise_head=NOISE_HEAD)
    with pytest.raises(ValueError, match="not a head of the model"):
        train(tiny_model(["Cu", "Au"]), frames[:2], frames[2:], config)
    with pytest.raises(ValueError, match="one even scalar"):
        train(tiny_model(["Cu", "Au"], heads={NOISE_HEAD: "1o"}), frames[:2], frames[2:], config)
    members = [tiny_model(["Cu", "Au"], seed=s, heads=noise_head()) for s in range(2)]
    calc = EnsembleCalculator(Ensemble(members), device="cpu")
    d = decompose_uncertainty(calc, frames)
    for a, e, t, frame in zip(d.aleatoric, d.epistemic, d.total, frames):
        atoms = frame.copy()
        atoms.calc = calc
        atoms.get_forces()
        np.testing.assert_allclose(e, calc.results["forces_std"], atol=1e-12)
        np.testing.assert_allclose(t, calc.results["forces_std_total"], atol=1e-12)
        assert np.all(a > 0)
    assert d.error is not None and d.calibration is not None and set(d.by_label()) == {"noisy CuAu"}
    with pytest.raises(ValueError, match="no noise head"):
        decompose_uncertainty(EnsembleCalculator(Ensemble([tiny_model(["Cu", "Au"], seed=s) for s in range(2)])), frames)
    with pytest.raises(ValueError, match="share"):
        Ensemble([members[0], tiny_model(["Cu", "Au"])])
    with pytest.raises(ValueError, match="no force labels"):
        noisy_force_labels([frames[0].copy()], NOISE)


@pytest.mark.slow
def test_noise_head_recovers_element_dependent_noise_and_total_sigma_is_calibrated():
    """EMT CuAu with force-label noise σ_Au = 0.3, σ_Cu = 0.1 eV/Å (per component): the
    NLL-trained head of each member predicts both within 30 % on held-out frames (the
    misfit of a tiny model adds a little), far above the ensemble spread, and the total σ
    is calibrated on the held-out noisy labels."""
    noisy = noisy_cuau_frames(36, seed=0)
    train_frames, val_frames, test = noisy[:24], noisy[24:28], noisy[28:]
    build = partial(build_ennp, ["Cu", "Au"], r_max=4.0, l_max=1, channels=8, layers=1, dtype="float64", heads=noise_head())
    config = TrainConfig(max_epochs=50, batch_size=4, lr=1e-2, scheduler="cosine", energy_weight=10.0,
                         early_stopping_patience=None, progress=False, noise_head=NOISE_HEAD)
    au = np.array([s == "Au" for s in test[0].get_chemical_symbols()])
    ensemble, _ = train_ensemble(build, train_frames, val_frames, size=3, config=config)
    d = decompose_uncertainty(EnsembleCalculator(ensemble, device="cpu"), test)
    aleatoric = np.stack(d.aleatoric) / np.sqrt(3.0)  # per component, eV/Å
    epistemic = np.stack(d.epistemic) / np.sqrt(3.0)
    found = {"Au": aleatoric[:, au].mean(), "Cu": aleatoric[:, ~au].mean()}
    print(f"aleatoric σ per component: {found}; epistemic {epistemic.mean():.3f} eV/Å; "
          f"miscalibration area {d.calibration.miscalibration_area:.3f}, factor {d.calibration.recalibration_factor:.2f}")
    for element, sigma in NOISE.items():
        assert abs(found[element] - sigma) < 0.3 * sigma, element
    assert found["Au"] > 2.0 * found["Cu"]
    assert epistemic.mean() < 0.5 * aleatoric.mean()  # noisy labels: the noise dominates
    assert d.calibration.miscalibration_area < 0.05
    assert 0.8 < d.calibration.recalibration_factor < 1.25
    # the same members without the NLL term: the head stays untrained, the estimate is off
    untrained, _ = train_ensemble(build, train_frames[:6], val_frames, size=2,
                                  config=replace(config, noise_head=None, max_epochs=2))
    d = decompose_uncertainty(EnsembleCalculator(untrained, device="cpu"), test[:2])
    assert abs(np.stack(d.aleatoric)[:, au].mean() / np.sqrt(3.0) - NOISE["Au"]) > 0.3 * NOISE["Au"]
