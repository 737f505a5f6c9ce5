"""Train the shipped two-nucleon model ``ennp_lab/pretrained/nucleon-reid.pt`` on the
³S₁–³D₁ matrix elements of Reid's soft core (1968) and print its deuteron beside Reid's.

    .venv/bin/python scripts/train_nucleon_reid.py [--steps 5000] [--adam-steps 1500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ennp_lab.nuclear.deuteron import solve_deuteron
from ennp_lab.nuclear.model import NucleonPairModel, fit_triplet_channel, save_pair_model
from ennp_lab.nuclear.references import reid_triplet_radial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000, help="L-BFGS iterations")
    parser.add_argument("--adam-steps", type=int, default=1500)
    parser.add_argument("--out", default="ennp_lab/pretrained/nucleon-reid.pt")
    args = parser.parse_args()
    t0 = time.perf_counter()
    model = NucleonPairModel(hidden=64, seed=0)
    history = fit_triplet_channel(model, reid_triplet_radial, steps=args.steps, adam_steps=args.adam_steps)
    r = np.linspace(0.5, 5.0, 400)
    reference, learned = np.array(reid_triplet_radial(r)), np.array(model.triplet_radial(r))
    error = (np.abs(learned - reference) / (np.abs(reference) + 0.01 * np.abs(reference).max(axis=1, keepdims=True))).max(axis=1)
    mine, theirs = solve_deuteron(model.triplet_radial), solve_deuteron(reid_triplet_radial)
    print(f"loss {history[0]:.3g} → {history[-1]:.3g} in {time.perf_counter() - t0:.0f} s")
    print("radial error (1 % of |V| + 1 % of the range, 0.5–5 fm): V_C {:.2%}, V_T {:.2%}, V_LS {:.2%}".format(*error))
    print(f"deuteron: B {mine.binding_energy:.4f} vs {theirs.binding_energy:.4f} MeV, "
          f"P_D {100 * mine.d_state_probability:.3f} vs {100 * theirs.d_state_probability:.3f} %, "
          f"Q {mine.quadrupole_moment:.4f} vs {theirs.quadrupole_moment:.4f} fm²")
    save_pair_model(model, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
