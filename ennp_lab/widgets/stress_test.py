"""`StressTestPanel`: pick a defect structure; its atoms coloured by the per-atom force
error, the ensemble's σ, the equivariance leakage or the environment class (non-bulk atoms stand out), the error
by environment beside it, and stacking-fault lines model over reference."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ennp_lab.properties.stress_test import StressTestResult
from ennp_lab.structures.defects import StackingFaultLine
from ennp_lab.viz.stress_test import ENVIRONMENT_CODES, environment_error_figure, stacking_fault_figure
from ennp_lab.widgets.base import Panel, replace_figure
from ennp_lab.widgets.structure import StructurePanel

__all__ = ["StressTestPanel"]

COLOURINGS = ("force error", "σ", "leakage", "environment")


class StressTestPanel(Panel):
    """Explore a :class:`~ennp_lab.properties.stress_test.StressTestResult`.

    Args:
        result: the stress test.
        stacking_faults: label → :class:`~ennp_lab.structures.defects.StackingFaultLine`
            (e.g. model and reference), drawn when given.

    ``structure`` (dropdown) picks the structure, ``colour`` what its atoms show (σ only
    when the result has one; environment codes: ``ENVIRONMENT_CODES``).
    """

    def __init__(self, result: StressTestResult, stacking_faults: Mapping[str, StackingFaultLine] | None = None) -> None:
        if not result.reports:
            raise ValueError("StressTestPanel needs a stress test with at least one structure")
        self.result = result
        have = {"σ": all(r.sigma is not None for r in result.reports.values()),
                "leakage": all(r.leakage is not None for r in result.reports.values())}
        self.structure = widgets.Dropdown(options=list(result.reports), description="structure")
        self.colour = widgets.Dropdown(options=[c for c in COLOURINGS if have.get(c, True)], description="colour by")
        self.errors = go.FigureWidget()
        figures = [self.errors]
        if stacking_faults:
            self.faults = go.FigureWidget(stacking_fault_figure(stacking_faults))
            figures.append(self.faults)
        self.view = StructurePanel(self._report().atoms, **self._scene_options())
        self.structure.observe(lambda _: self._draw(), names="value")
        self.colour.observe(lambda _: self._draw(), names="value")
        self.widget = widgets.VBox([widgets.HBox(figures), widgets.HBox([self.structure, self.colour]), self.view.widget])
        self._draw(structure=False)

    def _report(self):
        return self.result.reports[self.structure.value]

    def values(self) -> np.ndarray:
        """(N,) what the atoms are coloured by now."""
        report = self._report()
        if self.colour.value == "environment":
            return np.array([ENVIRONMENT_CODES[e] for e in report.environment], float)
        return report.per_atom(self.colour.value)

    def _scene_options(self) -> dict:
        label = {"force error": "|ΔF| (eV/Å)", "σ": "σ_F (eV/Å)", "leakage": "|RᵀF(RA) − F(A)| (eV/Å)",
                 "environment": "0 bulk · 1 defect · 2 undercoord. · 3 fixed"}[self.colour.value]
        options = dict(values=self.values(), value_label=label)
        if self.colour.value == "environment":
            options["value_range"] = (0.0, float(len(ENVIRONMENT_CODES) - 1))
        return options

    def _draw(self, structure: bool = True) -> None:
        report = self._report()
        quantity = "force error" if self.colour.value == "environment" else self.colour.value
        replace_figure(self.errors, environment_error_figure(report, quantity))
        if structure:
            self.view.show(report.atoms, **self._scene_options())
