"""Nothing silently wrong, no crashed process, one-line errors (issue "Reliability").

One test per item: each failed on the code before the fix."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator, save_model
from ennp_lab.cli import main
from ennp_lab.data.generators import generate_emt_test_set
from ennp_lab.files import atomic_write
from ennp_lab.learning import evaluate
from ennp_lab.learning.recipe import RECIPES, Recipe, load_recipe, recipe_frames
from ennp_lab.models.io import load_model
from ennp_lab.properties.md import MDGuard, run_md
from ennp_lab.properties.phonons import compute_dos, compute_force_constants
from ennp_lab.structures.build import build_slab, miller_indices
from ennp_lab.testing import tiny_model

CU = bulk("Cu", "fcc", a=3.5898, cubic=True)


def _fingerprints(frames) -> set[str]:
    return {hashlib.sha1(np.ascontiguousarray(f.positions).tobytes() + f.numbers.tobytes()).hexdigest() for f in frames}


# --- wrong results without a word ----------------------------------------------------
@pytest.mark.slow
def test_no_held_out_frame_is_a_training_frame_of_a_shipped_recipe(tmp_path):
    train = set()
    for name in RECIPES:
        frames = recipe_frames(load_recipe(name))
        train |= _fingerprints(frames[0]) | _fingerprints(frames[1])
    assert len(train) > 400  # cu-emt's 324 frames and cu-ripple's
    assert main(["data", str(tmp_path / "test.xyz"), "--kind", "test"]) == 0  # the README's held-out set
    from ennp_lab.data.io import read_frames

    held_out = _fingerprints(read_frames(tmp_path / "test.xyz"))
    for seed in (0, 1, 12345):  # the recipes' seeds, and the default
        held_out |= _fingerprints(generate_emt_test_set("Cu", n_per_kind=2, seed=seed))
    assert held_out and not held_out & train


def test_md_stops_a_blown_up_run_by_default_and_only_then():
    cell = CU.repeat(2)
    blown = run_md(cell, EMT(), "nve", dt=200.0, steps=60, temperature=300, interval=10)
    assert "energy error" in blown.stop_reason and len(blown.times) == 2  # caught at the first step, not at 1e8 K
    langevin = run_md(cell, EMT(), "langevin", dt=60.0, steps=60, temperature=300, interval=10)
    assert langevin.stop_reason is not None and len(langevin.times) < 61  # no energy check there: the others
    sane = run_md(cell, EMT(), "nve", dt=2.0, steps=20, temperature=300)
    assert sane.stop_reason is None
    unguarded = run_md(cell, EMT(), "nve", dt=200.0, steps=8, temperature=300, interval=4, guard=None)
    assert unguarded.stop_reason is None or "non-finite" in unguarded.stop_reason or "unstable" in unguarded.stop_reason
    with pytest.raises(ValueError, match="MDGuard.max_force must be > 0"):
        MDGuard(max_force=-1.0)


@pytest.mark.parametrize("options, message", [
    (dict(temperature=-300), "temperature \\(K\\) must be >= 0"),
    (dict(temperature=float("nan")), "temperature \\(K\\) must be finite"),
    (dict(dt=float("inf")), "dt \\(fs\\) must be finite"),
    (dict(dt=-1.0), "dt \\(fs\\) must be > 0"),
    (dict(ensemble="langevin", temperature=300, friction=-0.1), "friction \\(1/fs\\) must be >= 0"),
    (dict(steps=10.5), "steps must be an integer"),
])
def test_md_refuses_unphysical_settings(options, message):
    with pytest.raises(ValueError, match=message):
        run_md(CU, EMT(), **{"ensemble": "nve", **options})


def test_a_model_file_with_nan_weights_is_refused_and_nan_predictions_are_named(tmp_path):
    model = tiny_model(["Cu"])
    with torch.no_grad():
        model.energy_shift.fill_(float("nan"))
    path = save_model(model, tmp_path / "broken.pt")
    with pytest.raises(ValueError, match="energy_shift.*NaN or inf"):
        load_model(path)
    atoms = CU.copy()
    atoms.calc = ENNPCalculator(model, device="cpu")
    with pytest.raises(ValueError, match="non-finite energy for Cu4 \\(4 atoms"):
        atoms.get_potential_energy()


@pytest.mark.parametrize("call, message", [
    (lambda: miller_indices((1.5, 0, 0)), "Miller index\\[0\\] must be an integer, got 1.5"),
    (lambda: build_slab(CU, (1, 1, 1), layers=4.5), "layers must be an integer"),
    (lambda: compute_force_constants(bulk("Cu", "fcc", a=3.59), EMT(), supercell=2.5), "supercell must be an integer"),
    (lambda: compute_force_constants(bulk("Cu", "fcc", a=3.59), EMT(), supercell=-2), "supercell must be >= 1"),
    (lambda: compute_force_constants(bulk("Cu", "fcc", a=3.59), EMT(), supercell=[[-1, 0, 0], [0, 1, 0], [0, 0, 1]]),
     "determinant -1: it must be positive"),
])
def test_non_integer_and_negative_sizes_are_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dos_mesh_must_be_integers():
    fc = compute_force_constants(bulk("Cu", "fcc", a=3.59), EMT(), supercell=2)
    with pytest.raises(ValueError, match="mesh must be an integer"):
        compute_dos(fc, mesh=4.5)
    assert compute_dos(fc, mesh=4.0).frequencies_thz.size  # an integral float is an integer


# --- crashes -------------------------------------------------------------------------------
def test_a_structure_spanning_a_million_angstrom_neither_crashes_nor_is_wrong():
    """vesin dies with SIGFPE from ~1e5 cutoffs across a structure; run it in a child process."""
    code = (
        "import numpy as np\n"
        "from ase import Atoms\n"
        "from ennp_lab import ENNPCalculator\n"
        "from ennp_lab.testing import tiny_model\n"
        "far = Atoms('Cu3', positions=[[0, 0, 0], [2.5, 0, 0], [1e6, 0, 0]])\n"
        "far.calc = ENNPCalculator(tiny_model(['Cu']), device='cpu')\n"
        "pair = Atoms('Cu2', positions=[[0, 0, 0], [2.5, 0, 0]])\n"
        "pair.calc = ENNPCalculator(tiny_model(['Cu']), device='cpu')\n"
        "one = Atoms('Cu', positions=[[0, 0, 0]])\n"
        "one.calc = ENNPCalculator(tiny_model(['Cu']), device='cpu')\n"
        "print(abs(far.get_potential_energy() - pair.get_potential_energy() - one.get_potential_energy()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert float(done.stdout.strip()) < 1e-12  # the far atom is isolated: energies add up
    from ennp_lab.graph.neighbors import neighbor_list

    many = np.vstack([np.random.default_rng(0).uniform(0, 20, size=(2500, 3)), [[2e6, 0, 0]]])
    with pytest.raises(ValueError, match="spans 2e\\+06 Å.*flown apart"):
        neighbor_list(many, np.zeros((3, 3)), False, 3.0)


# --- obscure messages ----------------------------------------------------------------------
def test_cli_evaluates_a_model_file_under_device_auto_and_a_shipped_ensemble(tmp_path, capsys):
    from ennp_lab.data.io import write_frames

    save_model(tiny_model(["Cu"]), tmp_path / "m.pt")
    write_frames(tmp_path / "t.xyz", generate_emt_test_set("Cu", n_per_kind=1, repeat=1))
    assert main(["evaluate", str(tmp_path / "m.pt"), str(tmp_path / "t.xyz")]) == 0  # --device auto
    assert main(["evaluate", "cu-bulk-ensemble", str(tmp_path / "t.xyz")]) == 0
    assert main(["evaluate", "cu-emt", str(tmp_path / "t.xyz"), "--batch-size", "0"]) == 2
    err = capsys.readouterr().err
    assert "batch_size must be >= 1, got 0" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="no frames"):
        evaluate(tiny_model(["Cu"]), [])


@pytest.mark.parametrize("patch, message", [
    ({"model": {"chanels": 8}}, "unknown model options \\['chanels'\\]"),
    ({"model": {"channels": "8"}}, "model option channels must be an integer"),
    ({"data": {"generator": "emt", "options": {"md_per_temprature": 3}}}, "unknown data option \\['md_per_temprature'\\]"),
    ({"data": {"generator": "emt", "options": {"n_slab": 2.5}}}, "data option n_slab must be an integer"),
    ({"data": {"generator": "emt", "sead": 1}}, "unknown data keys \\['sead'\\]"),
    ({"training": {"max_epochs": "3"}}, "max_epochs must be int"),
])
def test_recipe_mistakes_are_one_line_errors_with_exit_code_2(tmp_path, capsys, patch, message):
    import json

    raw = json.loads(Path(str(load_recipe("cu-emt").root / "cu-emt.json")).read_text())
    for section, value in patch.items():
        raw[section] = value if section != "training" else {**raw["training"], **value}
    with pytest.raises(ValueError, match=message):
        Recipe.from_dict(raw)
    (tmp_path / "r.json").write_text(json.dumps(raw))
    assert main(["train", str(tmp_path / "r.json"), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ennp-lab: error:") and len(err.splitlines()) == 1


def test_a_corrupt_or_malicious_file_is_refused_without_advising_to_unpickle(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    torch.save({"format": "ennp_lab.model", "payload": Evil()}, tmp_path / "evil.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip file at all")
    for name in ("evil.pt", "junk.pt"):
        with pytest.raises(ValueError) as info:
            load_model(tmp_path / name)
        message = str(info.value)
        assert "never unpickles" in message and "weights_only=False" not in message and "\n" not in message
    assert not (tmp_path / "pwned").exists()


def test_a_killed_atomic_write_leaves_nothing_behind_and_a_directory_is_named(tmp_path):
    target = tmp_path / "model.pt"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.kill()
    child.wait()
    stale = tmp_path / f".model.pt.{child.pid}.abcd1234.tmp"  # what a SIGKILL mid-write leaves
    stale.write_bytes(b"half")
    mine = tmp_path / f".model.pt.{os.getpid()}.live.tmp"  # a write in progress in a live process
    mine.write_bytes(b"busy")
    atomic_write(target, lambda h: h.write(b"done"))
    assert target.read_bytes() == b"done" and not stale.exists() and mine.exists()
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="folder is a directory") as info:
        atomic_write(tmp_path / "folder", lambda h: h.write(b"x"))
    assert ".tmp" not in str(info.value)


def test_panels_name_what_is_wrong_with_their_input():
    pytest.importorskip("ipywidgets")
    from ennp_lab.widgets import TimestepPanel

    with pytest.raises(ValueError, match="scans must be a non-empty mapping"):
        TimestepPanel({}, 39.1)
    from ennp_lab.properties.md import run_timestep_scan

    scan = run_timestep_scan(CU, EMT(), [2.0, 4.0], duration=8.0)
    with pytest.raises(ValueError, match="dt_max must be a mapping label → Δt_max \\(fs\\), got 39.1"):
        TimestepPanel({"EMT": scan}, 39.1)


def test_model_and_ensemble_constructors_name_a_string_given_for_a_model():
    from ennp_lab.models.ensemble import Ensemble

    with pytest.raises(ValueError, match="load_pretrained"):
        ENNPCalculator("cu-emt")
    with pytest.raises(ValueError, match="not ennp_lab models"):
        Ensemble([tiny_model(["Cu"]), "cu-emt"])
    assert isinstance(Atoms("Cu"), Atoms)
