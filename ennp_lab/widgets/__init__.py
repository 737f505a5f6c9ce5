"""ipywidgets panels: thin shells around ``ennp_lab.viz`` figures; no physics here.

Not imported by ``import ennp_lab``. Panels keep their state in Python, so tests can drive
them without a browser.
"""

from ennp_lab.widgets.chirality import ChiralityPanel
from ennp_lab.widgets.design import DesignPanel
from ennp_lab.widgets.electrostatics import ElectrostaticsPanel
from ennp_lab.widgets.elasticity import ElasticityPanel, SurfacePanel
from ennp_lab.widgets.nuclear import NuclearForcePanel
from ennp_lab.widgets.phonons import PhononPanel
from ennp_lab.widgets.piezo import PiezoPanel
from ennp_lab.widgets.polarization import PolarizationPanel
from ennp_lab.widgets.structure import StructurePanel
from ennp_lab.widgets.stress_test import StressTestPanel
from ennp_lab.widgets.symmetry import SymmetryPanel
from ennp_lab.widgets.thermal import ThermalPanel
from ennp_lab.widgets.timestep import TimestepPanel
from ennp_lab.widgets.training import TrainingPanel
from ennp_lab.widgets.uncertainty import ActiveLearningPanel, UncertaintyPanel

__all__ = [
    "ActiveLearningPanel",
    "ChiralityPanel",
    "DesignPanel",
    "ElasticityPanel",
    "ElectrostaticsPanel",
    "NuclearForcePanel",
    "PhononPanel",
    "PiezoPanel",
    "PolarizationPanel",
    "StressTestPanel",
    "StructurePanel",
    "SurfacePanel",
    "SymmetryPanel",
    "ThermalPanel",
    "TimestepPanel",
    "TrainingPanel",
    "UncertaintyPanel",
]
