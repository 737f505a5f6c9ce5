"""Chirality: the pseudoscalar label, mirror pairs, the triple-product baseline, and the
three ENNP variants (O(3) 0o head, parity-blind 0e head, SO(3)-only)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from ennp_lab.data.chiral import (
    CHIRALITY_KEY,
    enantiomer_dataset,
    helix,
    mirror_image,
    pseudoscalar_label,
    real_chiral_molecules,
    stereocentre,
)
from ennp_lab.learning.heads import fit_head, predict_head
from ennp_lab.models.chirality import CHIRALITY_HEAD, TripleProductModel, build_chirality_model
from ennp_lab.pretrained import load_pretrained
from ennp_lab.properties.chirality import evaluate_enantiomers, r2_score
from ennp_lab.symmetry import permutation, random_rotation, translation

SPECIES = ["H", "C", "F", "Cl", "Br"]


def test_label_is_a_smooth_pseudoscalar():
    mol = stereocentre(["H", "F", "Cl", "Br"], seed=3)
    chi = pseudoscalar_label(mol)
    assert abs(chi) > 1e-3
    rng = np.random.default_rng(0)
    rotated = mol.copy()
    rotated.positions = mol.positions @ random_rotation(rng).T
    for image in (rotated, translation([1.0, -2.0, 0.5]).apply(mol), permutation([0, 2, 1, 4, 3]).apply(mol)):
        assert abs(pseudoscalar_label(image) - chi) <= 1e-12 * abs(chi)
    for normal in ([1, 0, 0], rng.normal(size=3)):
        assert abs(pseudoscalar_label(mirror_image(mol, normal)) + chi) <= 1e-12 * abs(chi)
    inverted = mol.copy()
    inverted.positions = -mol.positions
    assert abs(pseudoscalar_label(inverted) + chi) <= 1e-12 * abs(chi)
    # smooth: central differences of the label converge (second order) as the step shrinks
    d = np.zeros_like(mol.positions)
    d[2, 1] = 1.0
    slope = [(pseudoscalar_label(Atoms(mol.numbers, mol.positions + h * d)) -
              pseudoscalar_label(Atoms(mol.numbers, mol.positions - h * d))) / (2 * h) for h in (1e-2, 1e-3)]
    assert abs(slope[0] - slope[1]) < 1e-3 * max(abs(slope[1]), 1e-3)


def test_achiral_structures_have_zero_label():
    for name in ("CH4", "H2O", "CH3CH2OH", "C6H6", "CH3Cl"):
        assert abs(pseudoscalar_label(molecule(name))) < 1e-12, name
    assert abs(pseudoscalar_label(stereocentre(["H", "H", "F", "Cl"], distortion=0.0))) < 1e-12
    # four different substituents on an undistorted tetrahedron: chiral
    assert abs(pseudoscalar_label(stereocentre(["H", "F", "Cl", "Br"], distortion=0.0))) > 1e-3


def test_helix_handedness_sets_the_sign():
    right = [pseudoscalar_label(helix(7, +1, seed=s, distortion=0.0)) for s in range(3)]
    left = [pseudoscalar_label(helix(7, -1, seed=s, distortion=0.0)) for s in range(3)]
    assert np.all(np.sign(right) == np.sign(right[0])) and np.all(np.sign(left) == -np.sign(right[0]))
    np.testing.assert_allclose(right, -np.array(left), rtol=1e-10)
    with pytest.raises(ValueError, match="handedness"):
        helix(handedness=0)


def test_enantiomer_dataset_pairs_and_real_molecules():
    frames = enantiomer_dataset(20, seed=1)
    assert len(frames) == 40
    chi = np.array([a.info[CHIRALITY_KEY] for a in frames])
    np.testing.assert_allclose(chi[0::2], -chi[1::2], atol=1e-12)
    assert {a.info["config_type"] for a in frames} == {"stereocentre", "helix"}
    assert chi.std() > 0.1
    chiral = real_chiral_molecules()
    assert chiral and all(abs(pseudoscalar_label(a)) > 1e-3 for a in chiral)
    assert "CH4" not in {a.info["name"] for a in chiral}


def test_evaluation_statistics_against_numpy():
    frames = enantiomer_dataset(5, seed=2)
    y = np.array([a.info[CHIRALITY_KEY] for a in frames])
    perfect = evaluate_enantiomers("exact", y, frames)
    assert perfect.r2 == 1.0 and perfect.max_pair_sum < 1e-12
    blind = evaluate_enantiomers("blind", np.repeat(np.abs(y[0::2]), 2), frames)
    assert blind.max_pair_difference == 0.0 and blind.r2 <= 0.0
    p = y + 0.1
    assert abs(r2_score(p, y) - (1 - np.sum((p - y) ** 2) / np.sum((y - y.mean()) ** 2))) < 1e-15
    with pytest.raises(ValueError, match="mirror"):
        evaluate_enantiomers("x", y[:3], frames[:3])


def test_triple_product_features_are_pseudoscalars_and_fit():
    model = TripleProductModel(SPECIES)
    mol = stereocentre(seed=4)
    np.testing.assert_allclose(model.features(mirror_image(mol, [0, 1, 1])), -model.features(mol), atol=1e-12)
    with pytest.raises(ValueError, match="species"):
        model.features(molecule("NH3"))
    frames = enantiomer_dataset(60, seed=3)
    model.fit(frames[:80], [a.info[CHIRALITY_KEY] for a in frames[:80]])
    ev = evaluate_enantiomers("triple", model.predict(frames[80:]), frames[80:])
    assert ev.max_pair_sum < 1e-10 and ev.r2 > 0.5


def test_shipped_pseudoscalar_model_on_unseen_molecules():
    """chirality-o3 (trained on seed-0 pairs) on a fresh set: R² ≥ 0.95, pairs exactly (χ, −χ)."""
    model = load_pretrained("chirality-o3")
    frames = enantiomer_dataset(60, seed=11)
    ev = evaluate_enantiomers("O(3) 0o", predict_head(model, frames, CHIRALITY_HEAD), frames)
    assert ev.r2 >= 0.95
    assert ev.max_pair_sum <= 1e-10


@pytest.mark.slow
def test_training_o3_fits_chirality_and_parity_blind_cannot():
    """Same data and backbone: the 0o head fits the labels; the 0e head predicts equal
    values for every mirror pair (≤ 1e-8) and R² ≤ 0.05, on training and held-out pairs.
    (Generalisation of the 0o head, R² ≥ 0.95 on unseen molecules, is the shipped model's
    test above: it needs the 240 training pairs of scripts/train_chirality.py.)"""
    frames = enantiomer_dataset(40, seed=0)
    train, test = frames[:60], frames[60:]
    results = {}
    for kind, epochs in (("pseudoscalar", 150), ("parity-blind", 60)):
        model = build_chirality_model(SPECIES, kind, channels=6, seed=1)
        fit = fit_head(model, train, CHIRALITY_HEAD, epochs=epochs, lr=1e-2)
        assert fit.loss[-1] < fit.loss[0]
        results[kind] = [evaluate_enantiomers(kind, predict_head(model, part, CHIRALITY_HEAD), part) for part in (train, test)]
    (o3_train, o3_test), blind = results["pseudoscalar"], results["parity-blind"]
    print(f"O(3) R² train {o3_train.r2:.3f} test {o3_test.r2:.3f}; parity-blind {blind[0].r2:.2e} {blind[1].r2:.2e}")
    assert o3_train.r2 >= 0.9 and o3_test.max_pair_sum <= 1e-10
    for ev in blind:
        assert ev.max_pair_difference <= 1e-8 and ev.r2 <= 0.05


@pytest.mark.slow
def test_xtb_relaxed_real_chiral_molecules():
    """GFN2-xTB keeps the gauche (C2, chiral) H2O2 and N2H4 chiral; mirror images flip χ."""
    pytest.importorskip("tblite")
    chiral = real_chiral_molecules(relax=True)
    names = {a.info["name"] for a in chiral}
    assert {"H2O2", "N2H4"} <= names
    for a in chiral:
        assert a.info["config_type"] == "g2-xtb"
        assert abs(pseudoscalar_label(mirror_image(a)) + pseudoscalar_label(a)) < 1e-12
