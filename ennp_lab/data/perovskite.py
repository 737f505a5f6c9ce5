"""A ferroelectric reference: BaTiO₃ in the bond-valence model of the Rappe group, as a
rigid-ion model in a field (:class:`~ennp_lab.data.rigid_ion.RigidIonInField`).

    E(R, ℰ) = E_Coulomb + Σ_{i<j} 4ε (B_ij / r_ij)¹² + Σ_i S_i (V_i − V₀,i)²
              + Σ_i D_i (|W_i|² − W₀,i²)² − ℰ · Σ_i q_i u_i

with the bond valences s_ij = (r₀,ij / r_ij)^C_ij of the cation–anion bonds, their sums
V_i = Σ_j s_ij and vector sums W_i = Σ_j s_ij r̂_ij (r̂_ij from i to j; Ba–O has its own r₀
in W). The parameters are the BaTiO₃ set of LAMMPS's ``pair_style bondval`` example (the
Rappe group's fit: S. Liu, I. Grinberg & A. M. Rappe, J. Phys.: Condens. Matter 25, 102202
(2013); Y. Qi, S. Liu, I. Grinberg & A. M. Rappe, Phys. Rev. B 94, 134308 (2016)), the
repulsion that example's ``lj/cut`` with ε = 2 eV, σ = B_ij and the r⁻⁶ term removed, and
the charges of the same fit. The O–O–O angle term vanishes identically in a cell of one
formula unit (neighbouring octahedra are translation images) and is left out.

Where this code departs from the published model: the bond valences are tapered
smoothly (C², over the last 1 Å before the 8 Å cutoff) and the repulsion shifted to zero
at the cutoff, so that energies and forces are continuous for MD and finite differences;
q_O = −(q_Ba + q_Ti)/3 exactly (the fit's −0.87878 e, neutral to 10⁻⁵ e).

In the clamped cubic cell (a₀ = 4.015 Å, stress-free cubic) the model has the BaTiO₃
sequence of polar minima: [111] (rhombohedral, the ground state) below [110] below
[001]; the eight ⟨111⟩ variants are symmetry-equivalent, the paraelectric cubic
structure is the saddle between them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from ase import Atoms

from ennp_lab.data.rigid_ion import RigidIonInField, label_in_fields

__all__ = ["BATIO3_CHARGES", "BATIO3_HYSTERESIS", "BondValenceBaTiO3", "cubic_batio3", "paraelectric_lattice_constant",
           "batio3_ground_state", "generate_batio3_dataset"]

_BA, _TI, _O = 56, 22, 8
_Q_BA, _Q_TI = 1.34730, 1.28905
#: ionic charges (e) of the fit, O set for exact neutrality
BATIO3_CHARGES = {_BA: _Q_BA, _TI: _Q_TI, _O: -(_Q_BA + _Q_TI) / 3.0}
#: short-range repulsion B_ij (Å) for the sorted pairs (Z_i, Z_j); prefactor 4ε
REPULSION = {(_BA, _BA): 2.44805, (_TI, _BA): 2.32592, (_O, _BA): 1.98792, (_TI, _TI): 2.73825,
             (_O, _TI): 1.37741, (_O, _O): 1.99269}
REPULSION_EPSILON = 2.0
#: bond-valence (r₀ Å, C) of the bonds in V and in W
BOND_VALENCE = {(_O, _BA): (2.290, 8.94), (_O, _TI): (1.798, 5.2)}
BOND_VALENCE_VECTOR = {(_O, _BA): (2.143, 8.94), (_O, _TI): (1.798, 5.2)}
#: per species: (S eV, V₀) and (D eV, W₀)
VALENCE = {_BA: (0.59739, 2.0), _TI: (0.16533, 4.0), _O: (0.93063, 2.0)}
VALENCE_VECTOR = {_BA: (0.08429, 0.11561), _TI: (0.82484, 0.39437), _O: (0.28006, 0.31651)}
_TAPER = 1.0
#: the P–ℰ loop run on this model and on ENNPs trained on it (shipped record, slow test):
#: :func:`~ennp_lab.properties.ferroelectric.field_driven_md` along [111] (its default)
#: with amplitude 0.3 V/Å (1.6 × the quasi-static coercive field), a 4 ps period, 2 K
BATIO3_HYSTERESIS = dict(amplitude=0.3, period=4000.0, temperature=2.0, seed=0)


def _taper(d: np.ndarray, cutoff: float):
    """f(d), f'(d): 1 below cutoff − 1 Å, 0 at the cutoff, C² (quintic smoothstep)."""
    x = np.clip((d - (cutoff - _TAPER)) / _TAPER, 0.0, 1.0)
    return 1.0 - x**3 * (10.0 - 15.0 * x + 6.0 * x * x), -30.0 * x**2 * (1.0 - x) ** 2 / _TAPER


