"""Design objectives: a value to minimise and its gradient with respect to the positions.

An objective is called on a structure and returns ``(value, gradient)`` with the gradient
(N, 3) in value units per Å. Targets come from what the models give, differentiated by
autograd; constraints are soft penalties; :class:`Combined` adds weighted terms:

* :class:`ModelScalar`: one component of a model output or head (energy, a tensor head,
  the chirality pseudoscalar of ``chirality-o3``, …), times ``scale`` (−1 to maximise);
* :class:`EnergyCeiling`: k · max(0, E − E_max)² with E from any ASE calculator (an
  ENNP, GFN2-xTB, EMT): stay near a minimum of the energy;
* :class:`MinimumDistance`: k · Σ_pairs max(0, d_min − r_ij)²: atoms may not collide;
* :class:`ForceNorm`: k · Σ_i |F_i|² of a model (stay near a stationary point), its
  gradient −2k H F by autograd;
* :class:`TimestepTarget`: ((λ_max − λ*)/λ*)² for the largest eigenvalue of the
  mass-weighted Hessian (λ* from a target velocity-Verlet limit Δt* = 2/√λ*): λ_max and
  its eigenvector ṽ by Lanczos on autograd Hessian-vector products
  (:func:`~ennp_lab.properties.stability.compute_lambda_max`), the gradient
  ∂λ/∂r = ∂(uᵀ H(r) u)/∂r at fixed u = M^{-1/2} ṽ (first-order perturbation theory) by
  a third autograd pass;
* :class:`YoungsModulusTarget`: ((E(n̂) − E*)/E*)² for the directional Young's modulus
  E(n̂) = 1/(n_i n_j n_k n_l S_ijkl) of the model's clamped-ion stiffness C = ∂²E/∂ε∂ε / Ω
  (equal to the relaxed-ion one for a Bravais crystal), S = C⁻¹, built by autograd in
  torch and differentiated once more with respect to the positions;
* :class:`PhononTarget`: ((ω_b(q) − ω*)/ω*)² for band b at a q-point commensurate with a
  supercell: the supercell's positions built in torch from the cell's, the Hessian rows of
  the cell's atoms by autograd (kept differentiable), D(q) = Σ_R Φ(0κ, Rκ') e^{2πi q·n_R}/√(m m)
  diagonalised (``eigvalsh``), and ω_b's gradient by one more pass;
* :class:`SurfaceEnergyTarget`: ((γ − γ*)/γ*)² for a slab's γ = (E − N e_bulk)/(2A)
  (:func:`~ennp_lab.properties.surfaces.slab_gamma`), whose gradient is −F/(2A);
* :class:`PolarizationTarget`: ((P·n̂ − P*)/P*)² with P and its gradient ∂(P·n̂)/∂r_κ =
  n̂·Z*_κ/Ω (the Born charges) from any calculator that takes an electric field, at zero
  field.

An objective that does not depend on the positions is refused by the design loop (its
gradient is zero at the start).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import declared_inputs, declared_outputs
from ennp_lab.validation import as_real

__all__ = ["Objective", "ModelScalar", "EnergyCeiling", "MinimumDistance", "ForceNorm", "TimestepTarget", "PolarizationTarget",
           "YoungsModulusTarget", "SurfaceEnergyTarget", "PhononTarget", "Combined"]


def _graph(model, atoms: Atoms, values: dict | None) -> AtomGraph:
    """The model's graph of ``atoms`` with its declared inputs (``values`` first, then what
    the structure holds; a missing one is named by the graph builder)."""
    return AtomGraph.from_atoms(atoms, model.cutoff, dtype=model.dtype, device=model.device,
                                inputs=declared_inputs(model), values=values)


class Objective:
    """``objective(atoms) -> (value, gradient (N, 3))``; ``name`` labels it in records.
    ``cell_gradient(atoms) -> (value, gradient (N, 3), strain gradient (3, 3))`` adds
    ∂f/∂ε at fixed fractional coordinates (r → r(1 + ε), cell → cell(1 + ε)), for
    variable-cell design, where an objective supports it."""

    name = "objective"

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        raise ValueError(f"the objective {self.name!r} has no strain gradient: it cannot drive a variable-cell design")


class ModelScalar(Objective):
    """``scale`` × ``model``'s output ``output`` (index ``component`` into one structure's
    value), differentiated by autograd with respect to the positions; a model's declared
    inputs (an electric field) from ``values`` or the structure.

    Raises:
        ValueError: an output the model does not give (naming those it does).
    """

    def __init__(self, model, output: str, component: Sequence[int] | int | None = None, scale: float = 1.0,
                 name: str | None = None, values: dict | None = None) -> None:
        known = {"energy", *declared_outputs(model)}
        if output not in known:
            raise ValueError(f"the model gives no output {output!r}; it gives {sorted(known)}")
        self.model, self.output, self.scale, self.values = model, output, as_real(scale, "scale"), values
        self.component = () if component is None else tuple(np.atleast_1d(component).astype(int).tolist())
        self.name = name or (f"{scale:+g}·{output}" + (f"{list(self.component)}" if self.component else ""))

    def _evaluate(self, atoms: Atoms, with_strain: bool):
        from ennp_lab.derivatives import apply_strain

        graph = _graph(self.model, atoms, self.values)
        positions = graph.positions.detach().clone().requires_grad_(True)
        leaves = [positions]
        x, cell = positions, graph.cell
        if with_strain:
            strain = torch.zeros_like(graph.cell, requires_grad=True)
            x, cell = apply_strain(graph, positions, graph.cell, strain)
            leaves.append(strain)
        value = self.model(graph, x, cell)[self.output][0]
        value = value[self.component] if self.component else value
        if value.numel() != 1:
            raise ValueError(f"output {self.output!r} has {value.numel()} components: give component= to pick one")
        value = self.scale * value.reshape(())
        grads = torch.autograd.grad(value, leaves, allow_unused=True)
        grads = [torch.zeros_like(leaf) if g is None else g for g, leaf in zip(grads, leaves)]
        return float(value.detach()), *[g.detach().cpu().numpy().astype(float) for g in grads]

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        return self._evaluate(atoms, False)

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        value, g, strain = self._evaluate(atoms, True)
        return value, g, strain[0]


class EnergyCeiling(Objective):
    """k · max(0, E − ``e_max``)² (eV²·k) with E from ``calc``: a soft "stay within
    ``e_max``" (e.g. the starting energy plus a window)."""

    def __init__(self, calc: Calculator, e_max: float, strength: float = 10.0) -> None:
        self.calc, self.e_max = calc, as_real(e_max, "e_max (eV)")
        self.strength = as_real(strength, "strength", 0.0)
        self.name = f"energy ≤ {self.e_max:.3f} eV"

    def _evaluate(self, atoms: Atoms, with_strain: bool):
        from ase.stress import voigt_6_to_full_3x3_stress

        a = atoms.copy()
        a.calc = self.calc
        excess = a.get_potential_energy() - self.e_max
        if excess <= 0:
            return 0.0, np.zeros((len(a), 3)), np.zeros((3, 3))
        factor = 2.0 * self.strength * excess
        strain = factor * a.get_volume() * voigt_6_to_full_3x3_stress(a.get_stress()) if with_strain else None  # ∂E/∂ε = Ω σ
        return self.strength * excess**2, -factor * a.get_forces(), strain

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        return self._evaluate(atoms, False)[:2]

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        return self._evaluate(atoms, True)


