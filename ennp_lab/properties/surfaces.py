"""Surface energies against orientation, an orientation model γ(n) and Wulff shapes.

A slab of N atoms with two equivalent faces of area A (ASE's ``ase.build.surface``,
periodic in-plane, vacuum along the normal) gives

    γ = (E_slab − N e_bulk) / (2 A)        (eV/Å²; × 16.0218 for J/m²),

with e_bulk the energy per atom of the bulk cell with the same calculator; ``relax``
relaxes the slab's positions (ASE BFGS) first. Convergence is checked over layer counts.

The orientation model is a broken-bond expansion, invariant under the crystal's point
group by construction:

    γ(n) = c₀ + Σ_s c_s Σ_{b ∈ shell s} |n̂ · b̂|,

summing over all bond vectors b of neighbour shell s of the bulk (a bond cut by the
plane ⟂ n contributes in proportion to |n̂·b̂|). Coefficients are a least-squares fit to
computed γ(hkl), then used for unseen orientations.

The Wulff shape is the inner envelope {x : n̂·x ≤ γ(n̂) for all facets}, computed with
scipy's half-space intersection over every facet's symmetry images (spglib point group)
and a convex hull; facet area fractions are summed per {hkl} family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import spglib
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.optimize import BFGS
from scipy.spatial import ConvexHull, HalfspaceIntersection

from ennp_lab.graph.neighbors import neighbor_list
from ennp_lab.properties.directions import great_circle, unit
from ennp_lab.structures.build import Miller, build_slab
from ennp_lab.structures.build import miller_indices as _miller

__all__ = [
    "SurfaceEnergy",
    "OrientationModel",
    "WulffShape",
    "SurfaceEnergyCut",
    "compute_gamma_cut",
    "compute_surface_energy",
    "fit_orientation_model",
    "is_symmetric_slab",
    "miller_normal",
    "symmetry_images",
    "compute_wulff_shape",
]



def miller_normal(bulk: Atoms, miller: Sequence[int]) -> np.ndarray:
    """Unit Cartesian normal of the (hkl) planes of ``bulk``'s cell: (h, k, l) · reciprocal."""
    n = np.asarray(_miller(miller), dtype=float) @ bulk.cell.reciprocal()
    return n / np.linalg.norm(n)


def is_symmetric_slab(slab: Atoms, symprec: float = 1e-3) -> bool:
    """Whether the slab's two faces are equivalent: some symmetry operation of the slab
    (spglib, with the vacuum as part of the cell) reverses the surface normal."""
    normal = np.cross(slab.cell[0], slab.cell[1])
    normal /= np.linalg.norm(normal)
    lattice = slab.cell.array
    try:
        dataset = spglib.get_symmetry_dataset((lattice, slab.get_scaled_positions(), slab.numbers), symprec=symprec)
    except Exception:  # spglib found nothing usable
        return False
    if dataset is None:
        return False
    for rotation in dataset.rotations:
        cartesian = lattice.T @ rotation @ np.linalg.inv(lattice.T)
        if normal @ cartesian @ normal < -0.99:
            return True
    return False


@dataclass(frozen=True)
class SurfaceEnergy:
    """γ of one orientation.

    Attributes:
        miller: (h, k, l) in the bulk cell's basis.
        gamma: eV/Å² (relaxed when ``relaxed``).
        gamma_unrelaxed: eV/Å² of the ideal slab.
        area: one face, Å².
        layers: layers in the slab.
        n_atoms: atoms in the slab.
        relaxed: whether positions were relaxed.
        symmetric: whether the two faces are equivalent (:func:`is_symmetric_slab`);
            γ of an asymmetric slab is the mean of two different surfaces.
    """

    miller: Miller
    gamma: float
    gamma_unrelaxed: float
    area: float
    layers: int
    n_atoms: int
    relaxed: bool
    symmetric: bool = True


def slab_area(slab: Atoms) -> float:
    """A (Å²) of one face of a slab whose surface normal is along its third cell vector."""
    return float(np.linalg.norm(np.cross(slab.cell[0], slab.cell[1])))


def slab_gamma(slab_energy: float, n_atoms: int, bulk_energy_per_atom: float, area: float) -> float:
    """γ = (E_slab − N e_bulk)/(2A) (eV/Å²), two faces of area A."""
    return (slab_energy - n_atoms * bulk_energy_per_atom) / (2.0 * area)


def _energy(atoms: Atoms, calc: Calculator) -> float:
    atoms = atoms.copy()
    atoms.calc = calc
    return float(atoms.get_potential_energy())


