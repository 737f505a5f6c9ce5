"""Design problems shipped as examples, each with the reference that verifies its result.

* :func:`chirality_problem`: make a CHFClBr stereocentre (relaxed by GFN2-xTB) as chiral
  as possible for the shipped ``chirality-o3`` model (its pseudoscalar head, maximised),
  while GFN2-xTB (tblite) keeps the energy within ``window`` eV of the start and no two atoms closer
  than 0.9 Å; verified by the analytic pseudoscalar χ the model was trained on
  (:func:`~ennp_lab.data.chiral.pseudoscalar_label`) and by xTB's energy.
* :func:`timestep_problem`: a Cu cell with a vacancy (the shipped ``cu-emt`` ENNP) moved
  until its velocity-Verlet limit Δt_max = 2/ω_max reaches ``fraction`` of the start's
  (a stiffer local mode), within ``window`` eV of the start's energy; verified with EMT's
  own Δt_max (finite-difference Hessian) at the designed structure.
* :func:`stiffness_problem`: the same kind of Cu vacancy cell moved until its clamped-ion
  Young's modulus along [111] reaches ``fraction`` of the start's (``cu-emt``, L-BFGS
  steps); verified with EMT's clamped-ion C by finite differences of its stress.
* :func:`strained_stiffness_problem`: a perfect Cu cell whose *cell* (and positions) move
  until E[111] reaches ``fraction`` of the start's (variable-cell L-BFGS,
  :func:`~ennp_lab.design.loop.run_cell_design`); verified with EMT's C by finite
  differences of its stress.
* :func:`polarization_problem`: a BaTiO₃ cell (the shipped field-aware ``batio3-field``
  ENNP) distorted from the cubic structure until its polarization along ``direction``
  reaches ``target`` C/m², with the energy kept at or below the cubic structure's (so the
  distortion follows the soft polar mode rather than any dipole-making one) — a
  constrained-polarization structure, as a fixed-P first-principles calculation makes;
  verified by the bond-valence reference's own P and energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.design.loop import DesignResult, run_design
from ennp_lab.design.objectives import (Combined, EnergyCeiling, MinimumDistance, ModelScalar, Objective,
                                        PolarizationTarget, TimestepTarget, YoungsModulusTarget)

__all__ = ["DesignProblem", "chirality_problem", "timestep_problem", "stiffness_problem", "strained_stiffness_problem",
           "polarization_problem"]


@dataclass(frozen=True)
class DesignProblem:
    """A start, an objective to minimise, the value that counts as reached, the reference
    check ``verify(atoms) -> dict`` of a designed structure, and the calculator whose
    energy the problem constrains (``calc``: the one to relax on between design steps)."""

    name: str
    atoms: Atoms
    objective: Objective
    target: float | None
    verify: Callable[[Atoms], dict]
    calc: Calculator | None = None

    def compare(self, target: float | None = None, steps: int = 40, step_size: float = 0.02,
                max_step: float = 0.05, method: str = "gradient", relax_steps: int = 0,
                relax_fmax: float = 0.02) -> dict[str, DesignResult]:
        """{"projected": …, "naive": …}: the design loop from the start with and without the
        projection, to ``target`` (default the problem's); ``relax_steps`` > 0 relaxes on
        ``calc`` between design steps (:func:`~ennp_lab.design.loop.run_design`)."""
        target = self.target if target is None else target
        relax = None
        if relax_steps:
            if self.calc is None:
                raise ValueError(f"the design problem {self.name!r} has no calculator to relax on")
            relax = self.calc
        return {label: run_design(self.atoms, self.objective, steps=steps, step_size=step_size, max_step=max_step,
                                  target=target, project=project, method=method, relax=relax, relax_steps=relax_steps or 20,
                                  relax_fmax=relax_fmax)
                for label, project in (("projected", True), ("naive", False))}


def chirality_problem(window: float = 0.3, seed: int = 0) -> DesignProblem:
    """Maximise ``chirality-o3``'s χ of a stereocentre under a GFN2-xTB energy window."""
    from ase.optimize import BFGS
    from tblite.ase import TBLite

    from ennp_lab.data.chiral import pseudoscalar_label, stereocentre
    from ennp_lab.pretrained import load_pretrained

    atoms = stereocentre(("H", "F", "Cl", "Br"), seed=seed)
    xtb = TBLite(method="GFN2-xTB", verbosity=0)
    atoms.calc = xtb
    BFGS(atoms, logfile=None).run(fmax=0.05, steps=200)  # start from xTB's (near) minimum
    e0 = atoms.get_potential_energy()
    atoms.calc = None
    chi = ModelScalar(load_pretrained("chirality-o3"), "chirality", scale=-1.0, name="−χ (chirality-o3)")
    objective = Combined([(1.0, chi), (1.0, EnergyCeiling(xtb, e0 + window, 20.0)), (1.0, MinimumDistance(0.9))])

    def verify(designed: Atoms) -> dict:
        a = designed.copy()
        a.calc = xtb
        return {"chi_label": pseudoscalar_label(designed), "chi_label_start": pseudoscalar_label(atoms),
                "chi_model": -chi(designed)[0], "xtb_energy_rise": a.get_potential_energy() - e0}

    return DesignProblem("chirality", atoms, objective, None, verify, xtb)


def _cu_vacancy_cell(repeat, rattle: float, seed: int) -> Atoms:
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(repeat)
    del atoms[0]
    atoms.rattle(rattle, seed=seed)  # no symmetry: no degenerate modes, no zero internal strain
    return atoms


def _stiffness(atoms: Atoms, fraction: float, window: float, direction, name: str) -> DesignProblem:
    """E(n̂) → ``fraction`` × the start's with ``cu-emt`` within ``window`` eV; EMT verifies."""
    from ase.calculators.emt import EMT

    from ennp_lab.calculator import ENNPCalculator
    from ennp_lab.pretrained import load_pretrained
    from ennp_lab.properties.elasticity import compute_elastic_tensor

    model = load_pretrained("cu-emt")
    calc = ENNPCalculator(model, device="cpu")
    start = atoms.copy()
    start.calc = calc
    probe = YoungsModulusTarget(model, 1.0, direction)
    goal = fraction * float(probe.modulus(atoms).detach())
    objective = Combined([(1.0, YoungsModulusTarget(model, goal, direction)),
                          (1.0, EnergyCeiling(calc, start.get_potential_energy() + window, 1.0))])

    def verify(designed: Atoms) -> dict:
        emt = compute_elastic_tensor(designed, EMT(), method="finite-difference").young(probe.direction[None])[0]
        return {"target": goal, "model": float(probe.modulus(designed).detach()), "emt": float(emt),
                "strain": np.linalg.solve(atoms.cell[:], designed.cell[:]) - np.eye(3)}

    return DesignProblem(name, atoms, objective, 1e-5, verify, calc)


def stiffness_problem(fraction: float = 0.95, window: float = 0.5, direction=(1.0, 1.0, 1.0), repeat=(2, 1, 1),
                      rattle: float = 0.02, seed: int = 0) -> DesignProblem:
    """Reach E(n̂) = ``fraction`` × the start's clamped-ion Young's modulus in a Cu cell with a
    vacancy (``cu-emt``) by moving its atoms, within ``window`` eV of the start's energy."""
    return _stiffness(_cu_vacancy_cell(repeat, rattle, seed), fraction, window, direction, "stiffness")


def strained_stiffness_problem(fraction: float = 1.05, window: float = 0.3, direction=(1.0, 1.0, 1.0),
                               rattle: float = 0.01, seed: int = 1) -> DesignProblem:
    """Reach E(n̂) = ``fraction`` × the start's by straining a Cu cell (``cu-emt``), within
    ``window`` eV of its energy; run it with :func:`~ennp_lab.design.loop.run_cell_design`."""
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True)
    atoms.rattle(rattle, seed=seed)
    return _stiffness(atoms, fraction, window, direction, "strained stiffness")


