"""Command-line entry point: ``ennp-lab``."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ennp_lab._version import __version__


def _demo(args: argparse.Namespace) -> int:
    """Energy, forces and stress of a rattled Cu cell with a small seeded ENNP."""
    import numpy as np
    from ase.build import bulk

    from ennp_lab.calculator import ENNPCalculator
    from ennp_lab.models.ennp import build_ennp

    model = build_ennp(["Cu"], r_max=args.r_max, l_max=args.l_max, channels=args.channels, layers=args.layers, seed=args.seed)
    calc = ENNPCalculator(model, device=args.device)
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True).repeat(args.repeat)
    atoms.rattle(0.05, seed=args.seed)
    atoms.calc = calc
    n_params = sum(p.numel() for p in model.parameters())
    print(f"ennp_lab {__version__}: untrained ENNP (seed {args.seed}, {n_params} parameters, "
          f"irreps {model.irreps_out}) on {calc.device}")
    print(f"structure: {atoms.get_chemical_formula()} FCC, rattled 0.05 Å, volume {atoms.get_volume():.2f} Å³")
    print(f"energy: {atoms.get_potential_energy():.6f} eV")
    forces = atoms.get_forces()
    print(f"forces (eV/Å), first 3 of {len(atoms)} atoms:")
    print(np.array2string(forces[:3], precision=5, suppress_small=True))
    print(f"max |F|: {np.linalg.norm(forces, axis=1).max():.5f} eV/Å; sum F: {np.abs(forces.sum(0)).max():.1e}")
    print("stress (eV/Å³, xx yy zz yz xz xy):", np.array2string(atoms.get_stress(), precision=6))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ennp-lab",
        description="ennp_lab: equivariant neural network interatomic potentials in a lab.",
    )
    parser.add_argument("--version", action="version", version=f"ennp_lab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the main job: evaluate an ENNP on a copper cell")
    demo.add_argument("--seed", type=int, default=0, help="initialisation and rattle seed (default 0)")
    demo.add_argument("--repeat", type=int, default=2, help="conventional cells per direction (default 2: 32 atoms)")
    demo.add_argument("--r-max", type=float, default=5.0, help="cutoff radius in Å (default 5.0)")
    demo.add_argument("--l-max", type=int, default=2, help="largest spherical-harmonic degree (default 2)")
    demo.add_argument("--channels", type=int, default=16, help="channels per irrep (default 16)")
    demo.add_argument("--layers", type=int, default=2, help="interaction blocks (default 2)")
    demo.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cpu' or 'cuda'")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"ennp-lab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
