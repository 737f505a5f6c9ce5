"""Models: energies (and declared heads) from an AtomGraph."""

from ennp_lab.models.ennp import ENNP, ENNPConfig, build_ennp, default_hidden_irreps
from ennp_lab.models.interface import PotentialModel
from ennp_lab.models.io import load_model, save_model

__all__ = ["ENNP", "ENNPConfig", "build_ennp", "default_hidden_irreps", "PotentialModel", "load_model", "save_model"]
