"""Train the shipped field-aware quartz ENNP ``ennp_lab/pretrained/quartz-field.pt``.

    .venv/bin/python scripts/train_quartz_field.py [--frames 96] [--epochs 150]

Data: :func:`ennp_lab.data.quartz.generate_quartz_dataset` (seed 0): BKS α-quartz cells
strained (±1.5 %), rattled (0.04 Å) and in random fields (≤ 0.05 V/Å), labelled with
energy, forces, stress and polarization. The recipe of :mod:`ennp_lab.learning.field`, as in the slow test.
Prints the Born charges and the relaxed-ion e11, e14 of the model and of the reference.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ennp_lab import ENNPCalculator
from ennp_lab.data.quartz import generate_quartz_dataset, quartz_piezoelectric_reference, relaxed_quartz
from ennp_lab.learning.field import train_field_model
from ennp_lab.models import save_model
from ennp_lab.properties.dielectric import compute_born_charges
from ennp_lab.properties.piezo import compute_piezoelectric_tensor
from ennp_lab.units import E_PER_A2_TO_C_PER_M2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--strain-frames", type=int, default=0, help="clamped and relaxed homogeneous strains, each")
    parser.add_argument("--out", default="ennp_lab/pretrained/quartz-field.pt")
    args = parser.parse_args()
    frames = generate_quartz_dataset(args.frames, seed=0)
    if args.strain_frames:
        for seed, relax in ((1, False), (2, True)):  # homogeneous strains ±1 %: clamped, then relaxed
            frames += generate_quartz_dataset(args.strain_frames, 0.01, rattle=0.0, max_field=0.0, seed=seed, relax=relax)
    start = time.perf_counter()
    model = train_field_model(frames, ["Si", "O"], epochs=args.epochs)
    print(f"trained on {len(frames)} frames, {args.epochs} epochs, {time.perf_counter() - start:.0f} s")
    crystal, reference = relaxed_quartz()
    calc = ENNPCalculator(model, device="cpu")
    born = compute_born_charges(crystal, calc).charges
    print("Z*_xx:", np.round(born[:, 0, 0], 3).tolist(), f"sum rule {np.abs(born.sum(0)).max():.1e}")
    tensor = compute_piezoelectric_tensor(crystal, calc)
    e = tensor.voigt * E_PER_A2_TO_C_PER_M2
    ref = quartz_piezoelectric_reference(crystal, reference)
    clamped = tensor.clamped * E_PER_A2_TO_C_PER_M2
    print(f"e11 model {e[0, 0]:.4f} (clamped {clamped[0, 0, 0]:.4f}), reference {ref[0, 0, 0] * E_PER_A2_TO_C_PER_M2:.4f} C/m²; "
          f"e14 model {e[0, 3]:.4f} (clamped {clamped[0, 1, 2]:.4f}), reference {ref[0, 1, 2] * E_PER_A2_TO_C_PER_M2:.4f} C/m²")
    print("saved", save_model(model, args.out))


if __name__ == "__main__":
    main()
