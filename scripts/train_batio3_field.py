"""Train the shipped field-aware BaTiO₃ ENNP ``ennp_lab/pretrained/batio3-field.pt``.

    .venv/bin/python scripts/train_batio3_field.py [--path-frames 96] [--epochs 200]

Data, all from the bond-valence reference (:mod:`ennp_lab.data.perovskite`), labelled with
energy, forces, stress and polarization:

* the switching path: :func:`~ennp_lab.data.perovskite.generate_batio3_dataset` (seed 0,
  λ in ±1.4, rattles 0.03 Å, strains ±1 %, fields ≤ 0.25 V/Å per component);
* the switching itself: snapshots every 40 fs of the reference's own field-driven runs
  (:func:`~ennp_lab.properties.ferroelectric.field_driven_md`, amplitude 0.3 V/Å along
  [111], period 4 ps, at 2, 10 and 30 K), each labelled in its field plus a random
  ±0.05 V/Å so that forces and field are not locked together.

The recipe of :mod:`ennp_lab.learning.field` (options :data:`BATIO3_FIELD_MODEL`). Prints
the model's well depth, P_s, Born charges and coercive field beside the reference's, and
writes both loops (:data:`~ennp_lab.data.perovskite.BATIO3_HYSTERESIS`: 0.3 V/Å along [111], 4 ps, 2 K) to
``ennp_lab/pretrained/batio3-loops.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ennp_lab import ENNPCalculator
from ennp_lab.data.perovskite import BATIO3_HYSTERESIS, batio3_ground_state, generate_batio3_dataset
from ennp_lab.data.rigid_ion import label_in_fields
from ennp_lab.learning.field import BATIO3_FIELD_MODEL, train_field_model
from ennp_lab.models import save_model
from ennp_lab.properties.dielectric import compute_born_charges
from ennp_lab.properties.ferroelectric import field_driven_md, save_loops, switching_path
from ennp_lab.units import E_PER_A2_TO_C_PER_M2


def switching_frames(every: int = 4, jitter: float = 0.05, seed: int = 0):
    """Reference snapshots from its own field-driven runs (module docstring)."""
    polar, _, calc = batio3_ground_state()
    rng = np.random.default_rng(seed)
    structures, fields = [], []
    for k, temperature in enumerate((2.0, 10.0, 30.0)):
        loop = field_driven_md(polar, calc, amplitude=0.3, period=4000.0, temperature=temperature, seed=k)
        for frame, e in list(zip(loop.frames, loop.fields))[::every]:
            structures.append(frame)
            fields.append(e * loop.direction + rng.uniform(-jitter, jitter, 3))
    return label_in_fields(structures, calc, fields, "batio3_switching")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path-frames", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", default="ennp_lab/pretrained/batio3-field.pt")
    parser.add_argument("--record", default="ennp_lab/pretrained/batio3-loops.json")
    args = parser.parse_args()
    frames = generate_batio3_dataset(args.path_frames, seed=0) + switching_frames()
    start = time.perf_counter()
    model = train_field_model(frames, ["Ba", "Ti", "O"], epochs=args.epochs, **BATIO3_FIELD_MODEL)
    print(f"trained on {len(frames)} frames, {args.epochs} epochs, {time.perf_counter() - start:.0f} s")
    polar, para, reference = batio3_ground_state()
    calc = ENNPCalculator(model, device="cpu")
    loops = {}
    for name, c in (("ENNP", calc), ("reference", reference)):
        path = switching_path(polar, para, c)
        loops[name] = loop = field_driven_md(polar, c, **BATIO3_HYSTERESIS)
        print(f"{name}: depth {1000 * path.well_depth:.2f} meV, |P_s| "
              f"{np.linalg.norm(path.spontaneous_polarization) * E_PER_A2_TO_C_PER_M2:.4f} C/m², "
              f"E_c {loop.coercive_fields[0]:.3f} / {loop.coercive_fields[1]:.3f} V/Å")
    born = compute_born_charges(para, calc).charges
    print("Z*_xx:", np.round(born[:, 0, 0], 3).tolist(), f"sum rule {np.abs(born.sum(0)).max():.1e}")
    print("saved", save_model(model, args.out), save_loops(loops, args.record, BATIO3_HYSTERESIS))


if __name__ == "__main__":
    main()
