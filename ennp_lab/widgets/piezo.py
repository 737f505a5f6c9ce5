"""`PiezoPanel`: the Voigt matrix of e with the point group's zeros, the longitudinal
response surface (model over reference), and the tensor of the rotated crystal."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from scipy.spatial.transform import Rotation

from ennp_lab.properties.piezo import PiezoelectricTensor
from ennp_lab.viz.piezo import longitudinal_surface_figure, piezo_matrix_figure
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["PiezoPanel"]


class PiezoPanel(Panel):
    """Explore piezoelectric tensors.

    Args:
        tensors: label → :class:`~ennp_lab.properties.piezo.PiezoelectricTensor` (e.g.
            {"ENNP": ..., "reference": ...}); the surface draws them all, the matrix the one picked.
        zeros: (3, 6) the components the crystal's point group forces to zero
            (:func:`~ennp_lab.properties.piezo.symmetry_zero_pattern`), marked in the matrix.

    ``model`` (dropdown) picks the matrix shown; ``alpha``, ``beta``, ``gamma`` (sliders,
    degrees, z-y-z Euler angles) rotate the crystal: the matrix and the surface then show
    e'_ijk = R_ia R_jb R_kc e_abc (the zero marks only at zero rotation, where they hold).
    """

    def __init__(self, tensors: Mapping[str, PiezoelectricTensor], zeros: np.ndarray | None = None) -> None:
        if not tensors:
            raise ValueError("PiezoPanel needs at least one tensor")
        self.tensors, self.zeros = dict(tensors), zeros
        self.model = widgets.Dropdown(options=list(self.tensors), description="matrix of")
        self.alpha, self.beta, self.gamma = (widgets.FloatSlider(value=0.0, min=-180, max=180, step=5, description=name)
                                             for name in ("α (z)", "β (y)", "γ (z)"))
        self.matrix, self.surface = go.FigureWidget(), go.FigureWidget()
        for control in (self.model, self.alpha, self.beta, self.gamma):
            control.observe(lambda _: self.update(), names="value")
        # one box: the sliders and the 3D view they turn belong together
        self.widget = widgets.VBox([self.model, self.alpha, self.beta, self.gamma, self.matrix, self.surface])
        self.update()

    def rotation(self) -> np.ndarray:
        """The rotation (3, 3) the sliders set."""
        return Rotation.from_euler("zyz", [self.alpha.value, self.beta.value, self.gamma.value], degrees=True).as_matrix()

    def shown(self) -> dict[str, PiezoelectricTensor]:
        """The tensors as drawn (rotated)."""
        r = self.rotation()
        return {label: t.rotated(r) for label, t in self.tensors.items()}

    def update(self) -> None:
        shown = self.shown()
        unrotated = np.allclose(self.rotation(), np.eye(3))
        label = self.model.value
        replace_figure(self.matrix, piezo_matrix_figure(shown[label], self.zeros if unrotated else None, f"{label}: e_iJ (C/m²)"))
        replace_figure(self.surface, longitudinal_surface_figure(shown))
