"""Ferroelectric switching: the double well and polarization along a switching path, and
the P–ℰ hysteresis loop traced by field-driven MD.

* Switching path: the images R(λ) = R_para + λ (R_polar − R_para) between the paraelectric
  saddle (λ = 0) and a polar minimum (λ = 1; λ = −1 its inversion partner), with E(λ) and
  P(λ) at zero field; P is kept on one continuous branch of the polarization lattice
  (:func:`~ennp_lab.properties.polarization.continuous_branch`).
* Hysteresis: Langevin MD (:func:`~ennp_lab.properties.md.run_md`) with a uniform field
  ℰ(t) = ℰ(t) n̂ along a fixed direction, a triangle wave 0 → −A → +A → 0 per period,
  started in the state polarized along +n̂; P·n̂ is recorded against ℰ(t). The coercive
  fields are where P·n̂ changes sign on the falling and on the rising sweep (linear
  interpolation between samples); the remanent polarization is P·n̂ where the field
  crosses zero.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab import keys
from ennp_lab.files import atomic_write
from ennp_lab.properties.dielectric import property_in_field, require_field_input, restoring_field
from ennp_lab.properties.md import run_md
from ennp_lab.properties.polarization import continuous_branch, polarization_quanta
from ennp_lab.validation import as_int, as_real

__all__ = ["SwitchingPath", "switching_path", "HysteresisLoop", "field_driven_md", "triangle_field", "save_loops",
           "load_loops"]


@dataclass(frozen=True)
class SwitchingPath:
    """E(λ), P(λ) along a switching path.

    Attributes:
        lambdas: (M,) path coordinate (0 paraelectric, ±1 the polar minima).
        energies: (M,) eV per cell.
        polarizations: (M, 3) e/Å², one continuous branch.
        cell: (3, 3) Å, for the polarization quanta.
        images: the M structures.
    """

    lambdas: np.ndarray
    energies: np.ndarray
    polarizations: np.ndarray
    cell: np.ndarray
    images: tuple[Atoms, ...]

    def _minimum(self) -> tuple[float, float]:
        """(λ*, E*) of the lowest image at λ ≥ 0 (the given polar well; all images if none),
        refined by the quartic through it and its two neighbours on each side."""
        side = self.lambdas >= 0 if np.any(self.lambdas > 0) else np.ones(len(self.lambdas), bool)
        k = int(np.argmin(np.where(side, self.energies, np.inf)))
        if k in (0, len(self.energies) - 1):
            return float(self.lambdas[k]), float(self.energies[k])
        window = slice(max(k - 2, 0), min(k + 3, len(self.energies)))
        x, y = self.lambdas[window], self.energies[window]
        poly = np.polynomial.Polynomial.fit(x, y, min(4, len(x) - 1))
        lo, hi = self.lambdas[k - 1], self.lambdas[k + 1]
        candidates = [r.real for r in poly.deriv().roots() if abs(r.imag) < 1e-12 and lo <= r.real <= hi]
        lam = min(candidates, key=poly) if candidates else float(self.lambdas[k])
        return float(lam), float(poly(lam))

    @property
    def well_depth(self) -> float:
        """E(λ = 0) − E at the minimum (eV per cell); needs λ = 0 on the path."""
        zero = np.flatnonzero(np.isclose(self.lambdas, 0.0))
        if not len(zero):
            raise ValueError("the well depth needs the paraelectric image λ = 0 on the path")
        return float(self.energies[zero[0]] - self._minimum()[1])

    @property
    def spontaneous_polarization(self) -> np.ndarray:
        """P (3,) e/Å² at the minimum of the λ ≥ 0 well (interpolated linearly between images)."""
        lam = self._minimum()[0]
        return np.array([np.interp(lam, self.lambdas, self.polarizations[:, a]) for a in range(3)])

    def branches(self, count: int = 1) -> np.ndarray:
        """(2 count + 1, M, 3) the path's P shifted by n whole quanta along the quantum nearest
        P_s's direction, n = −count … count (to draw the polarization lattice's branches)."""
        quanta = polarization_quanta(self.cell)
        ps = self.spontaneous_polarization
        q = quanta[int(np.argmax(np.abs(quanta @ ps)))] if np.linalg.norm(ps) > 0 else quanta[2]
        return np.array([self.polarizations + n * q for n in range(-count, count + 1)])


def switching_path(polar: Atoms, paraelectric: Atoms, calc: Calculator, lambdas: Sequence[float] | None = None) -> SwitchingPath:
    """E and P at zero field along R(λ) (module docstring); default λ: 41 points in ±1.5.

    Raises:
        ValueError: a calculator without a field input, structures that are not the same
            atoms in the same cell, non-finite λ.
    """
    require_field_input(calc, "a switching path's polarization")
    if len(polar) != len(paraelectric) or np.any(polar.numbers != paraelectric.numbers) \
            or not np.allclose(polar.cell[:], paraelectric.cell[:]):
        raise ValueError("the polar and paraelectric structures must be the same atoms, in the same order and cell")
    lambdas = np.linspace(-1.5, 1.5, 41) if lambdas is None else np.asarray(lambdas, dtype=float).reshape(-1)
    if not len(lambdas) or not np.all(np.isfinite(lambdas)):
        raise ValueError(f"lambdas must be finite numbers, got {lambdas}")
    step = polar.positions - paraelectric.positions
    images, energies, polarizations = [], [], []
    with restoring_field(calc):
        for lam in lambdas:
            image = paraelectric.copy()
            image.positions += lam * step
            # P first: the calculation that gives it gives the energy too (no second pass)
            polarizations.append(property_in_field(image, calc, np.zeros(3), keys.POLARIZATION))
            energies.append(float(calc.get_potential_energy(image)))
            images.append(image)
    cell = np.asarray(polar.cell[:], dtype=float)
    return SwitchingPath(lambdas, np.array(energies), continuous_branch(np.array(polarizations), cell), cell, tuple(images))


def triangle_field(times, amplitude: float, period: float) -> np.ndarray:
    """ℰ(t) of the triangle wave 0 → −A → +A → 0 over each period (V/Å)."""
    x = np.mod(np.asarray(times, dtype=float) / period, 1.0)
    return -amplitude * np.where(x < 0.25, 4 * x, np.where(x < 0.75, 2 - 4 * x, 4 * x - 4))


@dataclass(frozen=True)
class HysteresisLoop:
    """P·n̂ against ℰ·n̂ from field-driven MD.

    Attributes:
        times: (M,) fs of the samples.
        fields: (M,) ℰ·n̂ (V/Å).
        polarizations: (M,) P·n̂ (e/Å²).
        direction: (3,) n̂.
        frames: the M sampled structures (for the polar displacements).
        period: fs.
    """

    times: np.ndarray
    fields: np.ndarray
    polarizations: np.ndarray
    direction: np.ndarray
    frames: tuple[Atoms, ...]
    period: float

    def _crossings(self, values: np.ndarray, at: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``at`` interpolated where ``values`` changes sign between consecutive samples in ``mask``."""
        out = []
        for k in np.flatnonzero(mask[:-1] & mask[1:]):
            v0, v1 = values[k], values[k + 1]
            if v0 == 0 or v0 * v1 < 0:
                out.append(at[k] + (at[k + 1] - at[k]) * v0 / (v0 - v1))
        return np.array(out)

    def displacements(self, paraelectric: Atoms) -> np.ndarray:
        """(M, N, 3) Å: each sampled frame's ions from their ``paraelectric`` sites, the
        centre-of-mass drift removed (the polar displacements).

        Raises:
            ValueError: a loop without frames, or a structure that is not its atoms.
        """
        if not self.frames:
            raise ValueError("this loop keeps no frames")
        if len(self.frames[0]) != len(paraelectric) or np.any(self.frames[0].numbers != paraelectric.numbers):
            raise ValueError("the paraelectric structure must hold the loop's atoms in the same order")
        u = np.array([f.positions - paraelectric.positions for f in self.frames])
        return u - u.mean(axis=1, keepdims=True)

    def to_dict(self) -> dict:
        """JSON-ready: the samples and the frames' positions (cell and species once)."""
        first = self.frames[0] if self.frames else None
        return {"times": self.times.tolist(), "fields": self.fields.tolist(), "polarizations": self.polarizations.tolist(),
                "direction": self.direction.tolist(), "period": self.period,
                "numbers": [] if first is None else first.numbers.tolist(),
                "cell": [] if first is None else first.cell[:].tolist(),
                "positions": [f.positions.tolist() for f in self.frames]}

    @classmethod
    def from_dict(cls, data: dict) -> "HysteresisLoop":
        frames = tuple(Atoms(numbers=data["numbers"], positions=p, cell=data["cell"], pbc=True) for p in data["positions"])
        return cls(np.asarray(data["times"], dtype=float), np.asarray(data["fields"], dtype=float),
                   np.asarray(data["polarizations"], dtype=float), np.asarray(data["direction"], dtype=float), frames,
                   float(data["period"]))

    @property
    def coercive_fields(self) -> tuple[float, float]:
        """(ℰ_c on the falling sweep (< 0), ℰ_c on the rising sweep (> 0)) V/Å: the first sign
        change of P·n̂ on each sweep.

        Raises:
            ValueError: P did not switch on a sweep (the amplitude is below the coercive field).
        """
        phase = np.mod(self.times / self.period, 1.0)
        falling = (phase >= 0.0) & (phase <= 0.25)
        rising = (phase >= 0.25) & (phase <= 0.75)
        out = []
        for name, mask in (("falling", falling), ("rising", rising)):
            crossings = self._crossings(self.polarizations, self.fields, mask)
            if not len(crossings):
                raise ValueError(f"P did not switch on the {name} sweep: raise the field amplitude "
                                 f"(now {np.abs(self.fields).max():.3g} V/Å) or slow the sweep")
            out.append(float(crossings[0]))
        return out[0], out[1]

    @property
    def coercive_field(self) -> float:
        """(|ℰ_c,falling| + ℰ_c,rising)/2 (V/Å)."""
        down, up = self.coercive_fields
        return 0.5 * (abs(down) + abs(up))

    @property
    def remanent_polarization(self) -> float:
        """|P·n̂| (e/Å²) averaged over the zero crossings of the field after the first sample."""
        crossings = self._crossings(self.fields[1:], self.polarizations[1:], np.ones(len(self.fields) - 1, bool))
        if not len(crossings):
            raise ValueError("the field never crosses zero after the start")
        return float(np.mean(np.abs(crossings)))


