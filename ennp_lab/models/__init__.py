"""Models: energies (and declared heads) from an AtomGraph."""

from ennp_lab.models.compose import SumModel
from ennp_lab.models.ennp import ENNP, ENNPConfig, build_ennp, default_hidden_irreps
from ennp_lab.models.ensemble import Ensemble, EnsemblePrediction
from ennp_lab.models.interface import PotentialModel
from ennp_lab.models.io import load_ensemble, load_model, save_ensemble, save_model

__all__ = ["ENNP", "ENNPConfig", "Ensemble", "EnsemblePrediction", "SumModel", "build_ennp", "default_hidden_irreps",
           "PotentialModel", "load_ensemble", "load_model", "save_ensemble", "save_model"]
