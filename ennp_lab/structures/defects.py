"""Defect structures for stress tests, built by matscipy (not by hand), and the checks that
say a built defect is the one asked for.

* :func:`fcc_dislocation`: a straight screw or edge dislocation a/2⟨110⟩ in an fcc
  crystal — matscipy's ``FCCScrew110Dislocation`` / ``FCCEdge110Dislocation`` cylinder
  (line along z, periodic along it), its displacement field the anisotropic elastic
  (Stroh) solution for the elastic constants given: those of a calculator, measured by
  :func:`~ennp_lab.properties.elasticity.compute_elastic_tensor` (so a model's defect
  carries the model's own C), or C11, C12, C44 directly.
* :func:`burgers_circuit`: the Burgers vector by a Frank–Bilby circuit — a closed loop of
  neighbouring atoms around the core in the dislocated crystal, each step mapped to the
  nearest translation of the perfect crystal; the mapped steps fail to close by b.
* :func:`stacking_fault_line`: the generalised stacking-fault energy γ(u) along a glide
  direction of a slip plane, by matscipy's ``StackingFault`` (half the crystal shifted in a
  periodic cell that moves with it, optionally relaxed normal to the plane), as energy per
  area (eV/Å²) against the perfect crystal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.validation import as_real

__all__ = ["Dislocation", "fcc_dislocation", "burgers_circuit", "StackingFaultLine", "stacking_fault_line"]

_KINDS = ("screw", "edge")


@dataclass(frozen=True)
class Dislocation:
    """A dislocation cylinder and what it was built from.

    Attributes:
        atoms: the dislocated structure (line along z, periodic along z; atoms beyond
            ``radius`` − ``fixed_width`` flagged in ``atoms.arrays["fixed"]``).
        bulk: the same atoms in the perfect crystal (same order).
        burgers: the Burgers vector asked for, Å, in the structure's (lab) frame.
        core: (x, y) of the dislocation line, Å.
        kind: "screw" or "edge".
        elastic_gpa: (C11, C12, C44) of the displacement field, GPa.
    """

    atoms: Atoms
    bulk: Atoms
    burgers: np.ndarray
    core: np.ndarray
    kind: str
    elastic_gpa: tuple[float, float, float]


def _cubic_constants(elastic) -> tuple[float, float, float]:
    """(C11, C12, C44) in GPa from an ElasticTensor or a 3-tuple in GPa."""
    from ennp_lab.units import EV_PER_A3_TO_GPA

    voigt = getattr(elastic, "voigt", None)
    if voigt is not None:
        c = np.asarray(voigt) * EV_PER_A3_TO_GPA
        return float(np.mean(c[[0, 1, 2], [0, 1, 2]])), float(np.mean(c[[0, 0, 1], [1, 2, 2]])), float(np.mean(c[[3, 4, 5], [3, 4, 5]]))
    values = np.asarray(elastic, dtype=float).reshape(-1)
    if values.shape != (3,) or not np.all(np.isfinite(values)):
        raise ValueError(f"elastic constants must be an ElasticTensor or (C11, C12, C44) in GPa, got {elastic!r}")
    return tuple(float(v) for v in values)


def fcc_dislocation(symbol: str, a: float, elastic=None, kind: str = "screw", radius: float = 15.0,
                    calc: Calculator | None = None, fixed_width: float = 5.0) -> Dislocation:
    """A straight a/2⟨110⟩ ``kind`` dislocation in fcc ``symbol`` (lattice constant ``a``
    Å) of ``radius`` Å, its displacement field from ``elastic`` ((C11, C12, C44) GPa or an
    ElasticTensor) or, with ``calc``, from the calculator's own clamped-ion C of the cubic
    cell (relaxed-ion equals it for a Bravais crystal).

    Raises:
        ValueError: an unknown kind, a non-positive size, neither or both of ``elastic``
            and ``calc``, elastic constants of an unstable crystal.
    """
    import matscipy.dislocation as md

    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    radius = as_real(radius, "radius (Å)", 2.0 * a, strict=True)
    if (elastic is None) == (calc is None):
        raise ValueError("give the elastic constants or a calculator to measure them, not both or neither")
    if calc is not None:
        from ase.build import bulk as build_bulk

        from ennp_lab.properties.elasticity import compute_elastic_tensor

        elastic = compute_elastic_tensor(build_bulk(symbol, "fcc", a=a, cubic=True), calc)
    c11, c12, c44 = _cubic_constants(elastic)
    if not (c11 - c12 > 0 and c44 > 0 and c11 + 2 * c12 > 0):
        raise ValueError(f"C11={c11:.1f}, C12={c12:.1f}, C44={c44:.1f} GPa are not those of a stable cubic crystal")
    cls = md.FCCScrew110Dislocation if kind == "screw" else md.FCCEdge110Dislocation
    builder = cls(a, C11=c11, C12=c12, C44=c44, symbol=symbol)
    import warnings

    with warnings.catch_warnings():  # matscipy warns that it falls back to its own Stroh solver (no atomman)
        warnings.simplefilter("ignore", UserWarning)
        bulk, atoms = builder.build_cylinder(radius, fix_width=fixed_width, method="adsl", verbose=False)
    burgers = np.asarray(builder.burgers_dimensionless, float) * a  # in the crystal's (Miller) frame
    lab = np.asarray(builder.axes, float)
    lab = lab / np.linalg.norm(lab, axis=1)[:, None]
    atoms.arrays["fixed"] = np.asarray(atoms.arrays.get("fix_mask", np.zeros(len(atoms), bool)), bool)
    core = 0.5 * np.diag(atoms.cell[:])[:2]
    return Dislocation(atoms, bulk, lab @ burgers, core, kind, (c11, c12, c44))


def burgers_circuit(dislocation: Dislocation, r_inner: float | None = None, r_outer: float | None = None) -> np.ndarray:
    """The closure failure (Å, lab frame) of a Frank–Bilby circuit around the core: atoms
    in the annulus ``r_inner`` ≤ ρ ≤ ``r_outer`` about the line (default: a third and a half
    of the cylinder), ordered by angle; each step between consecutive atoms (periodic image
    along the line nearest) is mapped to the nearest translation of the perfect crystal;
    the mapped steps fail to close, against the real circuit (which closes on a periodic
    image of its start), by the Burgers vector (FS/RH, anticlockwise about +z). A perfect
    crystal gives 0.

    Raises:
        ValueError: an annulus with too few atoms, or a step too long to be mapped
            unambiguously (the annulus too thin or too close to the core).
    """
    atoms, bulk = dislocation.atoms, dislocation.bulk
    rho = atoms.positions[:, :2] - dislocation.core
    r = np.linalg.norm(rho, axis=1)
    size = r.max()
    lo = size / 3 if r_inner is None else as_real(r_inner, "r_inner (Å)", 0.0, strict=True)
    hi = size / 2 if r_outer is None else as_real(r_outer, "r_outer (Å)", lo, strict=True)
    ring = np.flatnonzero((r >= lo) & (r <= hi))
    if len(ring) < 8:
        raise ValueError(f"only {len(ring)} atoms between {lo:.1f} and {hi:.1f} Å of the line: widen the annulus")
    ring = ring[np.argsort(np.arctan2(rho[ring, 1], rho[ring, 0]))]
    period = atoms.cell[2, 2]
    # the perfect crystal's translations: differences of its sites (one element per site)
    reference = bulk.positions - bulk.positions[np.argmin(np.linalg.norm(bulk.positions[:, :2] - dislocation.core, axis=1))]
    shifts = np.concatenate([reference + k * np.array([0.0, 0.0, period]) for k in (-1, 0, 1)])
    nearest = np.sort(np.linalg.norm(shifts, axis=1))[1]
    closure = np.zeros(3)
    for i, j in zip(ring, np.roll(ring, -1)):
        step = atoms.positions[j] - atoms.positions[i]
        step[2] -= period * np.round(step[2] / period)
        k = np.argmin(np.linalg.norm(shifts - step, axis=1))
        if np.linalg.norm(shifts[k] - step) > 0.35 * nearest:
            raise ValueError(f"a circuit step of {np.linalg.norm(step):.2f} Å is {np.linalg.norm(shifts[k] - step):.2f} Å "
                             "from every perfect-crystal translation: choose an annulus further from the core")
        closure += shifts[k] - step
    # the real circuit closes on a periodic image of its start (Σ steps = a period along the
    # line, a translation of perfect and dislocated crystal alike): measured against it, the
    # perfect-crystal circuit's start − finish is b (FS/RH, anticlockwise about +z)
    return -closure


@dataclass(frozen=True)
class StackingFaultLine:
    """γ(u) along one glide direction: ``shift`` (fraction of the glide period), ``gamma``
    (eV/Å²) = (E(u) − N e_bulk)/A against the perfect crystal's energy per atom, the images."""

    shift: np.ndarray
    gamma: np.ndarray
    relaxed: bool
    images: tuple[Atoms, ...]


