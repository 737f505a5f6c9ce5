"""Inference throughput of the ENNP (energy + forces) on FCC Cu, against EMT in the same run.

Reports, per cell size, atom-steps per second (atoms × evaluations / wall time) of
energy+forces through ``ENNPCalculator``, the share of that time spent building the
neighbor graph (vesin + tensor assembly), and ASE's EMT on the same cells as a yardstick
(ratio = ENNP time / EMT time). CUDA is measured too when present.

    python benchmarks/inference.py                    # 32, 256, 2048, 16384 atoms
    python benchmarks/inference.py --sizes 32 256 --dtype float64 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator, build_ennp
from ennp_lab.graph import AtomGraph


def cu_cell(n_atoms: int, seed: int = 0):
    reps = round((n_atoms / 4) ** (1 / 3))
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True).repeat(reps)
    atoms.rattle(0.02, seed=seed)
    return atoms


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_calls(atoms, calc, repeats: int, device: torch.device | None = None) -> float:
    """Median seconds per energy+forces call (positions nudged so nothing is cached)."""
    times = []
    atoms = atoms.copy()
    atoms.calc = calc
    for k in range(repeats + 1):  # the first call warms up
        atoms.positions[0, 0] += 1e-4
        if device is not None:
            _sync(device)
        start = time.perf_counter()
        atoms.get_potential_energy()
        atoms.get_forces()
        if device is not None:
            _sync(device)
        if k:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_graph(atoms, cutoff: float, repeats: int, device: torch.device, dtype: torch.dtype) -> float:
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        AtomGraph.from_atoms(atoms, cutoff, dtype=dtype, device=device)
        _sync(device)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 256, 2048, 16384])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--l-max", type=int, default=2)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--r-max", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-emt", action="store_true", help="skip the EMT yardstick")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()

    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"# ennp_lab inference: torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{platform.processor() or platform.machine()}"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    print(f"# model: l_max={args.l_max}, channels={args.channels}, layers={args.layers}, "
          f"r_max={args.r_max} Å, {args.dtype}; FCC Cu a=3.59 Å rattled 0.02 Å")
    header = "| atoms | edges | device | ENNP ms/call | ENNP atom-steps/s | neighbor share | EMT ms/call | EMT atom-steps/s | ENNP/EMT time |"
    print(header)
    print("|---" * 9 + "|")
    rows = []
    for n in args.sizes:
        atoms = cu_cell(n)
        repeats = args.repeats if len(atoms) <= 2048 else 1
        emt_s = float("nan") if args.no_emt else time_calls(atoms, EMT(), repeats)
        for device in devices:
            model = build_ennp(["Cu"], r_max=args.r_max, l_max=args.l_max, channels=args.channels,
                               layers=args.layers, dtype=args.dtype)
            calc = ENNPCalculator(model, device=device)
            ennp_s = time_calls(atoms, calc, repeats, device)
            graph_s = time_graph(atoms, model.cutoff, repeats, device, model.dtype)
            edges = AtomGraph.from_atoms(atoms, model.cutoff).num_edges
            row = dict(
                atoms=len(atoms), edges=edges, device=device.type, dtype=args.dtype,
                ennp_s=ennp_s, ennp_atom_steps_per_s=len(atoms) / ennp_s, neighbor_share=graph_s / ennp_s,
                emt_s=emt_s, emt_atom_steps_per_s=len(atoms) / emt_s, ratio_ennp_over_emt=ennp_s / emt_s,
            )
            rows.append(row)
            print(f"| {len(atoms)} | {edges} | {device.type} | {1e3 * ennp_s:.1f} | {row['ennp_atom_steps_per_s']:.0f} | "
                  f"{100 * row['neighbor_share']:.1f}% | {1e3 * emt_s:.1f} | {row['emt_atom_steps_per_s']:.0f} | "
                  f"{row['ratio_ennp_over_emt']:.1f}× |", flush=True)
            del calc, model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