class BondValenceBaTiO3(RigidIonInField):
    """The bond-valence model of BaTiO₃ in a uniform field (module docstring)."""

    charges = BATIO3_CHARGES
    label = "bond-valence BaTiO₃ reference"

    def short_range(self, atoms: Atoms):
        from matscipy.neighbours import neighbour_list

        n, rc = len(atoms), self.cutoff
        i, j, d, D = neighbour_list("ijdD", atoms, rc)  # every pair in both orders, D = r_j − r_i
        pairs = [tuple(sorted(p)) for p in zip(atoms.numbers[i].tolist(), atoms.numbers[j].tolist())]
        b = np.array([REPULSION[p] for p in pairs])
        energy = 0.5 * 4.0 * REPULSION_EPSILON * np.sum((b / d) ** 12 - (b / rc) ** 12)
        grad = (0.5 * 4.0 * REPULSION_EPSILON * -12.0 * (b / d) ** 12 / d**2)[:, None] * D  # ∂E/∂D per ordered pair
        f, df = _taper(d, rc)
        unit = D / d[:, None]
        for table, vector in ((BOND_VALENCE, False), (BOND_VALENCE_VECTOR, True)):
            r0, c = np.array([table.get(p, (0.0, 1.0)) for p in pairs]).T
            s0 = (r0 / d) ** c  # zero where r0 = 0: no bond
            s, ds = s0 * f, -c * s0 / d * f + s0 * df
            if not vector:
                strength, target = np.array([VALENCE[z] for z in atoms.numbers]).T
                v = np.bincount(i, s, minlength=n)
                energy += np.sum(strength * (v - target) ** 2)
                grad += (2.0 * strength[i] * (v - target)[i] * ds)[:, None] * unit
            else:
                strength, target = np.array([VALENCE_VECTOR[z] for z in atoms.numbers]).T
                w = np.zeros((n, 3))
                np.add.at(w, i, s[:, None] * unit)
                w2 = np.einsum("ia,ia->i", w, w)
                energy += np.sum(strength * (w2 - target**2) ** 2)
                g = (4.0 * strength * (w2 - target**2))[:, None] * w  # ∂E/∂W_i
                along = np.einsum("pa,pa->p", unit, g[i])
                grad += (ds * along)[:, None] * unit + (s / d)[:, None] * (g[i] - along[:, None] * unit)
        forces = np.zeros((n, 3))
        np.add.at(forces, i, grad)
        np.add.at(forces, j, -grad)
        return float(energy), forces, np.einsum("pa,pb->ab", D, grad) / atoms.get_volume()


def cubic_batio3(a: float | None = None, repeat: int = 1) -> Atoms:
    """Cubic perovskite BaTiO₃ (Pm3̄m, Ba at the origin), ``repeat``³ cells, lattice constant
    ``a`` (default: the model's stress-free cubic :func:`paraelectric_lattice_constant`),
    with the model's charges as initial charges."""
    a = paraelectric_lattice_constant() if a is None else float(a)
    if not a > 0:
        raise ValueError(f"the lattice constant must be positive, got {a}")
    atoms = Atoms("BaTiO3", cell=np.eye(3) * a, pbc=True,
                  scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5)])
    atoms = atoms.repeat(int(repeat))
    atoms.set_initial_charges([BATIO3_CHARGES[int(z)] for z in atoms.numbers])
    return atoms


