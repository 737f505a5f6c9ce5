"""Anharmonic phonons and lattice thermal conductivity through phono3py.

Third-order force constants Φ_{ia,jb,kc} = ∂³E/∂u_ia∂u_jb∂u_kc (eV/Å³) of a supercell
come either

* from phono3py's finite displacements (pairs of displaced atoms, forces from any ASE
  calculator; ``method="displacement"``), or
* exactly, by autograd, for an ENNP calculator (``method="autograd"``): the third
  derivatives of its energy, rows only for the symmetry-irreducible atoms of the
  primitive cell (silicon: one of two), which phono3py's own ``distribute_fc3`` carries
  to the others by a space-group operation.

Either set, with the harmonic Φ₂ from the same route, is handed to phono3py, which
applies its translational and permutation symmetrisation (sum rules), builds the
three-phonon interaction on a q-mesh and solves the Boltzmann transport equation in the
relaxation-time approximation (RTA) or directly (LBTE). κ comes out in W/(m·K), the
linewidths in THz, as phono3py gives them; lifetimes are τ = 1/(4πΓ) with Γ phono3py's
imaginary self-energy (half the linewidth 2Γ).

Results are frozen dataclasses like the harmonic ones (:mod:`.phonons`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.properties.methods import resolve_method
from ennp_lab.properties.phonons import (ForceConstants, PathSpec, PhononBands, _mesh, _supercell_matrix,
                                         compute_band_structure, displaced_forces)
from ennp_lab.structures.convert import atoms_to_phonopy, phonopy_to_atoms

__all__ = [
    "AnharmonicForceConstants",
    "ThermalConductivity",
    "GruneisenParameters",
    "compute_third_order_force_constants",
    "compute_thermal_conductivity",
    "compute_gruneisen",
    "gruneisen_along_path",
    "kappa_mesh_convergence",
]


def _phono3py(unitcell: Atoms, supercell_matrix: np.ndarray, primitive_matrix, mesh=None):
    from phono3py import Phono3py
    from phonopy.structure.cells import PrimitiveMatrixAutoDefaultWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrimitiveMatrixAutoDefaultWarning)
        phonon = Phono3py(atoms_to_phonopy(unitcell), supercell_matrix=supercell_matrix,
                          primitive_matrix=primitive_matrix, log_level=0)
    if mesh is not None:
        phonon.mesh_numbers = mesh
    return phonon


@dataclass(frozen=True)
class AnharmonicForceConstants:
    """Harmonic and third-order force constants of one supercell, symmetrised by phono3py.

    Attributes:
        unitcell: the structure given (the reference positions).
        supercell_matrix: (3, 3) int, supercell = supercell_matrix · unitcell (rows).
        primitive: the primitive cell phono3py found (q-points refer to its reciprocal
            lattice).
        primitive_matrix: (3, 3) phono3py's primitive matrix.
        fc2: (n_prim, N, 3, 3) compact, eV/Å².
        fc3: (n_prim, N, N, 3, 3, 3) compact, eV/Å³.
        method: ``"autograd"`` or ``"displacement"``.
        symmetrized: whether phono3py's translational/permutation symmetrisation was applied.
        evaluations: the cost in model calls: supercell force calls (displacements), or
            (first, second) atom pairs differentiated (autograd; 9 triple-backward passes
            each, plus one Hessian).
    """

    unitcell: Atoms
    supercell_matrix: np.ndarray
    primitive: Atoms
    primitive_matrix: np.ndarray
    fc2: np.ndarray
    fc3: np.ndarray
    method: str
    symmetrized: bool
    evaluations: int

    def harmonic(self) -> ForceConstants:
        """The harmonic part as :class:`~ennp_lab.properties.phonons.ForceConstants` (for
        bands, DOS and thermal properties from the same Φ₂)."""
        return ForceConstants(self.unitcell, self.supercell_matrix, self.primitive, self.primitive_matrix,
                              self.fc2, self.method)

    def phono3py(self, mesh: int | Sequence[int] | None = None):
        """A fresh ``Phono3py`` holding these force constants (on ``mesh``, when given)."""
        phonon = _phono3py(self.unitcell, self.supercell_matrix, self.primitive_matrix,
                           None if mesh is None else _mesh(mesh))
        phonon.fc2 = self.fc2
        phonon.fc3 = self.fc3
        return phonon


def _check_cell(atoms: Atoms) -> None:
    if not atoms.pbc.all():
        raise ValueError("anharmonic force constants need a cell periodic in all three directions")


def compute_third_order_force_constants(
    atoms: Atoms,
    calc: Calculator,
    supercell: int | Sequence[int] | np.ndarray = 2,
    method: Literal["auto", "autograd", "displacement"] = "auto",
    displacement: float = 0.03,
    primitive_matrix: str | np.ndarray | None = "auto",
    symmetrize: bool = True,
) -> AnharmonicForceConstants:
    """Φ₂ and Φ₃ of ``atoms`` (a relaxed periodic cell) in a supercell, with ``calc``.

    Args:
        atoms: unit cell (e.g. the 8-atom cubic diamond cell); positions are the reference.
        calc: any ASE calculator (``"displacement"``), or an ENNP calculator (``"autograd"``).
        supercell: multiples of the unit cell (int, three ints or a 3×3 matrix).
        method: ``"autograd"`` (exact third derivatives; irreducible primitive atoms only),
            ``"displacement"`` (phono3py's pairs of ± displacements of ``displacement`` Å),
            ``"auto"`` (autograd when the calculator can).
        primitive_matrix: phono3py's ("auto" by symmetry).
        symmetrize: apply phono3py's symmetrisation of fc2 and fc3 (sum rules and index
            permutations). Off, the raw force constants are kept (to test them).

    Returns:
        :class:`AnharmonicForceConstants`.
    """
    _check_cell(atoms)
    method = resolve_method(calc, method, numerical="displacement", what="third-order force-constant")
    if method == "autograd" and not hasattr(calc, "get_third_order"):
        raise ValueError(f"{type(calc).__name__} has no third derivatives; use method='displacement'")
    matrix = _supercell_matrix(supercell)
    unitcell = atoms.copy()
    unitcell.calc = None
    phonon = _phono3py(unitcell, matrix, primitive_matrix)
    supercell_atoms = phonopy_to_atoms(phonon.supercell)
    if method == "autograd":
        fc2, fc3, calls = _autograd_force_constants(phonon, supercell_atoms, calc)
        phonon.fc2, phonon.fc3 = fc2, fc3
    else:
        if not displacement > 0:
            raise ValueError(f"displacement must be positive, got {displacement}")
        phonon.generate_displacements(distance=displacement, is_plusminus="auto")
        phonon.forces = displaced_forces(phonon.supercells_with_displacements, calc)
        phonon.produce_fc3(is_compact_fc=True)
        calls = len(phonon.forces)
    if symmetrize:
        phonon.symmetrize_fc3()
        phonon.symmetrize_fc2()
    return AnharmonicForceConstants(
        unitcell=unitcell,
        supercell_matrix=matrix,
        primitive=phonopy_to_atoms(phonon.primitive),
        primitive_matrix=np.eye(3) if phonon.primitive_matrix is None else np.asarray(phonon.primitive_matrix, float),
        fc2=np.ascontiguousarray(phonon.fc2, dtype=float),
        fc3=np.ascontiguousarray(phonon.fc3, dtype=float),
        method=method,
        symmetrized=bool(symmetrize),
        evaluations=calls,
    )


def _autograd_force_constants(phonon, supercell_atoms: Atoms, calc) -> tuple[np.ndarray, np.ndarray, int]:
    """Compact fc2 and fc3 from the ENNP's exact derivatives.

    fc2: Hessian rows of the primitive atoms. fc3: for each symmetry-irreducible first
    atom i, third derivatives Φ[i, j', :] only for one second atom j' per orbit of i's
    site symmetry (the pairs phono3py would displace); the others follow from
    Φ[i, g(j'), g(k)] = R⊗R⊗R Φ[i, j', k] for the site operation g = (R, t) taking j' to j.
    The other primitive atoms come from phono3py's ``distribute_fc3``.
    """
    from phono3py.phonon3.fc3 import distribute_fc3

    p2s = [int(i) for i in phonon.primitive.p2s_map]
    n = len(supercell_atoms)
    hessian = calc.get_hessian(supercell_atoms, indices=p2s)  # (n_p, 3, N, 3)
    fc2 = np.ascontiguousarray(hessian.transpose(0, 2, 1, 3))
    symmetry = phonon.symmetry
    rotations = symmetry.symmetry_operations["rotations"]  # fractional, of the supercell
    permutations = np.asarray(symmetry.atomic_permutations)  # [s, m]: the image of atom m under s
    lattice = np.asarray(phonon.supercell.cell, dtype=float).T  # lattice vectors as columns
    cartesian = [lattice @ r @ np.linalg.inv(lattice) for r in rotations]
    orbit = np.asarray(symmetry.get_map_atoms())
    independent, seen = [], set()
    for atom in p2s:  # the first primitive atom of each orbit
        if int(orbit[atom]) not in seen:
            seen.add(int(orbit[atom]))
            independent.append(atom)
    fc3 = np.zeros((len(p2s), n, n, 3, 3, 3))
    s2compact = np.full(n, -1, dtype="int64")
    s2compact[p2s] = np.arange(len(p2s))
    pairs = 0
    for atom in independent:
        site = [s for s in range(len(rotations)) if permutations[s, atom] == atom]
        source: dict[int, tuple[int, int]] = {}  # second atom j → (its representative j', op s: s(j') = j)
        representatives: list[int] = []
        for j in range(n):
            if j in source:
                continue
            representatives.append(j)
            for s in site:
                source.setdefault(int(permutations[s, j]), (j, s))
        rows = calc.get_third_order(supercell_atoms, indices=[atom], second=representatives)[0]  # (3, m, 3, N, 3)
        block = rows.transpose(1, 3, 0, 2, 4)  # (m, N_k, a, b, c)
        position = {j: p for p, j in enumerate(representatives)}
        target = fc3[s2compact[atom]]
        for j, (rep, s) in source.items():
            r = cartesian[s]
            rotated = np.einsum("ad,be,cf,kdef->kabc", r, r, r, block[position[rep]])
            target[j, permutations[s]] = rotated
        pairs += len(representatives)
    missing = [i for i in p2s if i not in independent]
    if missing:
        distribute_fc3(fc3, independent, missing, lattice, rotations, symmetry.atomic_permutations, s2compact)
    return fc2, fc3, pairs


@dataclass(frozen=True)
class ThermalConductivity:
    """Lattice thermal conductivity and mode properties from phono3py's BTE solution.

    Attributes:
        temperatures: (T,) K.
        kappa_wmk: (T, 6) κ in W/(m·K), Voigt order xx, yy, zz, yz, xz, xy.
        method: ``"RTA"`` or ``"LBTE"``.
        mesh: (3,) q-mesh.
        qpoints: (G, 3) irreducible q-points (fractional, primitive reciprocal lattice).
        weights: (G,) their multiplicities (sum = mesh points).
        frequencies_thz: (G, B).
        linewidths_thz: (T, G, B) phonon linewidths 2Γ (THz).
        lifetimes_ps: (T, G, B) τ = 1/(4πΓ) (ps; inf where Γ = 0, e.g. acoustic modes at Γ).
        group_velocities: (G, B, 3) THz·Å.
        mode_kappa_wmk: (T, G, B, 6) phono3py's mode κ (weights included): κ is their sum
            over G and B divided by the number of mesh points, W/(m·K).
        force_constants_method: how Φ₃ was obtained.
    """

    temperatures: np.ndarray
    kappa_wmk: np.ndarray
    method: str
    mesh: np.ndarray
    qpoints: np.ndarray
    weights: np.ndarray
    frequencies_thz: np.ndarray
    linewidths_thz: np.ndarray
    lifetimes_ps: np.ndarray
    group_velocities: np.ndarray
    mode_kappa_wmk: np.ndarray
    force_constants_method: str

    @property
    def kappa_average(self) -> np.ndarray:
        """(T,) the trace average (κ_xx + κ_yy + κ_zz)/3, W/(m·K)."""
        return self.kappa_wmk[:, :3].mean(axis=1)

    def at(self, temperature: float) -> float:
        """κ averaged over xx, yy, zz at a computed ``temperature`` (K)."""
        return float(self.kappa_average[self._index(temperature)])

    def mode_kappa(self, temperature: float) -> np.ndarray:
        """(G, B) each mode's contribution to κ (trace average, W/(m·K)) at ``temperature``,
        multiplicities included: the sum over all modes is :meth:`at`."""
        return self.mode_kappa_wmk[self._index(temperature), :, :, :3].mean(axis=-1) / self.weights.sum()

    def by_branch(self, temperature: float) -> np.ndarray:
        """(B,) each branch's share of κ (trace average, W/(m·K)) at ``temperature``; sums to :meth:`at`."""
        return self.mode_kappa(temperature).sum(axis=0)

    def _index(self, temperature: float) -> int:
        index = np.flatnonzero(np.isclose(self.temperatures, temperature))
        if not len(index):
            raise ValueError(f"κ was computed at {self.temperatures.tolist()} K, not at {temperature} K")
        return int(index[0])

    def cumulative(self, temperature: float) -> tuple[np.ndarray, np.ndarray]:
        """The cumulative κ (trace average) vs frequency at ``temperature``: (ν sorted THz,
        κ(ν' ≤ ν) W/(m·K)); its last value equals :meth:`at` (the mode sum)."""
        order = np.argsort(self.frequencies_thz.ravel(), kind="stable")
        return self.frequencies_thz.ravel()[order], np.cumsum(self.mode_kappa(temperature).ravel()[order])


def compute_thermal_conductivity(
    force_constants: AnharmonicForceConstants,
    mesh: int | Sequence[int] = 11,
    temperatures: Sequence[float] = (300.0,),
    method: Literal["RTA", "LBTE"] = "RTA",
) -> ThermalConductivity:
    """κ(T) with phono3py on a Γ-centred ``mesh`` (RTA, or the direct LBTE solution).

    No isotope or boundary scattering (the intrinsic three-phonon κ); tetrahedron
    integration of the energy conservation, phono3py's default.
    """
    if method not in ("RTA", "LBTE"):
        raise ValueError(f"method must be 'RTA' or 'LBTE', got {method!r}")
    temps = np.atleast_1d(np.asarray(temperatures, dtype=float))
    if temps.ndim != 1 or not len(temps) or np.any(temps <= 0) or not np.all(np.isfinite(temps)):
        raise ValueError(f"temperatures must be positive finite kelvin, got {temperatures!r}")
    phonon = force_constants.phono3py(mesh)
    phonon.init_phph_interaction()
    phonon.run_thermal_conductivity(is_LBTE=method == "LBTE", temperatures=temps, log_level=0)
    tc = phonon.thermal_conductivity
    gamma = np.asarray(tc.gamma)[0]  # (T, G, B), first (only) sigma: tetrahedron method
    with np.errstate(divide="ignore"):
        lifetimes = np.where(gamma > 0, 1.0 / (4.0 * np.pi * np.where(gamma > 0, gamma, 1.0)), np.inf)
    return ThermalConductivity(
        temperatures=temps,
        kappa_wmk=np.asarray(tc.kappa)[0].copy(),
        method=method,
        mesh=np.asarray(_mesh(mesh)),
        qpoints=np.asarray(tc.qpoints).copy(),
        weights=np.asarray(tc.grid_weights).copy(),
        frequencies_thz=np.asarray(tc.frequencies).copy(),
        linewidths_thz=2.0 * gamma,
        lifetimes_ps=lifetimes,
        group_velocities=np.asarray(tc.group_velocities).copy(),
        mode_kappa_wmk=np.asarray(tc.mode_kappa)[0].copy(),
        force_constants_method=force_constants.method,
    )


def kappa_mesh_convergence(force_constants: AnharmonicForceConstants, meshes: Sequence[int],
                           temperature: float = 300.0, method: Literal["RTA", "LBTE"] = "RTA") -> dict[int, float]:
    """κ(``temperature``) (trace average, W/(m·K)) on each n×n×n mesh of ``meshes``."""
    return {int(m): compute_thermal_conductivity(force_constants, m, (temperature,), method).at(temperature)
            for m in meshes}


@dataclass(frozen=True)
class GruneisenParameters:
    """Mode Grüneisen parameters from Φ₃ (phono3py's ``Gruneisen``).

    Attributes:
        qpoints: (Q, 3) fractional primitive reciprocal coordinates.
        frequencies_thz: (Q, B).
        tensor: (Q, B, 3, 3) γ_ab = −(1/2ω²) ∂(ω²)/∂ε_ab, the response to a strain ε.
        gamma: (Q, B) the mode Grüneisen parameter −(V/ω) ∂ω/∂V = tr(γ_ab)/3.
    """

    qpoints: np.ndarray
    frequencies_thz: np.ndarray
    tensor: np.ndarray
    gamma: np.ndarray


def compute_gruneisen(force_constants: AnharmonicForceConstants, qpoints: np.ndarray) -> GruneisenParameters:
    """Mode Grüneisen parameters at ``qpoints`` (Q, 3) (avoid Γ itself, where the acoustic
    ω → 0 leaves γ undefined)."""
    from phono3py.phonon3.gruneisen import Gruneisen

    q = np.atleast_2d(np.asarray(qpoints, dtype=float))
    if q.ndim != 2 or q.shape[1] != 3:
        raise ValueError(f"qpoints must be (Q, 3) fractional coordinates, got shape {np.shape(qpoints)}")
    phonon = force_constants.phono3py()
    calc = Gruneisen(force_constants.fc2, force_constants.fc3, phonon.supercell, phonon.primitive)
    calc.set_qpoints(q)
    calc.run()
    tensor = np.asarray(calc.gruneisen_parameters, dtype=float).copy()
    return GruneisenParameters(q.copy(), np.asarray(calc.frequencies).copy(), tensor,
                               np.trace(tensor, axis1=-2, axis2=-1) / 3.0)


def gruneisen_along_path(force_constants: AnharmonicForceConstants, path: PathSpec = None,
                         npoints: int = 31) -> tuple[PhononBands, GruneisenParameters]:
    """The bands and mode Grüneisen parameters along a path (the lattice's standard one by
    default); γ is NaN for the acoustic modes at Γ (ω = 0)."""
    bands = compute_band_structure(force_constants.harmonic(), path, npoints)
    result = compute_gruneisen(force_constants, bands.qpoints)
    gamma = np.where(np.abs(result.frequencies_thz) < 1e-3, np.nan, result.gamma)
    return bands, GruneisenParameters(result.qpoints, result.frequencies_thz, result.tensor, gamma)
