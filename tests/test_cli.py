"""The command line: help texts, one-line errors, data/train/evaluate round trip."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ennp_lab.cli import main
from ennp_lab.data import generate_emt_dataset, write_frames
from ennp_lab.models.io import load_model


def test_help_explains_every_option(capsys):
    for command, options in {
        "demo": ["--out", "--time-budget", "--epochs", "--seed", "--quick"],
        "train": ["config", "--out", "--epochs", "--resume"],
        "evaluate": ["model", "data", "--batch-size", "--device"],
        "data": ["out", "--element", "--kind", "--seed"],
        "stress-test": ["model", "--reference", "--out", "--radius", "--relax", "--quick", "--no-leakage"],
    }.items():
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for option in options:
            assert option in text, (command, option)


def test_console_script_bad_path_is_one_line():
    out = subprocess.run([sys.executable, "-m", "ennp_lab.cli", "evaluate", "nope.pt", "nope.xyz"], capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ennp-lab: error:") and "nope.pt" in lines[0]
    assert "Traceback" not in out.stderr


def test_bad_files_give_one_clear_line(tmp_path, capsys):
    bad_recipe = tmp_path / "bad.json"
    bad_recipe.write_text("{not json")
    assert main(["train", str(bad_recipe)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "missing.json")]) == 2
    assert "no recipe file" in capsys.readouterr().err
    corrupt = tmp_path / "model.pt"
    corrupt.write_bytes(b"\x00" * 100)
    xyz = tmp_path / "d.xyz"
    xyz.write_text("garbage\n")
    assert main(["evaluate", str(corrupt), str(xyz)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "truncated or corrupt" in err


def test_data_train_evaluate_round_trip(tmp_path, capsys):
    frames = generate_emt_dataset("Cu", md_per_temperature=1, n_strained=2, n_rattled=1, n_vacancy=1, n_slab=0, repeat=1, seed=1)
    write_frames(tmp_path / "train.xyz", frames[:5])
    write_frames(tmp_path / "val.xyz", frames[5:])
    recipe = {
        "name": "tiny",
        "data": {"train": "train.xyz", "val": "val.xyz"},
        "model": {"r_max": 4.0, "l_max": 1, "channels": 4, "layers": 1, "radial_hidden": 8, "readout_hidden": 4},
        "training": {"max_epochs": 2, "batch_size": 2},
    }
    (tmp_path / "tiny.json").write_text(json.dumps(recipe))
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "tiny.json"), "--out", str(out), "--no-progress"]) == 0
    assert "trained tiny for 2 epochs" in capsys.readouterr().out
    model = load_model(out / "model.pt")
    assert model.species == (29,) and model.cutoff == 4.0
    history = json.loads((out / "history.json").read_text())
    assert len(history["history"]["epoch"]) == 2
    # resume continues the same run to more epochs
    assert main(["train", str(tmp_path / "tiny.json"), "--out", str(out), "--resume", "--epochs", "3", "--no-progress"]) == 0
    assert len(json.loads((out / "history.json").read_text())["history"]["epoch"]) == 3
    assert main(["train", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "fresh"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["evaluate", str(out / "model.pt"), str(tmp_path / "val.xyz"), "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "force MAE" in text and "Cu: force MAE" in text
    assert main(["data", str(tmp_path / "gen.xyz"), "--kind", "test", "--element", "Al"]) == 0
    assert "EMT-labelled Al frames" in capsys.readouterr().out


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    """Kill `ennp-lab train` with SIGKILL mid-run; --resume finishes with no finished epoch lost."""
    import os
    import signal
    import time

    import torch

    frames = generate_emt_dataset("Cu", md_per_temperature=2, n_strained=2, n_rattled=2, n_vacancy=1, n_slab=0, repeat=1, seed=4)
    write_frames(tmp_path / "train.xyz", frames[:8])
    write_frames(tmp_path / "val.xyz", frames[8:])
    recipe = {
        "name": "kill",
        "data": {"train": "train.xyz", "val": "val.xyz"},
        "model": {"r_max": 4.0, "l_max": 1, "channels": 4, "layers": 1, "radial_hidden": 8, "readout_hidden": 4},
        "training": {"max_epochs": 20, "batch_size": 2, "scheduler": "cosine"},
    }
    (tmp_path / "kill.json").write_text(json.dumps(recipe))
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ennp_lab.cli", "train", str(tmp_path / "kill.json"), "--no-progress"]
    proc = subprocess.Popen(cmd + ["--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = killed / "checkpoint.pt"
    deadline = time.time() + 120
    epoch = -1
    while time.time() < deadline and proc.poll() is None:
        if ckpt.is_file():
            try:
                epoch = int(torch.load(ckpt, weights_only=True)["epoch"])
            except Exception:  # only a complete file is ever visible; keep polling anyway
                pass
            if epoch >= 2:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saved = int(torch.load(ckpt, weights_only=True)["epoch"])
    assert 2 <= saved < 19
    assert subprocess.run(cmd + ["--out", str(killed), "--resume"], capture_output=True).returncode == 0
    whole = tmp_path / "whole"
    assert subprocess.run(cmd + ["--out", str(whole)], capture_output=True).returncode == 0
    h_killed = json.loads((killed / "history.json").read_text())["history"]
    h_whole = json.loads((whole / "history.json").read_text())["history"]
    assert h_killed["epoch"] == list(range(20)) == h_whole["epoch"]
    np.testing.assert_allclose(h_killed["val_loss"], h_whole["val_loss"], rtol=1e-9)
    a, b = load_model(killed / "model.pt"), load_model(whole / "model.pt")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-10, msg=name)


def test_stress_test_writes_an_offline_report_and_a_summary(tmp_path, capsys):
    assert main(["stress-test", "cu-emt", "--quick", "--out", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text()
    assert "<script src=" not in html  # plotly.js embedded: opens offline
    for heading in ("Structures", "Stacking faults", "Equivariance leakage", "screw dislocation", "Σ5(310) boundary"):
        assert heading in html
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["a_reference"] == pytest.approx(3.5898, abs=1e-3)  # EMT's a0 (REFERENCES.md)
    rows = {r["structure"]: r for r in summary["structures"]}
    assert set(rows) == {"screw dislocation", "Σ5(310) boundary", "trivacancy"}
    assert rows["trivacancy"]["formation_reference_eV"] > 2.0  # three vacancies, each ~1 eV in EMT
    assert rows["Σ5(310) boundary"]["formation_reference_eV_per_A2"] > 0.0
    leak = {r["model"]: r["leakage"] for r in summary["leakage"]}
    assert leak["model (float64)"] <= 1e-10 and leak["model (float32)"] <= 1e-5 and leak["naive Cartesian baseline"] >= 1e-2
    assert summary["faults"]["(111)"]["intrinsic_reference"] < 0.0  # EMT's unphysical fault, reported as measured
    assert "report:" in capsys.readouterr().out


def test_stress_test_refuses_what_it_cannot_compare(tmp_path, capsys):
    assert main(["stress-test", "nacl-local", "--quick", "--out", str(tmp_path)]) == 2
    assert "one fcc metal" in capsys.readouterr().err
    assert main(["stress-test", "nope.pt", "--out", str(tmp_path)]) == 2
    assert "nope.pt" in capsys.readouterr().err