@lru_cache(maxsize=1)
def paraelectric_lattice_constant() -> float:
    """a₀ (Å) of the cubic structure without stress in the model (a one-dimensional minimum
    of its energy)."""
    from scipy.optimize import minimize_scalar

    calc = BondValenceBaTiO3()

    def energy(a: float) -> float:
        atoms = cubic_batio3(a)
        calc.reference = atoms.copy()
        atoms.calc = calc
        return atoms.get_potential_energy()

    return float(minimize_scalar(energy, bounds=(3.8, 4.3), method="bounded", options={"xatol": 1e-6}).x)


@lru_cache(maxsize=4)
def _ground_state(direction: tuple[float, float, float], fmax: float) -> tuple[np.ndarray, float]:
    from ase.optimize import BFGS

    para = cubic_batio3()
    atoms = para.copy()
    atoms.calc = BondValenceBaTiO3(reference=para)
    atoms.positions[1] += 0.05 * np.asarray(direction) / np.linalg.norm(direction)
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=2000)
    u = atoms.positions - para.positions
    return u - u.mean(axis=0), atoms.get_potential_energy()


def batio3_ground_state(direction=(1, 1, 1), fmax: float = 1e-6) -> tuple[Atoms, Atoms, BondValenceBaTiO3]:
    """The polar minimum along ``direction`` (a ⟨111⟩ variant by default: the ground state;
    ⟨001⟩ and ⟨110⟩ give the higher, orthorhombic and tetragonal, minima) in the clamped
    cubic cell, the paraelectric crystal, and the reference calculator whose sites are the
    paraelectric ones. The ions are relaxed by BFGS from Ti moved 0.05 Å along ``direction``
    (the centre of mass kept)."""
    direction = tuple(float(x) for x in np.asarray(direction, dtype=float).reshape(3))
    if not np.linalg.norm(direction) > 0:
        raise ValueError("the polar direction must be a non-zero 3-vector")
    u, _ = _ground_state(direction, float(fmax))
    para = cubic_batio3()
    polar = para.copy()
    polar.positions += u
    return polar, para, BondValenceBaTiO3(reference=para)


def generate_batio3_dataset(n_frames: int = 96, max_lambda: float = 1.4, rattle: float = 0.03, max_field: float = 0.25,
                            max_strain: float = 0.01, seed: int = 0) -> list[Atoms]:
    """Labelled bond-valence BaTiO₃ frames around the switching path: the cell of one
    formula unit with the ions at paraelectric + λ·(ground − paraelectric) (λ uniform in
    ±``max_lambda``, so both wells and the saddle), Gaussian rattles (Å), a random symmetric
    strain (components in ±``max_strain``) and a random uniform field (components in
    ±``max_field`` V/Å); labels of :func:`~ennp_lab.data.rigid_ion.label_in_fields`."""
    polar, para, calc = batio3_ground_state()
    rng = np.random.default_rng(seed)
    structures, fields = [], []
    for _ in range(int(n_frames)):
        atoms = para.copy()
        atoms.positions += rng.uniform(-max_lambda, max_lambda) * (polar.positions - para.positions)
        eps = rng.uniform(-max_strain, max_strain, (3, 3))
        atoms.set_cell(para.cell[:] @ (np.eye(3) + 0.5 * (eps + eps.T)), scale_atoms=True)
        atoms.positions += rng.normal(scale=rattle, size=atoms.positions.shape)
        structures.append(atoms)
        fields.append(rng.uniform(-max_field, max_field, 3))
    return label_in_fields(structures, calc, fields, "batio3_path")
