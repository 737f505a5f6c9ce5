"""An analytic embedded-atom potential for copper, the physical reference of the stress
tests (EMT's stacking-fault energies are unphysical: ISF −5.4 mJ/m², hcp below fcc).

Mishin, Mehl, Papaconstantopoulos, Voter, Kress, *Phys. Rev. B* **63**, 224106 (2001),
"Cu EAM1", implemented from the paper's formulas and Table I parameters:

    E = Σ_i F(ρ̄_i) + ½ Σ_{i≠j} φ(r_ij),   ρ̄_i = Σ_{j≠i} ρ(r_ij)

    φ(r) = [E₁ M(r, r₀⁽¹⁾, α₁) + E₂ M(r, r₀⁽²⁾, α₂) + δ] ψ((r − r_c)/h)
           − Σ_{n=1..3} H(r_s⁽ⁿ⁾ − r) S_n (r_s⁽ⁿ⁾ − r)⁴
    M(r, r₀, α) = exp[−2α(r − r₀)] − 2 exp[−α(r − r₀)]          (Morse)
    ρ(r) = [a exp(−β₁(r − r₀⁽³⁾)²) + exp(−β₂(r − r₀⁽⁴⁾))] ψ((r − r_c)/h)
    ψ(x) = x⁴/(1 + x⁴) for x < 0, else 0                         (cutoff r_c)
    F(ρ̄) = F⁽⁰⁾ + ½F⁽²⁾(ρ̄−1)² + Σ_{n=1..4} q_n (ρ̄−1)^{n+2}                     ρ̄ < 1
    F(ρ̄) = [F⁽⁰⁾ + ½F⁽²⁾(ρ̄−1)² + q₁(ρ̄−1)³ + Q₁(ρ̄−1)⁴] / [1 + Q₂(ρ̄−1)³]      ρ̄ ≥ 1

(ρ̄ = 1 in the perfect crystal at equilibrium; the second density term is below 1e-300 at
any r ≥ 0 with the published r₀⁽⁴⁾ and has no effect.) Its published properties
(:data:`PUBLISHED`, the paper's Table III) are the oracle of the tests, and the functions
agree to 1e-12 with the tabulation distributed with LAMMPS (``Cu_mishin1.eam.alloy``,
evaluated there by ASE's own EAM calculator). Neighbours from matscipy, not from
ennp_lab's graph code, so that the reference shares nothing with the model path.
"""

from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

__all__ = ["MishinCu", "PUBLISHED", "PARAMETERS"]

#: Table I of Mishin et al. 2001 (Cu EAM1): eV, Å.
PARAMETERS = {
    "rc": 5.50679, "h": 0.50037,
    "E1": 2.01458e2, "E2": 6.59288e-3, "r01": 0.83591, "r02": 4.46867, "alpha1": 2.97758, "alpha2": 1.54927,
    "delta": 0.86225e-2,
    "rs": (2.24, 1.80, 1.20), "S": (4.00, 40.00, 1.15e3),
    "a": 3.80362, "r03": -2.19885, "r04": -2.61984e2, "beta1": 0.17394, "beta2": 5.35661e2,
    "F0": -2.28235, "F2": 1.35535, "q": (-1.27775, -0.86074, 1.78804, 2.97571), "Q1": 0.4000, "Q2": 0.3000,
}

#: Table III of Mishin et al. 2001, "EAM1" column: Å, eV, GPa, mJ/m².
PUBLISHED = {
    "a0": 3.615, "cohesive_energy": 3.54, "bulk_modulus": 138.3,
    "C11": 169.9, "C12": 122.6, "C44": 76.2,
    "intrinsic_stacking_fault": 44.4, "unstable_stacking_fault": 158.0,
}


