"""Training: energy shift fit, learning, EMA, schedules, early stopping, checkpoints and resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import bulk

from ennp_lab import ENNPCalculator
from ennp_lab.data import generate_emt_dataset
from ennp_lab.learning import TrainConfig, average_num_neighbors, evaluate, fit_energy_shift, train
from ennp_lab.testing import tiny_model


@pytest.fixture(scope="module")
def frames():
    data = generate_emt_dataset("Cu", md_per_temperature=2, n_strained=2, n_rattled=2, n_vacancy=1, n_slab=0, repeat=1, seed=2)
    return data[:8], data[8:]


def _config(**kw):
    base = dict(max_epochs=4, batch_size=3, lr=5e-3, progress=False, ema_decay=0.9)
    base.update(kw)
    return TrainConfig(**base)


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.state_dict().values() if p.is_floating_point()])


def test_energy_shift_is_the_least_squares_solution(frames):
    train_frames, _ = frames
    shift = fit_energy_shift(train_frames, [29])
    per_atom = np.mean([f.get_potential_energy() / len(f) for f in train_frames])
    # one species, near-equal sizes: close to the mean energy per atom
    assert abs(shift[0] - per_atom) < 5e-3
    counts = np.array([[len(f)] for f in train_frames])
    energies = np.array([f.get_potential_energy() for f in train_frames])
    np.testing.assert_allclose(shift, np.linalg.lstsq(counts, energies, rcond=None)[0])
    with pytest.raises(ValueError, match="does not know"):
        fit_energy_shift(train_frames, [13])


def test_training_learns_and_reports_history(frames):
    train_frames, val_frames = frames
    model = tiny_model(["Cu"], seed=0)
    before = evaluate(model, val_frames)
    seen = []
    result = train(model, train_frames, val_frames, _config(max_epochs=6), callback=lambda h: seen.append(len(h)))
    after = evaluate(model, val_frames)
    assert seen == [1, 2, 3, 4, 5, 6]
    h = result.history
    assert len(h) == 6 and h.epoch == list(range(6))
    assert after.force_mae < 0.8 * before.force_mae
    assert after.energy_mae < before.energy_mae
    assert h.train_loss[-1] < h.train_loss[0]
    assert result.best_epoch == int(np.argmin(h.val_loss))
    # the returned model holds the best EMA weights: its val MAE is the recorded one
    np.testing.assert_allclose(after.force_mae, h.val_force_mae[result.best_epoch], rtol=1e-10)


def test_training_is_reproducible(frames):
    train_frames, val_frames = frames
    a, b = tiny_model(["Cu"], seed=1), tiny_model(["Cu"], seed=1)
    train(a, train_frames, val_frames, _config(max_epochs=2))
    train(b, train_frames, val_frames, _config(max_epochs=2))
    assert torch.equal(_weights(a), _weights(b))
    c = tiny_model(["Cu"], seed=1)
    train(c, train_frames, val_frames, _config(max_epochs=2, seed=7))  # another shuffling
    assert not torch.equal(_weights(a), _weights(c))


@pytest.mark.parametrize("scheduler", ["plateau", "cosine"])
def test_resume_after_a_kill_loses_no_epoch(tmp_path, frames, scheduler):
    train_frames, val_frames = frames
    ckpt = tmp_path / "ckpt.pt"
    reference = tiny_model(["Cu"], seed=3)
    ref = train(reference, train_frames, val_frames, _config(scheduler=scheduler, optimizer="adamw", weight_decay=1e-3))

    class Killed(Exception):
        pass

    def kill_after_second_epoch(history):
        if len(history) == 2:
            raise Killed

    first = tiny_model(["Cu"], seed=3)
    with pytest.raises(Killed):
        train(first, train_frames, val_frames, _config(scheduler=scheduler, optimizer="adamw", weight_decay=1e-3,
                                                       checkpoint_path=str(ckpt)), callback=kill_after_second_epoch)
    assert ckpt.is_file()
    resumed = tiny_model(["Cu"], seed=3)
    out = train(resumed, train_frames, val_frames, _config(scheduler=scheduler, optimizer="adamw", weight_decay=1e-3,
                                                           checkpoint_path=str(ckpt)), resume=ckpt)
    assert out.history.epoch == ref.history.epoch == [0, 1, 2, 3]
    np.testing.assert_allclose(out.history.val_loss, ref.history.val_loss, rtol=1e-12)
    np.testing.assert_allclose(out.history.lr, ref.history.lr, rtol=1e-12)
    torch.testing.assert_close(_weights(resumed), _weights(reference), rtol=0, atol=1e-12)


def test_bad_checkpoints(tmp_path, frames):
    train_frames, val_frames = frames
    ckpt = tmp_path / "ckpt.pt"
    train(tiny_model(["Cu"]), train_frames, val_frames, _config(max_epochs=1, checkpoint_path=str(ckpt)))
    with pytest.raises(ValueError, match="another model architecture"):
        train(tiny_model(["Cu"], channels=5), train_frames, val_frames, _config(), resume=ckpt)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(ckpt.read_bytes()[:1000])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        train(tiny_model(["Cu"]), train_frames, val_frames, _config(), resume=corrupt)
    with pytest.raises(FileNotFoundError):
        train(tiny_model(["Cu"]), train_frames, val_frames, _config(), resume=tmp_path / "none.pt")


def test_early_stopping_and_time_limit(frames):
    train_frames, val_frames = frames
    frozen = train(tiny_model(["Cu"]), train_frames, val_frames,
                   _config(max_epochs=10, lr=1e-30, early_stopping_patience=2, ema_decay=None, fit_energy_shift=False))
    assert frozen.stop_reason == "early_stopping" and len(frozen.history) == 3
    asked = train(tiny_model(["Cu"]), train_frames, val_frames, _config(max_epochs=10), callback=lambda h: len(h) == 2)
    assert asked.stop_reason == "callback" and len(asked.history) == 2
    timed = train(tiny_model(["Cu"]), train_frames, val_frames, _config(max_epochs=10, max_time_s=1e-9))
    assert timed.stop_reason == "max_time" and len(timed.history) == 1


def test_bad_options_and_data(frames):
    train_frames, val_frames = frames
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="sgd")
    with pytest.raises(ValueError, match="unknown training options"):
        TrainConfig.from_dict({"epochs": 3})
    with pytest.raises(ValueError, match="at least one"):
        train(tiny_model(["Cu"]), train_frames, [], _config())
    with pytest.raises(ValueError, match="frame 0 .* has no energy"):
        train(tiny_model(["Cu"]), [bulk("Cu", "fcc", a=3.6)], val_frames, _config())


def test_evaluate_agrees_with_the_calculator(frames):
    _, val_frames = frames
    model = tiny_model(["Cu"], seed=4)
    ev = evaluate(model, val_frames)
    calc = ENNPCalculator(model, device="cpu")
    e_err, f_err, s_err = [], [], []
    for frame in val_frames:
        a = frame.copy()
        a.calc = calc
        e_err.append(abs(a.get_potential_energy() - frame.get_potential_energy()) / len(a))
        f_err.append(np.abs(a.get_forces() - frame.get_forces()).ravel())
        s_err.append(np.abs(a.get_stress() - frame.get_stress()))
    np.testing.assert_allclose(ev.energy_mae, np.mean(e_err), rtol=1e-10)
    np.testing.assert_allclose(ev.force_mae, np.mean(np.concatenate(f_err)), rtol=1e-10)
    np.testing.assert_allclose(ev.stress_mae, np.mean(s_err), rtol=1e-10)
    assert set(ev.per_element()) == {"Cu"}
    assert sum(v["frames"] for v in ev.by_config_type().values()) == len(val_frames)


def test_average_num_neighbors():
    assert average_num_neighbors([bulk("Cu", "fcc", a=3.6)], 3.0) == 12.0


def test_gradients_are_clipped_to_the_configured_norm(frames, monkeypatch):
    train_frames, val_frames = frames
    norms = []
    real = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        out = real(parameters, max_norm, *args, **kwargs)
        total = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in parameters if p.grad is not None))
        norms.append((max_norm, float(total)))
        return out

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    train(tiny_model(["Cu"]), train_frames, val_frames, _config(max_epochs=1, clip_grad_norm=1e-3))
    assert norms and all(limit == 1e-3 and total <= 1e-3 * (1 + 1e-6) for limit, total in norms)
