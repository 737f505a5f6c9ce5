"""Reference data: structures labelled by an ASE calculator (EMT, GFN2-xTB, ...).

Every generator is deterministic given its ``seed`` and returns a list of ``ase.Atoms``
carrying their labels in a ``SinglePointCalculator`` (energy eV, forces eV/Å and, for
3D-periodic cells, stress eV/Å³ in Voigt order) and a ``config_type`` in ``atoms.info``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import thermalize_momenta
from scipy.optimize import minimize_scalar

from ennp_lab.structures.build import build_fcc_slab
from ennp_lab.validation import as_int, as_real

__all__ = [
    "EMT_ELEMENTS",
    "label_frames",
    "emt_lattice_constant",
    "md_frames",
    "strained_frames",
    "rattled_frames",
    "vacancy_frames",
    "slab_frames",
    "generate_emt_dataset",
    "generate_emt_test_set",
    "xtb_molecule_frames",
]

#: FCC metals ASE's EMT describes.
EMT_ELEMENTS = ("Al", "Cu", "Ag", "Au", "Ni", "Pd", "Pt")


def label_frames(frames: Iterable[Atoms], calc: Calculator, config_type: str | None = None) -> list[Atoms]:
    """Copies of ``frames`` with energy, forces (and stress, for 3D-periodic cells) from ``calc``.

    Raises:
        ValueError: if the calculator returns non-finite labels.
    """
    out = []
    for k, frame in enumerate(frames):
        atoms = frame.copy()
        atoms.calc = calc
        results = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
        if atoms.pbc.all():
            results["stress"] = atoms.get_stress()
        if not all(np.all(np.isfinite(v)) for v in results.values()):
            raise ValueError(f"calculator {type(calc).__name__} returned non-finite labels for frame {k}")
        atoms.calc = SinglePointCalculator(atoms, **results)
        if config_type is not None:
            atoms.info["config_type"] = config_type
        out.append(atoms)
    return out


def _check_emt_element(element: str) -> None:
    if element not in EMT_ELEMENTS:
        raise ValueError(f"EMT describes {', '.join(EMT_ELEMENTS)}; got {element!r}")


def emt_lattice_constant(element: str) -> float:
    """FCC lattice constant a0 (Å) minimising the EMT energy (Cu: 3.5898 Å, REFERENCES.md)."""
    _check_emt_element(element)
    return fcc_lattice_constant(element, EMT())


def fcc_lattice_constant(element: str, calc) -> float:
    """FCC lattice constant a0 (Å) minimising ``calc``'s energy of the one-atom cell,
    within ±10 % of ASE's tabulated value."""
    def energy(a: float) -> float:
        atoms = bulk(element, "fcc", a=a)
        atoms.calc = calc
        return atoms.get_potential_energy()

    guess = bulk(element, "fcc").cell.cellpar()[0] * np.sqrt(2)
    res = minimize_scalar(energy, bounds=(0.9 * guess, 1.1 * guess), method="bounded", options={"xatol": 1e-6})
    return float(res.x)


def _bulk(element: str, a: float, repeat: int) -> Atoms:
    return bulk(element, "fcc", a=a, cubic=True).repeat(repeat)


