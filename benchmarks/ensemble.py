"""Ensemble cost: training K members one after the other vs in K worker processes, and
evaluating the ensemble (mean + spread) vs one member, in the same run.

    python benchmarks/ensemble.py [--size 4] [--epochs 10] [--device cuda] [--json out.json]

Data and architecture as ``scripts/train_ensemble.py`` (EMT Cu bulk frames, cu-emt-sized
members, float32).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial

import numpy as np
import torch
from ase.build import bulk

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))

from train_ensemble import bulk_frames  # noqa: E402

from ennp_lab import ENNPCalculator  # noqa: E402
from ennp_lab.learning import TrainConfig  # noqa: E402
from ennp_lab.learning.dataset import average_num_neighbors  # noqa: E402
from ennp_lab.calculator import EnsembleCalculator  # noqa: E402
from ennp_lab.learning.ensemble import train_ensemble  # noqa: E402
from ennp_lab.models import build_ennp  # noqa: E402


def per_call(atoms, calc, repeats=5):
    atoms = atoms.copy()
    atoms.calc = calc
    times = []
    for k in range(repeats + 1):
        atoms.positions[0, 0] += 1e-4
        start = time.perf_counter()
        atoms.get_forces()
        if k:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json")
    args = parser.parse_args()
    train, val = bulk_frames()
    build = partial(build_ennp, ["Cu"], r_max=5.0, l_max=1, channels=16, layers=2, dtype="float32",
                    avg_num_neighbors=average_num_neighbors(train, 5.0))
    config = TrainConfig(max_epochs=args.epochs, batch_size=4, scheduler="cosine", early_stopping_patience=None,
                         progress=False)
    print(f"# {len(train)} frames, {args.epochs} epochs, device {args.device}, {os.cpu_count()} CPU cores"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    rows = {}
    for workers in (1, args.size):
        start = time.perf_counter()
        ensemble, _ = train_ensemble(build, train, val, size=args.size, config=config, workers=workers, device=args.device)
        rows[f"train_{workers}_workers_s"] = time.perf_counter() - start
        print(f"| train {args.size} members, {workers} worker(s) | {rows[f'train_{workers}_workers_s']:.1f} s |", flush=True)
    rows["parallel_speedup"] = rows["train_1_workers_s"] / rows[f"train_{args.size}_workers_s"]
    print(f"| speed-up of {args.size} workers | {rows['parallel_speedup']:.2f}× |")
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(4)
    atoms.rattle(0.05, seed=0)
    single = per_call(atoms, ENNPCalculator(ensemble.members[0], device=args.device))
    whole = per_call(atoms, EnsembleCalculator(ensemble, device=args.device))
    rows.update(single_member_ms=1e3 * single, ensemble_ms=1e3 * whole, ensemble_over_member=whole / single)
    print(f"| forces of 256 atoms, one member | {1e3 * single:.1f} ms |\n| ensemble of {args.size} (mean + spread) | "
          f"{1e3 * whole:.1f} ms ({whole / single:.2f}× one member) |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
