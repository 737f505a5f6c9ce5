"""Stress tests: a model against a reference on defect structures, atom by atom, with each
atom's local environment named.

:func:`stress_test` evaluates (and with ``relax``, relaxes) every structure with the model's
calculator and the reference's, and reports the energy error per atom, each atom's force
error |F_model − F_ref| (eV/Å), the relaxed-geometry difference, and each atom's
environment class from the structure itself (:func:`environment_classes`):

* coordination n (neighbours within the midpoint of the perfect fcc crystal's first and
  second shells, from the structure's own nearest-neighbour distance);
* the centrosymmetry parameter (Kelchner, Plimpton & Hamilton, PRB 58, 11085 (1998)),
  P = Σ_{pairs} |r_i + r_j|² over the six most nearly opposite pairs of the 12 nearest
  neighbours (Å²): 0 in a perfect centrosymmetric crystal, large at dislocation cores and
  stacking faults;
* "undercoordinated" (n < 12: free surfaces, vacancy shells, grain-boundary planes),
  "defect" (n > 12, or P ≥ ``csp_threshold``: cores, faults), else "bulk".

Given the perfect crystal (``bulk``, at the structures' lattice constant), each structure's
excess energy ΔE = E − N e_bulk is reported for the model and the reference, each against
its own bulk energy per atom (a defect formation energy; per area, γ, for planar defects
whose ``atoms.info["defect_area"]`` is set, as grain boundaries are); relaxed too with
``relax``. ``stacking_faults`` adds generalised stacking-fault lines, the model's and the
reference's at each one's own lattice constant, with their intrinsic and unstable fault
energies.

Where the model's calculator is an ensemble (it gives ``forces_std``), each atom's σ is
reported too, with the Spearman rank correlations (scipy) of σ with the force error and
with "not bulk", and the AUC of σ as a not-bulk detector: does the uncertainty find the
atoms the model gets wrong? (Against a 0/1 label Spearman's ρ is capped by the class
balance — a few core atoms among many cap it near 0.5 even for a perfect ranking — so the
attainable maximum is reported beside it, and the AUC does not have that cap.)

Each report also holds each atom's force leakage |Rᵀ F(R·A) − F(A)| under one random rotation
(round-off for an exact model; what the panel can colour by). :func:`defect_leakage`
measures equivariance leakage on the same structures (any models:
the exact ENNP in float64 and float32, the naive Cartesian baseline): the worst relative
violation under a rotation, a reflection, the inversion and an improper rotation
(:func:`~ennp_lab.symmetry.report.equivariance_report`), and the rotational-averaging gap
— how far the prediction is from its average over random rotations, |E(A) − ⟨E(RA)⟩|/N
and max |F(A) − ⟨Rᵀ F(RA)⟩| — what averaging over orientations would change.

Atoms flagged in ``atoms.arrays["fixed"]`` (the clamped outer shell of a dislocation
cylinder) are held during relaxation and labelled "fixed" (their forces are the
boundary's, not the defect's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.structures.defects import DEFECT_AREA, StackingFaultLine, nearest_neighbour_distance, stacking_fault_line
from ennp_lab.validation import as_real

__all__ = ["ENVIRONMENTS", "centrosymmetry", "environment_classes", "StructureReport", "FaultComparison",
           "StressTestResult", "stress_test", "defect_leakage"]

#: environment labels, in display order
ENVIRONMENTS = ("bulk", "defect", "undercoordinated", "fixed")


def _neighbours(atoms: Atoms, nearest: float):
    """(i, D) of every pair within 1.5 × ``nearest`` (the fcc first shell and more)."""
    from ase.neighborlist import neighbor_list

    return neighbor_list("iD", atoms, 1.5 * nearest)


def _centrosymmetry(i: np.ndarray, d: np.ndarray, n_atoms: int, n_neighbours: int) -> np.ndarray:
    out = np.full(n_atoms, np.inf)
    for atom in range(n_atoms):
        vectors = d[i == atom]
        if len(vectors) < n_neighbours:
            continue
        vectors = vectors[np.argsort(np.linalg.norm(vectors, axis=1))[:n_neighbours]]
        sums = np.linalg.norm(vectors[:, None, :] + vectors[None, :, :], axis=2) ** 2
        np.fill_diagonal(sums, np.inf)
        used, total = np.zeros(n_neighbours, bool), 0.0
        for flat in np.argsort(sums, axis=None):
            a, b = divmod(int(flat), n_neighbours)
            if a < b and not used[a] and not used[b]:
                used[a] = used[b] = True
                total += sums[a, b]
        out[atom] = total
    return out


def centrosymmetry(atoms: Atoms, n_neighbours: int = 12) -> np.ndarray:
    """(N,) the centrosymmetry parameter (Å²) over each atom's ``n_neighbours`` nearest
    neighbours, the opposite pairs matched greedily by the smallest |r_i + r_j| (as LAMMPS
    does); an atom with fewer neighbours within 1.5 × the crystal's nearest distance
    (:func:`~ennp_lab.structures.defects.nearest_neighbour_distance`) gets inf."""
    i, d = _neighbours(atoms, nearest_neighbour_distance(atoms))
    return _centrosymmetry(i, d, len(atoms), n_neighbours)


def environment_classes(atoms: Atoms, csp_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, coordination, centrosymmetry) of every atom (module docstring)."""
    csp_threshold = as_real(csp_threshold, "csp_threshold (Å²)", 0.0, strict=True)
    nearest = nearest_neighbour_distance(atoms)
    i, d = _neighbours(atoms, nearest)  # one list for the coordination and the centrosymmetry
    cutoff = 0.5 * (1.0 + np.sqrt(2.0)) * nearest  # between the fcc first (d) and second (√2 d) shells
    coordination = np.bincount(i[np.linalg.norm(d, axis=1) < cutoff], minlength=len(atoms))
    csp = _centrosymmetry(i, d, len(atoms), 12)
    labels = np.where(coordination < 12, "undercoordinated", np.where((coordination > 12) | (csp >= csp_threshold), "defect", "bulk"))
    fixed = np.asarray(atoms.arrays.get("fixed", np.zeros(len(atoms), bool)), bool)
    labels = np.where(fixed, "fixed", labels).astype(object)
    return labels, coordination, csp


