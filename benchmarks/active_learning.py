"""Active learning on EMT Cu from 6 frames: uncertainty-picked vs randomly picked frames.

Runs :func:`ennp_lab.learning.active_demo.emt_copper_problem` (the problem the test suite
and notebook 09 use: 6 cold bulk frames to start; held-out MD of bulk at 300/900 K, a
vacancy and a slab at 900 K; exploration by ensemble-driven MD, 24 near-copies of cold
bulk and 6 informative frames a round; 4 rounds of 4 EMT labels) with both strategies for
each seed, and prints the held-out force MAE per round, the reduction from the start, and
the ratios random/uncertainty (mean over rounds 1–4, and after the last round).

    python benchmarks/active_learning.py [--seeds 0 1 2 3] [--epochs 45] [--device cuda] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

from ennp_lab.learning.active import run_active_learning
from ennp_lab.learning.active_demo import emt_copper_problem
from ennp_lab.units import EV_TO_MEV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--epochs", type=int, default=45)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "random"])
    parser.add_argument("--score", default="max", choices=["max", "mean"])
    parser.add_argument("--max-per-source", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        problem = emt_copper_problem(epochs=args.epochs, seed=seed)
        for strategy in args.strategies:
            start = time.perf_counter()
            kwargs = problem.loop_arguments(score=args.score, max_per_source=args.max_per_source or None, strategy=strategy,
                                            workers=args.workers, device=args.device)
            result = run_active_learning(**kwargs)
            row = dict(seed=seed, strategy=strategy, n_train=result.n_train.tolist(),
                       force_mae_mev=[EV_TO_MEV * x for x in result.force_mae],
                       test_sigma_mev=[EV_TO_MEV * r.test_sigma for r in result.rounds],
                       picked=[[f.info.get("source", "") for f in r.picked] for r in result.rounds],
                       seconds=time.perf_counter() - start)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("| seed | strategy | frames | held-out force MAE per round (meV/Å) | start/last | s |\n|---|---|---|---|---|---|")
    for row in rows:
        mae = row["force_mae_mev"]
        print(f"| {row['seed']} | {row['strategy']} | {row['n_train'][0]}→{row['n_train'][-1]} | "
              f"{', '.join(f'{v:.0f}' for v in mae)} | {mae[0] / mae[-1]:.2f}× | {row['seconds']:.0f} |")
    for seed in args.seeds:
        mae = {r["strategy"]: r["force_mae_mev"] for r in rows if r["seed"] == seed}
        if {"uncertainty", "random"} <= set(mae):
            smart, blind = mae["uncertainty"], mae["random"]
            mean_ratio = sum(blind[1:]) / sum(smart[1:])
            print(f"seed {seed}: random / uncertainty: mean over rounds 1-{len(smart) - 1} {mean_ratio:.2f}, "
                  f"after the last round {blind[-1] / smart[-1]:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
