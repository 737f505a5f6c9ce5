"""Time to Φ₃ of silicon: exact autograd vs phono3py's finite displacements, same model, one run.

For the shipped ``si-sw`` ENNP (float64) in phono3py's 64-atom supercell this reports

* ``compute_third_order_force_constants(method="autograd")``: the Hessian rows of the
  primitive atoms plus third derivatives of the one irreducible atom against one second
  atom per orbit of its site symmetry (9 triple-backward passes per pair);
* the same through phono3py's ± displacement pairs (one force call each);
* the largest difference of the two Φ₃ (relative to its largest element) and the κ(300 K)
  each gives on an 11³ mesh;
* for context, the displacements with the reference itself (matscipy's Stillinger–Weber).

    python benchmarks/thermal.py [--displacement 0.03] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from ennp_lab import ENNPCalculator
from ennp_lab.data.silicon import diamond_silicon, stillinger_weber
from ennp_lab.pretrained import load_pretrained
from ennp_lab.properties.thermal import compute_thermal_conductivity, compute_third_order_force_constants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displacement", type=float, default=0.03)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    cell = diamond_silicon(1)
    model = ENNPCalculator(load_pretrained("si-sw"))
    rows = []
    fcs = {}
    for label, calc, method in (("ENNP autograd", model, "autograd"), ("ENNP displacements", model, "displacement"),
                                ("Stillinger–Weber displacements", stillinger_weber(), "displacement")):
        start = time.perf_counter()
        fcs[label] = compute_third_order_force_constants(cell, calc, supercell=2, method=method,
                                                         displacement=args.displacement)
        seconds = time.perf_counter() - start
        kappa = compute_thermal_conductivity(fcs[label], mesh=11).at(300.0)
        rows.append(dict(route=label, seconds=round(seconds, 2), evaluations=fcs[label].evaluations,
                         kappa_300=round(kappa, 2)))
    exact, numeric = fcs["ENNP autograd"].fc3, fcs["ENNP displacements"].fc3
    difference = float(np.abs(exact - numeric).max() / np.abs(exact).max())
    print(f"{'route':32s} {'Φ₃ time (s)':>12s} {'evaluations':>12s} {'κ(300 K)':>10s}")
    for row in rows:
        print(f"{row['route']:32s} {row['seconds']:12.2f} {row['evaluations']:12d} {row['kappa_300']:10.1f}")
    ratio = rows[0]["seconds"] / rows[1]["seconds"]
    print(f"autograd / displacements time: {ratio:.2f}×; max |ΔΦ₃| / max |Φ₃| = {difference:.1e} "
          f"(δ = {args.displacement} Å); torch threads {torch.get_num_threads()}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(rows=rows, time_ratio=ratio, fc3_difference=difference, displacement=args.displacement,
                           threads=torch.get_num_threads(), machine=platform.machine()), handle, indent=1)


if __name__ == "__main__":
    main()