def field_driven_md(atoms: Atoms, calc: Calculator, direction=(1.0, 1.0, 1.0), amplitude: float = 0.3,
                    period: float = 4000.0, cycles: int = 1, dt: float = 2.0, temperature: float = 10.0,
                    friction: float = 0.02, interval: int = 10, seed: int = 0) -> HysteresisLoop:
    """A P–ℰ hysteresis loop by Langevin MD in the triangle-wave field (module docstring).

    Args:
        atoms: the start, polarized along +``direction`` (not modified).
        calc: a calculator with an electric-field input (its field is restored after).
        direction: n̂ (normalized here).
        amplitude: A, V/Å.
        period: fs per cycle.
        cycles: number of periods.
        dt, temperature, friction, seed: of :func:`~ennp_lab.properties.md.run_md` (fs, K, 1/fs).
        interval: record P every ``interval`` steps.

    Raises:
        ValueError: no field input, a zero direction, non-positive amplitude or period, a run
            that stopped early (its reason named).
    """
    require_field_input(calc, "field-driven MD")
    n = np.asarray(direction, dtype=float).reshape(-1)
    if n.shape != (3,) or not np.all(np.isfinite(n)) or not np.linalg.norm(n) > 0:
        raise ValueError(f"direction must be a finite non-zero 3-vector, got {direction!r}")
    n = n / np.linalg.norm(n)
    amplitude = as_real(amplitude, "amplitude (V/Å)", 0.0, strict=True)
    period = as_real(period, "period (fs)", 0.0, strict=True)
    cycles = as_int(cycles, "cycles", minimum=1)
    interval = as_int(interval, "interval", minimum=1)
    steps = int(round(cycles * period / dt))
    with restoring_field(calc):
        result = run_md(atoms, calc, "langevin", dt=dt, steps=steps, temperature=temperature, friction=friction,
                        interval=interval, seed=seed,
                        drive=lambda t: calc.set(electric_field=triangle_field(t, amplitude, period) * n))
        if result.stop_reason is not None:
            raise ValueError(f"the field-driven run stopped early: {result.stop_reason}")
        times = np.arange(len(result.frames)) * interval * dt
        fields = triangle_field(times, amplitude, period)
        polarizations = [property_in_field(frame, calc, e * n, keys.POLARIZATION) @ n
                         for frame, e in zip(result.frames, fields)]
    return HysteresisLoop(times, fields, np.array(polarizations), n, result.frames, float(period))


def save_loops(loops: Mapping[str, HysteresisLoop], path: str | os.PathLike, meta: dict | None = None) -> Path:
    """Write label → loop (and ``meta``, e.g. the run settings) as JSON, atomically."""
    text = json.dumps({"loops": {k: v.to_dict() for k, v in loops.items()}, "meta": dict(meta or {})}).encode()
    return atomic_write(path, lambda f: f.write(text))


def load_loops(path: str | os.PathLike) -> tuple[dict[str, HysteresisLoop], dict]:
    """(label → loop, meta) from a file of :func:`save_loops`.

    Raises:
        ValueError: a file that is not such a record.
    """
    try:
        data = json.loads(Path(path).read_text())
        return {k: HysteresisLoop.from_dict(v) for k, v in data["loops"].items()}, dict(data["meta"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a hysteresis-loop record: {exc}") from exc
