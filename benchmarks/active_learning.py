"""Active learning on EMT Cu from 8 frames: uncertainty-picked vs randomly picked frames.

Both strategies start from the same 8 lightly rattled bulk frames, explore with MD driven
by their own ensemble (bulk, vacancy and (111)-slab starts at 600 and 1500 K), label 8
frames per round with EMT, for 4 rounds; the held-out set mixes bulk MD, vacancies and
slabs. Prints the held-out force MAE per round.

    python benchmarks/active_learning.py [--device cuda] [--workers 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial

from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.data.generators import emt_lattice_constant, label_frames, md_frames, rattled_frames, slab_frames, vacancy_frames
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.active import active_learning_loop, md_pool
from ennp_lab.models import build_ennp


def setup(seed: int = 0):
    a0 = emt_lattice_constant("Cu")
    cell = bulk("Cu", "fcc", a=a0, cubic=True).repeat(2)
    initial = label_frames(rattled_frames(cell, 8, sigma=0.05, seed=seed), EMT(), "initial")
    test = (label_frames(md_frames(cell, EMT(), 900.0, 6, seed=99), EMT(), "md")
            + label_frames(md_frames(cell, EMT(), 1500.0, 6, seed=98), EMT(), "md")
            + label_frames(vacancy_frames(cell, 6, seed=97), EMT(), "vacancy")
            + label_frames(slab_frames("Cu", a0, (1, 1, 1), n_frames=6, seed=96), EMT(), "slab"))
    vacancy = vacancy_frames(cell, 1, rattle=0.0, seed=1)[0]
    slab = slab_frames("Cu", a0, (1, 1, 1), n_frames=1, rattle=0.0, seed=1)[0]
    pool = md_pool([cell, vacancy, slab], (600.0, 1500.0), n_frames=4)
    return initial, test, pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "random"])
    parser.add_argument("--json")
    args = parser.parse_args()
    initial, test, pool = setup()
    build = partial(build_ennp, ["Cu"], r_max=4.5, l_max=1, channels=8, layers=2, dtype="float32")
    config = TrainConfig(max_epochs=args.epochs, batch_size=4, lr=1e-2, scheduler="cosine", energy_weight=10.0,
                         stress_weight=100.0, early_stopping_patience=None, progress=False)
    out = {}
    for strategy in args.strategies:
        start = time.perf_counter()
        result = active_learning_loop(EMT(), initial, pool, build, test, rounds=4, per_round=8, ensemble_size=3,
                                      config=config, strategy=strategy, workers=args.workers, device=args.device)
        out[strategy] = dict(n_train=result.n_train.tolist(), force_mae_mev=(1e3 * result.force_mae).tolist(),
                             test_sigma_mev=[1e3 * r.test_sigma for r in result.rounds],
                             picked_starts=[[int(f.info["start"]) for f in r.picked] for r in result.rounds],
                             seconds=time.perf_counter() - start)
        print(strategy, json.dumps(out[strategy]), flush=True)
    print(f"| strategy | frames | force MAE per round (meV/Å) | reduction |\n|---|---|---|---|")
    for name in out:
        mae = out[name]["force_mae_mev"]
        print(f"| {name} | {out[name]['n_train']} | {', '.join(f'{v:.0f}' for v in mae)} | {mae[0] / mae[-1]:.1f}× |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=2)


if __name__ == "__main__":
    main()
