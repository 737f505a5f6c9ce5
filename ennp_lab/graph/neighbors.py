"""THE neighbor list of ennp_lab (vesin), its brute-force oracle, and the minimum image.

Conventions (shared by every function here and by :class:`~ennp_lab.graph.data.AtomGraph`):

* ``cell`` is ASE's: rows are lattice vectors a₁, a₂, a₃ (Å). The column-vector lattice
  matrix of the docstrings is H = cellᵀ, so a Cartesian vector is r = H s for fractional
  coordinates s, and the metric tensor is G = HᵀH = cell cellᵀ.
* A directed pair (i, j, S) with integer cell shift S ∈ ℤ³ has the edge vector

      r_ij = x_j − x_i + S · cell      (Å)

  and is listed when 0 < |r_ij| < cutoff. Pairs with i == j and S ≠ 0 (periodic
  self-images) are included, so cutoffs larger than half the perpendicular cell width
  (several images of the same neighbor) are handled exactly.
* Shifts are non-zero only along periodic directions (mixed periodicity is supported).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import vesin

__all__ = [
    "neighbor_list",
    "brute_force_neighbor_list",
    "minimum_image",
    "minimum_image_shifts",
    "perpendicular_widths",
]


#: beyond this many cutoffs across the structure, the cell-list library is not called
MAX_CUTOFFS_PER_AXIS = 1e4
#: up to this many atoms such a structure falls back to the exact O(N²) list
BRUTE_FORCE_ATOMS = 2000


def _as_pbc(pbc: bool | Sequence[bool] | np.ndarray) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)).copy()
    return arr


def perpendicular_widths(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of the cell, d_k = V / |a_l × a_m| = 1/|b_k|.

    Args:
        cell: (3, 3) lattice vectors as rows (Å); must be non-singular.

    Returns:
        (3,) perpendicular widths (Å), where b_k are the rows of (cellᵀ)⁻¹ (the
        reciprocal vectors without 2π).
    """
    inv = np.linalg.inv(np.asarray(cell, dtype=float))
    return 1.0 / np.linalg.norm(inv, axis=0)


