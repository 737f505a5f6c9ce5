"""Reference calculators for demonstrations: EMT with a short-wavelength "noise" ripple.

A reference method can carry high-frequency numerical noise (an egg-box effect of a
real-space grid, an unconverged basis). Modelled here as a pair ripple added to EMT,

    E = E_EMT + ½ Σ_{i≠j} φ(r_ij),     φ(r) = −A cos(2π (r − r_0)/λ) s(r),

with amplitude A (eV), wavelength λ (Å), r_0 where the ripple's curvature
φ'' = A (2π/λ)² is largest (by default the nearest-neighbour distance of the crystal,
so the ripple stiffens the lattice), and s(r) a smooth switch, 1 below ``r_on`` and
½(1 + cos(π (r − r_on)/(r_cut − r_on))) up to ``r_cut``. The ripple barely changes
energies (|φ| ≤ A) but raises the Hessian's largest eigenvalue by O(A (2π/λ)²) per bond,
which shortens the stable MD time step; a smooth ENNP fitted to such data cannot follow
a ripple far shorter than its radial basis resolves, and keeps the smooth curvature.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT
from ase.calculators.mixing import SumCalculator

from ennp_lab.graph.neighbors import neighbor_list

__all__ = ["PairRipple", "rippled_emt", "noisy_force_labels", "CUAU_NOISE", "noisy_cuau_frames"]

#: force-label noise (eV/Å per component) of :func:`noisy_cuau_frames`
CUAU_NOISE = {"Au": 0.3, "Cu": 0.1}


class PairRipple(Calculator):
    """The pair ripple φ(r) of the module docstring as an ASE calculator (energy, forces, stress).

    Args:
        amplitude: A, eV.
        wavelength: λ, Å.
        r0: Å, where the curvature φ'' is largest.
        r_on, r_cut: the smooth switch, Å (r_on < r_cut).
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, amplitude: float, wavelength: float, r0: float, r_on: float = 3.7, r_cut: float = 4.0, **kwargs):
        super().__init__(**kwargs)
        if wavelength <= 0 or not 0 < r_on < r_cut:
            raise ValueError(f"need wavelength > 0 and 0 < r_on < r_cut, got {wavelength}, {r_on}, {r_cut}")
        self.amplitude, self.wavelength, self.r0 = float(amplitude), float(wavelength), float(r0)
        self.r_on, self.r_cut = float(r_on), float(r_cut)

    def pair(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """φ(r) (eV) and φ'(r) (eV/Å) for distances r (Å)."""
        k = 2.0 * np.pi / self.wavelength
        wave = -self.amplitude * np.cos(k * (r - self.r0))
        dwave = self.amplitude * k * np.sin(k * (r - self.r0))
        t = np.clip((r - self.r_on) / (self.r_cut - self.r_on), 0.0, 1.0)
        switch = 0.5 * (1.0 + np.cos(np.pi * t))
        dswitch = np.where((t > 0) & (t < 1), -0.5 * np.pi * np.sin(np.pi * t) / (self.r_cut - self.r_on), 0.0)
        return wave * switch, dwave * switch + wave * dswitch

    def calculate(self, atoms: Atoms | None = None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        positions = atoms.get_positions()
        i, j, shifts, r = neighbor_list(positions, atoms.cell.array, atoms.pbc, self.r_cut)
        phi, dphi = self.pair(r)
        d = positions[j] - positions[i] + shifts @ atoms.cell.array
        energies = 0.5 * np.bincount(i, weights=phi, minlength=len(atoms))
        pair_force = (dphi / r)[:, None] * d  # on atom i from its neighbour j
        forces = np.zeros_like(positions)
        np.add.at(forces, i, pair_force)
        self.results["energies"] = energies
        self.results["energy"] = self.results["free_energy"] = float(energies.sum())
        self.results["forces"] = forces
        if atoms.pbc.all():
            virial = 0.5 * np.einsum("e,ea,eb->ab", dphi / r, d, d)
            stress = virial / atoms.get_volume()
            self.results["stress"] = stress.ravel()[[0, 4, 8, 5, 2, 1]]


def rippled_emt(element: str = "Cu", amplitude: float = 0.002, wavelength: float = 0.25, r0: float | None = None) -> Calculator:
    """EMT plus :class:`PairRipple` (defaults: A = 2 meV, λ = 0.25 Å, r_0 = the FCC
    nearest-neighbour distance a_0/√2 of ``element`` with EMT)."""
    if r0 is None:
        from ennp_lab.data.generators import emt_lattice_constant

        r0 = emt_lattice_constant(element) / np.sqrt(2.0)
    return SumCalculator([EMT(), PairRipple(amplitude, wavelength, r0)])


def noisy_force_labels(frames, sigma_by_element: dict[str, float], seed: int = 0) -> list[Atoms]:
    """Copies of labelled ``frames`` whose forces carry Gaussian noise of standard
    deviation ``sigma_by_element[symbol]`` (eV/Å, per component; elements not listed: 0).

    A controlled *aleatoric* noise, e.g. a reference that converges one element worse
    than another, to test that a heteroscedastic noise head recovers it. Energies and
    stresses are kept.

    Raises:
        ValueError: frames without forces, a negative σ.
    """
    from ase.calculators.singlepoint import SinglePointCalculator

    if any(s < 0 for s in sigma_by_element.values()):
        raise ValueError(f"noise levels must be >= 0, got {sigma_by_element}")
    rng = np.random.default_rng(seed)
    out = []
    for k, frame in enumerate(frames):
        if frame.calc is None or "forces" not in frame.calc.results:
            raise ValueError(f"frame {k} has no force labels to add noise to")
        sigma = np.array([sigma_by_element.get(s, 0.0) for s in frame.get_chemical_symbols()])
        atoms = frame.copy()
        results = {key: np.copy(v) if isinstance(v, np.ndarray) else v for key, v in frame.calc.results.items()}
        results["forces"] = results["forces"] + rng.normal(size=(len(atoms), 3)) * sigma[:, None]
        atoms.calc = SinglePointCalculator(atoms, **results)
        out.append(atoms)
    return out


def noisy_cuau_frames(n_frames: int, noise: dict[str, float] | None = None, rattle: float = 0.08,
                      seed: int = 0) -> list[Atoms]:
    """EMT-labelled, rattled 16-atom CuAu (every other atom Au, a = 3.75 Å) whose force
    labels carry element-dependent Gaussian noise (default :data:`CUAU_NOISE`): a test
    bed for heteroscedastic (aleatoric) noise models. ``config_type`` is "noisy CuAu"."""
    from ase.build import bulk

    from ennp_lab.data.generators import label_frames, rattled_frames

    cell = bulk("Cu", "fcc", a=3.75, cubic=True).repeat((2, 2, 1))
    cell.symbols[::2] = "Au"
    clean = label_frames(rattled_frames(cell, n_frames, sigma=rattle, seed=seed), EMT(), "noisy CuAu")
    return noisy_force_labels(clean, CUAU_NOISE if noise is None else noise, seed=seed + 1)