class MinimumDistance(Objective):
    """k · Σ_{i<j} max(0, d_min − r_ij)² over pairs (minimum image in periodic cells)."""

    def __init__(self, d_min: float = 0.9, strength: float = 10.0) -> None:
        self.d_min = as_real(d_min, "d_min (Å)", 0.0, strict=True)
        self.strength = as_real(strength, "strength", 0.0)
        self.name = f"distances ≥ {self.d_min:g} Å"

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        from ase.neighborlist import neighbor_list

        _, j, d, vec = neighbor_list("ijdD", atoms, self.d_min)  # every pair in both orders
        short = self.d_min - d
        value = 0.5 * self.strength * float(np.sum(short**2))
        w = -2.0 * self.strength * short / np.maximum(d, 1e-12)  # ∂(k(d_min − r)²)/∂r / r, each pair once per end
        g = np.zeros((len(atoms), 3))
        np.add.at(g, j, w[:, None] * vec)
        return value, g, 0.5 * np.einsum("p,pa,pb->ab", w, vec, vec)  # ½: both orders of each pair

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        return self.cell_gradient(atoms)[:2]


class TimestepTarget(Objective):
    """((λ_max − λ*)/λ*)² with λ* = (2/Δt*)² for the target ``timestep`` Δt* (fs) and λ_max
    the model's largest mass-weighted Hessian eigenvalue (module docstring)."""

    def __init__(self, model, timestep: float) -> None:
        from ennp_lab.units import FS

        self.model = model
        self.timestep = as_real(timestep, "timestep (fs)", 0.0, strict=True)
        self.target = (2.0 / (self.timestep * FS)) ** 2
        self.name = f"Δt_max → {self.timestep:g} fs"

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        from ennp_lab.calculator import ENNPCalculator
        from ennp_lab.properties.stability import compute_lambda_max

        largest = compute_lambda_max(atoms, ENNPCalculator(self.model, device=self.model.device), mass_weighted=True)
        u = torch.as_tensor(largest.eigenvector / np.sqrt(atoms.get_masses())[:, None], dtype=self.model.dtype,
                            device=self.model.device)
        graph = _graph(self.model, atoms, None)
        positions = graph.positions.detach().clone().requires_grad_(True)
        energy = self.model(graph, positions)["energy"].sum()
        (g,) = torch.autograd.grad(energy, positions, create_graph=True)
        (hu,) = torch.autograd.grad((g * u).sum(), positions, create_graph=True)
        (d_lambda,) = torch.autograd.grad((hu * u).sum(), positions)
        residual = (largest.eigenvalue - self.target) / self.target
        return float(residual**2), (2.0 * residual / self.target * d_lambda).detach().cpu().numpy().astype(float)


