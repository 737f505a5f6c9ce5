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
* :func:`grain_boundary`: a coincidence-site-lattice boundary Σ (tilt or twist) of an fcc
  crystal by aimsgb (two grains in a periodic cell: two boundaries), atoms of the two
  grains closer than a threshold merged; :func:`translation_scan` shifts one grain rigidly
  over the boundary plane and keeps the lowest energy (optionally relaxed);
  :func:`grain_boundary_energy` is (E − N e_bulk)/(2A); :func:`misorientation` measures
  the rotation between the grains from the atoms themselves (the check that the boundary
  is the one asked for).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.validation import as_real

__all__ = ["DEFECT_AREA", "defect_suite", "Dislocation", "fcc_dislocation", "burgers_circuit", "StackingFaultLine", "stacking_fault_line", "GrainBoundaryCell",
           "grain_boundary", "grain_boundary_energy", "GrainBoundaryScan", "translation_scan", "misorientation",
           "vacancy_cluster", "interstitial", "quenched_glass", "nearest_neighbour_distance"]

#: ``atoms.info`` key of the planar-defect area (Å²) an excess energy is divided by (γ = ΔE/A)
DEFECT_AREA = "defect_area"

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
                    calc: Calculator | None = None, fixed_width: float = 5.0, partial_distance: int = 0) -> Dislocation:
    """A straight a/2⟨110⟩ ``kind`` dislocation in fcc ``symbol`` (lattice constant ``a``
    Å) of ``radius`` Å, its displacement field from ``elastic`` ((C11, C12, C44) GPa or an
    ElasticTensor) or, with ``calc``, from the calculator's own clamped-ion C of the cubic
    cell (relaxed-ion equals it for a Bravais crystal). ``partial_distance`` > 0 dissociates
    it into two a/6⟨112⟩ Shockley partials that many glide distances apart, an intrinsic
    stacking-fault ribbon between them (matscipy's dissociated dislocation); 0: perfect.

    Raises:
        ValueError: an unknown kind, a non-positive size, neither or both of ``elastic``
            and ``calc``, elastic constants of an unstable crystal.
    """
    import matscipy.dislocation as md

    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if int(partial_distance) != partial_distance or partial_distance < 0:
        raise ValueError(f"partial_distance counts glide distances: a whole number ≥ 0, got {partial_distance}")
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
    with warnings.catch_warnings():  # matscipy warns that it falls back to its own Stroh solver (no atomman)
        warnings.simplefilter("ignore", UserWarning)
        bulk, atoms = builder.build_cylinder(radius, partial_distance=int(partial_distance), fix_width=fixed_width,
                                             method="adsl", verbose=False)
    burgers = np.asarray(builder.burgers_dimensionless, float) * a  # in the crystal's (Miller) frame
    lab = np.asarray(builder.axes, float)
    lab = lab / np.linalg.norm(lab, axis=1)[:, None]
    atoms.arrays["fixed"] = np.asarray(atoms.arrays.get("fix_mask", np.zeros(len(atoms), bool)), bool)
    # an isolated cylinder, periodic along its line only (matscipy's cell leaves a few Å between
    # periodic images across x and y, less than a cutoff: the surfaces must not see each other)
    atoms.pbc = (False, False, True)
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

    def intrinsic(self) -> float:
        """γ at the lowest interior point (eV/Å²): the intrinsic fault on a (111) line
        sampled at u = 2/3 (13 images do)."""
        return float(self.gamma[1:-1].min())

    def unstable(self) -> float:
        """The barrier between the intrinsic fault and the perfect crystal at u = 1: the
        largest γ after the interior minimum (eV/Å²)."""
        k = 1 + int(np.argmin(self.gamma[1:-1]))
        return float(self.gamma[k:].max())


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


