"""The design loop: projected gradient descent (or L-BFGS) with step control, and its record.

Each step evaluates the objective and its gradient g at the current structure, removes
the rigid motions (:func:`~ennp_lab.design.projector.project_rigid`, the modes of the
current positions; ``project=False`` keeps the naive gradient for comparison) and moves
the atoms by −α ĝ with the largest atomic displacement α (Å). A step that does not lower
the objective is halved and retried (up to ``max_halvings``); an accepted one lets α grow
by 20 % (up to ``max_step``). The loop stops when the objective reaches ``target``, the
projected gradient vanishes, no step lowers it, or after ``steps``.

A projected step has no net translation or rotation to first order, but a sequence of
shape changes can still turn a molecule at second order (the "falling cat"): with
``align=True`` (the default with projection) each accepted structure of a molecule is
superposed rigidly on the start (Kabsch, in the metric's weights), which changes no
intrinsic objective and leaves no drift at all.

Relaxation between design steps (``relax=`` an ASE calculator): after each accepted step
the atoms relax on that calculator's forces for up to ``relax_steps`` BFGS steps (ASE's
optimiser) with the direction of the (projected) objective gradient held fixed (ASE's
``FixedMode`` constraint), so the objective is unchanged to first order while the energy
goes down; the loop then walks along the constrained minimum — at each value of the
objective the lowest-energy structure near it, where the forces are parallel to the
objective's gradient (a Lagrange condition), and the design ends near a stationary point
of the energy rather than wherever the steps left it.

Recorded per step: the structure, the objective (and, for a
:class:`~ennp_lab.design.objectives.Combined` one, each weighted term), the norm of the gradient's rigid part
relative to the gradient (what projection removes), and the rigid drift from the start:
the centroid's displacement and the rotation angle of the best superposition (Kabsch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.design.objectives import Objective
from ennp_lab.design.projector import Metric, project_rigid, rigid_components
from ennp_lab.validation import as_int, as_real

__all__ = ["DesignResult", "run_design", "run_cell_design", "relax_holding", "stray_force", "rigid_drift", "superpose"]


def _kabsch(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The rotation R minimising Σ w_i |R y_i − x_i|² of centred point sets (rows)."""
    u, _, vt = np.linalg.svd((w[:, None] * x).T @ y)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def superpose(start: Atoms, now: Atoms, metric: Metric = "unweighted") -> tuple[Atoms, np.ndarray]:
    """``now`` moved rigidly onto ``start`` (centre and orientation, weights 1 or masses),
    and the rotation R applied (r ↦ R (r − c) + c₀)."""
    w = np.ones(len(now)) if metric == "unweighted" else now.get_masses()
    c0, c1 = (w @ start.positions) / w.sum(), (w @ now.positions) / w.sum()
    r = _kabsch(start.positions - c0, now.positions - c1, w)
    out = now.copy()
    out.positions = (now.positions - c1) @ r.T + c0
    return out, r