class PhononTarget(Objective):
    """((ω_b(q) − ω*)/ω*)² with ω_b(q) (rad per ASE time unit; ``target_thz`` in THz through
    :data:`~ennp_lab.units.OMEGA_TO_THZ`) the ``band``-th (ascending) phonon frequency of the
    model at ``q`` (reduced coordinates of the cell's reciprocal lattice), from force
    constants in a ``supercell`` (module docstring). Exact for q commensurate with it.

    Raises:
        ValueError: a cell that is not 3D-periodic, a band out of range, an unstable (ω² < 0)
            band, a q not commensurate with the supercell.
    """

    def __init__(self, model, q, band: int, target_thz: float, supercell=(2, 2, 2)) -> None:
        from ennp_lab.units import OMEGA_TO_THZ

        self.model, self.band = model, int(band)
        self.q = np.asarray(q, dtype=float).reshape(3)
        self.supercell = tuple(int(n) for n in supercell)
        if not np.allclose(self.q * self.supercell, np.rint(self.q * self.supercell), atol=1e-9):
            raise ValueError(f"q = {self.q.tolist()} is not commensurate with the supercell {self.supercell}")
        self.target = as_real(target_thz, "target (THz)", 0.0, strict=True) / OMEGA_TO_THZ
        self.name = f"ω_{self.band}(q={self.q.tolist()}) → {target_thz:g} THz"

    def frequency(self, atoms: Atoms, positions: torch.Tensor | None = None) -> torch.Tensor:
        """ω_b(q) (rad per ASE time unit) as a torch scalar, differentiable in ``positions``."""
        if not np.asarray(atoms.pbc).all():
            raise ValueError("phonons need a cell periodic in all three directions")
        n = len(atoms)
        if not 0 <= self.band < 3 * n:
            raise ValueError(f"band {self.band} out of range: the cell has {3 * n} bands")
        big = atoms.repeat(self.supercell)  # ASE's order: cell copies outermost, atoms inner
        shifts = np.array([(i, j, k) for i in range(self.supercell[0]) for j in range(self.supercell[1])
                           for k in range(self.supercell[2])], dtype=float)
        graph = _graph(self.model, big, None)
        dtype, device = self.model.dtype, self.model.device
        x = torch.as_tensor(atoms.positions, dtype=dtype, device=device).requires_grad_(True) if positions is None \
            else positions
        offsets = torch.as_tensor(np.repeat(shifts @ atoms.cell[:], n, axis=0), dtype=dtype, device=device)
        big_positions = x.repeat(len(shifts), 1) + offsets
        energy = self.model(graph, big_positions)["energy"].sum()
        (g,) = torch.autograd.grad(energy, big_positions, create_graph=True)
        rows = torch.stack([torch.autograd.grad(g[k, a], big_positions, create_graph=True)[0]
                            for k in range(n) for a in range(3)])  # (3n, N, 3): Φ(0κα, Rκ'β)
        phase = torch.as_tensor(np.exp(2j * np.pi * shifts @ self.q), device=device)  # e^{2πi q·n_R} per copy R
        fc = rows.reshape(3 * n, len(shifts), n, 3).to(phase.dtype)
        d = torch.einsum("arsb,r->asb", fc, phase).reshape(3 * n, 3 * n)
        w = torch.as_tensor(np.repeat(1.0 / np.sqrt(atoms.get_masses()), 3), device=device).to(phase.dtype)
        d = w[:, None] * d * w[None, :]
        omega2 = torch.linalg.eigvalsh(0.5 * (d + d.conj().T))[self.band]
        if not float(omega2.detach()) > 0:
            raise ValueError(f"band {self.band} at q = {self.q.tolist()} is unstable or zero (ω² = {float(omega2.detach()):.3g})")
        return torch.sqrt(omega2)

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        positions = torch.as_tensor(atoms.positions, dtype=self.model.dtype, device=self.model.device).requires_grad_(True)
        residual = (self.frequency(atoms, positions) - self.target) / self.target
        value = residual**2
        (gradient,) = torch.autograd.grad(value, positions)
        return float(value.detach()), gradient.detach().cpu().numpy().astype(float)


