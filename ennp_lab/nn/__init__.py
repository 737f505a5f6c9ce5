"""e3nn building blocks of the ENNP (no physics beyond the architecture)."""

from ennp_lab.nn.constants import exact_wigner_3j
from ennp_lab.nn.embedding import SpeciesIndex, symbol_of
from ennp_lab.nn.interaction import InteractionBlock, reachable_irreps
from ennp_lab.nn.radial import BesselBasis, PolynomialCutoff, RadialEmbedding
from ennp_lab.nn.readout import EquivariantHead, ScalarReadout

__all__ = [
    "exact_wigner_3j",
    "SpeciesIndex",
    "symbol_of",
    "InteractionBlock",
    "reachable_irreps",
    "BesselBasis",
    "PolynomialCutoff",
    "RadialEmbedding",
    "EquivariantHead",
    "ScalarReadout",
]
