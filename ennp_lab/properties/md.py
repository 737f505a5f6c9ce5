"""Molecular dynamics on ASE's integrators, and time-step scans of energy conservation.

``run_md`` drives :class:`ase.md.verlet.VelocityVerlet` (NVE) or
:class:`ase.md.langevin.Langevin` (NVT) with any calculator and records energies every
step and snapshots every ``interval`` steps. ``run_timestep_scan`` repeats short NVE runs
from the same initial velocities over a grid of Δt and measures energy conservation:

    fluctuation = std_t(E_tot)/N        (eV/atom; ∝ Δt² for a stable Verlet run),
    drift       = slope of E_tot/N vs t (eV/atom/ps),

and calls a run unstable when |E_tot(t) − E_tot(0)| exceeds ``blowup`` times the initial
kinetic energy (or the structure breaks: NaN energies, atoms on top of each other).
Velocity Verlet's harmonic stability limit Δt_max = 2/ω_max
(:func:`ennp_lab.properties.stability.compute_max_stable_timestep`) predicts the onset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.md.langevin import Langevin
from ase.constraints import FixCom
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from tqdm.auto import tqdm

from ennp_lab.graph.neighbors import neighbor_list
from ennp_lab.units import FS_PER_PS
from ennp_lab.validation import as_int, as_real

__all__ = ["MDGuard", "MDResult", "TimestepScan", "run_md", "run_timestep_scan"]


@dataclass(frozen=True)
class MDGuard:
    """When a run has left physics; checked after every step, and the first failed check
    stops the run and names itself in ``MDResult.stop_reason``. A field set to None turns
    that check off; ``run_md(..., guard=None)`` turns them all off.

    Attributes:
        energy_error: NVE only: |E_tot − E_tot(0)| above this many times the initial
            kinetic energy (or 1 meV/atom when that is zero).
        temperature_factor: the temperature above this many times the reference
            (the target or initial temperature, at least 300 K).
        max_force: a force component above this (eV/Å).
        min_distance: two atoms (periodic images included) closer than this (Å).
    """

    energy_error: float | None = 10.0
    temperature_factor: float | None = 10.0
    max_force: float | None = 50.0
    min_distance: float | None = 0.5

    def __post_init__(self) -> None:
        for name in ("energy_error", "temperature_factor", "max_force", "min_distance"):
            if getattr(self, name) is not None:
                as_real(getattr(self, name), f"MDGuard.{name}", minimum=0.0, strict=True)

    def check(self, system: Atoms, step: int, energy_error: float, scale: float, temperature: float,
              reference_temperature: float, nve: bool) -> str | None:
        """Why the run must stop at this step, or None."""
        if nve and self.energy_error is not None and energy_error > self.energy_error * scale:
            return f"energy error above {self.energy_error:g} × the initial kinetic energy at step {step}"
        if self.temperature_factor is not None and temperature > self.temperature_factor * reference_temperature:
            return (f"temperature {temperature:.3g} K above {self.temperature_factor:g} × {reference_temperature:g} K "
                    f"at step {step}")
        if self.max_force is not None:
            fmax = float(np.abs(system.get_forces()).max())
            if fmax > self.max_force:
                return f"force {fmax:.3g} eV/Å above {self.max_force:g} eV/Å at step {step}"
        if self.min_distance is not None and len(system) > 1:
            cell = np.where(system.pbc[:, None], system.cell[:], 0.0)
            i, j, _, d = neighbor_list(system.positions, cell, system.pbc, self.min_distance)
            if len(d):
                k = int(np.argmin(d))
                return f"atoms {int(i[k])} and {int(j[k])} {d[k]:.3g} Å apart (below {self.min_distance:g} Å) at step {step}"
        return None


@dataclass(frozen=True)
class MDResult:
    """A trajectory and its energy series.

    Attributes:
        times: (T,) fs, one entry per step (step 0 included).
        potential_energy: (T,) eV.
        kinetic_energy: (T,) eV.
        temperature: (T,) K (from the kinetic energy, 3N degrees of freedom).
        frames: snapshots every ``interval`` steps (copies without calculator).
        dt: time step, fs.
        ensemble: ``"nve"`` or ``"langevin"``.
        n_atoms: atoms in the structure.
        stop_reason: ``None`` when all steps ran, else why the run stopped early.
    """

    times: np.ndarray
    potential_energy: np.ndarray
    kinetic_energy: np.ndarray
    temperature: np.ndarray
    frames: tuple[Atoms, ...]
    dt: float
    ensemble: str
    n_atoms: int
    stop_reason: str | None

    @property
    def total_energy(self) -> np.ndarray:
        """(T,) E_pot + E_kin, eV."""
        return self.potential_energy + self.kinetic_energy

    @property
    def energy_fluctuation(self) -> float:
        """std of the total energy per atom, eV/atom."""
        return float(np.std(self.total_energy) / self.n_atoms)

    @property
    def energy_drift(self) -> float:
        """Slope of a straight-line fit of E_tot/N against time, eV/atom/ps."""
        if len(self.times) < 2:
            return 0.0
        return float(np.polyfit(self.times / FS_PER_PS, self.total_energy / self.n_atoms, 1)[0])

    @property
    def max_energy_error(self) -> float:
        """max_t |E_tot(t) − E_tot(0)| per atom, eV/atom."""
        return float(np.max(np.abs(self.total_energy - self.total_energy[0])) / self.n_atoms)


def run_md(
    atoms: Atoms,
    calc: Calculator,
    ensemble: Literal["nve", "langevin"] = "nve",
    dt: float = 2.0,
    steps: int = 100,
    temperature: float | None = None,
    friction: float = 0.01,
    interval: int = 10,
    seed: int = 0,
    progress: bool = False,
    guard: MDGuard | None = MDGuard(),
    drive: Callable[[float], None] | None = None,
) -> MDResult:
    """Run MD from ``atoms`` (not modified) with ``calc``.

    Args:
        atoms: the start; its velocities are used unless ``temperature`` is given.
        calc: any ASE calculator.
        ensemble: ``"nve"`` (velocity Verlet) or ``"langevin"`` (NVT at ``temperature``).
        dt: time step, fs.
        steps: number of steps.
        temperature: K; draws Maxwell–Boltzmann velocities (seeded, scaled to exactly
            this temperature, then zero total momentum) and is the Langevin target.
        friction: Langevin friction, 1/fs.
        interval: keep a snapshot every ``interval`` steps (and the first).
        seed: seeds velocities and the Langevin noise.
        progress: show a progress bar.
        guard: stops a run that has left physics (:class:`MDGuard`: energy error,
            temperature, largest force, closest pair), on by default; None turns it off.
            A run also stops when energies turn non-finite.
        drive: called with the time (fs) before each step and before the first energy, to
            change the calculator with time (a field ramp); it must reset the calculator's
            results, as ``calc.set`` of a changed parameter does.

    Returns:
        :class:`MDResult` (``stop_reason`` says why a run stopped early).

    Raises:
        ValueError: an unknown ensemble, a time step, temperature or friction that is
            negative or not finite, non-integer steps or interval.
    """
    if ensemble not in ("nve", "langevin"):
        raise ValueError(f"unknown ensemble {ensemble!r}: use 'nve' or 'langevin'")
    dt = as_real(dt, "dt (fs)", minimum=0.0, strict=True)
    steps = as_int(steps, "steps", minimum=0)
    interval = as_int(interval, "interval", minimum=1)
    friction = as_real(friction, "friction (1/fs)", minimum=0.0)
    if temperature is not None:
        temperature = as_real(temperature, "temperature (K)", minimum=0.0)
    if ensemble == "langevin" and temperature is None:
        raise ValueError("Langevin dynamics needs a temperature")
    if guard is not None and not isinstance(guard, MDGuard):
        raise ValueError(f"guard must be an MDGuard or None, got {type(guard).__name__}")
    system = atoms.copy()
    system.calc = calc
    rng = np.random.default_rng(seed)
    if temperature is not None:
        thermalize_momenta(system, temperature, exact_temperature=True, rng=rng)
        Stationary(system)
    if ensemble == "nve":
        dynamics = VelocityVerlet(system, timestep=dt * units.fs)
    else:  # ASE's recommended way to keep the centre of mass still under Langevin noise
        system.set_constraint(list(system.constraints) + [FixCom()])
        dynamics = Langevin(
            system, timestep=dt * units.fs, temperature_K=temperature, friction=friction / units.fs, fixcm=False, rng=rng
        )

    if drive is not None:
        drive(0.0)
    n = len(system)
    potential, kinetic, frames = [], [], []
    stop_reason = None
    scale = None
    bar = tqdm(total=steps, desc=f"MD {ensemble} dt={dt:g} fs", disable=not progress, leave=False)
    try:
        for step, _ in enumerate(dynamics.irun(steps)):
            epot, ekin = system.get_potential_energy(), system.get_kinetic_energy()
            potential.append(epot)
            kinetic.append(ekin)
            if step % interval == 0:
                frame = system.copy()
                frame.calc = None
                frames.append(frame)
            if step:
                bar.update(1)
            if not np.isfinite(epot + ekin):
                stop_reason = f"non-finite energy at step {step}"
                break
            if guard is not None:
                scale = scale if scale is not None else (kinetic[0] if kinetic[0] > 0 else 1e-3 * n)
                reference = max(temperature if temperature is not None else 2.0 * kinetic[0] / (3.0 * n * units.kB), 300.0)
                stop_reason = guard.check(system, step, abs(epot + ekin - potential[0] - kinetic[0]), scale,
                                          2.0 * ekin / (3.0 * n * units.kB), reference, ensemble == "nve")
                if stop_reason is not None:
                    break
            if drive is not None:
                drive((step + 1) * dt)
    except ValueError as error:  # the structure broke apart (atoms on top of each other, ...)
        stop_reason = f"unstable at step {len(potential)}: {error}"
    finally:
        bar.close()
    potential_arr, kinetic_arr = np.array(potential), np.array(kinetic)
    return MDResult(
        times=np.arange(len(potential_arr)) * dt,
        potential_energy=potential_arr,
        kinetic_energy=kinetic_arr,
        temperature=2.0 * kinetic_arr / (3.0 * n * units.kB),
        frames=tuple(frames),
        dt=float(dt),
        ensemble=ensemble,
        n_atoms=n,
        stop_reason=stop_reason,
    )


@dataclass(frozen=True)
class TimestepScan:
    """NVE energy conservation against the time step.

    Attributes:
        timesteps: (K,) fs.
        fluctuation: (K,) std of E_tot per atom, eV/atom (of the steps that ran).
        drift: (K,) eV/atom/ps.
        max_error: (K,) max |E_tot − E_tot(0)| per atom, eV/atom.
        stable: (K,) bool, whether the run finished without blowing up.
        duration: simulated time per run, fs.
        temperature: initial temperature, K.
    """

    timesteps: np.ndarray
    fluctuation: np.ndarray
    drift: np.ndarray
    max_error: np.ndarray
    stable: np.ndarray
    duration: float
    temperature: float

    @property
    def onset(self) -> float | None:
        """The smallest unstable Δt (fs) above the largest stable one, or None."""
        unstable = self.timesteps[~self.stable]
        return float(unstable.min()) if len(unstable) else None

    def scaling_exponent(self, below: float | None = None) -> float:
        """Log–log slope of fluctuation against Δt over the stable runs (below ``below`` fs)."""
        keep = self.stable & (self.fluctuation > 0)
        if below is not None:
            keep &= self.timesteps < below
        if keep.sum() < 2:
            raise ValueError("need at least two stable time steps to fit a slope")
        return float(np.polyfit(np.log(self.timesteps[keep]), np.log(self.fluctuation[keep]), 1)[0])


def run_timestep_scan(
    atoms: Atoms,
    calc: Calculator,
    timesteps: Sequence[float],
    duration: float = 500.0,
    temperature: float = 300.0,
    seed: int = 0,
    blowup: float = 1.0,
    progress: bool = False,
) -> TimestepScan:
    """Short NVE runs of ``duration`` fs, one per Δt, all from the same initial velocities.

    Args:
        atoms: the start (ideally a minimum, for a clean harmonic picture).
        calc: any ASE calculator.
        timesteps: Δt values, fs.
        duration: simulated time per run, fs (steps = round(duration/Δt), at least 2).
        temperature: K of the Maxwell–Boltzmann start (seeded by ``seed``).
        blowup: instability threshold: the run's energy error in units of its initial
            kinetic energy (:class:`MDGuard` ``energy_error``; the other guards as default).
        progress: a progress bar over the Δt grid.
    """
    dts = np.sort(np.asarray(timesteps, dtype=float))
    if len(dts) == 0 or np.any(~(dts > 0)) or not np.all(np.isfinite(dts)):
        raise ValueError("timesteps must be a non-empty list of positive values (fs)")
    duration = as_real(duration, "duration (fs)", minimum=0.0, strict=True)
    temperature = as_real(temperature, "temperature (K)", minimum=0.0)
    rows = []
    for dt in tqdm(dts, desc="time-step scan", disable=not progress, leave=False):
        steps = max(2, int(round(duration / dt)))
        # the same seed gives every run the same initial velocities
        run = run_md(atoms, calc, "nve", dt=dt, steps=steps, temperature=temperature, seed=seed, interval=steps,
                     guard=MDGuard(energy_error=blowup))
        rows.append((run.energy_fluctuation, run.energy_drift, run.max_energy_error, run.stop_reason is None))
    fluctuation, drift, max_error, stable = (np.array(col) for col in zip(*rows))
    return TimestepScan(dts, fluctuation, drift, max_error, stable.astype(bool), float(duration), float(temperature))