class SurfaceEnergyTarget(Objective):
    """((γ − ``target``)/``target``)² of a slab (normal along its third cell vector) with
    ``calc``; e_bulk from ``bulk`` with the same calculator.

    Raises:
        ValueError: a bulk that is not 3D-periodic, a non-positive target.
    """

    def __init__(self, calc: Calculator, bulk: Atoms, target: float) -> None:
        if not np.asarray(bulk.pbc).all():
            raise ValueError("the bulk cell must be periodic in all three directions")
        b = bulk.copy()
        b.calc = calc
        self.calc, self.bulk_energy = calc, b.get_potential_energy() / len(b)
        self.target = as_real(target, "target (eV/Å²)", 0.0, strict=True)
        self.name = f"γ → {self.target:.4g} eV/Å²"

    def gamma(self, slab: Atoms) -> tuple[float, np.ndarray]:
        """(γ eV/Å², ∂γ/∂r (N, 3))."""
        from ennp_lab.properties.surfaces import slab_area, slab_gamma

        a = slab.copy()
        a.calc = self.calc
        area = slab_area(a)
        return slab_gamma(a.get_potential_energy(), len(a), self.bulk_energy, area), -a.get_forces() / (2.0 * area)

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        gamma, dgamma = self.gamma(atoms)
        residual = (gamma - self.target) / self.target
        return residual**2, 2.0 * residual / self.target * dgamma


