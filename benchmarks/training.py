"""Training speed on EMT copper: wall time per epoch and time to 30 meV/Å validation force MAE.

All runs use the same EMT Cu data and split (``generate_emt_dataset(seed=0)``, 90/10)
and the cu-emt architecture (l_max 1, 16 channels, 2 layers, r_max 5 Å, float32); on a
CUDA machine the GPU is measured in the same run.

    python benchmarks/training.py [--target 30] [--max-epochs 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ennp_lab.data import generate_emt_dataset, split_frames
from ennp_lab.learning import TrainConfig, average_num_neighbors, train
from ennp_lab.models import build_ennp
from ennp_lab.units import EV_TO_MEV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=float, default=30.0, help="validation force MAE to reach (meV/Å)")
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--l-max", type=int, default=1)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--json")
    args = parser.parse_args()

    t0 = time.perf_counter()
    frames = generate_emt_dataset("Cu", seed=0)
    train_frames, val_frames = split_frames(frames, (0.9, 0.1), seed=0)
    print(f"# EMT Cu: {len(train_frames)} train / {len(val_frames)} val frames, generated in {time.perf_counter() - t0:.0f} s; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    nbar = average_num_neighbors(train_frames, 5.0)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print("| device | model | s/epoch (median) | epochs to target | time to target (s) | best val force MAE (meV/Å) |")
    print("|---|---|---|---|---|---|")
    rows = []
    for device in devices:
        model = build_ennp(["Cu"], r_max=5.0, l_max=args.l_max, channels=args.channels, layers=2,
                           dtype=args.dtype, avg_num_neighbors=nbar).to(device)
        config = TrainConfig(max_epochs=args.max_epochs, batch_size=4, lr=5e-3, scheduler="cosine",
                             energy_weight=10.0, stress_weight=200.0, progress=False)
        result = train(model, train_frames, val_frames, config,
                       callback=lambda h: EV_TO_MEV * h.val_force_mae[-1] <= args.target)
        h = result.history
        per_epoch = sorted(b - a for a, b in zip([0.0] + h.wall_time[:-1], h.wall_time))[len(h) // 2]
        reached = result.stop_reason == "callback"
        row = dict(device=device, model=f"l_max={args.l_max}, {args.channels}ch, {args.dtype}", s_per_epoch=per_epoch,
                   epochs_to_target=len(h) if reached else None, time_to_target_s=h.wall_time[-1] if reached else None,
                   best_val_force_mae_mev=EV_TO_MEV * min(h.val_force_mae))
        rows.append(row)
        print(f"| {device} | {row['model']} | {per_epoch:.1f} | {row['epochs_to_target'] or 'not reached'} | "
              f"{row['time_to_target_s'] and round(row['time_to_target_s'])} | {row['best_val_force_mae_mev']:.1f} |", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
