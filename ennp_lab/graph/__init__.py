"""Atoms → graph: the batched periodic neighbor graph (vesin) and its oracles."""

from ennp_lab.graph.data import MIN_DISTANCE, AtomGraph, validate_atoms
from ennp_lab.graph.neighbors import (
    brute_force_neighbor_list,
    minimum_image,
    neighbor_list,
    perpendicular_widths,
)

__all__ = [
    "AtomGraph",
    "MIN_DISTANCE",
    "validate_atoms",
    "neighbor_list",
    "brute_force_neighbor_list",
    "minimum_image",
    "perpendicular_widths",
]