@dataclass(frozen=True)
class StructureReport:
    """One structure's comparison.

    Attributes:
        name: its label.
        atoms: the structure as given.
        energy_error: (E_model − E_ref)/N, eV/atom, at the structure as given.
        force_error: (N,) |F_model − F_ref|, eV/Å, at the structure as given.
        environment: (N,) labels (:data:`ENVIRONMENTS`).
        coordination, centrosymmetry: (N,) the labels' ingredients.
        relaxed_difference: (N,) |r_model − r_ref| (Å) of the two relaxed structures, or None.
        relaxed_energy_error: (E_model − E_ref)/N at each one's relaxed structure, or None.
        sigma: (N,) the ensemble's force σ (eV/Å) at the structure as given, or None.
        excess_energy: (model, reference) E − N e_bulk (eV) at the structure as given, each
            against its own bulk energy, or None without a bulk crystal.
        relaxed_excess_energy: the same at each one's relaxed structure, or None.
        leakage: (N,) |Rᵀ F(R·A) − F(A)| (eV/Å) of the model under one random rotation R of
            the structure: each atom's equivariance violation (round-off for an exact model).
    """

    name: str
    atoms: Atoms
    energy_error: float
    force_error: np.ndarray
    environment: np.ndarray
    coordination: np.ndarray
    centrosymmetry: np.ndarray
    relaxed_difference: np.ndarray | None = None
    relaxed_energy_error: float | None = None
    sigma: np.ndarray | None = None
    excess_energy: tuple[float, float] | None = None
    relaxed_excess_energy: tuple[float, float] | None = None
    leakage: np.ndarray | None = None

    def per_atom(self, quantity: str) -> np.ndarray:
        """(N,) "force error", "σ" or "leakage" (eV/Å).

        Raises:
            ValueError: an unknown quantity, or one this report does not have.
        """
        values = {"force error": self.force_error, "σ": self.sigma, "leakage": self.leakage}
        if quantity not in values:
            raise ValueError(f"quantity must be one of {list(values)}, got {quantity!r}")
        if values[quantity] is None:
            why = "σ needs an ensemble calculator" if quantity == "σ" else "stress_test(..., leakage=True) computes it"
            raise ValueError(f"the report of {self.name!r} has no {quantity!r} ({why})")
        return values[quantity]

    @property
    def excess_energy_error(self) -> float | None:
        """(ΔE_model − ΔE_ref)/N, eV/atom: the energy error with each counted against its own
        bulk (independent of the two energy zeros), or None without a bulk crystal."""
        if self.excess_energy is None:
            return None
        return (self.excess_energy[0] - self.excess_energy[1]) / len(self.atoms)

    @property
    def defect_area(self) -> float | None:
        """The planar defect's area (Å², ``atoms.info["defect_area"]``), or None."""
        area = self.atoms.info.get(DEFECT_AREA)
        return None if area is None else float(area)

    def formation_energy(self, relaxed: bool = True) -> tuple[float, float] | None:
        """(model, reference) excess energy: per area (eV/Å²) where the structure has a
        defect area, else eV; relaxed where available and asked for; None without bulk."""
        pair = self.relaxed_excess_energy if relaxed and self.relaxed_excess_energy is not None else self.excess_energy
        if pair is None:
            return None
        area = self.defect_area
        return pair if area is None else (pair[0] / area, pair[1] / area)

    def sigma_ranking(self) -> dict[str, float]:
        """Spearman ρ of σ with the force error and with the non-bulk indicator (atoms held
        fixed left out); {} without σ."""
        return {} if self.sigma is None else _spearman(self.sigma, self.force_error, self.environment)

    def force_error_by_environment(self) -> dict[str, float]:
        """Mean per-atom force error of each environment class present (eV/Å)."""
        return {env: float(self.force_error[self.environment == env].mean()) for env in ENVIRONMENTS
                if np.any(self.environment == env)}


