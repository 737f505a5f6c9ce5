"""A rigid-ion reference for rock-salt NaCl: Tosi–Fumi short range plus Coulomb (or a
screened Coulomb), written independently of ennp_lab's model path.

Born–Mayer–Huggins / Tosi–Fumi (Fumi & Tosi, J. Phys. Chem. Solids 25, 31 (1964)), with
charges ±1 e:

    E = Σ_{i<j} [ k q_i q_j φ(r_ij) + A_ij e^{(σ_ij − r_ij)/ρ} − C_ij/r_ij⁶ − D_ij/r_ij⁸ ]

with A_ij = b·(Pauling factor: 1.25, 1, 0.75 for ++, +−, −−), b = 0.338e-19 J, ρ = 0.317 Å,
σ_ij = r_i + r_j (r_Na = 1.170, r_Cl = 1.585 Å), and the dispersion C, D of the paper
(in eV·Å⁶ and eV·Å⁸ below). φ(r) = 1/r, summed by matscipy's Ewald (periodic cells, any
shape: its wave vectors are built from the reciprocal basis) or directly (molecules), or φ(r) = e^{−κr}/r summed
in real space to where it has decayed to 1e-10. Pair lists come from matscipy's
``neighbour_list``; nothing here calls ennp_lab's neighbour list, graph or torch-pme.
"""

from __future__ import annotations

import math

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.mixing import SumCalculator

from ennp_lab.data.generators import TEST_STREAM, label_frames, md_frames, rattled_frames, strained_frames
from ennp_lab.validation import as_int, as_real

__all__ = ["TOSI_FUMI", "NACL_A0", "TosiFumiShortRange", "PairCoulomb", "CoulombReference", "nacl_reference", "rocksalt_nacl",
           "ion_pair", "schottky_frames", "nacl_structures", "generate_nacl_dataset", "generate_nacl_test_set",
           "ion_pair_curve"]

#: (A eV, ρ Å, σ Å, C eV·Å⁶, D eV·Å⁸) for the pairs (Z_i, Z_j), Z = 11 (Na), 17 (Cl)
TOSI_FUMI = {
    (11, 11): (0.263705848, 0.317, 2.340, 1.048055, 0.49935),
    (11, 17): (0.210964679, 0.317, 2.755, 6.99055303, 8.6757),
    (17, 17): (0.158223509, 0.317, 3.170, 72.40215779, 145.4284),
}
#: a lattice constant near the model's minimum (Å), for building crystals
NACL_A0 = 5.64
_K = 14.399645  # e²/4πε₀ in eV·Å, matscipy's value (its Ewald uses it too)


def _pairs(atoms: Atoms, cutoff: float):
    """Full pair list (i, j, |D|, D) within ``cutoff``: matscipy's for periodic cells, all
    ordered pairs by numpy for molecules (matscipy's list needs a cell)."""
    if atoms.pbc.any():
        from matscipy.neighbours import neighbour_list

        return neighbour_list("ijdD", atoms, cutoff)
    n = len(atoms)
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    D = atoms.positions[j] - atoms.positions[i]
    d = np.linalg.norm(D, axis=1)
    keep = d < cutoff
    return i[keep], j[keep], d[keep], D[keep]