class YoungsModulusTarget(Objective):
    """((E(n̂) − ``target``)/``target``)² with E(n̂) (eV/Å³) the model's clamped-ion
    directional Young's modulus (module docstring) of a 3D-periodic cell."""

    def __init__(self, model, target: float, direction=(1.0, 1.0, 1.0)) -> None:
        n = np.asarray(direction, dtype=float).reshape(3)
        if not np.linalg.norm(n) > 0:
            raise ValueError("the direction must be a non-zero 3-vector")
        self.model, self.direction = model, n / np.linalg.norm(n)
        self.target = as_real(target, "target (eV/Å³)", 0.0, strict=True)
        self.name = f"E{np.round(n, 2).tolist()} → {self.target:.4g} eV/Å³"

    def modulus(self, atoms: Atoms, positions: torch.Tensor | None = None, outer: torch.Tensor | None = None) -> torch.Tensor:
        """E(n̂) (eV/Å³) as a torch scalar, differentiable in ``positions`` (default: the
        structure's) and in an ``outer`` strain (1, 3, 3) applied first (default none)."""
        from ennp_lab.derivatives import apply_strain
        from ennp_lab.properties.elasticity import VOIGT_PAIRS

        if not np.asarray(atoms.pbc).all():
            raise ValueError("a Young's modulus needs a cell periodic in all three directions")
        graph = _graph(self.model, atoms, None)
        positions = graph.positions if positions is None else positions
        base_cell = graph.cell
        if outer is not None:
            positions, base_cell = apply_strain(graph, positions, graph.cell, outer)
        strain = torch.zeros_like(graph.cell, requires_grad=True)
        x, cell = apply_strain(graph, positions, base_cell, strain)
        energy = self.model(graph, x, cell)["energy"].sum()
        (g,) = torch.autograd.grad(energy, strain, create_graph=True)
        rows = [torch.autograd.grad(g[0, a, b], strain, create_graph=True)[0][0] for a in range(3) for b in range(3)]
        c = torch.stack(rows).reshape(3, 3, 3, 3) / torch.linalg.det(base_cell[0]).abs()
        c = 0.25 * (c + c.transpose(0, 1) + c.transpose(2, 3) + c.transpose(0, 1).transpose(2, 3))
        voigt = torch.stack([torch.stack([c[a, b, p, q] for p, q in VOIGT_PAIRS]) for a, b in VOIGT_PAIRS])
        s = torch.linalg.inv(voigt)  # engineering-strain compliance
        n = torch.as_tensor(self.direction, dtype=voigt.dtype, device=voigt.device)
        m = torch.stack([n[a] * n[b] for a, b in VOIGT_PAIRS])  # (n n) in Voigt form, shear entries once
        return 1.0 / (m @ s @ m)

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        value, g, _ = self._evaluate(atoms, False)
        return value, g

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        return self._evaluate(atoms, True)

    def _evaluate(self, atoms: Atoms, with_strain: bool):
        positions = torch.as_tensor(atoms.positions, dtype=self.model.dtype, device=self.model.device).requires_grad_(True)
        outer = torch.zeros((1, 3, 3), dtype=self.model.dtype, device=self.model.device, requires_grad=True)
        residual = (self.modulus(atoms, positions, outer if with_strain else None) - self.target) / self.target
        value = residual**2
        gradients = torch.autograd.grad(value, [positions, outer] if with_strain else [positions])
        g = gradients[0].detach().cpu().numpy().astype(float)
        strain = gradients[1][0].detach().cpu().numpy().astype(float) if with_strain else np.zeros((3, 3))
        return float(value.detach()), g, strain