@dataclass(frozen=True)
class GrainBoundaryCell:
    """A periodic bicrystal holding two equivalent boundaries.

    Attributes:
        atoms: the structure (grain labels in ``atoms.arrays["grain"]``, 0 and 1).
        sigma: Σ of the coincidence-site lattice.
        theta: the misorientation angle aimsgb built, degrees.
        axis, plane: rotation axis and boundary plane (Miller indices, crystal frame of grain 0).
        normal: the cell axis normal to the boundaries (0, 1 or 2).
        a: the cubic lattice constant it was built with, Å.
    """

    atoms: Atoms
    sigma: int
    theta: float
    axis: tuple[int, ...]
    plane: tuple[int, ...]
    normal: int
    a: float

    @property
    def area(self) -> float:
        """The area of one boundary in the cell, Å²."""
        cell = self.atoms.cell[:]
        u, v = (cell[i] for i in range(3) if i != self.normal)
        return float(np.linalg.norm(np.cross(u, v)))


def _merge_close(atoms: Atoms, distance: float) -> Atoms:
    """``atoms`` with one of every pair closer than ``distance`` removed (grain 1's first)."""
    from ase.neighborlist import neighbor_list

    out = atoms.copy()
    while True:
        i, j = neighbor_list("ij", out, distance)
        if not len(i):
            return out
        grain = out.arrays["grain"]
        pick = np.where(grain[i] >= grain[j], i, j)  # drop an atom of grain 1 where a pair straddles the boundary
        del out[int(np.bincount(pick).argmax())]


def grain_boundary(symbol: str, a: float, sigma: int, axis, plane, repeats=(1, 1), merge_distance: float | None = None,
                   shift=(0.0, 0.0)) -> GrainBoundaryCell:
    """The Σ``sigma`` boundary on ``plane`` about ``axis`` of fcc ``symbol`` (lattice constant
    ``a``) by aimsgb, each grain ``repeats`` CSL cells thick along the normal, grain 1
    shifted rigidly by ``shift`` (fractions of the two in-plane cell vectors), then atoms
    closer than ``merge_distance`` (default 0.6 × the nearest-neighbour distance) merged.

    Raises:
        ValueError: a Σ or plane aimsgb cannot realise (its message names the planes it can).
    """
    from aimsgb import Grain, GrainBoundary
    from ase.build import bulk as build_bulk
    from pymatgen.io.ase import AseAtomsAdaptor

    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    grain = Grain.from_dict(AseAtomsAdaptor.get_structure(build_bulk(symbol, "fcc", a=a, cubic=True)).as_dict())
    try:
        gb = GrainBoundary(list(axis), int(sigma), list(plane), grain, uc_a=int(repeats[0]), uc_b=int(repeats[1]))
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"aimsgb cannot build Σ{sigma} on {tuple(plane)} about {tuple(axis)}: {error}") from None
    stacked = Grain.stack_grains(gb.grain_a, gb.grain_b, direction=gb.direction, to_primitive=False)
    atoms = AseAtomsAdaptor.get_atoms(stacked)
    labels = np.zeros(len(atoms), int)
    labels[len(gb.grain_a):] = 1  # aimsgb stacks grain a, then grain b
    atoms.arrays["grain"] = labels
    normal = int(gb.direction)
    in_plane = [k for k in range(3) if k != normal]
    offset = float(shift[0]) * atoms.cell[in_plane[0]] + float(shift[1]) * atoms.cell[in_plane[1]]
    atoms.positions[labels == 1] += offset
    atoms.wrap()
    nearest = a / np.sqrt(2.0)
    atoms = _merge_close(atoms, 0.6 * nearest if merge_distance is None else as_real(merge_distance, "merge_distance (Å)", 0.0))
    theta = np.atleast_1d(gb.theta)
    cell = GrainBoundaryCell(atoms, int(sigma), float(theta[-1]), tuple(int(x) for x in axis),
                             tuple(int(x) for x in plane), normal, a)
    atoms.info[DEFECT_AREA] = 2.0 * cell.area  # both boundaries: what excess energies are divided by
    return cell


def grain_boundary_energy(gb: GrainBoundaryCell, calc: Calculator, relax: bool = False, fmax: float = 0.02,
                          steps: int = 300) -> tuple[float, Atoms]:
    """(γ_GB eV/Å², the structure): (E − N e_bulk)/(2A) with ``calc`` (e_bulk of the cubic
    crystal at the same lattice constant), the atoms relaxed at fixed cell with ``relax``."""
    from ase.build import bulk as build_bulk
    from ase.optimize import BFGS

    atoms = gb.atoms.copy()
    atoms.calc = calc
    if relax:
        BFGS(atoms, logfile=None).run(fmax=fmax, steps=steps)
    unit = build_bulk(atoms.get_chemical_symbols()[0], "fcc", a=gb.a, cubic=True)
    unit.calc = calc
    e_bulk = unit.get_potential_energy() / len(unit)
    energy = atoms.get_potential_energy()
    atoms.calc = None
    return float((energy - len(atoms) * e_bulk) / (2.0 * gb.area)), atoms


