"""The deuteron: the coupled ³S₁–³D₁ radial equations of a potential V = V_C + V_T S₁₂ +
V_LS L·S, solved on a grid.

    −(ħ²/2μ) u″ + V_SS u + V_SD w = E u
    −(ħ²/2μ) w″ + [6ħ²/(2μ r²) + V_DD] w + V_SD u = E w

with V_ll′ = V_C δ_ll′ + V_T ⟨l|S₁₂|l′⟩ + V_LS ⟨l|L·S|l′⟩ in the J = 1, S = 1 waves; the
S₁₂ elements (0, √8, −2) are computed by :func:`~ennp_lab.nuclear.spin.partial_wave_element`
from the operator itself. Second-order finite differences on r = h, 2h, … , R with
u(0) = w(0) = u(R) = w(R) = 0, the lowest eigenvalue by shift-invert (scipy), Richardson-
extrapolated from h and h/2 (an O(h⁴) binding energy); the lowest state near a nuclear
binding scale (shift-invert about −50 MeV), as for any potential with one bound state. Observables from the h/2 solution:
D-state probability P_D = ∫w²/∫(u² + w²); quadrupole moment Q = (1/20)∫r²(√8uw − w²);
matter radius r_d = ½ √∫r²(u² + w²); asymptotic D/S ratio η from w/u → η[1 + 3/κr + 3/(κr)²].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ennp_lab.nuclear.references import HBAR2_OVER_2MU

__all__ = ["Deuteron", "solve_deuteron", "triplet_channel_elements"]


def triplet_channel_elements() -> dict[str, np.ndarray]:
    """⟨l|S₁₂|l′⟩ and ⟨l|L·S|l′⟩ (2 × 2, l, l′ ∈ {0, 2}) in the J = 1, S = 1 waves."""
    from ennp_lab.nuclear.spin import partial_wave_element, tensor_operator

    waves = ((0, 1, 1), (2, 1, 1))
    s12 = np.array([[partial_wave_element(tensor_operator, a, b).real for b in waves] for a in waves])
    ls = np.diag([(1 * 2 - l * (l + 1) - 2) / 2.0 for l in (0, 2)])  # [J(J+1) − l(l+1) − S(S+1)]/2
    return {"S12": s12, "LS": ls}


@dataclass(frozen=True)
class Deuteron:
    """The bound state. ``r`` (fm), ``u``, ``w`` normalised as ∫(u² + w²) dr = 1 (fm^-1/2)."""

    binding_energy: float
    r: np.ndarray
    u: np.ndarray
    w: np.ndarray

    def _integral(self, f: np.ndarray) -> float:
        return float(np.trapezoid(f, self.r))

    @property
    def d_state_probability(self) -> float:
        return self._integral(self.w**2)

    @property
    def quadrupole_moment(self) -> float:
        """fm²."""
        return self._integral(self.r**2 * (np.sqrt(8.0) * self.u * self.w - self.w**2)) / 20.0

    @property
    def rms_radius(self) -> float:
        """Matter radius ½⟨r²⟩^{1/2}, fm."""
        return 0.5 * np.sqrt(self._integral(self.r**2 * (self.u**2 + self.w**2)))

    def without_d_state(self) -> "Deuteron":
        """The S-wave part alone, renormalised: what the density would be without the D-state
        the tensor force mixes in (with Reid's soft core the state does not bind at all
        without it)."""
        norm = np.sqrt(self._integral(self.u**2))
        return Deuteron(self.binding_energy, self.r, self.u / norm, np.zeros_like(self.w))

    def wavefunction(self, points, M: int = 1) -> np.ndarray:
        """(P, 4) ψ_M(r) = u(r)/r |(0 1) 1 M⟩ + w(r)/r |(2 1) 1 M⟩ in the pair-spin basis, at
        separations ``points`` (P, 3) fm (fm^-3/2; ∫|ψ|² d³r = 1).

        Raises:
            ValueError: M not in {−1, 0, 1}, or points not (P, 3).
        """
        from ennp_lab.nuclear.spin import spin_angle_state

        if M not in (-1, 0, 1):
            raise ValueError(f"the deuteron has J = 1: M must be −1, 0 or 1, got {M}")
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points must have shape (P, 3), got {points.shape}")
        r = np.maximum(np.linalg.norm(points, axis=1), 1e-12)
        theta, phi = np.arccos(np.clip(points[:, 2] / r, -1.0, 1.0)), np.arctan2(points[:, 1], points[:, 0])
        u = np.interp(r, self.r, self.u, left=0.0, right=0.0) / r
        w = np.interp(r, self.r, self.w, left=0.0, right=0.0) / r
        return u[:, None] * spin_angle_state(0, 1, 1, M, theta, phi) + w[:, None] * spin_angle_state(2, 1, 1, M, theta, phi)

    def density(self, points, M: int = 1) -> np.ndarray:
        """(P,) Σ_spins |ψ_M(r)|² (fm⁻³): a torus about z for M = 0, a dumbbell along z for
        M = ±1 (the D-state's doing; the S-state alone is spherical)."""
        return np.sum(np.abs(self.wavefunction(points, M)) ** 2, axis=1)

    @property
    def asymptotic_ds_ratio(self) -> float:
        """η = lim w/u over [1 + 3/κr + 3/(κr)²], read between 8 and 14 fm."""
        kappa = np.sqrt(self.binding_energy / HBAR2_OVER_2MU)
        keep = (self.r > 8.0) & (self.r < 14.0)
        kr = kappa * self.r[keep]
        return float(np.median(self.w[keep] / self.u[keep] / (1 + 3 / kr + 3 / kr**2)))


def _lowest(potential, elements, h: float, r_max: float):
    from scipy.sparse import bmat, diags
    from scipy.sparse.linalg import eigsh

    r = np.arange(1, int(round(r_max / h))) * h
    vc, vt, vls = (np.broadcast_to(np.asarray(v, float), r.shape) for v in potential(r))
    v = {(a, b): vc * (a == b) + vt * elements["S12"][a, b] + vls * elements["LS"][a, b] for a in (0, 1) for b in (0, 1)}
    kinetic = HBAR2_OVER_2MU / h**2 * diags([-np.ones(len(r) - 1), 2 * np.ones(len(r)), -np.ones(len(r) - 1)], [-1, 0, 1])
    centrifugal = HBAR2_OVER_2MU * 6.0 / r**2
    hamiltonian = bmat([[kinetic + diags(v[0, 0]), diags(v[0, 1])],
                        [diags(v[1, 0]), kinetic + diags(v[1, 1] + centrifugal)]]).tocsc()
    # shift-invert about −50 MeV: the states nearest a nuclear binding scale; the lower of two
    values, vectors = eigsh(hamiltonian, k=2, sigma=-50.0, which="LM")
    k = int(np.argmin(values))
    return float(values[k]), r, vectors[:, k]


def solve_deuteron(potential: Callable, h: float = 0.01, r_max: float = 30.0, elements: dict | None = None) -> Deuteron:
    """The ³S₁–³D₁ bound state of ``potential``: r (fm) → (V_C, V_T, V_LS) MeV (module
    docstring). ``elements`` replaces the channel's S₁₂ and L·S matrices (e.g. to switch
    the tensor coupling off).

    Raises:
        ValueError: a bad grid, or no bound state.
    """
    if not (0.0 < h < 0.1) or not r_max > 15.0:
        raise ValueError(f"grid spacing must be in (0, 0.1) fm and the box beyond 15 fm, got h={h}, r_max={r_max}")
    elements = triplet_channel_elements() if elements is None else elements
    coarse, _, _ = _lowest(potential, elements, h, r_max)
    fine, r, vector = _lowest(potential, elements, h / 2.0, r_max)
    if fine >= 0.0:
        raise ValueError(f"no bound state: the lowest ³S₁–³D₁ energy is {fine:.4g} MeV ≥ 0")
    energy = (4.0 * fine - coarse) / 3.0
    n = len(r)
    u, w = vector[:n], vector[n:]
    sign = np.sign(u[np.argmax(np.abs(u))])
    u, w = sign * u, sign * w
    norm = np.sqrt(np.trapezoid(u**2 + w**2, r))
    return Deuteron(-energy, r, u / norm, w / norm)
