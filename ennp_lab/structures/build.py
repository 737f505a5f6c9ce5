"""Curated structures: chains and slabs (the one place structures are built from scratch)."""

from __future__ import annotations

from typing import Sequence

from ase import Atoms
from ase.build import fcc100, fcc110, fcc111, surface

from ennp_lab.validation import as_int, as_ints

__all__ = ["Miller", "build_chain", "build_fcc_slab", "build_slab", "miller_indices"]

Miller = tuple[int, int, int]

#: ASE's closed-packed FCC slab constructors: orthogonal in-plane cells, x along ⟨1-10⟩
_FCC_SLABS = {(1, 1, 1): fcc111, (1, 0, 0): fcc100, (1, 1, 0): fcc110}


def build_chain(symbol: str = "Cu", spacing: float = 2.5, vacuum: float = 10.0) -> Atoms:
    """A 1D monatomic chain along x: one atom per cell of length ``spacing`` (Å).

    The cell is ``spacing`` × ``vacuum`` × ``vacuum``, periodic in all three directions
    (so phonopy can use it); ``vacuum`` (Å) must exceed the interaction range so that
    neighbouring chains do not interact.
    """
    if spacing <= 0 or vacuum <= 0:
        raise ValueError(f"spacing and vacuum must be positive, got {spacing} and {vacuum}")
    return Atoms(symbol, positions=[[0.0, 0.5 * vacuum, 0.5 * vacuum]], cell=[spacing, vacuum, vacuum], pbc=True)


def miller_indices(miller: Sequence[int]) -> Miller:
    """Three integers, not all zero (1.5 or 2.5 are refused, not truncated).

    Raises:
        ValueError: naming the offending index.
    """
    m = as_ints(miller, "Miller index", length=3)
    if not any(m):
        raise ValueError(f"a Miller index needs three integers, not all zero (got {tuple(miller)})")
    return m  # type: ignore[return-value]


def build_slab(bulk: Atoms, miller: Sequence[int], layers: int = 7, vacuum: float = 10.0) -> Atoms:
    """A periodic slab of ``layers`` layers of (hkl) planes of ``bulk`` with ``vacuum`` Å on each side.

    ``bulk`` is the cell the Miller indices refer to (the conventional cube for FCC/BCC,
    the hexagonal cell for HCP, three-index notation).
    """
    layers = as_int(layers, "layers", minimum=2)
    if vacuum <= 0:
        raise ValueError(f"vacuum must be positive, got {vacuum}")
    slab = surface(bulk, miller_indices(miller), layers, vacuum=vacuum, periodic=True)
    slab.pbc = True
    return slab


def build_fcc_slab(element: str, a: float, miller: Sequence[int] = (1, 1, 1), layers: int = 4,
                   size: tuple[int, int] = (2, 2), vacuum: float = 6.0) -> Atoms:
    """A low-index FCC slab from ASE's closed-packed constructors (fcc111/fcc100/fcc110):
    ``size`` in-plane repeats of the smallest orthogonal surface cell, ``layers`` atomic
    planes, ``vacuum`` Å on each side, periodic in 3D. (For any (hkl) of any crystal, and
    for surface energies, :func:`build_slab`.)

    Raises:
        ValueError: an orientation other than (111), (100), (110).
    """
    key = miller_indices(miller)
    layers = as_int(layers, "layers", minimum=1)
    size = as_ints(size, "size", length=2, minimum=1)
    if key not in _FCC_SLABS:
        raise ValueError(f"slab orientations available: {sorted(_FCC_SLABS)}; got {tuple(miller)}")
    slab = _FCC_SLABS[key](element, size=(*size, layers), a=a, vacuum=vacuum, periodic=True)
    slab.info.pop("adsorbate_info", None)  # a dict that extxyz cannot store
    return slab