class TosiFumiShortRange(Calculator):
    """The Born–Mayer–Huggins part, summed to ``cutoff`` (Å), shifted to zero there.

    Raises:
        ValueError: an element other than Na and Cl.
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, cutoff: float = 9.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cutoff = float(cutoff)

    def _pair(self, zi, zj, r):
        table = np.array([TOSI_FUMI[tuple(sorted((a, b)))] for a, b in zip(zi, zj)]).reshape(-1, 5)
        A, rho, sigma, C, D = table.T
        e = A * np.exp((sigma - r) / rho) - C / r**6 - D / r**8
        de = -A / rho * np.exp((sigma - r) / rho) + 6 * C / r**7 + 8 * D / r**9
        rc = self.cutoff
        e_rc = A * np.exp((sigma - rc) / rho) - C / rc**6 - D / rc**8
        return e - e_rc, de

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        if not set(a.numbers.tolist()) <= {11, 17}:
            raise ValueError(f"the Tosi–Fumi reference knows Na and Cl only, got {a.get_chemical_formula()}")
        i, j, d, D = _pairs(a, self.cutoff)
        e, de = self._pair(a.numbers[i], a.numbers[j], d)
        n = len(a)
        energies = 0.5 * np.bincount(i, weights=e, minlength=n)  # each pair appears twice
        f = (de / d)[:, None] * D  # dE/dr_ij along r_ij = x_j − x_i
        forces = np.zeros((n, 3))
        np.add.at(forces, i, 0.5 * f)
        np.add.at(forces, j, -0.5 * f)  # both orientations of a pair are listed: each adds half
        self.results = {"energy": float(energies.sum()), "free_energy": float(energies.sum()), "energies": energies,
                        "forces": forces}
        if a.pbc.all():
            virial = -0.5 * np.einsum("p,pa,pb->ab", de / d, D, D)
            self.results["stress"] = -virial[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]] / a.get_volume()


class PairCoulomb(Calculator):
    """k Σ_{i<j} q_i q_j φ(r_ij) by a plain pair sum: φ = 1/r over all pairs of a molecule,
    or φ = e^{−κr}/r to the distance where it is below 1e-10 (any cell)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, screening: float | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.screening = screening

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        q = a.get_initial_charges()
        if self.screening is None:
            if a.pbc.any():
                raise ValueError("a bare Coulomb pair sum is for molecules; periodic cells need Ewald")
            cutoff = 2.0 * float(np.ptp(a.positions, axis=0).max()) + 1.0
        else:
            cutoff = math.log(1e10) / self.screening
        i, j, d, D = _pairs(a, cutoff)
        kernel = 1.0 / d if self.screening is None else np.exp(-self.screening * d) / d
        dkernel = -kernel / d if self.screening is None else -kernel * (self.screening + 1.0 / d)
        e = 0.5 * _K * q[i] * q[j] * kernel
        de = 0.5 * _K * q[i] * q[j] * dkernel
        f = (de / d)[:, None] * D
        forces = np.zeros((len(a), 3))
        np.add.at(forces, i, f)
        np.add.at(forces, j, -f)
        self.results = {"energy": float(e.sum()), "free_energy": float(e.sum()), "forces": forces}
        if a.pbc.all():
            virial = -np.einsum("p,pa,pb->ab", de / d, D, D)
            self.results["stress"] = -virial[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]] / a.get_volume()


def _results(calc: Calculator, atoms: Atoms) -> dict:
    a = atoms.copy()
    a.set_array("charge", a.get_initial_charges())  # where matscipy's Ewald reads them
    a.calc = calc
    out = {"energy": a.get_potential_energy(), "forces": a.get_forces()}
    out["free_energy"] = out["energy"]
    if a.pbc.all():
        out["stress"] = a.get_stress()
    return out


class CoulombReference(Calculator):
    """k Σ_{i<j} q_i q_j/r: matscipy's Ewald for 3D-periodic cells (triclinic too, with the
    explicit k-space settings below), a pair sum for molecules."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, accuracy: float = 1e-10, cutoff: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.accuracy, self.real_cutoff = float(accuracy), float(cutoff)
        self.pairs = PairCoulomb()

    def _ewald(self, atoms: Atoms):
        """matscipy's Ewald with explicit k-space settings (its automatic ones call ``np.int``,
        gone in NumPy 2): α from erfc(α r_c) ≈ accuracy, k_c = 2α √ln(1/accuracy)."""
        from matscipy.calculators.ewald import Ewald

        ln = math.log(1.0 / self.accuracy)
        alpha = math.sqrt(ln) / self.real_cutoff
        kc = 2.0 * alpha * math.sqrt(ln)
        lengths = np.linalg.norm(atoms.cell[:], axis=1)
        calc = Ewald()
        calc.set(accuracy=self.accuracy, cutoff=self.real_cutoff, verbose=False,
                 kspace={"alpha": alpha, "nbk_c": [int(np.ceil(kc * L / (2 * math.pi))) for L in lengths], "cutoff": kc})
        return calc

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if self.atoms.pbc.any() and not self.atoms.pbc.all():
            raise ValueError("the Coulomb reference handles molecules and 3D-periodic cells only")
        self.results = _results(self._ewald(self.atoms) if self.atoms.pbc.all() else self.pairs, self.atoms)


def nacl_reference(screening: float | None = None, short_range_cutoff: float = 9.0, accuracy: float = 1e-8):
    """The Tosi–Fumi NaCl calculator: short range + Coulomb (:class:`CoulombReference`) or
    + Yukawa with κ = ``screening`` (1/Å, :class:`PairCoulomb`). Charges are the atoms'
    initial charges (±1 e from :func:`rocksalt_nacl`)."""
    coulomb = CoulombReference(accuracy) if screening is None else PairCoulomb(screening)
    return SumCalculator([TosiFumiShortRange(short_range_cutoff), coulomb])


def rocksalt_nacl(repeat: int = 1, a: float = NACL_A0) -> Atoms:
    """The conventional rock-salt cell (8 ions) repeated, with initial charges ±1 e."""
    atoms = bulk("NaCl", "rocksalt", a=a, cubic=True).repeat(repeat)
    atoms.set_initial_charges(np.where(atoms.numbers == 11, 1.0, -1.0))
    return atoms


def _charged(atoms: Atoms) -> Atoms:
    atoms.set_initial_charges(np.where(atoms.numbers == 11, 1.0, -1.0))
    return atoms


def ion_pair(distance: float) -> Atoms:
    """Na⁺ and Cl⁻ ``distance`` Å apart, no cell (a molecule), with initial charges ±1 e."""
    distance = as_real(distance, "distance (Å)", 0.0, strict=True)
    return _charged(Atoms("NaCl", positions=[[0.0, 0.0, 0.0], [distance, 0.0, 0.0]]))


def schottky_frames(atoms: Atoms, n_frames: int, rattle: float = 0.05, seed: int = 0) -> list[Atoms]:
    """A Schottky pair (one Na and one Cl removed at random: still neutral), the rest rattled (Å)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(as_int(n_frames, "n_frames", minimum=0)):
        snap = atoms.copy()
        na, cl = np.flatnonzero(snap.numbers == 11), np.flatnonzero(snap.numbers == 17)
        del snap[[int(rng.choice(na)), int(rng.choice(cl))]]
        snap.positions += rng.normal(scale=rattle, size=snap.positions.shape)
        frames.append(snap)
    return frames


