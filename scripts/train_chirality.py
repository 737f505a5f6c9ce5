"""Train the shipped pseudoscalar model ``ennp_lab/pretrained/chirality-o3.pt``.

    .venv/bin/python scripts/train_chirality.py [--pairs 300] [--epochs 500] [--channels 12]

Data: :func:`ennp_lab.data.chiral.enantiomer_dataset` (seed 0), the first 80 % of the
pairs for training; prints R² on the last 20 % and on a fresh set (seed 1).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ennp_lab.data.chiral import CHIRALITY_KEY, enantiomer_dataset
from ennp_lab.learning.heads import fit_head, predict_head
from ennp_lab.models import save_model
from ennp_lab.models.chirality import CHIRALITY_HEAD, build_chirality_model
from ennp_lab.properties.chirality import r2_score

SPECIES = ["H", "C", "F", "Cl", "Br"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--out", default="ennp_lab/pretrained/chirality-o3.pt")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    frames = enantiomer_dataset(args.pairs, seed=0)
    n_train = int(0.8 * args.pairs)
    train = [a for a in frames if a.info["pair"] < n_train]
    test = [a for a in frames if a.info["pair"] >= n_train]
    model = build_chirality_model(SPECIES, "pseudoscalar", channels=args.channels, seed=0).to(args.device)
    start = time.perf_counter()
    fit = fit_head(model, train, CHIRALITY_HEAD, epochs=args.epochs, lr=1e-2,
                   callback=lambda e, loss: print(f"epoch {e} loss {loss:.4g}", flush=True) if e % 50 == 0 else None)
    print(f"trained {len(train)} molecules, {args.epochs} epochs, {time.perf_counter() - start:.0f} s, final loss {fit.loss[-1]:.4g}")
    fresh = enantiomer_dataset(100, seed=1)
    for name, part in (("held-out", test), ("fresh (seed 1)", fresh)):
        y = np.array([a.info[CHIRALITY_KEY] for a in part])
        print(f"R² {name}: {r2_score(predict_head(model, part, CHIRALITY_HEAD), y):.4f}")
    print("saved", save_model(model, args.out))


if __name__ == "__main__":
    main()
