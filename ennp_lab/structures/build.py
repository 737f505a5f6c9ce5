"""Curated structures for the examples and tests."""

from __future__ import annotations

from ase import Atoms

__all__ = ["build_chain"]


def build_chain(symbol: str = "Cu", spacing: float = 2.5, vacuum: float = 10.0) -> Atoms:
    """A 1D monatomic chain along x: one atom per cell of length ``spacing`` (Å).

    The cell is ``spacing`` × ``vacuum`` × ``vacuum``, periodic in all three directions
    (so phonopy can use it); ``vacuum`` (Å) must exceed the interaction range so that
    neighbouring chains do not interact.
    """
    if spacing <= 0 or vacuum <= 0:
        raise ValueError(f"spacing and vacuum must be positive, got {spacing} and {vacuum}")
    return Atoms(symbol, positions=[[0.0, 0.5 * vacuum, 0.5 * vacuum]], cell=[spacing, vacuum, vacuum], pbc=True)
