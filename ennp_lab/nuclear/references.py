"""Reference nucleon–nucleon potentials in operator form, in their own code path (numpy,
closed formulas; no model code): MeV and fm.

* One-pion exchange, Argonne v18 conventions (REFERENCES.md): f²/4π = 0.075, the average
  pion mass 138.0363 MeV, μ = m_π/ħc,
  V = (f²/4π)(m_π/3) (τ₁·τ₂) [Y(x) σ₁·σ₂ + T(x) S₁₂], x = μr, Y = e^{−x}/x,
  T = (1 + 3/x + 3/x²) e^{−x}/x; regularised as Argonne v18 does it, Y (1 − e^{−cr²}) and
  T (1 − e^{−cr²})², c = 2 fm⁻².
* Reid's soft-core potential in the ³S₁–³D₁ channel (R. V. Reid, Ann. Phys. 50, 411
  (1968)), x = 0.7 r/fm, h = 10.463 MeV:
  V_C = −h e^{−x}/x + 105.468 e^{−2x}/x − 3187.8 e^{−4x}/x + 9924.3 e^{−6x}/x
  V_T = −h[(1 + 3/x + 3/x²) e^{−x} − (12/x + 3/x²) e^{−4x}]/x + 351.77 e^{−4x}/x − 1673.5 e^{−6x}/x
  V_LS = 708.91 e^{−4x}/x − 2713.1 e^{−6x}/x
  (its published deuteron: B = 2.2246 MeV, P_D = 6.47 %, Q = 0.2796 fm²: :data:`REID_DEUTERON`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["HBARC", "HBAR2_OVER_2MU", "OPEP_PREFACTOR", "PION_MU", "opep_radial", "opep_operator",
           "reid_triplet_radial", "REID_DEUTERON"]

#: ħc (MeV fm)
HBARC = 197.3269804
#: nucleon masses (MeV) and ħ²/2μ of the proton–neutron pair (MeV fm²)
M_PROTON, M_NEUTRON = 938.272088, 939.565420
HBAR2_OVER_2MU = HBARC**2 * (M_PROTON + M_NEUTRON) / (2.0 * M_PROTON * M_NEUTRON)
#: Argonne v18's average pion mass (MeV), μ = m_π/ħc (fm⁻¹) and (f²/4π) m_π/3 (MeV)
PION_MASS = 138.0363
PION_MU = PION_MASS / HBARC
OPEP_PREFACTOR = 0.075 * PION_MASS / 3.0
#: Reid 1968 soft core: its deuteron as published
REID_DEUTERON = {"binding_energy": 2.2246, "d_state_probability": 0.0647, "quadrupole_moment": 0.2796}


def _radius(r) -> np.ndarray:
    r = np.asarray(r, dtype=float)
    if np.any(~np.isfinite(r)) or np.any(r <= 0.0):
        raise ValueError("the radial functions need separations r > 0 fm (finite)")
    return r


def opep_radial(r, regularised: bool = False, c: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(v_σ, v_t) of one-pion exchange at separations ``r`` (fm), MeV: the coefficients of
    (τ₁·τ₂)(σ₁·σ₂) and (τ₁·τ₂) S₁₂.

    Raises:
        ValueError: r ≤ 0.
    """
    r = _radius(r)
    x = PION_MU * r
    y = np.exp(-x) / x
    t = (1.0 + 3.0 / x + 3.0 / x**2) * y
    if regularised:
        cut = 1.0 - np.exp(-c * r**2)
        y, t = y * cut, t * cut**2
    return OPEP_PREFACTOR * y, OPEP_PREFACTOR * t


def reid_triplet_radial(r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V_C, V_T, V_LS) of Reid's soft core in the coupled ³S₁–³D₁ channel, MeV (module
    docstring): V = V_C + V_T S₁₂ + V_LS L·S there.

    Raises:
        ValueError: r ≤ 0.
    """
    x = 0.7 * _radius(r)
    h = 10.463
    e1, e2, e4, e6 = (np.exp(-k * x) / x for k in (1, 2, 4, 6))
    central = -h * e1 + 105.468 * e2 - 3187.8 * e4 + 9924.3 * e6
    tensor = -h * ((1 + 3 / x + 3 / x**2) * e1 - (12 / x + 3 / x**2) * e4) + 351.77 * e4 - 1673.5 * e6
    spin_orbit = 708.91 * e4 - 2713.1 * e6
    return central, tensor, spin_orbit


def opep_operator(r_vec, regularised: bool = True) -> np.ndarray:
    """(B, 16, 16) one-pion exchange in operator form on spin ⊗ isospin (MeV) at relative
    positions ``r_vec`` (B, 3) fm: (τ₁·τ₂)[v_σ σ₁·σ₂ + v_t S₁₂(r̂)], built from the Pauli
    matrices of :mod:`ennp_lab.nuclear.spin` (Cartesian, not the model's e3nn path)."""
    from ennp_lab.nuclear.spin import spin_spin, tensor_operator

    r_vec = np.atleast_2d(np.asarray(r_vec, dtype=float))
    v_sigma, v_t = opep_radial(np.linalg.norm(r_vec, axis=1), regularised=regularised)
    tau = spin_spin()
    return np.array([np.kron(vs * spin_spin() + vt * tensor_operator(r), tau) for r, vs, vt in zip(r_vec, v_sigma, v_t)])
