"""Cost of the electrostatics part against the number of atoms: PME (~N log N) vs Ewald.

Rock-salt NaCl (±1 e, rattled 0.05 Å) in cubic cells of 64 … ≥10⁴ atoms; for each,
energy + forces of :class:`~ennp_lab.models.electrostatics.FixedChargeModel` (the
electrostatics alone) with ``method="ewald"`` and ``method="pme"`` at the same real-space
cutoff and accuracy, best of ``--repeats`` (the graph is built once, outside the timing).
Ewald at a fixed real-space cutoff keeps every k vector up to a fixed |k|, so its cost
grows as N · K ∝ N²; it runs only up to ``--ewald-max`` atoms (its N × K
structure-factor matrix outgrows memory beyond: 15 GB at 2744 atoms). torch-pme rounds
each mesh dimension up to a power of two, so PME's cost climbs in steps (flat while the
mesh stays, then ×8). Prints a table, the fitted exponents t ∝ N^p, the
Ewald/PME time ratio at the largest size both ran, and PME's energy error against Ewald.

    python benchmarks/electrostatics.py [--repeats 3] [--max-atoms 10648] [--ewald-max 2744] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from ennp_lab import AtomGraph, keys
from ennp_lab.data.ionic import rocksalt_nacl
from ennp_lab.derivatives import compute_properties
from ennp_lab.models.electrostatics import Electrostatics, FixedChargeModel


def timed(model, graph, repeats: int) -> tuple[float, float]:
    best, energy = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = compute_properties(model, graph, {keys.ENERGY, keys.FORCES})
        best = min(best, time.perf_counter() - start)
        energy = float(out[keys.ENERGY][0])
    return best, energy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-atoms", type=int, default=10648)
    parser.add_argument("--ewald-max", type=int, default=2744)
    parser.add_argument("--cutoff", type=float, default=8.0)
    parser.add_argument("--accuracy", type=float, default=1e-5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"real-space cutoff {args.cutoff} Å, accuracy {args.accuracy:g}")
    print("| atoms | Ewald (s) | PME (s) | Ewald/PME | PME energy vs Ewald (rel.) |")
    print("|---|---|---|---|---|")
    rows = []
    for repeat in range(2, 30):
        atoms = rocksalt_nacl(repeat)
        if len(atoms) > args.max_atoms:
            break
        atoms.rattle(0.05, seed=repeat)
        row = {"atoms": len(atoms)}
        for method in ("ewald", "pme"):
            if method == "ewald" and len(atoms) > args.ewald_max:
                continue
            model = FixedChargeModel(["Na", "Cl"], Electrostatics(args.cutoff, args.accuracy, method=method))
            graph = AtomGraph.from_atoms(atoms, model.cutoff, inputs=model.inputs)
            row[method], row[f"{method}_energy"] = timed(model, graph, args.repeats)
        ratio = f"{row['ewald'] / row['pme']:.1f}×" if "ewald" in row else "—"
        error = f"{abs(row['pme_energy'] / row['ewald_energy'] - 1):.1e}" if "ewald" in row else "—"
        ewald = f"{row['ewald']:.3f}" if "ewald" in row else "—"
        print(f"| {len(atoms)} | {ewald} | {row['pme']:.3f} | {ratio} | {error} |", flush=True)
        rows.append(row)
    fits = {}
    for method in ("ewald", "pme"):
        n = np.array([r["atoms"] for r in rows if method in r], dtype=float)
        t = np.array([r[method] for r in rows if method in r])
        big = n >= 200  # past the fixed overheads
        if big.sum() >= 2:
            fits[method] = float(np.polyfit(np.log(n[big]), np.log(t[big]), 1)[0])
    both = [r for r in rows if "ewald" in r]
    print("\nexponents t ∝ N^p (N ≥ 200): " + ", ".join(f"{m} p = {p:.2f}" for m, p in fits.items()))
    if both:
        last = both[-1]
        print(f"at {last['atoms']} atoms (both measured) Ewald takes {last['ewald'] / last['pme']:.1f}× PME's time; "
              f"PME at {rows[-1]['atoms']} atoms: {rows[-1]['pme']:.2f} s")
        if "ewald" in fits and rows[-1]["atoms"] > last["atoms"]:
            guess = last["ewald"] * (rows[-1]["atoms"] / last["atoms"]) ** fits["ewald"]
            print(f"Ewald at {rows[-1]['atoms']} atoms, extrapolated with its fitted p: {guess:.0f} s, "
                  f"{guess / rows[-1]['pme']:.1f}× PME's (measured) time")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(rows=rows, exponents=fits, cutoff=args.cutoff, accuracy=args.accuracy), handle, indent=1)


if __name__ == "__main__":
    main()