def md_frames(
    atoms: Atoms,
    calc: Calculator,
    temperature_K: float,
    n_frames: int,
    interval: int = 10,
    timestep_fs: float = 2.0,
    equilibration: int = 50,
    seed: int = 0,
    max_force: float | None = None,
) -> list[Atoms]:
    """Snapshots of Langevin MD (friction 0.02/fs) with ``calc``, every ``interval`` steps.

    Raises:
        RuntimeError: a force component above ``max_force`` (eV/Å), when given: the run
            has left the region where ``calc`` is sane (a model off its training data).
    """
    temperature_K = as_real(temperature_K, "temperature_K", minimum=0.0)
    timestep_fs = as_real(timestep_fs, "timestep_fs", minimum=0.0, strict=True)
    n_frames, interval = as_int(n_frames, "n_frames", minimum=0), as_int(interval, "interval", minimum=1)
    equilibration = as_int(equilibration, "equilibration", minimum=0)
    rng = np.random.default_rng(seed)
    atoms = atoms.copy()
    atoms.calc = calc
    thermalize_momenta(atoms, temperature_K, rng=rng)
    dyn = Langevin(
        atoms, timestep_fs * units.fs, temperature_K=temperature_K, friction=0.02 / units.fs, fixcm=False, rng=rng
    )
    if max_force is not None:
        def guard() -> None:
            worst = float(np.abs(atoms.get_forces()).max())
            if not worst <= max_force:
                raise RuntimeError(f"MD stopped: a force of {worst:.3g} eV/Å exceeds max_force = {max_force} eV/Å")

        dyn.attach(guard, interval=1)
    dyn.run(equilibration)
    frames = []
    for _ in range(n_frames):
        dyn.run(interval)
        snap = atoms.copy()
        snap.info["temperature_K"] = float(temperature_K)
        frames.append(snap)
    return frames


def strained_frames(atoms: Atoms, n_frames: int, max_strain: float = 0.03, rattle: float = 0.03, seed: int = 0) -> list[Atoms]:
    """Random symmetric strains with components uniform in ±``max_strain``, plus a rattle (Å)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        eps = rng.uniform(-max_strain, max_strain, size=(3, 3))
        eps = 0.5 * (eps + eps.T)
        strained = atoms.copy()
        strained.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
        strained.positions += rng.normal(scale=rattle, size=strained.positions.shape)
        frames.append(strained)
    return frames


def rattled_frames(atoms: Atoms, n_frames: int, sigma: float = 0.1, seed: int = 0) -> list[Atoms]:
    """Gaussian displacements of standard deviation ``sigma`` (Å)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        snap = atoms.copy()
        snap.positions += rng.normal(scale=sigma, size=snap.positions.shape)
        frames.append(snap)
    return frames