@dataclass(frozen=True)
class GrainBoundaryScan:
    """A rigid-body translation scan: ``shifts`` (M, 2) fractions of the in-plane cell
    vectors, ``gamma`` (M,) eV/Å², and the lowest boundary."""

    shifts: np.ndarray
    gamma: np.ndarray
    best: GrainBoundaryCell
    best_atoms: Atoms


def translation_scan(symbol: str, a: float, sigma: int, axis, plane, calc: Calculator, grid=(3, 3), relax: bool = False,
                     **options) -> GrainBoundaryScan:
    """γ_GB over a ``grid`` of rigid shifts of grain 1 (``grain_boundary(..., shift=)``),
    each relaxed with ``relax``; the lowest kept."""
    shifts, gammas, cells, structures = [], [], [], []
    for u in np.arange(grid[0]) / grid[0]:
        for v in np.arange(grid[1]) / grid[1]:
            gb = grain_boundary(symbol, a, sigma, axis, plane, shift=(u, v), **options)
            gamma, atoms = grain_boundary_energy(gb, calc, relax=relax)
            shifts.append((u, v))
            gammas.append(gamma)
            cells.append(gb)
            structures.append(atoms)
    k = int(np.argmin(gammas))
    return GrainBoundaryScan(np.array(shifts), np.array(gammas), cells[k], structures[k])


def _cube_rotations() -> np.ndarray:
    """(24, 3, 3) the proper rotations of the cube (signed permutation matrices, det +1)."""
    from itertools import permutations, product

    out = []
    for perm in permutations(range(3)):
        for signs in product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            if np.linalg.det(m) > 0:
                out.append(m)
    return np.array(out)


