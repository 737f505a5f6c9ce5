"""ennp_lab: a lab for E(3)-equivariant neural network interatomic potentials.

The core (this package minus ``viz`` and ``widgets``) never imports widget or plotting
libraries. Data flows one way::

    ase.Atoms → graph → models → derivatives → calculator → properties → viz → widgets
"""

from ennp_lab._version import __version__
from ennp_lab.calculator import ENNPCalculator
from ennp_lab.derivatives import compute_properties
from ennp_lab.device import resolve_device
from ennp_lab.graph import AtomGraph, minimum_image, neighbor_list
from ennp_lab.models import ENNP, ENNPConfig, build_ennp, load_model, save_model

__all__ = [
    "__version__",
    "AtomGraph",
    "ENNP",
    "ENNPCalculator",
    "ENNPConfig",
    "build_ennp",
    "compute_properties",
    "load_model",
    "minimum_image",
    "neighbor_list",
    "resolve_device",
    "save_model",
]
