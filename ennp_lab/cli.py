"""Command-line entry point: ``ennp-lab demo | train | evaluate | data | stress-test``.

Every subcommand answers bad input (missing or corrupt files, bad options) with one
line on stderr and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from ennp_lab.units import EV_TO_MEV
from ennp_lab._version import __version__


def _load_any_model(spec: str, device: str):
    """A model from a file path, or a shipped model or ensemble by name."""
    from ennp_lab.models.io import load_model
    from ennp_lab.pretrained import ENSEMBLES, PRETRAINED, load_pretrained, load_pretrained_ensemble

    if spec in PRETRAINED:
        return load_pretrained(spec, device=device)
    if spec in ENSEMBLES:
        return load_pretrained_ensemble(spec, device=device)
    path = Path(spec)
    if not path.exists():
        names = ", ".join([*PRETRAINED, *ENSEMBLES])
        raise FileNotFoundError(f"no model file {spec!r} (and no shipped model of that name: {names})")
    return load_model(path, device=device)


def _print_evaluation(label: str, ev) -> None:
    s = ev.summary()
    print(
        f"{label}: {s['frames']} frames, {s['atoms']} atoms | energy MAE {EV_TO_MEV * s['energy_mae']:.2f} meV/atom | "
        f"force MAE {EV_TO_MEV * s['force_mae']:.1f} meV/Å (RMSE {EV_TO_MEV * s['force_rmse']:.1f}) | "
        f"stress MAE {EV_TO_MEV * s['stress_mae']:.3f} meV/Å³"
    )
    for element, row in ev.per_element().items():
        print(f"  {element}: force MAE {EV_TO_MEV * row['force_mae']:.1f} meV/Å over {row['atoms']} atoms")


def _evaluate(args: argparse.Namespace) -> int:
    from ennp_lab.data.io import read_frames
    from ennp_lab.learning.metrics import evaluate

    model = _load_any_model(args.model, args.device)
    frames = read_frames(args.data)
    _print_evaluation(f"{args.model} on {args.data}", evaluate(model, frames, batch_size=args.batch_size))
    return 0


def _train(args: argparse.Namespace) -> int:
    from ennp_lab.learning.recipe import load_recipe, run_recipe

    recipe = load_recipe(args.config)
    out = Path(args.out or Path("runs") / recipe.name)
    overrides = {"progress": not args.no_progress}
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    if args.resume and not (out / "checkpoint.pt").is_file():
        raise FileNotFoundError(f"--resume: no checkpoint at {out / 'checkpoint.pt'}")
    start = time.perf_counter()
    _, result = run_recipe(recipe, out, resume=args.resume, **overrides)
    h = result.history
    print(
        f"trained {recipe.name} for {len(h)} epochs ({result.stop_reason}) in {time.perf_counter() - start:.0f} s; "
        f"best epoch {result.best_epoch}: val force MAE {EV_TO_MEV * min(h.val_force_mae):.1f} meV/Å"
    )
    print(f"model: {out / 'model.pt'}  history: {out / 'history.json'}")
    return 0


def _data(args: argparse.Namespace) -> int:
    from ennp_lab.data.generators import generate_emt_dataset, generate_emt_test_set
    from ennp_lab.data.io import write_frames

    if args.kind == "train":
        frames = generate_emt_dataset(element=args.element, seed=args.seed)
    else:
        frames = generate_emt_test_set(element=args.element, seed=args.seed)
    path = write_frames(args.out, frames)
    print(f"wrote {len(frames)} EMT-labelled {args.element} frames to {path}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    """Generate EMT Cu data, train a small ENNP, compare with cu-emt, write an HTML report."""
    import torch

    from ennp_lab.data.generators import generate_emt_dataset, generate_emt_test_set
    from ennp_lab.data.io import split_frames
    from ennp_lab.learning.dataset import average_num_neighbors
    from ennp_lab.learning.metrics import evaluate
    from ennp_lab.learning.train import TrainConfig, train
    from ennp_lab.models.ennp import build_ennp
    from ennp_lab.models.io import save_model
    from ennp_lab.pretrained import load_pretrained

    out = Path(args.out)
    t0 = time.perf_counter()
    print(f"ennp_lab {__version__} demo: torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.quick:
        frames = generate_emt_dataset("Cu", md_per_temperature=4, n_strained=4, n_rattled=2, n_vacancy=2, n_slab=3, seed=args.seed)
        test = generate_emt_test_set("Cu", n_per_kind=2)
    else:
        frames = generate_emt_dataset("Cu", seed=args.seed)
        test = generate_emt_test_set("Cu")
    train_frames, val_frames = split_frames(frames, (0.9, 0.1), seed=args.seed)
    print(f"[{time.perf_counter() - t0:5.0f} s] EMT data: {len(train_frames)} train, {len(val_frames)} val, {len(test)} held-out test frames")
    r_max = 5.0
    model = build_ennp(
        ["Cu"], r_max=r_max, l_max=1, channels=8, layers=2, seed=args.seed, dtype="float32",
        avg_num_neighbors=average_num_neighbors(train_frames, r_max),
    )
    config = TrainConfig(
        max_epochs=args.epochs, batch_size=4, lr=5e-3, scheduler="plateau", plateau_patience=3,
        energy_weight=10.0, stress_weight=100.0, max_time_s=args.time_budget, seed=args.seed,
        checkpoint_path=str(out / "checkpoint.pt"), progress=not args.no_progress,
    )
    result = train(model, train_frames, val_frames, config)
    h = result.history
    print(f"[{time.perf_counter() - t0:5.0f} s] trained {len(h)} epochs in {h.wall_time[-1]:.0f} s ({result.stop_reason})")
    save_model(model, out / "model.pt")
    evaluations = {"demo model": evaluate(model, test)}
    evaluations["shipped cu-emt"] = evaluate(load_pretrained("cu-emt"), test)
    for label, ev in evaluations.items():
        _print_evaluation(f"{label} on held-out EMT test set", ev)
    report = _write_demo_report(out / "report.html", evaluations, h, time.perf_counter() - t0)
    print(f"[{time.perf_counter() - t0:5.0f} s] report: {report.resolve()}")
    return 0


def _write_demo_report(path: Path, evaluations: dict, history, elapsed: float) -> Path:
    from ennp_lab.viz.report import html_table, write_html_report
    from ennp_lab.viz.training import learning_curve_figure, parity_figure

    rows = []
    for label, ev in evaluations.items():
        s = ev.summary()
        rows.append([label, s["frames"], round(EV_TO_MEV * s["energy_mae"], 2), round(EV_TO_MEV * s["force_mae"], 1),
                     round(EV_TO_MEV * s["force_rmse"], 1), round(EV_TO_MEV * s["stress_mae"], 3)])
    types = list(next(iter(evaluations.values())).by_config_type())
    type_rows = [[t] + [round(EV_TO_MEV * ev.by_config_type()[t]["force_mae"], 1) for ev in evaluations.values()] for t in types]
    blocks = [
        f"<p>ennp_lab {__version__}: a small ENNP trained on EMT copper in this run, and the shipped "
        f"<code>cu-emt</code> model, evaluated on a held-out EMT test set (MD at 300/900/1500 K, strained cells, "
        f"vacancies, a (111) slab). Total run time {elapsed:.0f} s.</p>",
        "<h2>Errors on the held-out test set</h2>",
        html_table(["model", "frames", "energy MAE (meV/atom)", "force MAE (meV/Å)", "force RMSE (meV/Å)", "stress MAE (meV/Å³)"], rows),
        "<h3>Force MAE (meV/Å) by kind of structure</h3>",
        html_table(["structures", *evaluations], type_rows),
        parity_figure(evaluations, "energy"),
        parity_figure(evaluations, "forces"),
        "<h2>Training of the demo model</h2>",
        learning_curve_figure(history),
    ]
    return write_html_report(path, "ennp_lab demo: an ENNP for copper trained on EMT", blocks)


def _stress_test(args: argparse.Namespace) -> int:
    """Stress-test a model against a reference on defects it was not trained on: screw and
    edge dislocations, a Σ5 grain boundary, an intrinsic stacking fault, a (111) surface,
    a trivacancy and a dumbbell interstitial, built at the reference's lattice constant;
    per-atom force errors by environment, formation energies, (111) stacking-fault lines
    at each one's own lattice constant, ensemble σ where the model is an ensemble, and
    equivariance leakage (float64, float32, the naive baseline) on the screw dislocation.
    Writes OUT/report.html (offline) and OUT/summary.json."""
    import json

    from ase.data import chemical_symbols

    from ennp_lab.calculator import ENNPCalculator, EnsembleCalculator
    from ennp_lab.data.generators import fcc_lattice_constant
    from ennp_lab.files import atomic_write
    from ennp_lab.models.ensemble import Ensemble
    from ennp_lab.properties.stress_test import defect_leakage, stress_test
    from ennp_lab.structures.defects import defect_suite
    from ennp_lab.viz.stress_test import stress_test_tables, write_stress_test_report

    t0 = time.perf_counter()
    model = _load_any_model(args.model, args.device)
    species = sorted({chemical_symbols[int(z)] for z in model.species})
    if len(species) != 1:
        raise ValueError(f"the stress test builds defects of one fcc metal; {args.model} describes {species}")
    symbol = species[0]
    if args.reference == "eam":
        from ennp_lab.data.eam import MishinCu

        if symbol != "Cu":
            raise ValueError(f"the EAM reference (Mishin 2001) is for Cu; {args.model} describes {symbol}: use --reference emt")
        reference, about = MishinCu(), "the Mishin 2001 Cu EAM (physical stacking faults)"
    else:
        from ase.calculators.emt import EMT

        from ennp_lab.data.generators import EMT_ELEMENTS

        if symbol not in EMT_ELEMENTS:
            raise ValueError(f"EMT describes {', '.join(EMT_ELEMENTS)}; {args.model} describes {symbol}")
        reference, about = EMT(), "ASE's EMT (a robustness reference: its stacking faults are unphysical)"
    ensemble = isinstance(model, Ensemble)
    calc = (EnsembleCalculator if ensemble else ENNPCalculator)(model, device=args.device)
    a_ref, a_model = fcc_lattice_constant(symbol, reference), fcc_lattice_constant(symbol, calc)
    print(f"{symbol}: a0 {a_model:.4f} Å (model), {a_ref:.4f} Å (reference)")
    structures = defect_suite(symbol, a_ref, reference, radius=args.radius, quick=args.quick)
    from ase.build import bulk

    result = stress_test(calc, reference, structures, relax=args.relax, bulk=bulk(symbol, "fcc", a=a_ref, cubic=True),
                         stacking_faults={"(111)": (symbol, a_model, a_ref)}, fault_images=7 if args.quick else 13)
    single = model.members[0] if ensemble else model
    leakage = None
    if not args.no_leakage:
        import copy

        from ennp_lab.models.naive import NaiveCartesianModel

        models = {"naive Cartesian baseline": NaiveCartesianModel([symbol], inputs=("neighbors",))}
        if hasattr(single, "with_dtype"):  # with_dtype casts in place: one copy per precision
            models = {"model (float64)": copy.deepcopy(single).with_dtype("float64"),
                      "model (float32)": copy.deepcopy(single).with_dtype("float32"), **models}
        leakage = defect_leakage(models, {"screw dislocation": structures["screw dislocation"]}, rotations=1)
    out = Path(args.out)
    header, rows = stress_test_tables(result)
    for row in rows:
        print("  " + " | ".join(f"{h}: {v:.3g}" if isinstance(v, float) else f"{h}: {v}" for h, v in zip(header, row) if v != ""))
    notes = (f"{args.model} against {about}; structures at the reference's lattice constant {a_ref:.4f} Å "
             f"({'relaxed by both' if args.relax else 'as built'}). {time.perf_counter() - t0:.0f} s.")
    report = write_stress_test_report(out / "report.html", f"ennp_lab stress test: {args.model} vs {args.reference}",
                                      result, leakage, notes)
    summary = {"model": args.model, "reference": args.reference, "a_model": a_model, "a_reference": a_ref,
               "structures": result.table(),
               "faults": {k: v.energies() for k, v in result.faults.items()},
               "sigma_ranking": result.sigma_ranking(), "leakage": leakage or []}
    atomic_write(out / "summary.json", lambda handle: handle.write(json.dumps(summary, indent=1, default=float).encode()))
    print(f"report: {report}")
    return 0


def _shipped_names() -> list[str]:
    from ennp_lab.pretrained import ENSEMBLES, PRETRAINED

    return [*PRETRAINED, *ENSEMBLES]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ennp-lab",
        description="ennp_lab: train, evaluate and explore equivariant neural network interatomic potentials.",
    )
    parser.add_argument("--version", action="version", version=f"ennp_lab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the main job: EMT Cu data → train a small ENNP → HTML report",
                          description=_demo.__doc__)
    demo.add_argument("--out", default="reports/demo", help="output folder for report.html and model.pt (default: reports/demo)")
    demo.add_argument("--time-budget", type=float, default=180.0, help="training wall-time limit in seconds (default: 180)")
    demo.add_argument("--epochs", type=int, default=200, help="maximum number of epochs (default: 200)")
    demo.add_argument("--seed", type=int, default=0, help="seed of data, split, weights and shuffling (default: 0)")
    demo.add_argument("--quick", action="store_true", help="a tiny data set, for a smoke test in seconds")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)

    tr = sub.add_parser("train", help="train a model from a recipe (JSON)", description=(
        "Train the model a recipe describes and write model.pt, checkpoint.pt and history.json to the output "
        "folder. The shipped recipes (cu-emt, cu-ripple) are named directly: `ennp-lab train cu-emt`."))
    tr.add_argument("config", help="a recipe file (JSON: data, model and training sections) or a shipped recipe name "
                                   "(cu-emt, cu-ripple)")
    tr.add_argument("--out", help="output folder (default: runs/<recipe name>)")
    tr.add_argument("--epochs", type=int, help="override the recipe's max_epochs")
    tr.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt after an interrupted run")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(func=_train)

    ev = sub.add_parser("evaluate", help="errors of a model on labelled extxyz data", description=(
        "Energy MAE (meV/atom), force MAE/RMSE (meV/Å), stress MAE (meV/Å³) and a per-element breakdown."))
    ev.add_argument("model", help="a model file written by ennp_lab, or a shipped model or ensemble: "
                                  f"{', '.join(_shipped_names())}")
    ev.add_argument("data", help="extxyz file with energy and forces (stress optional)")
    ev.add_argument("--batch-size", type=int, default=16, help="structures per evaluation batch (default: 16)")
    ev.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cpu' or 'cuda'")
    ev.set_defaults(func=_evaluate)

    da = sub.add_parser("data", help="write an EMT-labelled data set to extxyz", description=(
        "EMT reference data for an FCC metal: 'train' (MD 300-1500 K, strains, rattles, vacancies, slabs) "
        "or 'test' (the held-out set: MD at 300/900/1500 K, strains, vacancies, a (111) slab)."))
    da.add_argument("out", help="output extxyz file")
    da.add_argument("--element", default="Cu", help="Al, Cu, Ag, Au, Ni, Pd or Pt (default: Cu)")
    da.add_argument("--kind", choices=["train", "test"], default="train", help="which set (default: train)")
    da.add_argument("--seed", type=int, default=0, help="seed (default: 0). The test set draws from its own random "
                                                        "stream: no seed makes it repeat training frames")
    da.set_defaults(func=_data)

    st = sub.add_parser("stress-test", help="a model against a reference on dislocations, boundaries, faults → HTML report",
                        description=_stress_test.__doc__)
    st.add_argument("model", help=f"a model file or a shipped model or ensemble: {', '.join(_shipped_names())}")
    st.add_argument("--reference", choices=["emt", "eam"], default="emt",
                    help="emt (ASE's EMT, any EMT metal; robustness only) or eam (the Mishin 2001 Cu EAM) (default: emt)")
    st.add_argument("--out", default="reports/stress-test", help="output folder (default: reports/stress-test)")
    st.add_argument("--radius", type=float, default=14.0, help="dislocation cylinder radius, Å (default: 14)")
    st.add_argument("--relax", action="store_true", help="also relax every structure with both and compare")
    st.add_argument("--quick", action="store_true", help="three small structures, a 7-image fault line: seconds")
    st.add_argument("--no-leakage", action="store_true", help="skip the equivariance-leakage table")
    st.add_argument("--device", default="cpu", help="'cpu' (default), 'cuda' or 'auto'")
    st.set_defaults(func=_stress_test)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ImportError, IsADirectoryError, PermissionError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the exception says
        print(f"ennp-lab: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ennp-lab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