class PolarizationTarget(Objective):
    """((P·n̂ − ``target``)/``target``)², P (e/Å²) along ``direction`` from ``calc`` at zero
    field, its gradient from the Born charges (module docstring).

    Raises:
        ValueError: a calculator without a field input; a zero direction or target.
    """

    def __init__(self, calc: Calculator, target: float, direction=(0.0, 0.0, 1.0)) -> None:
        from ennp_lab.properties.dielectric import require_field_input

        require_field_input(calc, "a polarization target")
        n = np.asarray(direction, dtype=float).reshape(3)
        if not np.linalg.norm(n) > 0:
            raise ValueError("the polarization direction must be a non-zero 3-vector")
        self.calc, self.direction = calc, n / np.linalg.norm(n)
        self.target = as_real(target, "target (e/Å²)")
        if self.target == 0:
            raise ValueError("a polarization target must be non-zero (its relative error is the objective)")
        self.name = f"P·n̂ → {self.target:.3g} e/Å²"

    def polarization(self, atoms: Atoms) -> float:
        """P·n̂ (e/Å²) of ``atoms`` at zero field."""
        from ennp_lab.keys import POLARIZATION
        from ennp_lab.properties.dielectric import property_in_field, restoring_field

        with restoring_field(self.calc):
            return float(property_in_field(atoms, self.calc, np.zeros(3), POLARIZATION) @ self.direction)

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        from ennp_lab.properties.dielectric import compute_born_charges

        p = self.polarization(atoms)
        born = compute_born_charges(atoms, self.calc).charges  # (N, i, j) = Ω ∂P_i/∂r_κj
        dp = np.einsum("i,nij->nj", self.direction, born) / atoms.get_volume()
        residual = (p - self.target) / self.target
        return residual**2, 2.0 * residual / self.target * dp


class ForceNorm(Objective):
    """k · Σ_i |F_i|² (eV²/Å² · k) with the forces of ``model``: a soft "stay near a minimum"."""

    def __init__(self, model, strength: float = 1.0) -> None:
        self.model = model
        self.strength = as_real(strength, "strength", 0.0)
        self.name = "|F|² small"

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        graph = _graph(self.model, atoms, None)
        positions = graph.positions.detach().clone().requires_grad_(True)
        energy = self.model(graph, positions)["energy"].sum()
        (g,) = torch.autograd.grad(energy, positions, create_graph=True)
        value = self.strength * (g * g).sum()
        (gradient,) = torch.autograd.grad(value, positions)
        return float(value.detach()), gradient.detach().cpu().numpy().astype(float)


class Combined(Objective):
    """Σ_t w_t f_t of (weight, objective) terms.

    ``last_terms`` holds each weighted term w_t f_t of the latest evaluation (labels from
    the terms' names, made unique), which the design loop records step by step so that
    the target and every constraint can be followed apart.
    """

    def __init__(self, terms: Sequence[tuple[float, Objective]]) -> None:
        if not terms:
            raise ValueError("Combined needs at least one (weight, objective) term")
        self.terms = [(as_real(w, "weight"), f) for w, f in terms]
        self.name = " + ".join(f"{w:g}·[{f.name}]" for w, f in self.terms)
        labels: list[str] = []
        for _, f in self.terms:
            label = f.name if f.name not in labels else f"{f.name} ({len(labels) + 1})"
            labels.append(label)
        self.labels = tuple(labels)
        self.last_terms: dict[str, float] = {}

    def _sum(self, parts) -> list:
        """Σ w_t (value, gradient, …) over the terms' evaluations; ``last_terms`` kept."""
        total = None
        self.last_terms = {}
        for label, (w, _), part in zip(self.labels, self.terms, parts):
            self.last_terms[label] = w * float(part[0])
            total = [w * np.asarray(x, dtype=float) for x in part] if total is None else \
                [t + w * np.asarray(x, dtype=float) for t, x in zip(total, part)]
        total[0] = float(total[0])
        return total

    def __call__(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        return tuple(self._sum(f(atoms) for _, f in self.terms))

    def cell_gradient(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        return tuple(self._sum(f.cell_gradient(atoms) for _, f in self.terms))