@dataclass(frozen=True)
class FaultComparison:
    """A generalised stacking-fault line of the model and of the reference (each at its own
    lattice constant), γ in eV/Å²."""

    model: StackingFaultLine
    reference: StackingFaultLine

    def energies(self) -> dict[str, float]:
        """Intrinsic and unstable fault energies of both, and their differences (eV/Å²)."""
        out = {}
        for kind in ("intrinsic", "unstable"):
            mine, theirs = getattr(self.model, kind)(), getattr(self.reference, kind)()
            out.update({f"{kind}_model": mine, f"{kind}_reference": theirs, f"{kind}_difference": mine - theirs})
        return out


@dataclass(frozen=True)
class StressTestResult:
    """All structures' reports (``reports[name]``) and stacking-fault comparisons
    (``faults[label]``)."""

    reports: dict[str, StructureReport]
    faults: dict[str, FaultComparison] = field(default_factory=dict)

    def sigma_ranking(self) -> dict[str, float]:
        """The Spearman ρ of :meth:`StructureReport.sigma_ranking` over the atoms of all
        structures together ({} without σ)."""
        with_sigma = [r for r in self.reports.values() if r.sigma is not None]
        if not with_sigma:
            return {}
        return _spearman(*(np.concatenate([getattr(r, k) for r in with_sigma]) for k in ("sigma", "force_error", "environment")))

    def table(self) -> list[dict]:
        """One row per structure: energy error (meV/atom is the display's), mean force error
        per environment, largest force error, relaxed-geometry difference."""
        rows = []
        for name, r in self.reports.items():
            row = {"structure": name, "atoms": len(r.atoms), "energy_error_eV_per_atom": r.energy_error,
                   "max_force_error": float(r.force_error.max())}
            row.update({f"force_error_{k}": v for k, v in r.force_error_by_environment().items()})
            if r.relaxed_difference is not None:
                row["max_relaxed_difference_A"] = float(r.relaxed_difference.max())
            if r.excess_energy_error is not None:
                row["excess_energy_error_eV_per_atom"] = r.excess_energy_error
            formation = r.formation_energy()
            if formation is not None:
                unit = "eV_per_A2" if r.defect_area is not None else "eV"
                row.update({f"formation_model_{unit}": formation[0], f"formation_reference_{unit}": formation[1],
                            f"formation_difference_{unit}": formation[0] - formation[1]})
            row.update({f"sigma_spearman_{k}": v for k, v in r.sigma_ranking().items()})
            if r.leakage is not None:
                row["max_leakage_eV_per_A"] = float(r.leakage.max())
            rows.append(row)
        return rows


