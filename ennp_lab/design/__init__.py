"""Inverse design: gradients of target properties with rigid motions projected out, and
the loop that follows them (``projector``, ``objectives``, ``loop``)."""

from ennp_lab.design.loop import DesignResult, relax_holding, rigid_drift, run_cell_design, run_design, stray_force, superpose
from ennp_lab.design.objectives import (Combined, EnergyCeiling, ForceNorm, MinimumDistance, ModelScalar, Objective,
                                        PhononTarget, PolarizationTarget, SurfaceEnergyTarget, TimestepTarget,
                                        YoungsModulusTarget)
from ennp_lab.design.projector import cell_rotation_free, net_force_and_torque, project_rigid, rigid_components, rigid_modes

__all__ = ["Combined", "DesignResult", "EnergyCeiling", "MinimumDistance", "ModelScalar", "Objective", "cell_rotation_free",
           "net_force_and_torque", "project_rigid", "rigid_components", "rigid_drift", "rigid_modes", "run_design",
           "superpose", "TimestepTarget", "PolarizationTarget", "YoungsModulusTarget", "run_cell_design", "SurfaceEnergyTarget",
           "PhononTarget", "ForceNorm", "relax_holding", "stray_force"]
