"""A rigid-ion reference for α-quartz in an electric field: the BKS potential (van Beest,
Kramer & van Santen, Phys. Rev. Lett. 64, 1955 (1990)) as a
:class:`~ennp_lab.data.rigid_ion.RigidIonInField` (matscipy's Ewald, independent of ennp_lab's
model path).

    E(R, ℰ) = Σ_{i<j} [ k q_i q_j / r_ij + A_ij e^{−b_ij r_ij} − C_ij / r_ij⁶ ] − ℰ · Σ_i q_i u_i

with q_Si = +2.4 e, q_O = −1.2 e, the short range summed to ``cutoff`` and shifted to zero
there, and u_i the displacement of ion i from its site in the symmetric crystal (P = 0
there, as class 32 requires); Born charges are q_i exactly.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.build import make_supercell
from ase.spacegroup import crystal

from ennp_lab import keys
from ennp_lab.data.rigid_ion import RigidIonInField, label_in_fields

__all__ = ["BKS", "BKS_CHARGES", "QUARTZ_CELLPAR", "alpha_quartz", "relaxed_quartz", "BKSQuartz",
           "quartz_piezoelectric_reference", "generate_quartz_dataset"]

#: (A eV, b 1/Å, C eV·Å⁶) for the pairs (Z_i, Z_j); Si–Si has no short-range term
BKS = {(8, 14): (18003.7572, 4.87318, 133.5381), (8, 8): (1388.7730, 2.76000, 175.0000)}
#: ionic charges (e)
BKS_CHARGES = {14: 2.4, 8: -1.2}
#: experimental α-quartz (a, b, c Å, angles °) and Wyckoff positions in P3₂21 (No. 154)
QUARTZ_CELLPAR = (4.916, 4.916, 5.405, 90.0, 90.0, 120.0)
_SI, _O = (0.4697, 0.0, 2.0 / 3.0), (0.4135, 0.2669, 0.1191 + 2.0 / 3.0)


def alpha_quartz(orthorhombic: bool = False, cellpar=QUARTZ_CELLPAR) -> Atoms:
    """α-quartz (P3₂21), x along a two-fold axis (a), z along the three-fold screw (c), with
    initial charges from :data:`BKS_CHARGES`: the 9-ion hexagonal cell, or the 18-ion
    orthorhombic one (a, √3 a, c)."""
    atoms = crystal(["Si", "O"], basis=[_SI, _O], spacegroup=154, cellpar=list(cellpar))
    if orthorhombic:
        atoms = make_supercell(atoms, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
        atoms.set_cell(np.diag(np.diag(atoms.cell[:])), scale_atoms=False)  # round-off of the off-diagonal zeros
        atoms.wrap()
    atoms.set_initial_charges([BKS_CHARGES[int(z)] for z in atoms.numbers])
    return atoms


class BKSQuartz(RigidIonInField):
    """The BKS rigid-ion model of SiO₂ in a uniform field (module docstring; the field, the
    sites and P as in :class:`~ennp_lab.data.rigid_ion.RigidIonInField`)."""

    charges = BKS_CHARGES
    label = "BKS reference"

    def short_range(self, atoms: Atoms):
        from matscipy.neighbours import neighbour_list

        i, j, d, D = neighbour_list("ijdD", atoms, self.cutoff)
        pair = np.array([tuple(sorted((a, b))) for a, b in zip(atoms.numbers[i], atoms.numbers[j])])
        params = np.array([BKS.get(tuple(p), (0.0, 1.0, 0.0)) for p in pair]).reshape(-1, 3)
        A, b, C = params.T
        rc = self.cutoff
        e = A * np.exp(-b * d) - C / d**6 - (A * np.exp(-b * rc) - C / rc**6)
        de = -A * b * np.exp(-b * d) + 6 * C / d**7
        f = (de / d)[:, None] * D
        forces = np.zeros((len(atoms), 3))
        np.add.at(forces, i, 0.5 * f)
        np.add.at(forces, j, -0.5 * f)  # every pair appears in both orders
        stress = 0.5 * np.einsum("p,pa,pb->ab", de / d, D, D) / atoms.get_volume()
        return 0.5 * e.sum(), forces, stress


def quartz_piezoelectric_reference(atoms: Atoms, calc: BKSQuartz, step: float = 1e-4, fmax: float = 1e-7) -> np.ndarray:
    """The reference's own relaxed-ion e_ijk (3, 3, 3) e/Å²: central differences of its P
    under ±``step`` strains, the ions relaxed by BFGS (to ``fmax`` eV/Å) in each strained cell."""
    from ase.optimize import BFGS

    def polarization(eps: np.ndarray) -> np.ndarray:
        a = atoms.copy()
        a.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
        a.calc = calc
        BFGS(a, logfile=None).run(fmax=fmax, steps=1000)
        return np.asarray(calc.get_property(keys.POLARIZATION, a))

    e = np.zeros((3, 3, 3))
    for j in range(3):
        for k in range(j, 3):
            eps = np.zeros((3, 3))
            eps[j, k] = eps[k, j] = step
            dp = (polarization(eps) - polarization(-eps)) / (2 * step)
            e[:, j, k] = e[:, k, j] = dp if j == k else dp / 2
    return e


def relaxed_quartz(fmax: float = 1e-7) -> tuple[Atoms, BKSQuartz]:
    """α-quartz with the ions relaxed (BFGS to ``fmax``) in the experimental cell under BKS,
    and the reference calculator whose sites are that crystal's."""
    from ase.optimize import BFGS

    atoms = alpha_quartz()
    atoms.calc = BKSQuartz()
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=2000)
    crystal = atoms.copy()
    crystal.calc = None
    return crystal, BKSQuartz(reference=crystal)


def generate_quartz_dataset(n_frames: int = 96, max_strain: float = 0.015, rattle: float = 0.04, max_field: float = 0.05,
                            seed: int = 0, relax: bool = False, fmax: float = 1e-5) -> list[Atoms]:
    """Labelled BKS quartz frames: the relaxed 9-ion cell under random symmetric strains
    (components uniform in ±``max_strain``), Gaussian rattles (Å), with ``relax`` the ions
    then relaxed by BFGS (to ``fmax`` eV/Å) in the strained cell, and a random uniform field
    (components uniform in ±``max_field`` V/Å, stored where the field input is read), with
    energy, forces, stress and ``info["polarization"]`` (e/Å²) from :class:`BKSQuartz`.

    Without rattles the frames pin what the piezoelectric tensor is made of: the clamped-ion
    crystal (P = 0 exactly) and, relaxed, the relaxed-ion response (forces ≈ 0)."""
    from ase.optimize import BFGS

    crystal, calc = relaxed_quartz()
    rng = np.random.default_rng(seed)
    structures, fields = [], []
    for _ in range(int(n_frames)):
        eps = rng.uniform(-max_strain, max_strain, (3, 3))
        atoms = crystal.copy()
        atoms.set_cell(crystal.cell[:] @ (np.eye(3) + 0.5 * (eps + eps.T)), scale_atoms=True)
        atoms.positions += rng.normal(scale=rattle, size=atoms.positions.shape) if rattle else 0.0
        if relax:
            atoms.calc = calc
            BFGS(atoms, logfile=None).run(fmax=fmax, steps=1000)
            atoms.calc = None
        structures.append(atoms)
        fields.append(rng.uniform(-max_field, max_field, 3) if max_field else np.zeros(3))
    kind = "relaxed_strain" if relax else ("in_field" if rattle else "clamped_strain")
    return label_in_fields(structures, calc, fields, f"quartz_{kind}")
