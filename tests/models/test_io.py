"""save_model/load_model: round trip, weights_only, atomic writes, clear errors."""

from __future__ import annotations

import os

import pytest
import torch

from ennp_lab import ENNPCalculator, __version__, load_model, save_model
from ennp_lab.testing import tiny_model


def test_round_trip_preserves_predictions(tmp_path, triclinic_alloy):
    model = tiny_model(["Cu", "Au"], seed=9, heads={"dipole": "1o"})
    with torch.no_grad():
        model.energy_shift.copy_(torch.tensor([-3.5, -2.0], dtype=torch.float64))
    path = save_model(model, tmp_path / "model.pt")
    loaded = load_model(path)
    assert loaded.config == model.config
    a, b = triclinic_alloy.copy(), triclinic_alloy.copy()
    a.calc, b.calc = ENNPCalculator(model, device="cpu"), ENNPCalculator(loaded, device="cpu")
    assert a.get_potential_energy() == b.get_potential_energy()
    assert (a.get_forces() == b.get_forces()).all()
    assert (a.get_stress() == b.get_stress()).all()


def test_file_is_loadable_with_weights_only_and_records_provenance(tmp_path):
    path = save_model(tiny_model(), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "ennp_lab.model"
    assert payload["ennp_lab_version"] == __version__
    assert payload["config"]["species"] == [29]
    assert payload["config"]["dtype"] == "float64"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    save_model(tiny_model(seed=1), path)
    before = path.read_bytes()

    def boom(obj, handle):
        handle.write(b"partial")
        raise KeyboardInterrupt  # a run killed mid-write

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        save_model(tiny_model(seed=2), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.pt"]  # no temporary left behind


def test_truncated_foreign_and_missing_files(tmp_path):
    good = save_model(tiny_model(), tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_text("this is not a model")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not an ennp_lab model file"):
        load_model(foreign)
    future = tmp_path / "future.pt"
    payload = torch.load(good, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, future)
    with pytest.raises(ValueError, match="format version 99"):
        load_model(future)
    mismatched = tmp_path / "mismatched.pt"
    payload = torch.load(good, weights_only=True)
    payload["config"]["channels"] = 7
    torch.save(payload, mismatched)
    with pytest.raises(ValueError, match="do not match"):
        load_model(mismatched)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.pt")