def timestep_problem(fraction: float = 0.95, window: float = 0.5, repeat=(2, 1, 1), rattle: float = 0.02,
                     seed: int = 0) -> DesignProblem:
    """Reach Δt_max = ``fraction`` × the start's in a Cu cell with a vacancy (``cu-emt``)."""
    from ase.calculators.emt import EMT

    from ennp_lab.calculator import ENNPCalculator
    from ennp_lab.pretrained import load_pretrained
    from ennp_lab.properties.stability import compute_max_stable_timestep

    model = load_pretrained("cu-emt")
    atoms = _cu_vacancy_cell(repeat, rattle, seed)
    calc = ENNPCalculator(model, device="cpu")
    start = atoms.copy()
    start.calc = calc
    e0 = start.get_potential_energy()
    goal = fraction * compute_max_stable_timestep(atoms, calc)
    timestep = TimestepTarget(model, goal)
    objective = Combined([(1.0, timestep), (1.0, EnergyCeiling(calc, e0 + window, 1.0))])

    def verify(designed: Atoms) -> dict:
        return {"target_fs": goal, "model_fs": compute_max_stable_timestep(designed, calc),
                "emt_fs": compute_max_stable_timestep(designed, EMT())}

    return DesignProblem("timestep", atoms, objective, 1e-5, verify, calc)


def polarization_problem(target: float = 0.04, direction=(0.0, 0.0, 1.0), rattle: float = 0.002,
                         seed: int = 0) -> DesignProblem:
    """Reach P·n̂ = ``target`` (C/m²) in BaTiO₃ with ``batio3-field``, no higher in energy than
    the cubic structure; the reference checks P and the energy."""
    from ennp_lab import keys
    from ennp_lab.calculator import ENNPCalculator
    from ennp_lab.data.perovskite import batio3_ground_state
    from ennp_lab.pretrained import load_pretrained
    from ennp_lab.units import E_PER_A2_TO_C_PER_M2, EV_TO_MEV

    _, para, reference = batio3_ground_state()
    calc = ENNPCalculator(load_pretrained("batio3-field"), device="cpu")
    calc.set(electric_field=np.zeros(3))
    atoms = para.copy()
    atoms.rattle(rattle, seed=seed)
    cubic = para.copy()
    cubic.calc = calc
    polarization = PolarizationTarget(calc, target / E_PER_A2_TO_C_PER_M2, direction)
    objective = Combined([(1.0, polarization), (1.0, EnergyCeiling(calc, cubic.get_potential_energy(), 100.0))])
    n = polarization.direction

    def verify(designed: Atoms) -> dict:
        a, b = designed.copy(), para.copy()
        reference.set(electric_field=None)
        a.calc = b.calc = reference
        return {"target_C_m2": target, "model_C_m2": polarization.polarization(designed) * E_PER_A2_TO_C_PER_M2,
                "reference_C_m2": float(np.asarray(reference.get_property(keys.POLARIZATION, a)) @ n) * E_PER_A2_TO_C_PER_M2,
                "reference_energy_below_cubic_meV": (b.get_potential_energy() - a.get_potential_energy()) * EV_TO_MEV}

    return DesignProblem("polarization", atoms, objective, 1e-4, verify, calc)