def vacancy_frames(atoms: Atoms, n_frames: int, rattle: float = 0.05, seed: int = 0) -> list[Atoms]:
    """One atom removed at random, the rest rattled."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        snap = atoms.copy()
        del snap[int(rng.integers(len(snap)))]
        snap.positions += rng.normal(scale=rattle, size=snap.positions.shape)
        frames.append(snap)
    return frames


def slab_frames(
    element: str,
    a: float,
    miller: tuple[int, int, int] = (1, 1, 1),
    layers: int = 4,
    size: tuple[int, int] = (2, 2),
    vacuum: float = 6.0,
    n_frames: int = 4,
    rattle: float = 0.05,
    seed: int = 0,
) -> list[Atoms]:
    """Rattled FCC (111)/(100)/(110) slabs (:func:`~ennp_lab.structures.build.build_fcc_slab`),
    3D-periodic with ``vacuum`` Å on each side."""
    slab = build_fcc_slab(element, a, miller, layers, size, vacuum)
    frames = rattled_frames(slab, n_frames, sigma=rattle, seed=seed)
    for f in frames:
        f.info["miller"] = "".join(map(str, miller))
    return frames


def generate_emt_dataset(
    element: str = "Cu",
    temperatures_K: Sequence[float] = (300.0, 900.0, 1500.0),
    md_per_temperature: int = 40,
    n_strained: int = 40,
    n_rattled: int = 20,
    n_vacancy: int = 20,
    n_slab: int = 16,
    repeat: int = 2,
    seed: int = 0,
    calc: Calculator | None = None,
) -> list[Atoms]:
    """A labelled EMT training set for an FCC metal (defaults: 256 frames of ~32 atoms).

    Langevin MD at each temperature (2 fs, snapshots every 10 steps), random strains
    (±3 %) with rattles, plain rattles (0.1 Å), rattled vacancies, and rattled
    (111)/(100)/(110) slabs. ``atoms.info["config_type"]`` names the kind of each frame.
    ``calc`` replaces EMT for the MD and the labels (e.g. EMT with a noise ripple,
    :func:`ennp_lab.data.reference.rippled_emt`); the lattice constant stays EMT's.
    """
    _check_emt_element(element)
    a0 = emt_lattice_constant(element)
    cell = _bulk(element, a0, repeat)
    calc = EMT() if calc is None else calc
    rng = np.random.default_rng(seed)
    seeds = iter(rng.integers(0, 2**31, size=64).tolist())
    frames: list[Atoms] = []
    for T in temperatures_K:
        # MD at a strained density too, so that thermal expansion is covered
        md = md_frames(cell, calc, T, md_per_temperature, seed=next(seeds))
        frames += label_frames(md, calc, f"md_{int(T)}K")
    frames += label_frames(strained_frames(cell, n_strained, seed=next(seeds)), calc, "strained")
    frames += label_frames(rattled_frames(cell, n_rattled, sigma=0.1, seed=next(seeds)), calc, "rattled")
    frames += label_frames(vacancy_frames(cell, n_vacancy, rattle=0.08, seed=next(seeds)), calc, "vacancy")
    per_facet = max(1, n_slab // 3)
    for miller in [(1, 1, 1), (1, 0, 0), (1, 1, 0)]:
        slabs = slab_frames(element, a0, miller, n_frames=per_facet, rattle=0.08, seed=next(seeds))
        frames += label_frames(slabs, calc, f"slab_{''.join(map(str, miller))}")
    return frames


#: the spawn key of the held-out sets' random stream (training sets use the plain seed)
TEST_STREAM = 0x7E57


def generate_emt_test_set(element: str = "Cu", n_per_kind: int = 8, repeat: int = 2, seed: int = 12345) -> list[Atoms]:
    """A held-out EMT test set: MD at 300, 900 and 1500 K, strained cells, vacancies, a (111) slab.

    Its random numbers come from ``SeedSequence(seed, spawn_key=(TEST_STREAM,))``, a stream
    that no seed of :func:`generate_emt_dataset` (``default_rng(seed)``) reproduces, so a
    test set never repeats training frames, whatever the two seeds are.
    """
    _check_emt_element(element)
    a0 = emt_lattice_constant(element)
    cell = _bulk(element, a0, repeat)
    calc = EMT()
    stream = np.random.SeedSequence(as_int(seed, "seed"), spawn_key=(TEST_STREAM,))
    seeds = iter(np.random.default_rng(stream).integers(0, 2**31, size=16).tolist())
    frames: list[Atoms] = []
    for T in (300.0, 900.0, 1500.0):
        frames += label_frames(md_frames(cell, calc, T, n_per_kind, interval=15, seed=next(seeds)), calc, f"md_{int(T)}K")
    frames += label_frames(strained_frames(cell, n_per_kind, seed=next(seeds)), calc, "strained")
    frames += label_frames(vacancy_frames(cell, n_per_kind, seed=next(seeds)), calc, "vacancy")
    frames += label_frames(slab_frames(element, a0, (1, 1, 1), n_frames=n_per_kind, seed=next(seeds)), calc, "slab_111")
    return frames


def xtb_molecule_frames(names: Sequence[str] = ("H2O", "CH4", "NH3", "CH3OH"), n_per_molecule: int = 5, rattle: float = 0.05, seed: int = 0) -> list[Atoms]:
    """Rattled small molecules from ``ase.collections.g2`` labelled with GFN2-xTB (tblite).

    Needs the optional ``xtb`` extra (``pip install ennp-lab[xtb]``).
    """
    try:
        from tblite.ase import TBLite
    except ImportError as exc:  # optional dependency
        raise ImportError("GFN2-xTB labels need tblite: pip install 'ennp-lab[xtb]'") from exc
    from ase.collections import g2

    rng = np.random.default_rng(seed)
    frames: list[Atoms] = []
    for name in names:
        if name not in g2.names:
            raise ValueError(f"unknown g2 molecule {name!r}")
        base = g2[name]
        snaps = rattled_frames(base, n_per_molecule, sigma=rattle, seed=int(rng.integers(2**31)))
        frames += label_frames(snaps, TBLite(method="GFN2-xTB", verbosity=0), f"xtb_{name}")
    return frames
