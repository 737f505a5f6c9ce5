"""The one training engine: any declared output or derived quantity is a target; options
are validated by name; a resumed run must keep its options."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ennp_lab import ENNPCalculator, keys
from ennp_lab.learning import TrainConfig, train
from ennp_lab.learning.targets import Target
from ennp_lab.testing import cluster, tiny_model

from tests.models.toys import FieldToy


def _field_frames(teacher, n: int, seed: int):
    """Clusters in random fields labelled with the teacher's dipole and Born charges."""
    rng = np.random.default_rng(seed)
    calc = ENNPCalculator(teacher, device="cpu")
    frames = []
    for k in range(n):
        a = cluster([29, 79], 5, seed=seed + k)
        a.info[keys.ELECTRIC_FIELD] = 0.2 * rng.normal(size=3)
        a.info[keys.DIPOLE] = calc.get_property(keys.DIPOLE, a)
        a.arrays[keys.BORN_CHARGES] = calc.get_property(keys.BORN_CHARGES, a)
        frames.append(a)
    return frames


def test_dipoles_and_born_charges_are_targets_and_the_student_learns_them():
    teacher, student = FieldToy(seed=0), FieldToy(seed=1)
    with torch.no_grad():
        teacher.c.fill_(1.3)
        teacher.alpha.fill_(-0.4)
    frames = _field_frames(teacher, 8, seed=10)
    held_out = _field_frames(teacher, 4, seed=50)
    targets = (Target(keys.DIPOLE, 1.0), Target(keys.BORN_CHARGES, 1.0))
    config = TrainConfig(max_epochs=60, batch_size=4, lr=0.05, fit_energy_shift=False, progress=False, ema_decay=None,
                         early_stopping_patience=None, targets=targets)
    before = ENNPCalculator(student, device="cpu")
    error = lambda c: np.mean([np.abs(c.get_property(keys.DIPOLE, a) - a.info[keys.DIPOLE]).max() for a in held_out])  # noqa: E731
    start = error(before)
    result = train(student, frames, held_out, config)
    after = error(ENNPCalculator(student, device="cpu"))
    assert after < 0.05 * start, (start, after)
    assert set(result.history.val_targets) == {keys.DIPOLE, keys.BORN_CHARGES}
    assert result.history.val_targets[keys.BORN_CHARGES][-1] < 0.05 * result.history.val_targets[keys.BORN_CHARGES][0]
    assert np.isnan(result.history.val_force_mae[-1])  # no force target: no force metric
    born = lambda a: ENNPCalculator(student, device="cpu").get_property(keys.BORN_CHARGES, a)  # noqa: E731
    scale = np.abs(held_out[0].arrays[keys.BORN_CHARGES]).max()
    assert np.abs(born(held_out[0]) - held_out[0].arrays[keys.BORN_CHARGES]).max() < 0.05 * scale


def test_a_per_atom_head_target_skips_frames_without_labels():
    model = tiny_model(["Cu", "Au"], seed=0, heads={"q": "0e"})
    frames = [cluster([29, 79], 4, seed=k) for k in range(4)]
    for k, a in enumerate(frames[:3]):
        a.arrays["q"] = np.linspace(-1, 1, len(a))[:, None] * (k + 1)
    config = TrainConfig(max_epochs=3, batch_size=4, progress=False, fit_energy_shift=False,
                         targets=(Target(keys.per_atom("q"), label="q"),))
    result = train(model, frames, None, config)
    assert len(result.history.train_loss) == 3 and result.history.train_loss[-1] < result.history.train_loss[0]
    with pytest.raises(ValueError, match="no target of the loss has labels"):
        train(model, frames[3:], None, config)


def test_targets_the_model_cannot_give_are_refused_by_name():
    model = tiny_model(["Cu"])
    frames = [cluster([29], 3)]
    with pytest.raises(ValueError, match="target 'dipole' is neither an output nor a derivable quantity"):
        train(model, frames, None, TrainConfig(targets=(Target(keys.DIPOLE),), progress=False))
    with pytest.raises(ValueError, match="unknown loss"):
        Target(keys.FORCES, loss="huber")
    with pytest.raises(ValueError, match="gaussian_nll"):
        Target(keys.ENERGY, loss="gaussian_nll")


@pytest.mark.parametrize("field, value, message", [
    ("max_epochs", "3", "max_epochs must be int"),
    ("lr", None, "lr must be int or float"),
    ("plateau_factor", 5.0, "plateau_factor must be in \\(0, 1\\)"),
    ("min_lr", -1e-3, "min_lr must be >= 0"),
    ("max_time_s", -5.0, "max_time_s must be positive"),
    ("early_stopping_patience", 0, "early_stopping_patience must be >= 1"),
    ("progress", 1, "progress must be bool"),
    ("batch_size", True, "batch_size must be int"),
])
def test_every_option_is_checked_with_its_name(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_resume_with_other_options_is_refused(tmp_path):
    from ennp_lab.data.generators import label_frames, rattled_frames
    from ase.build import bulk
    from ase.calculators.emt import EMT

    frames = label_frames(rattled_frames(bulk("Cu", "fcc", a=3.6, cubic=True), 3, seed=0), EMT())
    ckpt = tmp_path / "run.pt"
    base = dict(max_epochs=2, progress=False, checkpoint_path=str(ckpt))
    train(tiny_model(["Cu"]), frames[:2], frames[2:], TrainConfig(**base))
    with pytest.raises(ValueError, match="other training options \\(lr: 0.005 → 0.01"):
        train(tiny_model(["Cu"]), frames[:2], frames[2:], TrainConfig(**base, lr=0.01), resume=ckpt)
    longer = train(tiny_model(["Cu"]), frames[:2], frames[2:], TrainConfig(**{**base, "max_epochs": 3}), resume=ckpt)
    assert longer.history.epoch == [0, 1, 2]  # more epochs is a change a resume may make
