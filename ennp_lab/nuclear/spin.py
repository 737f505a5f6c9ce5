"""Two-nucleon spin (and isospin) operators on the 4-dimensional product space, their
rotations, and partial-wave matrix elements.

Basis |m₁ m₂⟩ in the order ↑↑, ↑↓, ↓↑, ↓↓ (σ₁ = σ ⊗ 1, σ₂ = 1 ⊗ σ); the same for isospin
(τ). Units: nuclear ones (MeV, fm), kept inside :mod:`ennp_lab.nuclear`.

* σ₁·σ₂ = 2 S(S+1) − 3: eigenvalues {1, 1, 1, −3} (triplet, singlet).
* S₁₂(r̂) = 3(σ₁·r̂)(σ₂·r̂) − σ₁·σ₂: traceless, eigenvalues {−4, 0, 2, 2}; zero on the
  singlet and zero on average over directions.
* A rotation R acts on a spin by D^{1/2}(R) = exp(−iθ n·σ/2) (n, θ the axis and angle of
  R), on the pair by U = D ⊗ D: U O(r̂) U† = O(R r̂) for every operator built here.
* Partial waves: the spin–angle states |(l S) J M⟩ = Σ C(l m_l S m_S | J M) Y_l^{m_l}(r̂)
  |S m_S⟩, and ⟨(l S) J M| O |(l' S') J M⟩ by exact quadrature over the sphere (Gauss–
  Legendre in cos θ × a uniform φ grid), so that tabulated values (⟨³S₁|S₁₂|³D₁⟩ = √8,
  ⟨³D₁|S₁₂|³D₁⟩ = −2) check the operators, not a copy of the same formula.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["PAULI", "sigma1", "sigma2", "spin_spin", "tensor_operator", "spin_rotation", "pair_rotation",
           "spin_states", "spin_angle_state", "partial_wave_element", "check_direction", "matrix_element"]

#: σx, σy, σz
PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)
_I2 = np.eye(2, dtype=complex)


def sigma1() -> np.ndarray:
    """(3, 4, 4) σ of nucleon 1 on the pair space."""
    return np.array([np.kron(p, _I2) for p in PAULI])


def sigma2() -> np.ndarray:
    """(3, 4, 4) σ of nucleon 2 on the pair space."""
    return np.array([np.kron(_I2, p) for p in PAULI])


def spin_spin() -> np.ndarray:
    """(4, 4) σ₁·σ₂ (also τ₁·τ₂ on the isospin space)."""
    return np.einsum("aij,ajk->ik", sigma1(), sigma2())


def check_direction(r) -> np.ndarray:
    """r as a (3,) float array, refused when it is not 3 finite numbers or is zero.

    Raises:
        ValueError: otherwise.
    """
    r = np.asarray(r, dtype=float)
    if r.shape != (3,) or not np.all(np.isfinite(r)):
        raise ValueError(f"a relative position must be 3 finite numbers (fm), got {r!r}")
    if np.linalg.norm(r) == 0.0:
        raise ValueError("r = 0: the two nucleons coincide, and the tensor operator has no direction")
    return r


def tensor_operator(r) -> np.ndarray:
    """(4, 4) S₁₂(r̂) = 3(σ₁·r̂)(σ₂·r̂) − σ₁·σ₂ (only the direction of r matters).

    Raises:
        ValueError: r = 0 or not a 3-vector.
    """
    r = check_direction(r)
    n = r / np.linalg.norm(r)
    s1, s2 = np.einsum("a,aij->ij", n, sigma1()), np.einsum("a,aij->ij", n, sigma2())
    return 3.0 * s1 @ s2 - spin_spin()


def spin_rotation(rotation: np.ndarray) -> np.ndarray:
    """(2, 2) D^{1/2}(R) = exp(−iθ n·σ/2) of a proper rotation matrix R (one of ±; either
    gives the same U O U†).

    Raises:
        ValueError: R not a proper rotation.
    """
    from scipy.spatial.transform import Rotation

    rotation = np.asarray(rotation, dtype=float)
    if rotation.shape != (3, 3) or not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-10) \
            or np.linalg.det(rotation) < 0:
        raise ValueError("spin_rotation needs a proper rotation matrix (orthogonal, det +1)")
    vector = Rotation.from_matrix(rotation).as_rotvec()  # θ n
    theta = float(np.linalg.norm(vector))
    if theta == 0.0:
        return _I2.copy()
    n = vector / theta
    return np.cos(theta / 2) * _I2 - 1j * np.sin(theta / 2) * np.einsum("a,aij->ij", n, PAULI)


def pair_rotation(rotation: np.ndarray) -> np.ndarray:
    """(4, 4) U = D^{1/2}(R) ⊗ D^{1/2}(R)."""
    d = spin_rotation(rotation)
    return np.kron(d, d)


@lru_cache(maxsize=None)
def _cg(j1: float, m1: float, j2: float, m2: float, j: float, m: float) -> float:
    from sympy import Rational, nsimplify
    from sympy.physics.quantum.cg import CG

    value = CG(*(nsimplify(Rational(x).limit_denominator(2)) for x in (j1, m1, j2, m2, j, m))).doit()
    return float(value)


def spin_states(S: int) -> dict[int, np.ndarray]:
    """M_S → the (4,) pair-spin state |S M_S⟩ (S = 0 singlet, 1 triplet)."""
    if S not in (0, 1):
        raise ValueError(f"two spins 1/2 couple to S = 0 or 1, got {S}")
    up = {0.5: 0, -0.5: 1}
    states = {}
    for M in range(-S, S + 1):
        v = np.zeros(4)
        for m1 in (0.5, -0.5):
            m2 = M - m1
            if abs(m2) == 0.5:
                v[2 * up[m1] + up[m2]] += _cg(0.5, m1, 0.5, m2, S, M)
        states[M] = v
    return states


def _sphere(order: int = 16):
    """Quadrature nodes (K, 3), weights (K,) on the unit sphere, exact to degree 2·order − 1."""
    x, w = np.polynomial.legendre.leggauss(order)
    phi = np.arange(2 * order) * (np.pi / order)
    theta = np.arccos(x)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    nodes = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1).reshape(-1, 3)
    weights = (w[:, None] * np.full(2 * order, np.pi / order)[None, :]).reshape(-1)
    return nodes, weights, t.reshape(-1), p.reshape(-1)


def spin_angle_state(l: int, S: int, J: int, M: int, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(K, 4) |(l S) J M⟩ at the directions (θ, φ) (polar, azimuth)."""
    from scipy.special import sph_harm_y

    spins = spin_states(S)
    out = np.zeros((len(theta), 4), dtype=complex)
    for m_s, chi in spins.items():
        m_l = M - m_s
        if abs(m_l) <= l:
            c = _cg(l, m_l, S, m_s, J, M)
            if c != 0.0:
                out += c * sph_harm_y(l, m_l, theta, phi)[:, None] * chi[None, :]
    return out


