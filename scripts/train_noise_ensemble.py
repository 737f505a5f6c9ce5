"""Train the shipped heteroscedastic ensemble ``ennp_lab/pretrained/cuau-noise-ensemble/``.

    .venv/bin/python scripts/train_noise_ensemble.py [--size 3] [--epochs 80]

Data: ``noisy_cuau_frames(36, seed=0)`` (EMT CuAu, force labels with Gaussian noise of
0.3 eV/Å on Au and 0.1 eV/Å on Cu per component); frames 0–23 train, 24–27 validate,
28–35 are held out. Members (l_max 1, 8 channels, one layer, r_max 4 Å, float64) carry
the noise head and are trained with the Gaussian NLL term
(:mod:`ennp_lab.learning.heteroscedastic`).
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np

from ennp_lab.data.reference import noisy_cuau_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.calculator import EnsembleCalculator
from ennp_lab.learning.ensemble import train_ensemble
from ennp_lab.models.io import save_ensemble
from ennp_lab.learning.heteroscedastic import decompose_uncertainty, noise_head
from ennp_lab.models.ensemble import NOISE_HEAD
from ennp_lab.models import build_ennp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--out", default="ennp_lab/pretrained/cuau-noise-ensemble")
    args = parser.parse_args()
    frames = noisy_cuau_frames(36, seed=0)
    build = partial(build_ennp, ["Cu", "Au"], r_max=4.0, l_max=1, channels=8, layers=1, dtype="float64", heads=noise_head())
    config = TrainConfig(max_epochs=args.epochs, batch_size=4, lr=1e-2, scheduler="cosine", energy_weight=10.0,
                         early_stopping_patience=None, progress=False, noise_head=NOISE_HEAD)
    start = time.perf_counter()
    ensemble, _ = train_ensemble(build, frames[:24], frames[24:28], size=args.size, config=config)
    print(f"{args.size} members, 24 frames, {args.epochs} epochs: {time.perf_counter() - start:.0f} s")
    d = decompose_uncertainty(EnsembleCalculator(ensemble, device="cpu"), frames[28:])
    au = np.array([s == "Au" for s in frames[0].get_chemical_symbols()])
    ale = np.stack(d.aleatoric) / np.sqrt(3.0)
    print(f"held out: aleatoric σ per component Au {ale[:, au].mean():.3f}, Cu {ale[:, ~au].mean():.3f} eV/Å; "
          f"epistemic {np.stack(d.epistemic).mean() / np.sqrt(3.0):.3f} eV/Å; miscalibration area "
          f"{d.calibration.miscalibration_area:.3f}")
    print("saved", [str(p) for p in save_ensemble(ensemble, args.out)])


if __name__ == "__main__":
    main()
