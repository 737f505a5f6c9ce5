"""Train the shipped bulk-only Cu ensemble ``ennp_lab/pretrained/cu-bulk-ensemble/``.

    .venv/bin/python scripts/train_ensemble.py [--size 4] [--epochs 60] [--workers 4] [--device cuda]

Data: EMT Cu *bulk* frames only (Langevin MD at 300/600/900 K, ±3 % strains, 0.1 Å
rattles; ``generate_emt_dataset(n_vacancy=0, n_slab=0, seed=0)``), so that surfaces,
vacancies and large strains are out of distribution. Architecture as ``cu-emt``
(l_max 1, 16 channels, 2 layers, r_max 5 Å, float32); members differ by seed and
bootstrap resample.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

from ennp_lab.data import generate_emt_dataset, split_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.dataset import average_num_neighbors
from ennp_lab.learning.ensemble import train_ensemble
from ennp_lab.models.io import save_ensemble
from ennp_lab.models import build_ennp
from ennp_lab.units import EV_TO_MEV


def bulk_frames():
    frames = generate_emt_dataset("Cu", temperatures_K=(300.0, 600.0, 900.0), md_per_temperature=40, n_strained=30,
                                  n_rattled=30, n_vacancy=0, n_slab=0, seed=0)
    return split_frames(frames, (0.9, 0.1), seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="ennp_lab/pretrained/cu-bulk-ensemble")
    args = parser.parse_args()
    train, val = bulk_frames()
    nbar = average_num_neighbors(train, 5.0)
    build = partial(build_ennp, ["Cu"], r_max=5.0, l_max=1, channels=16, layers=2, dtype="float32", avg_num_neighbors=nbar)
    config = TrainConfig(max_epochs=args.epochs, batch_size=4, lr=5e-3, scheduler="cosine", energy_weight=10.0,
                         stress_weight=200.0, early_stopping_patience=None, progress=False)
    start = time.perf_counter()
    ensemble, results = train_ensemble(build, train, val, size=args.size, config=config, workers=args.workers,
                                       device=args.device)
    print(f"{args.size} members, {len(train)} bulk frames, {args.epochs} epochs, {args.workers} workers on "
          f"{args.device}: {time.perf_counter() - start:.0f} s")
    for k, r in enumerate(results):
        h = r.history
        print(f"member {k}: best val force MAE {EV_TO_MEV * min(h.val_force_mae):.1f} meV/Å, energy MAE "
              f"{EV_TO_MEV * min(h.val_energy_mae):.2f} meV/atom")
    print("saved", [str(p) for p in save_ensemble(ensemble, args.out)])


if __name__ == "__main__":
    main()