def _orientation(bonds: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """The rotation O with O·ideal = bonds as sets (unit vectors), from two bonds at 60°
    matched to every pair of ideal bonds at 60° until all 12 fit (to 0.05)."""
    first = bonds[0]
    second = bonds[np.argmin(np.abs(bonds @ first - 0.5))]
    frame = lambda x, y: np.stack([x, np.cross(x, y) / np.linalg.norm(np.cross(x, y)),
                                   np.cross(x, np.cross(x, y)) / np.linalg.norm(np.cross(x, y))], axis=1)
    target = frame(first, second)
    for p in ideal:
        for q in ideal[np.abs(ideal @ p - 0.5) < 1e-9]:
            rotation = target @ frame(p, q).T
            mapped = ideal @ rotation.T
            if np.abs(bonds @ mapped.T).max(axis=1).min() > 1 - 1e-3:  # every bond sits on a mapped ideal one
                return rotation
    raise ValueError("an atom inside a grain does not have fcc nearest neighbours")


def misorientation(gb: GrainBoundaryCell, depth: float = 2.5) -> tuple[float, int]:
    """(disorientation angle °, Σ) of the rotation between the two grains, measured from the
    atoms: each grain's orientation O_g from the 12 nearest-neighbour bonds of an atom deep
    inside it (farther than ``depth`` Å from either boundary) matched to the cubic crystal's
    ⟨110⟩/2 bonds; R = O_0ᵀ O_1 in grain 0's cubic frame, the angle the smallest of
    arccos((tr CR − 1)/2) over the 24 cube rotations C (e.g. Σ3: 60° about ⟨111⟩), and Σ the
    smallest integer N for which N R is an integer matrix."""
    from ase.neighborlist import neighbor_list

    atoms = gb.atoms
    frac = atoms.get_scaled_positions()[:, gb.normal]
    thickness = atoms.cell.lengths()[gb.normal]
    i, d = neighbor_list("iD", atoms, 1.2 * nearest_neighbour_distance(atoms))
    ideal = np.array([(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)
                      if abs(x) + abs(y) + abs(z) == 2], float) / np.sqrt(2.0)
    orientations = []
    for g in (0, 1):
        members = np.flatnonzero(atoms.arrays["grain"] == g)
        centre = np.median(frac[members])
        atom = members[np.argmin(np.abs(frac[members] - centre))]
        if min(abs(frac[atom]), abs(frac[atom] - 0.5), abs(frac[atom] - 1.0)) * thickness < depth:
            raise ValueError("the grains are too thin to hold an atom far from both boundaries: repeat them")
        bonds = d[i == atom]
        if len(bonds) != 12:
            raise ValueError(f"an atom inside grain {g} has {len(bonds)} nearest neighbours, not 12")
        orientations.append(_orientation(bonds / np.linalg.norm(bonds, axis=1)[:, None], ideal))
    relative = orientations[0].T @ orientations[1]
    traces = np.einsum("kij,ji->k", _cube_rotations(), relative)
    angle = float(np.degrees(np.arccos(np.clip((traces.max() - 1.0) / 2.0, -1.0, 1.0))))
    for n in range(1, 200):
        if np.allclose(n * relative, np.round(n * relative), atol=1e-4 * n):
            return angle, n
    raise ValueError("the grains' relative rotation is not a coincidence rotation (no Σ up to 199)")


def nearest_neighbour_distance(atoms: Atoms, search: float = 4.0) -> float:
    """The crystal's nearest-neighbour distance in ``atoms`` (Å): the median over atoms of
    each one's closest distance within ``search`` Å (a defect's few atoms do not move it).

    Raises:
        ValueError: no two atoms within ``search``.
    """
    from ase.neighborlist import neighbor_list

    i, d = neighbor_list("id", atoms, search)
    if not len(i):
        raise ValueError(f"{atoms.get_chemical_formula()}: no two atoms within {search:g} Å")
    closest = np.full(len(atoms), np.inf)
    np.minimum.at(closest, i, d)
    return float(np.median(closest[np.isfinite(closest)]))


def _fcc_supercell(symbol: str, a: float, repeat: int) -> Atoms:
    from ase.build import bulk as build_bulk

    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    if int(repeat) < 2:
        raise ValueError(f"repeat must be at least 2 (a defect needs room), got {repeat}")
    return build_bulk(symbol, "fcc", a=a, cubic=True).repeat(int(repeat))


def vacancy_cluster(symbol: str, a: float, n: int, repeat: int = 3) -> Atoms:
    """A ``repeat``³ cubic fcc supercell with ``n`` vacancies on sites that are all nearest
    neighbours of one another as far as fcc allows (the first site, then each next the
    common neighbour closest to those removed: a divacancy, a triangle, a tetrahedron …).

    Raises:
        ValueError: n < 1 or more vacancies than a fifth of the cell.
    """
    atoms = _fcc_supercell(symbol, a, repeat)
    if not 1 <= int(n) <= len(atoms) // 5:
        raise ValueError(f"n must be between 1 and {len(atoms) // 5} for this cell, got {n}")
    removed = [0]
    for _ in range(int(n) - 1):
        d = np.stack([atoms.get_distances(k, list(range(len(atoms))), mic=True) for k in removed], axis=1)
        d[removed] = np.inf
        removed.append(int(np.argmin(d.sum(axis=1))))
    out = atoms.copy()
    del out[removed]
    return out


def interstitial(symbol: str, a: float, kind: str = "octahedral", repeat: int = 3) -> Atoms:
    """A ``repeat``³ cubic fcc supercell with one self-interstitial: at the octahedral site
    (a/2 from six atoms), or as the ⟨100⟩ split dumbbell (two atoms ±0.3 a along x about
    one site, the ground-state geometry of fcc self-interstitials, before relaxation).

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in ("octahedral", "dumbbell"):
        raise ValueError(f"kind must be 'octahedral' or 'dumbbell', got {kind!r}")
    atoms = _fcc_supercell(symbol, a, repeat)
    # a copy: a row of atoms.positions is a view, and the dumbbell moves that very atom
    centre = atoms.positions[np.argmin(np.linalg.norm(atoms.positions - 0.5 * atoms.cell.diagonal(), axis=1))].copy()
    if kind == "octahedral":
        atoms.append(symbol)
        atoms.positions[-1] = centre + np.array([a / 2, 0.0, 0.0])
    else:
        site = int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))
        half = np.array([0.3 * a, 0.0, 0.0])  # 0.6 a apart: the EAM Cu dumbbell relaxes to 0.597 a
        atoms.positions[site] = centre - half
        atoms.append(symbol)
        atoms.positions[-1] = centre + half
    return atoms


def quenched_glass(symbol: str, a: float, calc: Calculator, repeat: int = 3, melt: float = 3000.0, melt_steps: int = 1000,
                   quench_steps: int = 500, dt: float = 2.0, expansion: float = 0.06, seed: int = 0) -> Atoms:
    """A ``repeat``³ fcc cell expanded by ``expansion`` in volume (a liquid is less dense; at
    the crystal's volume the melt is suppressed), melted at ``melt`` K (Langevin,
    ``melt_steps``) and quenched to 300 K over ``quench_steps`` (five steps down), with
    ``calc``: a disordered structure far from the training crystal.

    Raises:
        ValueError: a melt temperature not above 300 K, or a run the MD guard stopped.
    """
    from ennp_lab.properties.md import run_md

    melt = as_real(melt, "melt temperature (K)", 300.0, strict=True)
    atoms = _fcc_supercell(symbol, a, repeat)
    atoms.set_cell(atoms.cell[:] * (1.0 + as_real(expansion, "expansion", 0.0)) ** (1.0 / 3.0), scale_atoms=True)
    hot = run_md(atoms, calc, ensemble="langevin", dt=dt, steps=int(melt_steps), temperature=melt, friction=0.02,
                 interval=max(1, int(melt_steps)), seed=seed)
    if hot.stop_reason:
        raise ValueError(f"the melt stopped: {hot.stop_reason}")
    current = hot.frames[-1]
    stages = 5
    for k, temperature in enumerate(np.linspace(melt, 300.0, stages + 1)[1:]):
        run = run_md(current, calc, ensemble="langevin", dt=dt, steps=max(1, int(quench_steps) // stages),
                     temperature=float(temperature), friction=0.02, interval=max(1, int(quench_steps) // stages),
                     seed=seed + 1 + k)
        if run.stop_reason:
            raise ValueError(f"the quench stopped: {run.stop_reason}")
        current = run.frames[-1]
    out = current.copy()
    out.calc = None
    return out


def defect_suite(symbol: str, a: float, calc: Calculator, radius: float = 14.0, quick: bool = False) -> dict[str, Atoms]:
    """The stress-test structures of fcc ``symbol`` at lattice constant ``a``: screw and
    edge dislocations (their fields from ``calc``'s own C), the Σ5(310)[001] tilt boundary,
    an intrinsic stacking fault, a (111) free surface, a trivacancy and a ⟨100⟩ dumbbell
    interstitial. ``quick``: the screw dislocation (radius ≤ 10 Å), the boundary and the
    trivacancy only.
    """
    from ase.build import fcc111

    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    radius = min(float(radius), 10.0) if quick else float(radius)
    suite = {"screw dislocation": fcc_dislocation(symbol, a, calc=calc, kind="screw", radius=radius).atoms}
    if not quick:
        suite["edge dislocation"] = fcc_dislocation(symbol, a, calc=calc, kind="edge", radius=radius).atoms
    suite["Σ5(310) boundary"] = grain_boundary(symbol, a, 5, (0, 0, 1), (1, 3, 0), repeats=(1, 1) if quick else (2, 2)).atoms
    if not quick:
        fault = stacking_fault_line(symbol, a, calc, n_images=13).images[8].copy()  # u = 2/3: the intrinsic fault
        fault.info[DEFECT_AREA] = float(np.linalg.norm(np.cross(fault.cell[0], fault.cell[1])))
        suite["intrinsic stacking fault"] = fault
        surface = fcc111(symbol, (4, 4, 7), a=a, vacuum=8.0, periodic=True)
        surface.info[DEFECT_AREA] = 2.0 * float(np.linalg.norm(np.cross(surface.cell[0], surface.cell[1])))
        suite["(111) surface"] = surface
    suite["trivacancy"] = vacancy_cluster(symbol, a, 3)
    if not quick:
        suite["dumbbell interstitial"] = interstitial(symbol, a, "dumbbell")
    return suite