def _psi(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cutoff function ψ(x) and dψ/dx (x = (r − r_c)/h)."""
    x = np.minimum(x, 0.0)
    x4 = x**4
    return x4 / (1.0 + x4), 4.0 * x**3 / (1.0 + x4) ** 2


def _morse(r: np.ndarray, r0: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    e1, e2 = np.exp(-alpha * (r - r0)), np.exp(-2.0 * alpha * (r - r0))
    return e2 - 2.0 * e1, -2.0 * alpha * e2 + 2.0 * alpha * e1


def pair(r: np.ndarray, p: dict = PARAMETERS) -> tuple[np.ndarray, np.ndarray]:
    """φ(r) (eV) and φ'(r) (eV/Å)."""
    r = np.asarray(r, dtype=float)
    psi, dpsi = _psi((r - p["rc"]) / p["h"])
    m1, dm1 = _morse(r, p["r01"], p["alpha1"])
    m2, dm2 = _morse(r, p["r02"], p["alpha2"])
    core = p["E1"] * m1 + p["E2"] * m2 + p["delta"]
    value = core * psi
    slope = (p["E1"] * dm1 + p["E2"] * dm2) * psi + core * dpsi / p["h"]
    for rs, s in zip(p["rs"], p["S"]):
        inside = r < rs
        value = value - np.where(inside, s * (rs - r) ** 4, 0.0)
        slope = slope + np.where(inside, 4.0 * s * (rs - r) ** 3, 0.0)
    return value, slope


def density(r: np.ndarray, p: dict = PARAMETERS) -> tuple[np.ndarray, np.ndarray]:
    """ρ(r) and ρ'(r) (1/Å), normalised so that ρ̄ = 1 in the equilibrium crystal."""
    r = np.asarray(r, dtype=float)
    psi, dpsi = _psi((r - p["rc"]) / p["h"])
    g1 = p["a"] * np.exp(-p["beta1"] * (r - p["r03"]) ** 2)
    g2 = np.exp(np.minimum(-p["beta2"] * (r - p["r04"]), 700.0))
    core = g1 + g2
    slope = -2.0 * p["beta1"] * (r - p["r03"]) * g1 - p["beta2"] * g2
    return core * psi, slope * psi + core * dpsi / p["h"]


def embedding(rho: np.ndarray, p: dict = PARAMETERS) -> tuple[np.ndarray, np.ndarray]:
    """F(ρ̄) (eV) and F'(ρ̄)."""
    y = np.asarray(rho, dtype=float) - 1.0
    q1, q2, q3, q4 = p["q"]
    low = p["F0"] + 0.5 * p["F2"] * y**2 + q1 * y**3 + q2 * y**4 + q3 * y**5 + q4 * y**6
    dlow = p["F2"] * y + 3 * q1 * y**2 + 4 * q2 * y**3 + 5 * q3 * y**4 + 6 * q4 * y**5
    num = p["F0"] + 0.5 * p["F2"] * y**2 + q1 * y**3 + p["Q1"] * y**4
    dnum = p["F2"] * y + 3 * q1 * y**2 + 4 * p["Q1"] * y**3
    den = 1.0 + p["Q2"] * y**3
    high, dhigh = num / den, (dnum * den - num * 3.0 * p["Q2"] * y**2) / den**2
    below = y < 0.0
    return np.where(below, low, high), np.where(below, dlow, dhigh)


def _boxed(atoms, margin: float):
    """``atoms`` with a box around them along non-periodic directions (matscipy's neighbour
    list needs a cell there; the box holds every atom, so no pair is lost or added)."""
    if atoms.pbc.all():
        return atoms
    boxed = atoms.copy()
    cell = np.array(atoms.cell[:], dtype=float)
    low, high = atoms.positions.min(axis=0), atoms.positions.max(axis=0)
    for k in np.nonzero(~atoms.pbc)[0]:
        cell[k] = 0.0
        cell[k, k] = high[k] - low[k] + 2.0 * margin
    if np.linalg.matrix_rank(cell) < 3:
        raise ValueError("a structure periodic along a direction needs a cell vector there")
    boxed.set_cell(cell)
    boxed.positions = atoms.positions - np.where(atoms.pbc, 0.0, low - margin)
    return boxed


class MishinCu(Calculator):
    """ASE calculator of the Mishin 2001 Cu EAM (module docstring): energy, per-atom
    energies, forces and stress (periodic in any directions, or none).

    Raises:
        ValueError: a structure holding anything but Cu.
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]
    label = "Mishin 2001 Cu EAM"
    cutoff = PARAMETERS["rc"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        from matscipy.neighbours import neighbour_list

        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        if np.any(atoms.numbers != 29):
            others = sorted(set(atoms.get_chemical_symbols()) - {"Cu"})
            raise ValueError(f"the Mishin Cu EAM describes copper only; this structure also holds {others}")
        i, j, d, D = neighbour_list("ijdD", _boxed(atoms, self.cutoff), self.cutoff)
        n = len(atoms)
        phi, dphi = pair(d)
        rho, drho = density(d)
        rho_bar = np.bincount(i, weights=rho, minlength=n)
        f, df = embedding(rho_bar)
        energies = f + 0.5 * np.bincount(i, weights=phi, minlength=n)
        # dE/dr for each directed pair (i, j): half the pair term, i's embedding through ρ(r_ij)
        # (j's comes with the reverse pair)
        g = 0.5 * dphi + df[i] * drho
        push = (g / d)[:, None] * D  # ∂E/∂x_j along this pair; −∂E/∂x_i
        forces = np.zeros((n, 3))
        np.add.at(forces, i, push)
        np.add.at(forces, j, -push)
        self.results = {"energy": float(energies.sum()), "free_energy": float(energies.sum()),
                        "energies": energies, "forces": forces}
        if atoms.pbc.all():
            virial = np.einsum("e,ea,eb->ab", g / d, D, D)
            stress = virial / atoms.get_volume()
            self.results["stress"] = stress.reshape(9)[[0, 4, 8, 5, 2, 1]]