def partial_wave_element(operator, bra: tuple[int, int, int], ket: tuple[int, int, int], M: int = 0) -> complex:
    """⟨(l S) J M| O(r̂) |(l' S') J' M⟩ for ``operator``: r̂ (3,) → (4, 4), integrated over
    directions; ``bra``/``ket`` = (l, S, J).

    Raises:
        ValueError: a state that cannot exist (|l − S| ≤ J ≤ l + S, |M| ≤ J).
    """
    for l, S, J in (bra, ket):
        if not (abs(l - S) <= J <= l + S) or abs(M) > J or S not in (0, 1) or l < 0:
            raise ValueError(f"no partial wave (l={l}, S={S}, J={J}) with M={M}")
    nodes, weights, theta, phi = _sphere()
    a = spin_angle_state(*bra, M, theta, phi)
    b = spin_angle_state(*ket, M, theta, phi)
    ops = np.array([operator(n) for n in nodes])
    return complex(np.einsum("k,ki,kij,kj->", weights, a.conj(), ops, b))


def matrix_element(operator: np.ndarray, bra, ket) -> complex:
    """⟨bra|O|ket⟩ of a pair operator (4 × 4 spin, or 16 × 16 spin ⊗ isospin).

    Raises:
        ValueError: an operator that is not 4 × 4 or 16 × 16, or states of another dimension.
    """
    operator = np.asarray(operator)
    if operator.ndim != 2 or operator.shape[0] != operator.shape[1] or operator.shape[0] not in (4, 16):
        raise ValueError(f"a pair operator is 4 × 4 (spin) or 16 × 16 (spin ⊗ isospin), got shape {operator.shape}")
    n = operator.shape[0]
    bra, ket = np.asarray(bra, dtype=complex), np.asarray(ket, dtype=complex)
    for name, state in (("bra", bra), ("ket", ket)):
        if state.shape != (n,):
            raise ValueError(f"the {name} must be a state of dimension {n} for this {n} × {n} operator, got shape {state.shape}")
    return complex(bra.conj() @ operator @ ket)