def _spearman(sigma: np.ndarray, error: np.ndarray, environment: np.ndarray) -> dict[str, float]:
    """Spearman ρ of σ with the force error and with "not bulk"; the largest ρ a perfect
    ranking could reach against the 0/1 label at this class balance (few core atoms cap it:
    0.50 for 5 of 54); and the AUC, the fraction of (not bulk, bulk) pairs that σ orders
    defect-first (Mann–Whitney U / n₁n₀; 0.5 is chance, 1 perfect)."""
    from scipy.stats import mannwhitneyu, spearmanr

    free = environment != "fixed"
    s, label = sigma[free], (environment[free] != "bulk")
    out = {"with_force_error": float(spearmanr(s, error[free]).statistic),
           "with_not_bulk": float(spearmanr(s, label.astype(float)).statistic)}
    n1, n0 = int(label.sum()), int((~label).sum())
    if n1 and n0:
        ideal = np.r_[np.zeros(n0), np.ones(n1)]
        out["with_not_bulk_attainable"] = float(spearmanr(np.arange(n0 + n1), ideal).statistic)
        out["auc_not_bulk"] = float(mannwhitneyu(s[label], s[~label]).statistic / (n1 * n0))
    return out


def _evaluate(atoms: Atoms, calc: Calculator) -> tuple[float, np.ndarray, np.ndarray | None]:
    a = atoms.copy()
    a.set_constraint()  # the raw forces, also on atoms a builder fixed
    a.calc = calc
    energy, forces = a.get_potential_energy(), a.get_forces()
    sigma = np.asarray(calc.get_property("forces_std", a)) if "forces_std" in calc.implemented_properties else None
    return energy, forces, sigma


def _turned_forces(atoms: Atoms, calc: Calculator, rotation: np.ndarray) -> tuple[float, np.ndarray]:
    """(E, Rᵀ F) of the structure turned by ``rotation`` (positions and cell together): the
    forces brought back into the structure's own frame."""
    turned = atoms.copy()
    turned.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=True)
    energy, forces, _ = _evaluate(turned, calc)
    return energy, forces @ rotation


def _relaxed(atoms: Atoms, calc: Calculator, fmax: float, steps: int) -> Atoms:
    from ase.constraints import FixAtoms
    from ase.optimize import BFGS

    a = atoms.copy()
    fixed = np.asarray(atoms.arrays.get("fixed", np.zeros(len(atoms), bool)), bool)
    a.set_constraint(FixAtoms(mask=fixed) if fixed.any() else None)
    a.calc = calc
    BFGS(a, logfile=None).run(fmax=fmax, steps=steps)
    return a


