"""EMT data generators, extxyz round trip, splits and label errors."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator

from ennp_lab.data import (
    emt_lattice_constant,
    frame_labels,
    generate_emt_dataset,
    label_frames,
    read_frames,
    split_frames,
    strained_frames,
    write_frames,
    xtb_molecule_frames,
)


@pytest.fixture(scope="module")
def small_dataset():
    return generate_emt_dataset("Cu", md_per_temperature=2, n_strained=3, n_rattled=2, n_vacancy=2, n_slab=3, seed=5)


def test_emt_lattice_constant_matches_reference():
    assert abs(emt_lattice_constant("Cu") - 3.5898) < 2e-4  # REFERENCES.md
    with pytest.raises(ValueError, match="EMT describes"):
        emt_lattice_constant("Fe")


def test_dataset_is_labelled_by_emt_and_deterministic(small_dataset):
    kinds = {f.info["config_type"] for f in small_dataset}
    assert kinds == {"md_300K", "md_900K", "md_1500K", "strained", "rattled", "vacancy", "slab_111", "slab_100", "slab_110"}
    for frame in small_dataset[::3]:  # labels are EMT's
        fresh = frame.copy()
        fresh.calc = EMT()
        np.testing.assert_allclose(frame.get_potential_energy(), fresh.get_potential_energy(), atol=1e-10)
        np.testing.assert_allclose(frame.get_forces(), fresh.get_forces(), atol=1e-10)
        np.testing.assert_allclose(frame.get_stress(), fresh.get_stress(), atol=1e-10)
    again = generate_emt_dataset("Cu", md_per_temperature=2, n_strained=3, n_rattled=2, n_vacancy=2, n_slab=3, seed=5)
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(small_dataset, again))
    other = generate_emt_dataset("Cu", md_per_temperature=2, n_strained=3, n_rattled=2, n_vacancy=2, n_slab=3, seed=6)
    assert not np.allclose(small_dataset[0].positions, other[0].positions)
    # hotter MD has larger forces; vacancies have one atom fewer
    by = {k: [f for f in small_dataset if f.info["config_type"] == k] for k in kinds}
    assert np.abs(by["md_1500K"][0].get_forces()).mean() > np.abs(by["md_300K"][0].get_forces()).mean()
    assert len(by["vacancy"][0]) == len(by["md_300K"][0]) - 1


def test_strains_stay_within_bounds():
    cell = bulk("Cu", "fcc", a=3.6, cubic=True)
    for frame in strained_frames(cell, 20, max_strain=0.03, rattle=0.0, seed=1):
        eps = np.linalg.solve(cell.cell[:], frame.cell[:]) - np.eye(3)
        assert np.abs(eps).max() <= 0.03 + 1e-12
        np.testing.assert_allclose(eps, eps.T, atol=1e-12)


def test_extxyz_round_trip(tmp_path, small_dataset):
    path = write_frames(tmp_path / "data.xyz", small_dataset)
    back = read_frames(path, require=("energy", "forces", "stress"))
    assert len(back) == len(small_dataset)
    for a, b in zip(small_dataset, back):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-8)
        np.testing.assert_allclose(a.get_potential_energy(), b.get_potential_energy(), atol=1e-8)
        np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-8)
        np.testing.assert_allclose(a.get_stress(), b.get_stress(), atol=1e-8)
        assert a.info["config_type"] == b.info["config_type"]


def test_missing_and_inconsistent_labels_are_named(tmp_path):
    plain = bulk("Cu", "fcc", a=3.6)
    with pytest.raises(ValueError, match="frame 0 .* has no energy, forces label"):
        write_frames(tmp_path / "x.xyz", [plain])
    bad = plain.copy()
    bad.calc = SinglePointCalculator(bad, energy=1.0, forces=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"frame 3: forces has shape \(2, 3\), expected \(1, 3\)"):
        frame_labels(bad, 3)
    nan = plain.copy()
    nan.calc = SinglePointCalculator(nan, energy=np.nan, forces=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        frame_labels(nan)
    energy_only = tmp_path / "energy_only.xyz"
    labelled = plain.copy()
    labelled.calc = SinglePointCalculator(labelled, energy=-1.0)
    from ase.io import write

    write(energy_only, [labelled], format="extxyz")
    with pytest.raises(ValueError, match="has no forces label"):
        read_frames(energy_only)
    (tmp_path / "junk.xyz").write_text("3\nnot a comment line\nCu 0 0\n")
    with pytest.raises(ValueError, match="not a readable extxyz"):
        read_frames(tmp_path / "junk.xyz")
    with pytest.raises(FileNotFoundError):
        read_frames(tmp_path / "nope.xyz")


def test_split_is_a_seeded_partition():
    frames = [Atoms("H", positions=[[0, 0, i]]) for i in range(50)]
    train, val, test = split_frames(frames, (0.8, 0.1, 0.1), seed=3)
    assert (len(train), len(val), len(test)) == (40, 5, 5)
    ids = sorted(int(f.positions[0, 2]) for f in train + val + test)
    assert ids == list(range(50))
    again = split_frames(frames, (0.8, 0.1, 0.1), seed=3)
    assert [f.positions[0, 2] for f in again[1]] == [f.positions[0, 2] for f in val]
    with pytest.raises(ValueError, match="sum to 1"):
        split_frames(frames, (0.5, 0.4))


def test_label_frames_rejects_non_finite_labels():
    class NaNCalc(EMT):
        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            self.results["energy"] = float("nan")

    with pytest.raises(ValueError, match="non-finite labels for frame 0"):
        label_frames([bulk("Cu", "fcc", a=3.6)], NaNCalc())


def test_xtb_molecules_are_labelled_consistently():
    pytest.importorskip("tblite")
    from ase.calculators.fd import calculate_numerical_forces
    from tblite.ase import TBLite

    frames = xtb_molecule_frames(("H2O", "NH3"), n_per_molecule=2, seed=1)
    assert [f.info["config_type"] for f in frames] == ["xtb_H2O"] * 2 + ["xtb_NH3"] * 2
    assert not any(f.pbc.any() for f in frames) and "stress" not in frames[0].calc.results
    water = frames[0].copy()
    water.calc = TBLite(method="GFN2-xTB", verbosity=0)
    numeric = calculate_numerical_forces(water, eps=1e-4)
    np.testing.assert_allclose(frames[0].get_forces(), numeric, atol=1e-4)  # labels are −∇E
    assert frames[0].get_potential_energy() != frames[1].get_potential_energy()
    with pytest.raises(ValueError, match="unknown g2 molecule"):
        xtb_molecule_frames(("unobtainium",))