def nacl_structures(n_rattled: int = 8, n_strained: int = 8, n_schottky: int = 8, n_molten: int = 8, n_pairs: int = 8,
                    repeat: int = 2, pair_range: tuple[float, float] = (2.2, 12.0), seed: int | np.random.SeedSequence = 0
                    ) -> list[Atoms]:
    """Unlabelled NaCl frames, charges ±1 e, ``info["config_type"]`` naming the kind:
    rattled crystals (0.1 Å), strained ones (±3 %), Schottky pairs, a melt (Langevin MD
    at 2500 K in a cell 8 % larger than the crystal's, with the Coulomb reference, a frame
    every 10 steps of 2 fs) and Na⁺–Cl⁻ ion pairs in vacuum at distances log-uniform in
    ``pair_range`` (Å: as many between 2.2 and 4 Å as between 4 and 7). The same frames serve the Coulomb and the screened labels."""
    rng = np.random.default_rng(seed)
    seeds = iter(rng.integers(0, 2**31, size=8).tolist())
    crystal = rocksalt_nacl(repeat)
    kinds = {
        "rattled": rattled_frames(crystal, n_rattled, sigma=0.1, seed=next(seeds)),
        "strained": strained_frames(crystal, n_strained, seed=next(seeds)),
        "schottky": schottky_frames(crystal, n_schottky, seed=next(seeds)),
    }
    melt = rocksalt_nacl(repeat, a=1.08 * NACL_A0)
    melt.rattle(0.2, seed=next(seeds))
    kinds["molten"] = md_frames(melt, nacl_reference(), 2500.0, n_molten, interval=10, equilibration=100, seed=next(seeds))
    low, high = pair_range
    log_d = rng.uniform(math.log(low), math.log(high), size=as_int(n_pairs, "n_pairs", minimum=0))
    kinds["ion_pair"] = [ion_pair(d) for d in np.exp(log_d)]
    frames = []
    for kind, group in kinds.items():
        for atoms in group:
            atoms = _charged(atoms.copy())
            atoms.info["config_type"] = kind
            frames.append(atoms)
    return frames


def _labelled(frames: list[Atoms], screening: float | None) -> list[Atoms]:
    out = label_frames(frames, nacl_reference(screening))  # each frame keeps its config_type
    for atoms in out:
        atoms.info["screening"] = "none" if screening is None else float(screening)
    return out


def generate_nacl_dataset(screening: float | None = None, seed: int = 0, **counts) -> list[Atoms]:
    """:func:`nacl_structures` (``counts``: its ``n_*`` and other options) labelled by the
    Tosi–Fumi reference with bare (``screening=None``) or screened Coulomb (κ 1/Å). Equal
    seeds give the same frames whatever the screening: the two data sets differ only in
    the physics of their labels."""
    return _labelled(nacl_structures(seed=as_int(seed, "seed"), **counts), screening)


def generate_nacl_test_set(screening: float | None = None, seed: int = 12345, n_per_kind: int = 4, **options) -> list[Atoms]:
    """A held-out NaCl set (``n_per_kind`` frames of each kind) from the test stream
    ``SeedSequence(seed, spawn_key=(TEST_STREAM,))``: no training seed repeats its frames."""
    stream = np.random.SeedSequence(as_int(seed, "seed"), spawn_key=(TEST_STREAM,))
    counts = {f"n_{kind}": n_per_kind for kind in ("rattled", "strained", "schottky", "molten", "pairs")}
    return _labelled(nacl_structures(seed=stream, **counts, **options), screening)


def ion_pair_curve(distances, screening: float | None = None) -> list[Atoms]:
    """Na⁺–Cl⁻ pairs at ``distances`` (Å) labelled by the reference: the separation curve."""
    frames = []
    for d in distances:
        atoms = ion_pair(d)
        atoms.info["config_type"] = "ion_pair"
        frames.append(atoms)
    return _labelled(frames, screening)