def stress_test(calc: Calculator, reference: Calculator, structures: Mapping[str, Atoms], relax: bool = False,
                fmax: float = 0.02, steps: int = 300, csp_threshold: float = 0.5, bulk: Atoms | None = None,
                stacking_faults: Mapping[str, tuple] | None = None, fault_images: int = 13, leakage: bool = True,
                seed: int = 0) -> StressTestResult:
    """Compare ``calc`` with ``reference`` on each of ``structures`` (name → Atoms; module
    docstring); with ``relax`` both relax each structure (BFGS to ``fmax``, fixed atoms held).

    Args:
        bulk: the perfect crystal at the structures' lattice constant (excess energies).
        stacking_faults: label → (symbol, a_model, a_reference): a relaxed (111) fault line
            of ``fault_images`` images for each calculator at its own lattice constant.
        leakage: also each atom's force leakage under a random rotation (``seed``).

    Raises:
        ValueError: no structures, or an empty one; an empty bulk crystal.
    """
    if not structures:
        raise ValueError("stress_test needs at least one structure")
    bulk_energy = None
    if bulk is not None:
        if len(bulk) == 0:
            raise ValueError("the bulk crystal has no atoms")
        bulk_energy = tuple(_evaluate(bulk, c)[0] / len(bulk) for c in (calc, reference))
    from ennp_lab.symmetry.operations import random_rotation

    rotation = random_rotation(np.random.default_rng(seed))
    reports = {}
    for name, atoms in structures.items():
        if len(atoms) == 0:
            raise ValueError(f"structure {name!r} has no atoms")
        (e_model, f_model, sigma), (e_ref, f_ref, _) = _evaluate(atoms, calc), _evaluate(atoms, reference)
        labels, coordination, csp = environment_classes(atoms, csp_threshold)
        difference = relaxed_error = excess = relaxed_excess = None
        n = len(atoms)
        if bulk_energy is not None:
            excess = (e_model - n * bulk_energy[0], e_ref - n * bulk_energy[1])
        if relax:
            mine, theirs = _relaxed(atoms, calc, fmax, steps), _relaxed(atoms, reference, fmax, steps)
            difference = np.linalg.norm(mine.positions - theirs.positions, axis=1)
            e_mine, e_theirs = mine.get_potential_energy(), theirs.get_potential_energy()
            relaxed_error = (e_mine - e_theirs) / n
            if bulk_energy is not None:
                relaxed_excess = (e_mine - n * bulk_energy[0], e_theirs - n * bulk_energy[1])
        violation = np.linalg.norm(_turned_forces(atoms, calc, rotation)[1] - f_model, axis=1) if leakage else None
        reports[name] = StructureReport(name, atoms.copy(), (e_model - e_ref) / n,
                                        np.linalg.norm(f_model - f_ref, axis=1), labels, coordination, csp,
                                        difference, relaxed_error, sigma, excess, relaxed_excess, violation)
    faults = {}
    for label, (symbol, a_model, a_reference) in (stacking_faults or {}).items():
        faults[label] = FaultComparison(
            stacking_fault_line(symbol, a_model, calc, n_images=fault_images, relax=True),
            stacking_fault_line(symbol, a_reference, reference, n_images=fault_images, relax=True))
    return StressTestResult(reports, faults)


_O3_KINDS = ("rotation", "reflection", "inversion", "improper rotation")


def defect_leakage(models: Mapping[str, object], structures: Mapping[str, Atoms], rotations: int = 3,
                   seed: int = 0) -> list[dict]:
    """One row per (model, structure): ``leakage`` (worst relative violation over the O(3)
    operations and the outputs energy, forces, stress), ``energy_gap`` (eV/atom) and
    ``force_gap`` (eV/Å) of the average over ``rotations`` random rotations (module
    docstring). ``models``: name → an ennp_lab model or an ASE calculator.

    Raises:
        ValueError: no models or no structures, fewer than 1 rotation.
    """
    from ennp_lab.symmetry.operations import random_rotation, standard_operations
    from ennp_lab.symmetry.report import _as_calculator, equivariance_report

    if not models or not structures:
        raise ValueError("defect_leakage needs at least one model and one structure")
    if int(rotations) < 1:
        raise ValueError(f"rotations must be at least 1, got {rotations}")
    rows = []
    for structure_name, atoms in structures.items():
        atoms = atoms.copy()
        atoms.set_constraint()
        ops = [op for op in standard_operations(atoms, seed) if op.kind in _O3_KINDS]
        rng = np.random.default_rng(seed)
        turns = [random_rotation(rng) for _ in range(int(rotations))]
        for model_name, model in models.items():
            calc = _as_calculator(model)
            report = equivariance_report(calc, atoms, operations=ops)
            e0, f0, _ = _evaluate(atoms, calc)
            energies, forces = [], []
            for r in turns:
                e, f = _turned_forces(atoms, calc, r)
                energies.append(e)
                forces.append(f)
            rows.append({"model": model_name, "structure": structure_name, "atoms": len(atoms), "leakage": report.max(),
                         "energy_gap": abs(e0 - float(np.mean(energies))) / len(atoms),
                         "force_gap": float(np.abs(f0 - np.mean(forces, axis=0)).max())})
    return rows
