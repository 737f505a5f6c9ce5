"""Make the shipped thermal-conductivity record ``ennp_lab/pretrained/si-sw-thermal.json``.

    .venv/bin/python scripts/thermal_records.py [--meshes 7 11 15 19] [--mesh 15]

For Stillinger–Weber Si (matscipy) and the shipped ``si-sw`` ENNP, in phono3py's 64-atom
supercell (2×2×2 cubic cells), and for EMT Cu and ``cu-emt`` (32 atoms): Φ₂ and Φ₃ by
phono3py's displacements (references, and the Si ENNP) and by autograd (the ENNPs), each
timed in this run; κ(T) in the RTA on the ``--mesh`` mesh at
100–1000 K; κ(300 K) on each of ``--meshes`` (convergence); the direct LBTE solution at
300 K on 11×11×11. The notebook re-runs the 11×11×11 RTA slice live.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator
from ennp_lab.data.silicon import diamond_silicon, stillinger_weber
from ennp_lab.files import atomic_write
from ennp_lab.pretrained import load_pretrained
from ennp_lab.properties.thermal import (compute_thermal_conductivity, compute_third_order_force_constants,
                                         kappa_mesh_convergence)

TEMPERATURES = [100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 700.0, 1000.0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meshes", type=int, nargs="+", default=[7, 11, 15, 19])
    parser.add_argument("--mesh", type=int, default=15)
    parser.add_argument("--out", default="ennp_lab/pretrained/si-sw-thermal.json")
    args = parser.parse_args()
    silicon, copper = diamond_silicon(1), bulk("Cu", "fcc", a=3.5898, cubic=True)
    model, cu_model = ENNPCalculator(load_pretrained("si-sw")), ENNPCalculator(load_pretrained("cu-emt"))
    routes = {}
    timings = {}
    for label, cell, calc, method in (("Stillinger–Weber", silicon, stillinger_weber(), "displacement"),
                                      ("ENNP", silicon, model, "displacement"),
                                      ("ENNP autograd", silicon, model, "autograd"),
                                      ("EMT Cu", copper, EMT(), "displacement"),
                                      ("cu-emt autograd", copper, cu_model, "autograd")):
        start = time.perf_counter()
        routes[label] = compute_third_order_force_constants(cell, calc, supercell=2, method=method)
        timings[label] = dict(seconds=round(time.perf_counter() - start, 2), evaluations=routes[label].evaluations)
        print(f"{label}: Φ₃ in {timings[label]['seconds']} s ({routes[label].evaluations} evaluations)", flush=True)
    record = dict(script="scripts/thermal_records.py", supercell="2x2x2 cubic (64 atoms)", mesh=args.mesh,
                  temperatures=TEMPERATURES, kappa_rta={}, kappa_300_by_mesh={}, kappa_lbte_300={},
                  timings=timings, threads=torch.get_num_threads(), cpu=platform.processor() or platform.machine(),
                  cpus=os.cpu_count())
    for label, fc in routes.items():
        kappa = compute_thermal_conductivity(fc, args.mesh, TEMPERATURES)
        record["kappa_rta"][label] = np.round(kappa.kappa_average, 3).tolist()
        convergence = kappa_mesh_convergence(fc, args.meshes)
        record["kappa_300_by_mesh"][label] = {str(m): round(v, 3) for m, v in convergence.items()}
        lbte = compute_thermal_conductivity(fc, 11, (300.0,), method="LBTE").at(300.0)
        record["kappa_lbte_300"][label] = round(lbte, 3)
        print(f"{label}: κ(300 K) RTA {kappa.at(300.0):.1f} ({args.mesh}³), by mesh {convergence}, "
              f"LBTE {lbte:.1f} (11³) W/(m K)", flush=True)
    text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    print("saved", atomic_write(args.out, lambda handle: handle.write(text.encode())))


if __name__ == "__main__":
    main()