def compute_surface_energy(
    bulk: Atoms,
    calc: Calculator,
    miller: Sequence[int],
    layers: int = 7,
    vacuum: float = 10.0,
    relax: bool = True,
    fmax: float = 1e-3,
) -> SurfaceEnergy:
    """γ(hkl) = (E_slab − N e_bulk)/(2A) with ``calc`` (see the module docstring).

    Args:
        bulk: the bulk cell (periodic, relaxed with ``calc``), e.g. the conventional cube.
        calc: any ASE calculator.
        miller: (h, k, l) in ``bulk``'s cell.
        layers, vacuum: slab geometry (Å).
        relax: relax the slab's positions with BFGS to ``fmax`` eV/Å.
    """
    if not bulk.pbc.all():
        raise ValueError("the bulk cell must be periodic in all three directions")
    e_bulk = _energy(bulk, calc) / len(bulk)
    slab = build_slab(bulk, miller, layers, vacuum)
    symmetric = is_symmetric_slab(slab)
    area = slab_area(slab)
    unrelaxed = slab_gamma(_energy(slab, calc), len(slab), e_bulk, area)
    gamma = unrelaxed
    if relax:
        slab.calc = calc
        BFGS(slab, logfile=None).run(fmax=fmax, steps=500)
        gamma = slab_gamma(float(slab.get_potential_energy()), len(slab), e_bulk, area)
    return SurfaceEnergy(_miller(miller), float(gamma), float(unrelaxed), area, layers, len(slab), relax, symmetric)


def _point_group(bulk: Atoms, symprec: float = 1e-4) -> np.ndarray:
    """Rotations (fractional coordinates of ``bulk``'s cell) of its point group, (K, 3, 3) int."""
    try:
        dataset = spglib.get_symmetry_dataset((bulk.cell.array, bulk.get_scaled_positions(), bulk.numbers), symprec=symprec)
    except Exception as error:  # spglib.SpglibError in recent versions
        raise ValueError(f"spglib could not find the symmetry of this bulk cell: {error}") from error
    if dataset is None:
        raise ValueError("spglib could not find the symmetry of this bulk cell")
    return np.unique(dataset.rotations, axis=0)


def symmetry_images(bulk: Atoms, miller: Sequence[int]) -> list[Miller]:
    """All Miller indices equivalent to (hkl) under the bulk's point group (h' = h R⁻¹)."""
    h = np.array(_miller(miller))
    images = {tuple(int(v) for v in np.rint(h @ np.linalg.inv(r))) for r in _point_group(bulk)}
    return sorted(images)


@dataclass(frozen=True)
class OrientationModel:
    """γ(n) = c₀ + Σ_s c_s Σ_{b∈s} |n̂·b̂| (see the module docstring).

    Attributes:
        shells: list of (M_s, 3) unit bond vectors per shell.
        coefficients: (1 + S,) eV/Å².
        rms_residual: fit residual over the training orientations, eV/Å².
    """

    shells: tuple[np.ndarray, ...]
    coefficients: np.ndarray
    rms_residual: float

    def features(self, normals: np.ndarray) -> np.ndarray:
        n = np.atleast_2d(np.asarray(normals, dtype=float))
        n = n / np.linalg.norm(n, axis=1, keepdims=True)
        return np.column_stack([np.ones(len(n))] + [np.abs(n @ b.T).sum(axis=1) for b in self.shells])

    def __call__(self, normals: np.ndarray) -> np.ndarray:
        """γ (eV/Å²) for Cartesian normals (..., 3)."""
        return self.features(normals) @ self.coefficients


@dataclass(frozen=True)
class SurfaceEnergyCut:
    """γ along the surface normals of one zone (the normals ⟂ a zone axis), and the computed
    facets whose normals lie in it.

    Attributes:
        plane: (3,) the zone axis (Cartesian).
        angles: (P,) angle ψ along the great circle of normals, degrees.
        gamma: (P,) the orientation model's γ, eV/Å².
        facet_angles: (K,) ψ of each computed facet (all its symmetry images in the zone), degrees.
        facet_gamma: (K,) their γ, eV/Å².
        facet_labels: (K,) their Miller indices, "(h k l)".
    """

    plane: np.ndarray
    angles: np.ndarray
    gamma: np.ndarray
    facet_angles: np.ndarray
    facet_gamma: np.ndarray
    facet_labels: tuple[str, ...]


