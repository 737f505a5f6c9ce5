"""The only converters between ASE ``Atoms`` and phonopy's ``PhonopyAtoms``.

Both use Å, amu and lattice vectors as rows, so conversion copies symbols, cell,
fractional positions and masses unchanged.
"""

from __future__ import annotations

from ase import Atoms
from phonopy.structure.atoms import PhonopyAtoms

__all__ = ["atoms_to_phonopy", "phonopy_to_atoms"]


def atoms_to_phonopy(atoms: Atoms) -> PhonopyAtoms:
    """A 3D-periodic ``Atoms`` as ``PhonopyAtoms`` (phonopy treats every cell as periodic)."""
    if len(atoms) == 0:
        raise ValueError("cannot convert an empty structure to phonopy")
    if abs(atoms.cell.volume) < 1e-9:
        raise ValueError("phonopy needs a full 3D cell (this one has zero volume); add vacuum along non-periodic axes")
    return PhonopyAtoms(
        symbols=atoms.get_chemical_symbols(),
        cell=atoms.cell.array.copy(),
        scaled_positions=atoms.get_scaled_positions(wrap=False),
        masses=atoms.get_masses(),
    )


def phonopy_to_atoms(cell: PhonopyAtoms) -> Atoms:
    """A ``PhonopyAtoms`` as a periodic ``Atoms`` with the same masses."""
    return Atoms(
        symbols=cell.symbols,
        cell=cell.cell,
        scaled_positions=cell.scaled_positions,
        masses=cell.masses,
        pbc=True,
    )