def stacking_fault_line(symbol: str, a: float, calc: Calculator, plane=(1, 1, 1), n_images: int = 11, layers: int = 3,
                        relax: bool = False, fmax: float = 0.005) -> StackingFaultLine:
    """γ(u) of fcc ``symbol`` (lattice constant ``a``) on ``plane`` by matscipy's
    ``StackingFault``: a periodic cell of ``layers`` repeats normal to the plane whose upper
    half is shifted over one period of the glide direction (chosen by matscipy, [1̄21̄]-type
    for (111), through the intrinsic fault) in ``n_images`` images, the cell moving with it
    (one fault per cell); with ``relax`` each image relaxes normal to the plane (matscipy's
    constraint). γ against the perfect crystal's energy per atom from ``calc`` itself.

    Raises:
        ValueError: fewer than 3 images or layers < 1.
    """
    from ase.build import bulk as build_bulk
    from matscipy.gamma_surface import StackingFault

    if int(n_images) < 3:
        raise ValueError(f"a stacking-fault line needs at least 3 images, got {n_images}")
    if int(layers) < 1:
        raise ValueError(f"layers must be at least 1, got {layers}")
    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    fault = StackingFault(a, np.asarray(plane, int), crystalstructure="fcc", symbol=symbol)
    fault.generate_images(int(n_images), z_reps=int(layers))
    if relax:
        fault.relax_images(calc, ftol=fmax)
    unit = build_bulk(symbol, "fcc", a=a, cubic=True)
    unit.calc = calc
    e_bulk = unit.get_potential_energy() / len(unit)
    gamma, images = [], []
    for image in fault.images:
        image = image.copy()
        image.calc = calc
        area = np.linalg.norm(np.cross(image.cell[0], image.cell[1]))
        gamma.append((image.get_potential_energy() - len(image) * e_bulk) / area)
        image.calc = None
        images.append(image)
    return StackingFaultLine(np.linspace(0.0, 1.0, len(images)), np.array(gamma), bool(relax), tuple(images))
