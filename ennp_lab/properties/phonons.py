"""Phonons through phonopy: force constants, band structures, DOS, thermal properties.

Force constants Φ_{ia,jb} = ∂²E/∂u_ia∂u_jb (eV/Å²) of a supercell come either

* from phonopy's finite displacements, with forces from any ASE calculator
  (``method="displacement"``), or
* directly from the autograd Hessian of the supercell for an ENNP calculator
  (``method="autograd"``): only the rows of the atoms of the primitive cell are
  computed (phonopy's compact force constants, shape (n_prim, N, 3, 3)), since lattice
  translations give all the others.

phonopy then builds the dynamical matrix

    D_{ka,k'b}(q) = Σ_l Φ_{0ka,lk'b} e^{i q·(r_lk' − r_0k)} / √(m_k m_k')

and its eigenvalues ω² along a band path, on a mesh (DOS) and in thermal averages.
Frequencies come out of phonopy in THz (ν = ω/2π), which is why the results name them
``frequencies_thz``; thermal properties are converted to eV per primitive cell.

Band paths are ASE's special-point paths (Setyawan–Curtarolo, for any Bravais lattice:
FCC ``GXWKGLUWLK,UX``, BCC ``GHNGPH,PN``, HEX ``GMKGALHA,LM,KH``) of the primitive
cell phonopy finds, or explicit (label, q) points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from phonopy import Phonopy
from phonopy.structure.cells import PrimitiveMatrixAutoDefaultWarning

from ennp_lab.properties.methods import resolve_method
from ennp_lab.structures.convert import atoms_to_phonopy, phonopy_to_atoms
from ennp_lab.units import OMEGA_TO_THZ
from ennp_lab.validation import as_int, as_ints

__all__ = [
    "ForceConstants",
    "PhononBands",
    "PhononDOS",
    "ThermalProperties",
    "compute_force_constants",
    "compute_band_structure",
    "compute_frequencies",
    "compute_dos",
    "compute_thermal_properties",
    "compute_transverse_splitting",
    "BandComparison",
    "compare_bands",
    "build_mode_frames",
    "compute_chain_dispersion",
]

PathSpec = str | Sequence[tuple[str, Sequence[float]]] | None


@dataclass(frozen=True)
class ForceConstants:
    """Supercell force constants and the cells they belong to.

    Attributes:
        unitcell: the structure given (its positions define the phonon reference).
        supercell_matrix: (3, 3) int, supercell = supercell_matrix · unitcell (rows).
        primitive: the primitive cell phonopy found (band paths refer to its
            reciprocal lattice).
        primitive_matrix: (3, 3), primitive = primitive_matrixᵀ · unitcell (phonopy's).
        force_constants: (n_prim, N, 3, 3) compact or (N, N, 3, 3) full, eV/Å².
        method: ``"autograd"`` or ``"displacement"``.
    """

    unitcell: Atoms
    supercell_matrix: np.ndarray
    primitive: Atoms
    primitive_matrix: np.ndarray
    force_constants: np.ndarray
    method: str

    def phonopy(self) -> Phonopy:
        """A fresh ``Phonopy`` object holding these force constants."""
        phonon = _phonopy(self.unitcell, self.supercell_matrix, self.primitive_matrix)
        phonon.force_constants = self.force_constants
        return phonon


@dataclass(frozen=True)
class PhononBands:
    """Phonon dispersion along a path.

    Attributes:
        qpoints: (Q, 3) in fractional coordinates of the primitive reciprocal lattice.
        distances: (Q,) cumulative path length, 2π/Å (continuous across breaks).
        frequencies_thz: (Q, B) ascending per q; negative = imaginary.
        eigenvectors: (Q, B, n_prim, 3) complex mass-weighted eigenvectors, or None.
        segments: (label_start, label_end, start, stop) per straight segment; rows
            start:stop of the arrays belong to it.
        primitive: the primitive cell the q-points and eigenvectors refer to.
    """

    qpoints: np.ndarray
    distances: np.ndarray
    frequencies_thz: np.ndarray
    eigenvectors: np.ndarray | None
    segments: tuple[tuple[str, str, int, int], ...]
    primitive: Atoms

    def segment(self, start: str, end: str) -> slice:
        """Rows of the segment start→end (either direction), e.g. ``bands.segment("Γ", "X")``."""
        for a, b, i, j in self.segments:
            if (a, b) in ((start, end), (end, start)):
                return slice(i, j)
        raise ValueError(f"no segment {start}–{end} on this path ({[f'{a}–{b}' for a, b, *_ in self.segments]})")

    @property
    def ticks(self) -> tuple[np.ndarray, list[str]]:
        """Positions (path distance) and labels of the special points, breaks as "X|U"."""
        positions: list[float] = []
        labels: list[str] = []
        for a, b, i, j in self.segments:
            d0, d1 = float(self.distances[i]), float(self.distances[j - 1])
            if positions and abs(positions[-1] - d0) < 1e-9:
                if labels[-1] != a:
                    labels[-1] = f"{labels[-1]}|{a}"
            else:
                positions.append(d0)
                labels.append(a)
            positions.append(d1)
            labels.append(b)
        return np.array(positions), labels


@dataclass(frozen=True)
class PhononDOS:
    """Total phonon density of states per primitive cell.

    Attributes:
        frequencies_thz: (F,) THz.
        dos: (F,) states/THz; integrates to 3 n_prim.
    """

    frequencies_thz: np.ndarray
    dos: np.ndarray


@dataclass(frozen=True)
class ThermalProperties:
    """Harmonic thermal properties per primitive cell.

    Attributes:
        temperatures: (T,) K.
        free_energy: (T,) Helmholtz vibrational free energy, eV.
        entropy: (T,) eV/K.
        heat_capacity: (T,) C_v, eV/K.
    """

    temperatures: np.ndarray
    free_energy: np.ndarray
    entropy: np.ndarray
    heat_capacity: np.ndarray


def _phonopy(unitcell: Atoms, supercell_matrix: np.ndarray, primitive_matrix) -> Phonopy:
    with warnings.catch_warnings():  # "auto" is asked for explicitly here
        warnings.simplefilter("ignore", PrimitiveMatrixAutoDefaultWarning)
        return Phonopy(atoms_to_phonopy(unitcell), supercell_matrix=supercell_matrix, primitive_matrix=primitive_matrix)


def _supercell_matrix(supercell: int | Sequence[int] | np.ndarray) -> np.ndarray:
    if np.ndim(supercell) == 0:
        matrix = np.eye(3, dtype=int) * as_int(supercell, "supercell", minimum=1)
    elif np.shape(supercell) == (3,):
        matrix = np.diag(as_ints(supercell, "supercell", length=3, minimum=1))
    elif np.shape(supercell) == (3, 3):
        matrix = np.array(as_ints(supercell, "supercell matrix", length=9)).reshape(3, 3)
    else:
        raise ValueError(f"supercell must be an int, three ints or an integer 3×3 matrix, got {supercell!r}")
    det = round(np.linalg.det(matrix))
    if det < 1:
        raise ValueError(f"supercell matrix {matrix.tolist()} has determinant {det}: it must be positive "
                         f"(a right-handed supercell of at least one cell)")
    return matrix


def _mesh(mesh: int | Sequence[int]) -> list[int]:
    if np.ndim(mesh) == 0:
        return [as_int(mesh, "mesh", minimum=1)] * 3
    return list(as_ints(mesh, "mesh", length=3, minimum=1))


def compute_force_constants(
    atoms: Atoms,
    calc: Calculator,
    supercell: int | Sequence[int] | np.ndarray = 4,
    method: Literal["auto", "autograd", "displacement"] = "auto",
    displacement: float = 0.01,
    primitive_matrix: str | np.ndarray | None = "auto",
) -> ForceConstants:
    """Force constants of ``atoms`` (a periodic cell, ideally relaxed) with ``calc``.

    Args:
        atoms: unit cell (conventional or primitive); positions are the reference.
        calc: any ASE calculator.
        supercell: multiples of the unit cell: an int, three ints or a 3×3 matrix. The
            supercell must hold the interaction range; frequencies at q-points
            commensurate with it are exact whatever the range.
        method: ``"autograd"`` (ENNP calculators: supercell Hessian rows of the
            primitive atoms), ``"displacement"`` (phonopy ± displacements of
            ``displacement`` Å, any calculator), ``"auto"`` (autograd when possible).
        primitive_matrix: phonopy's ("auto": found by symmetry; "P": the unit cell itself).

    Returns:
        :class:`ForceConstants`.
    """
    if not atoms.pbc.all():
        raise ValueError("phonons need a cell periodic in all three directions (set pbc=True, add vacuum if needed)")
    method = resolve_method(calc, method, numerical="displacement", what="force-constant")
    matrix = _supercell_matrix(supercell)
    unitcell = atoms.copy()
    unitcell.calc = None
    phonon = _phonopy(unitcell, matrix, primitive_matrix)
    if method == "autograd":
        supercell_atoms = phonopy_to_atoms(phonon.supercell)
        rows = calc.get_hessian(supercell_atoms, indices=phonon.primitive.p2s_map)  # (n_p, 3, N, 3)
        force_constants = np.ascontiguousarray(rows.transpose(0, 2, 1, 3))
    else:
        if displacement <= 0:
            raise ValueError(f"displacement must be positive, got {displacement}")
        phonon.generate_displacements(distance=displacement, is_plusminus=True)
        phonon.forces = displaced_forces(phonon.supercells_with_displacements, calc)
        phonon.produce_force_constants(calculate_full_force_constants=False, show_drift=False)
        force_constants = phonon.force_constants
    return ForceConstants(
        unitcell=unitcell,
        supercell_matrix=matrix,
        primitive=phonopy_to_atoms(phonon.primitive),
        primitive_matrix=np.eye(3) if phonon.primitive_matrix is None else np.asarray(phonon.primitive_matrix, dtype=float),
        force_constants=np.asarray(force_constants, dtype=float),
        method=method,
    )


def displaced_forces(supercells, calc: Calculator) -> np.ndarray:
    """Forces (D, N, 3) eV/Å of phonopy's (or phono3py's) displaced supercells with ``calc``."""
    forces = []
    for displaced in supercells:
        probe = phonopy_to_atoms(displaced)
        probe.calc = calc
        forces.append(probe.get_forces())
    return np.array(forces)


def _pretty(label: str) -> str:
    return "Γ" if label in ("G", "Gamma", "GAMMA") else label


def _path_points(primitive: Atoms, path: PathSpec) -> list[list[tuple[str, np.ndarray]]]:
    """Continuous parts of the path, each a list of (label, q) with q fractional."""
    if path is None or isinstance(path, str):
        standard = primitive.cell.bandpath(npoints=0)
        special = standard.special_points
        parts = []
        for part in (path or standard.path).split(","):
            labels = _split_labels(part, special)
            parts.append([(_pretty(name), np.asarray(special[name], dtype=float)) for name in labels])
        return parts
    points = [(str(label), np.asarray(q, dtype=float)) for label, q in path]
    if len(points) < 2 or any(q.shape != (3,) for _, q in points):
        raise ValueError("an explicit path needs at least two (label, (q1, q2, q3)) points")
    return [[(_pretty(label), q) for label, q in points]]


def _split_labels(part: str, special: dict) -> list[str]:
    """Split 'GXW1K' style strings into special-point names (names may carry digits)."""
    labels, k = [], 0
    while k < len(part):
        j = k + 1
        while j < len(part) and (part[j].isdigit() or part[j] == "'"):
            j += 1
        name = part[k:j]
        if name not in special:
            raise ValueError(f"unknown special point {name!r} for this lattice (known: {sorted(special)})")
        labels.append(name)
        k = j
    return labels


def compute_band_structure(
    force_constants: ForceConstants,
    path: PathSpec = None,
    npoints: int = 51,
    eigenvectors: bool = False,
) -> PhononBands:
    """Phonon bands along a path.

    Args:
        force_constants: from :func:`compute_force_constants`.
        path: ``None`` (the lattice's standard path), a string of special-point names
            with commas at breaks (``"GXWKGL,UX"``), or explicit ``[(label, q), ...]``
            with q in fractional primitive reciprocal coordinates.
        npoints: q-points per segment (ends included).
        eigenvectors: also return eigenvectors (for mode animations).
    """
    if npoints < 2:
        raise ValueError(f"npoints must be at least 2, got {npoints}")
    phonon = force_constants.phonopy()
    parts = _path_points(force_constants.primitive, path)
    qpaths, connections, names = [], [], []
    for part in parts:
        for (a, qa), (b, qb) in zip(part[:-1], part[1:]):
            qpaths.append(qa + np.linspace(0.0, 1.0, npoints)[:, None] * (qb - qa))
            connections.append(True)
            names.append((a, b))
        connections[-1] = False
    phonon.run_band_structure(qpaths, with_eigenvectors=eigenvectors, path_connections=connections)
    result = phonon.band_structure
    segments, start = [], 0
    for (a, b), q in zip(names, result.qpoints):
        segments.append((a, b, start, start + len(q)))
        start += len(q)
    vectors = None
    if eigenvectors:
        n_p = len(force_constants.primitive)
        # phonopy: (nq, 3 n_p, B) with eigenvectors as columns
        vectors = np.concatenate(result.eigenvectors).transpose(0, 2, 1).reshape(start, 3 * n_p, n_p, 3)
    return PhononBands(
        qpoints=np.concatenate(result.qpoints),
        distances=np.concatenate(result.distances),
        frequencies_thz=np.concatenate(result.frequencies),
        eigenvectors=vectors,
        segments=tuple(segments),
        primitive=force_constants.primitive,
    )


def compute_frequencies(force_constants: ForceConstants, qpoints: np.ndarray) -> np.ndarray:
    """Frequencies (Q, B) in THz at q-points (Q, 3) in fractional primitive reciprocal coordinates."""
    phonon = force_constants.phonopy()
    phonon.run_qpoints(np.atleast_2d(np.asarray(qpoints, dtype=float)))
    return np.asarray(phonon.qpoints.frequencies)


def compute_dos(force_constants: ForceConstants, mesh: int | Sequence[int] = 20, sigma: float | None = None) -> PhononDOS:
    """Total DOS on a Γ-centred ``mesh`` (tetrahedron method, or Gaussian ``sigma`` THz)."""
    phonon = force_constants.phonopy()
    phonon.run_mesh(_mesh(mesh), is_gamma_center=True)
    phonon.run_total_dos(sigma=sigma, use_tetrahedron_method=sigma is None)
    dos = phonon.total_dos
    return PhononDOS(np.asarray(dos.frequency_points), np.asarray(dos.dos))


def compute_thermal_properties(
    force_constants: ForceConstants, temperatures: Sequence[float], mesh: int | Sequence[int] = 20
) -> ThermalProperties:
    """Harmonic free energy, entropy and heat capacity per primitive cell (eV, eV/K)."""
    phonon = force_constants.phonopy()
    phonon.run_mesh(_mesh(mesh), is_gamma_center=True)
    phonon.run_thermal_properties(temperatures=np.asarray(temperatures, dtype=float))
    tp = phonon.thermal_properties
    kj_mol, j_mol = units.kJ / units.mol, units.J / units.mol
    return ThermalProperties(
        temperatures=np.asarray(tp.temperatures),
        free_energy=np.asarray(tp.free_energy) * kj_mol,
        entropy=np.asarray(tp.entropy) * j_mol,
        heat_capacity=np.asarray(tp.heat_capacity) * j_mol,
    )


def compute_transverse_splitting(bands: PhononBands) -> dict[str, float]:
    """Largest splitting (THz) of the two lowest branches inside each segment.

    Along high-symmetry directions of a cubic crystal with a 3- or 4-fold axis (Γ–X,
    Γ–L) the two transverse acoustic branches are degenerate (splitting ~0); along
    Γ–K (a 2-fold axis) they split. End points are excluded (at Γ all vanish).
    Keys are "A–B" segment names.
    """
    out: dict[str, float] = {}
    for a, b, i, j in bands.segments:
        inner = bands.frequencies_thz[i + 1 : j - 1, :2]
        out[f"{a}–{b}"] = float(np.max(inner[:, 1] - inner[:, 0])) if len(inner) else 0.0
    return out


@dataclass(frozen=True)
class BandComparison:
    """A model's bands against a reference's on the same path.

    Attributes:
        difference_thz: (Q, B) ν_model − ν_reference, THz (branches sorted per q).
        branch_mae_thz: (B,) mean |Δν| per branch.
        branch_max_thz: (B,) max |Δν| per branch.
        relative_mae: (B,) branch MAE over the branch's mean reference frequency.
    """

    difference_thz: np.ndarray
    branch_mae_thz: np.ndarray
    branch_max_thz: np.ndarray
    relative_mae: np.ndarray


def compare_bands(model: PhononBands, reference: PhononBands) -> BandComparison:
    """Frequency error per branch of ``model`` against ``reference`` (same path and q-points)."""
    if model.qpoints.shape != reference.qpoints.shape or not np.allclose(model.qpoints, reference.qpoints):
        raise ValueError("the two band structures were computed on different q-point paths")
    if model.frequencies_thz.shape != reference.frequencies_thz.shape:
        raise ValueError("the two band structures have different numbers of branches")
    diff = model.frequencies_thz - reference.frequencies_thz
    mae = np.abs(diff).mean(axis=0)
    scale = np.abs(reference.frequencies_thz).mean(axis=0)
    return BandComparison(diff, mae, np.abs(diff).max(axis=0), mae / np.where(scale > 0, scale, 1.0))


def build_mode_frames(
    bands: PhononBands,
    q_index: int,
    branch: int,
    repeat: Sequence[int] = (4, 4, 4),
    amplitude: float = 0.3,
    n_frames: int = 20,
) -> tuple[list[Atoms], list[np.ndarray]]:
    """An animation of one phonon mode in a supercell of the primitive cell.

    u_lk(t) = A Re[e_k(q) e^{i (2π q·s_lk − 2π t/T)}] / √m_k, scaled so that the largest
    displacement over the cell is ``amplitude`` Å; s_lk are fractional coordinates of
    atom k in cell l (phonopy's phase convention).

    Returns:
        (frames, displacements): ``n_frames`` Atoms over one period and (N, 3)
        displacement vectors (Å) of each frame.
    """
    if bands.eigenvectors is None:
        raise ValueError("these bands carry no eigenvectors; compute them with eigenvectors=True")
    if not 0 <= q_index < len(bands.qpoints) or not 0 <= branch < bands.frequencies_thz.shape[1]:
        raise ValueError(f"no mode (q_index={q_index}, branch={branch}) in these bands")
    supercell = bands.primitive.repeat(as_ints(repeat, "repeat", length=3, minimum=1))
    n_p = len(bands.primitive)
    vector = bands.eigenvectors[q_index, branch]  # (n_p, 3)
    scaled = np.linalg.solve(bands.primitive.cell.array.T, supercell.positions.T).T  # in primitive basis
    phase = np.exp(2j * np.pi * scaled @ bands.qpoints[q_index])
    k = np.tile(np.arange(n_p), len(supercell) // n_p)
    complex_u = vector[k] * phase[:, None] / np.sqrt(supercell.get_masses())[:, None]
    largest = np.abs(complex_u).max()
    complex_u *= amplitude / largest if largest > 0 else 0.0
    frames, displacements = [], []
    for t in range(n_frames):
        u = np.real(complex_u * np.exp(-2j * np.pi * t / n_frames))
        frame = supercell.copy()
        frame.positions += u
        frames.append(frame)
        displacements.append(u)
    return frames, displacements


def compute_chain_dispersion(q: np.ndarray, spring: float, mass: float, spacing: float) -> np.ndarray:
    """Analytic dispersion of a monatomic chain with nearest-neighbour springs, in THz.

    ω(k) = 2 √(K/m) |sin(k a/2)| with k = 2π q/a (q fractional, K eV/Å², m amu, a Å).
    """
    k = 2.0 * np.pi * np.asarray(q, dtype=float) / spacing
    return 2.0 * np.sqrt(spring / mass) * np.abs(np.sin(0.5 * k * spacing)) * OMEGA_TO_THZ
