"""Make the electrostatics records: the cutoff scan and the shipped NaCl models.

    .venv/bin/python scripts/train_electrostatics.py [--cutoffs 3 4 5 6] [--epochs 160]

For bare Coulomb and for screened (Yukawa, κ = 2 Å⁻¹) labels of the same Tosi–Fumi NaCl
frames (:func:`ennp_lab.data.ionic.generate_nacl_dataset`, seed 0, 8-ion cells, the
settings of ``ennp_lab.learning.locality``, as in the slow tests), and for each local cutoff,
trains a local ENNP and the hybrid (same local part + Ewald electrostatics of latent
charges) with :func:`ennp_lab.learning.locality.compare_locality`, and records their
held-out force MAE in ``ennp_lab/pretrained/nacl-cutoff-scan.json``. The Coulomb pair at
r_c = 4 Å is shipped as ``nacl-local.pt`` and ``nacl-hybrid.pt`` (charges oriented: Na > 0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ennp_lab.data.ionic import generate_nacl_dataset, generate_nacl_test_set, rocksalt_nacl
from ennp_lab.learning.locality import (NACL_COUNTS, NACL_CUTOFF, NACL_MODEL, NACL_SCREENING, compare_locality,
                                        nacl_study_config)
from ennp_lab.models import save_model
from ennp_lab.properties.electrostatics import CutoffScan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cutoffs", type=float, nargs="+", default=[3.0, 4.0, 5.0, 6.0])
    parser.add_argument("--epochs", type=int, default=160)
    parser.add_argument("--out-dir", default="ennp_lab/pretrained")
    args = parser.parse_args()
    config = nacl_study_config(args.epochs)
    start = time.perf_counter()
    local, hybrid = {}, {}
    for label, screening in (("Coulomb", None), (f"Yukawa κ={NACL_SCREENING:g}/Å", NACL_SCREENING)):
        train_frames = generate_nacl_dataset(screening, seed=0, **NACL_COUNTS)
        test_frames = generate_nacl_test_set(screening, n_per_kind=4, repeat=1)
        local[label], hybrid[label] = [], []
        for cutoff in args.cutoffs:
            result = compare_locality(train_frames, test_frames, ["Na", "Cl"], cutoff, config, **NACL_MODEL)
            local[label].append(result.local_eval.force_mae)
            hybrid[label].append(result.hybrid_eval.force_mae)
            print(f"{label:16s} r_c {cutoff:.1f} Å: local {result.local_eval.force_mae:.4f}, "
                  f"hybrid {result.hybrid_eval.force_mae:.4f} eV/Å ({result.force_ratio:.1f}×), "
                  f"{sum(result.seconds.values()):.0f} s", flush=True)
            if screening is None and cutoff == NACL_CUTOFF:
                result.hybrid.orient_charges(rocksalt_nacl(1), positive="Na")
                print("saved", save_model(result.local, f"{args.out_dir}/nacl-local.pt"),
                      save_model(result.hybrid, f"{args.out_dir}/nacl-hybrid.pt"))
    meta = dict(script="scripts/train_electrostatics.py", epochs=args.epochs, counts=NACL_COUNTS, model=NACL_MODEL,
                train_frames=len(train_frames), test_frames=len(test_frames), screening=NACL_SCREENING,
                seconds=round(time.perf_counter() - start, 1))
    scan = CutoffScan(np.asarray(args.cutoffs), {k: np.asarray(v) for k, v in local.items()},
                      {k: np.asarray(v) for k, v in hybrid.items()}, meta)
    print("saved", scan.save(f"{args.out_dir}/nacl-cutoff-scan.json"))


if __name__ == "__main__":
    main()