def _lbfgs_direction(gradient: np.ndarray, history: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """H·g by the L-BFGS two-loop recursion over (s, y) pairs (newest last); g without memory."""
    q = gradient.copy()
    coefficients = []
    for s, y in reversed(history):
        rho = 1.0 / float(np.sum(y * s))
        a = rho * float(np.sum(s * q))
        q -= a * y
        coefficients.append((rho, a, s, y))
    if history:
        s, y = history[-1]
        q *= float(np.sum(s * y)) / float(np.sum(y * y))
    for rho, a, s, y in reversed(coefficients):
        b = rho * float(np.sum(y * q))
        q += (a - b) * s
    return q


def _check_method(method: str) -> None:
    if method not in ("gradient", "lbfgs"):
        raise ValueError(f"method must be 'gradient' or 'lbfgs', got {method!r}")


def _check_start(objective: Objective, value: float, gradient: np.ndarray, what: str) -> None:
    """Refuse a start where the objective is not finite or ``gradient`` is zero (it depends
    on nothing that ``what`` names)."""
    if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
        raise ValueError(f"the objective {objective.name!r} is not finite at the start ({value})")
    if not np.abs(gradient).max() > 0:
        raise ValueError(f"the objective {objective.name!r} does not depend on {what} here (zero gradient): "
                         "nothing to design")


def _line_search(trial_at, scale: float, value: float, max_halvings: int):
    """Halve ``scale`` until ``trial_at(scale) -> (structure, value, gradient…)`` lowers
    ``value``: (scale, that result or None, evaluations)."""
    for evaluations in range(1, max_halvings + 2):
        result = trial_at(scale)
        if np.isfinite(result[1]) and result[1] < value:
            return scale, result, evaluations
        scale *= 0.5
    return scale, None, max_halvings + 1


def _no_descent(scale: float, largest: float) -> str:
    return f"no step lowered the objective (down to {scale * largest:.2g} Å): a minimum, or a target out of reach"


def relax_holding(atoms: Atoms, calc: Calculator, gradient: np.ndarray, steps: int, fmax: float) -> Atoms:
    """``atoms`` (a copy) relaxed by ``calc`` for up to ``steps`` ASE BFGS steps to ``fmax``
    (eV/Å) with the direction ``gradient`` (N, 3) held (ASE ``FixedMode``; none if it is 0)."""
    from ase.constraints import FixedMode
    from ase.optimize import BFGS

    relaxed = atoms.copy()
    relaxed.set_constraint()
    if np.linalg.norm(gradient) > 0:
        relaxed.set_constraint(FixedMode(gradient))
    relaxed.calc = calc
    BFGS(relaxed, logfile=None).run(fmax=fmax, steps=steps)
    out = relaxed.copy()
    out.set_constraint()
    out.calc = None
    return out


def stray_force(atoms: Atoms, calc: Calculator, objective: Objective) -> float:
    """The largest component (eV/Å) of ``calc``'s forces on ``atoms`` left after removing
    their part along the objective's translation/rotation-free gradient: zero where the
    structure is a constrained minimum (forces ∥ ∇f), what relaxing between steps drives down.
    Where ∇f vanishes (the objective at its minimum) nothing is removed."""
    a = atoms.copy()
    a.set_constraint()
    a.calc = calc
    f = a.get_forces().reshape(-1)
    g = project_rigid(atoms, objective(atoms)[1]).reshape(-1)
    norm2 = float(g @ g)
    return float(np.abs(f - (f @ g) / norm2 * g if norm2 > 0 else f).max())


def _terms(objective: Objective) -> dict[str, float]:
    """The weighted terms of ``objective``'s latest evaluation (a Combined one), else {}."""
    return dict(getattr(objective, "last_terms", {}) or {})


def _term_arrays(records: list[dict[str, float]]) -> dict[str, np.ndarray]:
    return {k: np.array([r[k] for r in records]) for k in records[0]} if records and records[0] else {}


def _relax_settings(relax, relax_steps, relax_fmax):
    if relax is None:
        return 0, 0.0
    return as_int(relax_steps, "relax_steps", minimum=1), as_real(relax_fmax, "relax_fmax (eV/Å)", 0.0, strict=True)


def rigid_drift(start: Atoms, now: Atoms) -> tuple[float, float]:
    """(centroid displacement Å, rotation angle ° of the Kabsch superposition) of ``now``
    relative to ``start`` (for a periodic cell the rotation is not a free motion: 0)."""
    a, b = start.positions, now.positions
    shift = float(np.linalg.norm(b.mean(0) - a.mean(0)))
    if np.asarray(now.pbc).all():
        return shift, 0.0
    r = _kabsch(a - a.mean(0), b - b.mean(0), np.ones(len(a)))
    sine = 0.5 * np.linalg.norm([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return shift, float(np.degrees(np.arctan2(sine, (np.trace(r) - 1.0) / 2.0)))  # well conditioned near 0


@dataclass(frozen=True)
class DesignResult:
    """A design run.

    Attributes:
        frames: the structure at every accepted step (the start first).
        values: (M,) the objective at each.
        gradients: (M, N, 3) the raw gradient at each (value units per Å).
        rigid_fraction: (M,) |rigid part of g| / |g| at each.
        drift: (M, 2) centroid displacement (Å) and rotation (°) from the start.
        projected: whether the rigid motions were removed.
        stop_reason: why it stopped.
        evaluations: objective evaluations used (including rejected trial steps).
        terms: label → (M,) each weighted term of a Combined objective ({} otherwise).
        relaxed: whether the atoms relaxed between design steps.
    """

    frames: tuple[Atoms, ...]
    values: np.ndarray
    gradients: np.ndarray
    rigid_fraction: np.ndarray
    drift: np.ndarray
    projected: bool
    stop_reason: str
    evaluations: int
    terms: dict = field(default_factory=dict)
    relaxed: bool = False

    def projected_gradients(self, metric: Metric = "unweighted") -> np.ndarray:
        """(M, N, 3) each recorded gradient with the rigid motions of its frame removed."""
        return np.array([project_rigid(f, g, metric) for f, g in zip(self.frames, self.gradients)])

    @property
    def final(self) -> Atoms:
        return self.frames[-1]

    def steps_to(self, target: float) -> int | None:
        """The first step whose objective is at or below ``target`` (None if never)."""
        hit = np.flatnonzero(self.values <= target)
        return int(hit[0]) if len(hit) else None


def run_design(atoms: Atoms, objective: Objective, steps: int = 50, step_size: float = 0.05, max_step: float = 0.2,
               project: bool = True, metric: Metric = "unweighted", target: float | None = None,
               gradient_tolerance: float = 1e-8, max_halvings: int = 8, align: bool | None = None,
               method: str = "gradient", memory: int = 8, relax: Calculator | None = None, relax_steps: int = 20,
               relax_fmax: float = 0.02) -> DesignResult:
    """Minimise ``objective`` from ``atoms`` (not modified; module docstring).

    ``method="lbfgs"`` replaces the normalised gradient step by the L-BFGS step (two-loop
    recursion over the last ``memory`` pairs of steps and (projected) gradient changes,
    turned with the structure when it is aligned), capped at ``max_step`` per atom and
    halved until it lowers the objective, as the gradient steps are. ``relax``: relax
    between steps (module docstring); the L-BFGS pairs then span design step and relaxation.

    Raises:
        ValueError: an objective whose gradient is zero at the start (it does not depend on
            the positions) or not finite, bad step settings, an unknown method.
    """
    _check_method(method)
    if method == "lbfgs" and metric != "unweighted":
        raise ValueError("L-BFGS design runs in the unweighted metric")
    memory = as_int(memory, "memory", minimum=1)
    steps = as_int(steps, "steps", minimum=0)
    align = bool(project) if align is None else bool(align)
    alpha = as_real(step_size, "step_size (Å)", 0.0, strict=True)
    max_step = as_real(max_step, "max_step (Å)", 0.0, strict=True)
    relax_steps, relax_fmax = _relax_settings(relax, relax_steps, relax_fmax)
    current = atoms.copy()
    current.calc = None
    value, g = objective(current)
    _check_start(objective, value, g, "the positions")
    frames, values, gradients, fractions, drift = [current.copy()], [value], [g], [], [(0.0, 0.0)]
    terms = [_terms(objective)]
    evaluations, stop = 1, f"ran {steps} steps"

    def fraction(gradient):
        norm = np.linalg.norm(gradient)
        return float(np.linalg.norm(rigid_components(current, gradient, metric)) / norm) if norm > 0 else 0.0

    def effective(structure, gradient):
        return project_rigid(structure, gradient, metric) if project else gradient

    fractions.append(fraction(g))
    history: list[tuple[np.ndarray, np.ndarray]] = []  # L-BFGS (s, y) pairs, newest last
    for _ in range(steps):
        if target is not None and value <= target:
            stop = f"reached the target {target:g}"
            break
        pg = effective(current, g)
        direction = pg / current.get_masses()[:, None] if metric == "mass" else pg  # the Eckart step: δr ∝ −g⊥/m
        largest = np.linalg.norm(direction, axis=1).max()
        if not largest > gradient_tolerance:
            stop = "the (projected) gradient vanished: a stationary point of the objective"
            break
        if method == "lbfgs":
            direction = _lbfgs_direction(pg, history)
            direction = effective(current, direction)
            if float(np.sum(direction * pg)) <= 0:  # not a descent direction: start the memory afresh
                history.clear()
                direction = pg
            largest = np.linalg.norm(direction, axis=1).max()
            scale = min(1.0, max_step / largest)  # the quasi-Newton step, capped per atom
        else:
            scale = alpha / largest

        def moved(scale):
            trial = current.copy()
            trial.positions -= scale * direction
            return (trial, *objective(trial))

        previous = scale
        scale, result, used = _line_search(moved, scale, value, max_halvings)
        evaluations += used
        if result is None:
            stop = _no_descent(scale, largest)
            break
        alpha *= scale / previous  # the gradient step keeps what the halvings found
        trial, trial_value, trial_g = result
        if relax is not None and np.all(np.isfinite(trial_g)):
            trial = relax_holding(trial, relax, effective(trial, trial_g), relax_steps, relax_fmax)
            trial_value, trial_g = objective(trial)
            evaluations += 1
        if not (np.isfinite(trial_value) and np.all(np.isfinite(trial_g))):
            stop = "the objective or its gradient turned non-finite"
            break
        step_taken = trial.positions - current.positions  # the design step (and the relaxation)
        new_pg = effective(trial, trial_g)
        if align and not np.asarray(trial.pbc).any():  # a rigid motion: the objective is unchanged
            trial, rotation = superpose(frames[0], trial, metric)
            trial_g, new_pg, step_taken = trial_g @ rotation.T, new_pg @ rotation.T, step_taken @ rotation.T
            pg = pg @ rotation.T
            history = [(a @ rotation.T, b @ rotation.T) for a, b in history]  # the memory turns with the structure
        if method == "lbfgs":
            y = new_pg - pg
            if float(np.sum(step_taken * y)) > 1e-12:
                history = (history + [(step_taken, y)])[-memory:]
        current, value, g = trial, trial_value, trial_g
        alpha = min(alpha * 1.2, max_step)
        frames.append(current.copy())
        values.append(value)
        gradients.append(g)
        fractions.append(fraction(g))
        drift.append(rigid_drift(frames[0], current))
        terms.append(_terms(objective))
    else:
        if target is not None and value <= target:
            stop = f"reached the target {target:g}"
    return DesignResult(tuple(frames), np.array(values), np.array(gradients), np.array(fractions), np.array(drift),
                        bool(project), stop, evaluations, _term_arrays(terms), relax is not None)


def run_cell_design(atoms: Atoms, objective: Objective, steps: int = 50, step_size: float = 0.02,
                    target: float | None = None, method: str = "lbfgs", memory: int = 8, max_halvings: int = 8,
                    gradient_tolerance: float = 1e-10, relax: Calculator | None = None, relax_steps: int = 20,
                    relax_fmax: float = 0.02) -> DesignResult:
    """Variable-cell design of a 3D-periodic cell: the positions and a symmetric strain ε
    (cell → cell(1 + ε), positions carried along) move together. The strain gradient is
    symmetrised — a symmetric strain holds no rotation, so cell rotations never enter —
    and the positions' gradient loses its uniform translation. Both live in one vector
    z = (r, L ε) with L = Ω^{1/3}, so ``step_size`` (Å) caps an atom's move and the cell's
    largest strain times L alike; L-BFGS (default) or normalised gradient steps, each
    halved until it lowers the objective. ``objective.cell_gradient`` supplies ∂f/∂ε.
    ``relax``: the ions relax at each step's cell with ∂f/∂r held (as :func:`run_design`):
    a relaxed-ion design of the strain.

    Raises:
        ValueError: a cell that is not 3D-periodic, an objective without a strain gradient,
            bad settings (as :func:`run_design`).
    """
    if not np.asarray(atoms.pbc).all():
        raise ValueError("variable-cell design needs a cell periodic in all three directions")
    _check_method(method)
    steps = as_int(steps, "steps", minimum=0)
    memory = as_int(memory, "memory", minimum=1)
    step = as_real(step_size, "step_size (Å)", 0.0, strict=True)
    relax_steps, relax_fmax = _relax_settings(relax, relax_steps, relax_fmax)
    current = atoms.copy()
    current.calc = None
    length = abs(current.get_volume()) ** (1.0 / 3.0)

    def evaluate(structure):
        """(value, z-gradient with translations removed and ε symmetrised, raw ∂f/∂r)."""
        value, g, e = objective.cell_gradient(structure)
        z = np.concatenate([project_rigid(structure, g).reshape(-1), (0.5 * (e + e.T)).reshape(-1) / length])
        return value, z, g

    value, z_grad, raw = evaluate(current)
    _check_start(objective, value, z_grad, "the positions or the cell")
    frames, values, gradients, drift = [current.copy()], [value], [raw], [(0.0, 0.0)]
    terms = [_terms(objective)]
    history: list[tuple[np.ndarray, np.ndarray]] = []
    evaluations, stop = 1, f"ran {steps} steps"
    for _ in range(steps):
        if target is not None and value <= target:
            stop = f"reached the target {target:g}"
            break
        direction = _lbfgs_direction(z_grad, history) if method == "lbfgs" else z_grad
        if float(direction @ z_grad) <= 0:
            history.clear()
            direction = z_grad
        largest = max(np.linalg.norm(direction[:-9].reshape(-1, 3), axis=1).max(), np.abs(direction[-9:]).max())
        if not largest > gradient_tolerance:
            stop = "the gradient vanished: a stationary point of the objective"
            break
        scale = min(1.0, step / largest) if method == "lbfgs" else step / largest
        def moved(scale):
            dz = -scale * direction
            trial = current.copy()
            trial.positions += dz[:-9].reshape(-1, 3)
            trial.set_cell(trial.cell[:] @ (np.eye(3) + dz[-9:].reshape(3, 3) / length), scale_atoms=True)
            return (trial, *evaluate(trial))

        scale, result, used = _line_search(moved, scale, value, max_halvings)
        evaluations += used
        if result is None:
            stop = _no_descent(scale, largest)
            break
        trial, trial_value, trial_grad, raw = result
        dz = -scale * direction
        if relax is not None:
            relaxed = relax_holding(trial, relax, trial_grad[:-9].reshape(-1, 3), relax_steps, relax_fmax)
            dz[:-9] += (relaxed.positions - trial.positions).reshape(-1)
            trial = relaxed
            trial_value, trial_grad, raw = evaluate(trial)
            evaluations += 1
        y = trial_grad - z_grad
        if method == "lbfgs" and float(dz @ y) > 1e-14:
            history = (history + [(dz, y)])[-memory:]
        current, value, z_grad = trial, trial_value, trial_grad
        frames.append(current.copy())
        values.append(value)
        gradients.append(raw)
        drift.append(rigid_drift(frames[0], current))
        terms.append(_terms(objective))
    else:
        if target is not None and value <= target:
            stop = f"reached the target {target:g}"
    return DesignResult(tuple(frames), np.array(values), np.array(gradients), np.zeros(len(values)), np.array(drift),
                        True, stop, evaluations, _term_arrays(terms), relax is not None)
