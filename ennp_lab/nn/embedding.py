"""Species embedding: atomic numbers → model species indices → one-hot node attributes."""

from __future__ import annotations

from typing import Sequence

import torch
from ase.data import chemical_symbols

__all__ = ["SpeciesIndex", "symbol_of"]


def symbol_of(z: int) -> str:
    """Chemical symbol of atomic number ``z`` (or ``Z=z`` when unknown)."""
    return chemical_symbols[z] if 0 < z < len(chemical_symbols) else f"Z={z}"


class SpeciesIndex(torch.nn.Module):
    """Map atomic numbers to the model's species indices 0..S-1, rejecting unseen ones.

    Args:
        species: atomic numbers the model knows (sorted, unique).
    """

    def __init__(self, species: Sequence[int]) -> None:
        super().__init__()
        species = [int(z) for z in species]
        if len(species) == 0:
            raise ValueError("a model needs at least one species")
        if sorted(set(species)) != species:
            raise ValueError(f"species must be sorted and unique, got {species}")
        if species[0] < 1 or species[-1] >= len(chemical_symbols):
            raise ValueError(f"species must be atomic numbers 1..{len(chemical_symbols) - 1}, got {species}")
        self.species = species
        table = torch.full((len(chemical_symbols),), -1, dtype=torch.long)
        table[torch.tensor(species)] = torch.arange(len(species))
        self.register_buffer("table", table, persistent=False)

    @property
    def num_species(self) -> int:
        return len(self.species)

    def forward(self, numbers: torch.Tensor) -> torch.Tensor:
        """(N,) atomic numbers → (N,) species indices.

        Raises:
            ValueError: naming every element the model was not trained on.
        """
        idx = self.table[numbers.clamp(0, len(self.table) - 1)]
        if bool((idx < 0).any()):
            unknown = sorted(set(int(z) for z in numbers[idx < 0].tolist()))
            names = ", ".join(symbol_of(z) for z in unknown)
            known = ", ".join(symbol_of(z) for z in self.species)
            raise ValueError(f"unknown element for this model: {names} (the model knows {known})")
        return idx

    def one_hot(self, idx: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """(N,) species indices → (N, S) one-hot node attributes."""
        return torch.nn.functional.one_hot(idx, self.num_species).to(dtype)