def neighbor_list(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc: bool | Sequence[bool],
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All directed pairs closer than ``cutoff``, on vesin (cell lists, linear scaling).

    Args:
        positions: (N, 3) Cartesian positions (Å).
        cell: (3, 3) lattice vectors as rows (Å). Rows along non-periodic directions
            are ignored and may be zero.
        pbc: periodicity per direction (a bool or three bools).
        cutoff: radius (Å), > 0.

    Returns:
        ``(i, j, shifts, distances)``: (E,) int64 centers, (E,) int64 neighbors,
        (E, 3) int64 cell shifts S and (E,) float64 distances |x_j − x_i + S·cell| (Å),
        sorted by (i, j, S). Both (i, j, S) and (j, i, −S) are listed.
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    cell = np.ascontiguousarray(cell, dtype=np.float64)
    pbc_arr = _as_pbc(pbc)
    if not cutoff > 0:
        raise ValueError(f"cutoff must be positive, got {cutoff}")
    # Wrap along the periodic directions (x = x_w + n·cell), list the wrapped atoms, and
    # map their shifts back: x_j − x_i + S·cell = x_wj − x_wi + S'·cell with S = S' − n_j + n_i.
    wrap = np.zeros((len(positions), 3), dtype=np.int64)
    if pbc_arr.any() and len(positions):
        frac = positions @ np.linalg.inv(_periodic_basis(cell, pbc_arr))
        wrap[:, pbc_arr] = np.floor(frac[:, pbc_arr]).astype(np.int64)
        positions = positions - wrap @ np.where(pbc_arr[:, None], cell, 0.0)
    extent = max(float(np.ptp(positions, axis=0).max(initial=0.0)) if len(positions) else 0.0,
                 float(np.linalg.norm(cell[pbc_arr], axis=1).max(initial=0.0)))
    if extent > MAX_CUTOFFS_PER_AXIS * cutoff:
        # vesin's cell grid overflows (SIGFPE, the process dies) from ~1e5 cutoffs per axis
        if len(positions) > BRUTE_FORCE_ATOMS:
            raise ValueError(f"the structure spans {extent:.3g} Å, {extent / cutoff:.3g} times the cutoff: far beyond "
                             f"any physical neighbourhood (atoms flown apart in a blown-up run?)")
        i, j, shifts, dist = brute_force_neighbor_list(positions, cell, pbc_arr, cutoff)
    else:
        calculator = vesin.NeighborList(cutoff=float(cutoff), full_list=True)
        i, j, shifts, dist = calculator.compute(
            points=positions, box=cell, periodic=[bool(p) for p in pbc_arr], quantities="ijSd"
        )
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    shifts = np.asarray(shifts, dtype=np.int64).reshape(-1, 3) - wrap[j] + wrap[i]
    dist = np.asarray(dist, dtype=np.float64)
    order = _edge_order(i, j, shifts)
    return i[order], j[order], shifts[order], dist[order]


def _edge_order(i: np.ndarray, j: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Permutation that sorts edges by (i, j, S): a deterministic edge order."""
    return np.lexsort((shifts[:, 2], shifts[:, 1], shifts[:, 0], j, i))


def _shift_ranges(cell: np.ndarray, pbc: np.ndarray, radius: float, spread: np.ndarray) -> list[range]:
    """Integer ranges n_k that can hold an image within ``radius``.

    A vector r = H(s + n) with |r| ≤ R has fractional coordinate
    (s + n)_k = r · b_k, so |s_k + n_k| ≤ R |b_k| where b_k is the k-th column of
    cell⁻¹ (a reciprocal vector without 2π); ``spread`` bounds |s_k|.
    """
    ranges = []
    if pbc.any():
        inv = np.linalg.inv(cell)  # cell is full rank: see _periodic_basis
        blen = np.linalg.norm(inv, axis=0)
    for k in range(3):
        if not pbc[k]:
            ranges.append(range(0, 1))
            continue
        m = int(np.ceil(radius * blen[k] + spread[k])) + 1
        ranges.append(range(-m, m + 1))
    return ranges


def _periodic_basis(cell: np.ndarray, pbc: np.ndarray) -> np.ndarray:
    """The cell with non-periodic rows replaced by an orthonormal complement.

    Fractional coordinates along the periodic directions are then well defined even when
    the non-periodic rows are zero (molecules, slabs with no vacuum vector).
    """
    cell = np.array(cell, dtype=float)
    periodic = cell[pbc]
    if periodic.shape[0] == 3:
        return cell
    # Orthonormal complement of the span of the periodic rows.
    if periodic.shape[0] == 0:
        return np.eye(3)
    _, _, vt = np.linalg.svd(periodic)
    complement = vt[periodic.shape[0]:]
    out = cell.copy()
    out[~pbc] = complement
    return out


def brute_force_neighbor_list(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc: bool | Sequence[bool],
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """O(N² × images) reference for :func:`neighbor_list` (a test oracle, not for production).

    Every image shift n with |s_k + n_k| ≤ r_c |b_k| along each periodic direction k
    is enumerated (see :func:`minimum_image`), so the list is exact for any triclinic
    cell and any cutoff. Same arguments and return values as :func:`neighbor_list`.
    """
    positions = np.asarray(positions, dtype=np.float64)
    pbc_arr = _as_pbc(pbc)
    basis = _periodic_basis(np.asarray(cell, dtype=float), pbc_arr)
    frac = positions @ np.linalg.inv(basis)
    spread = np.ptp(frac, axis=0) if len(positions) else np.zeros(3)
    ranges = _shift_ranges(basis, pbc_arr, cutoff, spread)
    diff = positions[None, :, :] - positions[:, None, :]  # (N, N, 3): x_j - x_i
    out_i, out_j, out_s, out_d = [], [], [], []
    for shift in itertools.product(*ranges):
        s = np.array(shift, dtype=np.int64)
        vec = diff + s @ basis
        dist = np.linalg.norm(vec, axis=-1)
        mask = dist < cutoff
        if not any(shift):
            np.fill_diagonal(mask, False)
        ii, jj = np.nonzero(mask)
        out_i.append(ii)
        out_j.append(jj)
        out_s.append(np.repeat(s[None], len(ii), axis=0))
        out_d.append(dist[ii, jj])
    i = np.concatenate(out_i).astype(np.int64)
    j = np.concatenate(out_j).astype(np.int64)
    shifts = np.concatenate(out_s).reshape(-1, 3)
    d = np.concatenate(out_d)
    order = _edge_order(i, j, shifts)
    return i[order], j[order], shifts[order], d[order]


def minimum_image(vectors: np.ndarray, cell: np.ndarray, pbc: bool | Sequence[bool] = True) -> np.ndarray:
    """Shortest periodic image of each vector (the minimum image convention, exact):
    r + n* · cell with the integer shifts n* of :func:`minimum_image_shifts`.

    Args:
        vectors: (..., 3) Cartesian vectors (Å).
        cell: (3, 3) lattice vectors as rows (Å).
        pbc: periodicity per direction; non-periodic components are left unchanged.

    Returns:
        (..., 3) minimum-image vectors (Å).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    shifts = minimum_image_shifts(vectors, cell, pbc)
    return vectors + shifts @ np.where(_as_pbc(pbc)[:, None], np.asarray(cell, dtype=float), 0.0)


def minimum_image_shifts(vectors: np.ndarray, cell: np.ndarray, pbc: bool | Sequence[bool] = True) -> np.ndarray:
    """Integer lattice shifts n* (..., 3) that take each vector to its shortest image.

    With the column lattice matrix H = cellᵀ and metric G = HᵀH, a vector r = H s has
    the images r + H n (n ∈ ℤ³ along periodic directions) and

        r_mic = H (s + n*),   n* = argmin_n (s + n)ᵀ G (s + n).

    Rounding s to the nearest integer (``s - round(s)``) gives n* only for cells whose
    lattice vectors are orthogonal; in a skewed cell it is often wrong (REFERENCES.md:
    134 of 400 pairs for a skewed 20-atom cell). Here the rounded image is only a
    starting point with length R; every candidate shorter than R satisfies
    |s_k + n_k| ≤ R |b_k|, with b_k the k-th column of cell⁻¹ (the k-th row of H⁻¹,
    a reciprocal vector without 2π), so all such n are enumerated and the shortest
    is kept.

    Args:
        vectors: (..., 3) Cartesian vectors (Å).
        cell: (3, 3) lattice vectors as rows (Å).
        pbc: periodicity per direction (shifts are zero along the others).

    Returns:
        (..., 3) int64 shifts.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    pbc_arr = _as_pbc(pbc)
    shape = vectors.shape
    flat = vectors.reshape(-1, 3)
    if not pbc_arr.any():
        shifts = np.zeros_like(flat, dtype=np.int64)
    else:
        basis = _periodic_basis(np.asarray(cell, dtype=float), pbc_arr)
        frac = flat @ np.linalg.inv(basis)
        n0 = np.where(pbc_arr, -np.round(frac), 0.0)
        start = (frac + n0) @ basis
        radius = float(np.linalg.norm(start, axis=1).max(initial=0.0))
        ranges = _shift_ranges(basis, pbc_arr, radius, np.zeros(3))
        candidates = np.array(list(itertools.product(*ranges)), dtype=np.float64)  # (M, 3)
        metric = basis @ basis.T  # G in the row convention: |s cell|² = s G sᵀ
        s = (frac + n0)[:, None, :] + candidates[None, :, :]  # (P, M, 3)
        d2 = np.einsum("pmi,ij,pmj->pm", s, metric, s)
        best = np.argmin(d2, axis=1)
        shifts = np.rint(n0 + candidates[best]).astype(np.int64)
    return shifts.reshape(shape)