def compute_gamma_cut(bulk: Atoms, model: OrientationModel, energies: Sequence[SurfaceEnergy] = (),
                      plane: Sequence[float] = (1, -1, 0), n_points: int = 181) -> SurfaceEnergyCut:
    """γ(n) of ``model`` for the normals n ⟂ ``plane``, and the symmetry images of each
    computed facet of ``energies`` whose normal lies in that zone (within 1e-8)."""
    angles, directions = great_circle(plane, n_points)
    axis = unit(plane, "zone axis")
    reference, side = directions[0], np.cross(axis, directions[0])
    facet_angles, facet_gamma, labels = [], [], []
    for e in energies:
        for image in symmetry_images(bulk, e.miller):
            n = miller_normal(bulk, image)
            if abs(n @ axis) < 1e-8:
                facet_gamma.append(e.gamma)
                facet_angles.append(np.degrees(np.arctan2(n @ side, n @ reference)) % 360)
                labels.append("(" + " ".join(map(str, image)) + ")")
    return SurfaceEnergyCut(axis, angles, model(directions), np.array(facet_angles), np.array(facet_gamma), tuple(labels))


def _bond_shells(bulk: Atoms, n_shells: int) -> tuple[np.ndarray, ...]:
    cutoff = 1.0
    while True:
        i, j, shifts, d = neighbor_list(bulk.positions, bulk.cell.array, bulk.pbc, cutoff)
        distances = np.unique(np.round(d, 4))
        if len(distances) > n_shells:
            break
        cutoff *= 1.5
    vectors = bulk.positions[j] - bulk.positions[i] + shifts @ bulk.cell.array
    shells = []
    for r in distances[:n_shells]:
        b = vectors[np.isclose(d, r, atol=1e-3)]
        b = np.unique(np.round(b / np.linalg.norm(b, axis=1, keepdims=True), 8), axis=0)
        shells.append(b)
    return tuple(shells)


def fit_orientation_model(bulk: Atoms, energies: Sequence[SurfaceEnergy], n_shells: int = 2) -> OrientationModel:
    """Least-squares broken-bond model γ(n) from computed surface energies."""
    if len(energies) < n_shells + 1:
        raise ValueError(f"fitting {n_shells + 1} coefficients needs at least that many orientations, got {len(energies)}")
    shells = _bond_shells(bulk, n_shells)
    model = OrientationModel(shells, np.zeros(n_shells + 1), 0.0)
    x = model.features(np.array([miller_normal(bulk, e.miller) for e in energies]))
    y = np.array([e.gamma for e in energies])
    coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
    return OrientationModel(shells, coefficients, float(np.sqrt(np.mean((x @ coefficients - y) ** 2))))


@dataclass(frozen=True)
class WulffShape:
    """The equilibrium crystal shape for given facet energies.

    Attributes:
        vertices: (V, 3) Å per (eV/Å²) of γ (scale-free shape).
        triangles: (T, 3) vertex indices of the hull's triangles.
        triangle_family: (T,) the {hkl} family (as given) each triangle belongs to.
        area_fractions: {hkl} family → fraction of the surface area (families with no
            facet on the shape get 0).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    triangle_family: tuple[Miller, ...]
    area_fractions: dict[Miller, float]


def compute_wulff_shape(bulk: Atoms, gammas: Mapping[Sequence[int], float]) -> WulffShape:
    """Wulff construction from γ of facet families (symmetry images added by the point group)."""
    if not gammas:
        raise ValueError("a Wulff shape needs at least one facet energy")
    normals, offsets, family = [], [], []
    for miller, gamma in gammas.items():
        if not gamma > 0:
            raise ValueError(f"surface energies must be positive, got {gamma} for {tuple(miller)}")
        for image in symmetry_images(bulk, miller):
            normals.append(miller_normal(bulk, image))
            offsets.append(gamma)
            family.append(_miller(miller))
    normals, offsets = np.array(normals), np.array(offsets)
    halfspaces = np.hstack([normals, -offsets[:, None]])  # n·x − γ ≤ 0
    try:
        points = HalfspaceIntersection(halfspaces, np.zeros(3)).intersections
    except Exception as error:  # scipy's Qhull: an unbounded set of facets
        raise ValueError(f"these facets do not enclose a finite shape ({error})") from error
    hull = ConvexHull(points)
    vertices = points
    triangles = hull.simplices
    centres = vertices[triangles].mean(axis=1)
    # the plane each triangle lies on: n·x = γ holds on it
    owner = np.argmin(np.abs(centres @ normals.T - offsets[None, :]), axis=1)
    areas = 0.5 * np.linalg.norm(np.cross(vertices[triangles[:, 1]] - vertices[triangles[:, 0]],
                                          vertices[triangles[:, 2]] - vertices[triangles[:, 0]]), axis=1)
    total = areas.sum()
    fractions = {_miller(m): 0.0 for m in gammas}
    for k, area in zip(owner, areas):
        fractions[family[k]] += float(area / total)
    return WulffShape(vertices, triangles, tuple(family[k] for k in owner), fractions)
