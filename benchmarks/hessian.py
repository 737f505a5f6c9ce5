"""Time to the Hessian of FCC Cu cells: autograd vs phonopy finite displacements, same model.

For 32-, 108- and 256-atom cells of the shipped ``cu-emt`` ENNP (float64) this reports

* the full Hessian (3N rows) by autograd, one double-backward pass per row;
* ``compute_force_constants(method="autograd")``: only the 3 rows of the primitive
  cell's atom (lattice translations give the rest), through phonopy;
* phonopy's finite displacements (±0.01 Å, symmetry-reduced: one displaced atom for
  FCC) producing the full force constants of the same cell, with the same model;
* the largest difference between the autograd and the phonopy Hessians;

and λ_max by Lanczos on Hessian-vector products for a 2048-atom cell (never forming
the 6144 × 6144 Hessian), with the number of products, the time and the peak memory.

    python benchmarks/hessian.py [--sizes 32 108 256] [--lanczos 2048] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import numpy as np
import torch
from ase.build import bulk

from ennp_lab import ENNPCalculator
from ennp_lab.pretrained import load_pretrained
from ennp_lab.properties.phonons import compute_force_constants
from ennp_lab.properties.stability import compute_lambda_max

A0 = 3.5898


def conventional(n_atoms: int):
    reps = round((n_atoms / 4) ** (1 / 3))
    return bulk("Cu", "fcc", a=A0, cubic=True), reps


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 108, 256])
    parser.add_argument("--lanczos", type=int, default=2048)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    calc = ENNPCalculator(load_pretrained("cu-emt"), device="cpu")
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = []
    print("| atoms | full Hessian, autograd (s) | s per row | autograd primitive rows via phonopy (s) | phonopy displacements (s) | force calls | max abs(H_autograd − H_phonopy) (eV/Å²) | autograd/phonopy time |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        unit, reps = conventional(n)
        cell = unit.repeat(reps)
        calc.get_hessian(unit)  # warm up
        _, t_full = timed(lambda: calc.get_hessian(cell))
        # the same force constants both ways, in phonopy's compact form and atom order
        # (rows of the primitive cell's one atom: phonopy's FCC primitive cell)
        exact, t_rows = timed(lambda: compute_force_constants(unit, calc, supercell=reps, method="autograd"))
        fc, t_phonopy = timed(lambda: compute_force_constants(unit, calc, supercell=reps, method="displacement",
                                                              displacement=0.01))
        diff = float(np.abs(fc.force_constants - exact.force_constants).max())
        row = dict(atoms=len(cell), full_s=t_full, per_row_s=t_full / (3 * len(cell)), primitive_rows_s=t_rows,
                   phonopy_s=t_phonopy, force_calls=2, max_diff=diff)
        rows.append(row)
        print(f"| {len(cell)} | {t_full:.2f} | {row['per_row_s']:.4f} | {t_rows:.3f} | {t_phonopy:.2f} | 2 | {diff:.1e} | {t_full / t_phonopy:.0f}× |")
    big = bulk("Cu", "fcc", a=A0, cubic=True).repeat(round((args.lanczos / 4) ** (1 / 3)))
    big.rattle(0.01, seed=0)
    largest, t_lanczos = timed(lambda: compute_lambda_max(big, calc, tol=1e-6))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_product = t_lanczos / largest.n_products
    print(f"\nλ_max by Lanczos, {len(big)} atoms: {largest.eigenvalue:.3f} eV/Å² after {largest.n_products} H·v products "
          f"in {t_lanczos:.1f} s ({per_product:.2f} s per product); peak RSS {peak_mb:.0f} MB. "
          f"Forming H would take {3 * len(big)} products (≈ {3 * len(big) * per_product / 3600:.1f} h at this rate) "
          f"and {(3 * len(big)) ** 2 * 8 / 2**20:.0f} MB more.")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(hessian=rows, lanczos=dict(atoms=len(big), eigenvalue=largest.eigenvalue,
                                                      products=largest.n_products, seconds=t_lanczos, peak_mb=peak_mb)), handle, indent=1)


if __name__ == "__main__":
    main()
