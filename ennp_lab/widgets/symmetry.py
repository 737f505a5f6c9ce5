"""`SymmetryPanel`: apply an operation, see A and g·A side by side with forces, and the
leakage of every output for each model (e.g. the ENNP and the broken baseline)."""

from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.symmetry import (
    Operation,
    SymmetryComparison,
    change_of_basis,
    improper_rotation,
    inversion,
    permutation,
    reflection,
    rotation,
    time_reversal,
    translation,
)
from ennp_lab.viz.symmetry import leakage_table_html, side_by_side_figure
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["SymmetryPanel", "BASES"]

#: unimodular integer matrices offered as a change of lattice basis
BASES = {
    "a' = a + b": ((1, 1, 0), (0, 1, 0), (0, 0, 1)),
    "a' = a + b, c' = c − a + b": ((1, 1, 0), (0, 1, 0), (-1, 1, 1)),
    "cyclic (a, b, c) → (b, c, a)": ((0, 1, 0), (0, 0, 1), (1, 0, 0)),
}
_KINDS = ("rotation", "improper rotation", "reflection", "inversion", "translation", "permutation",
          "change of lattice basis", "time reversal")


class SymmetryPanel(Panel):
    """Controls for one operation g and its effect on every model.

    Args:
        atoms: the structure A (periodic structures also offer a change of lattice basis).
        compare: g ↦ :class:`~ennp_lab.symmetry.SymmetryComparison`, e.g.
            ``functools.partial(compare_under_operation, {"ENNP": calc, "broken": naive}, atoms)``.

    ``kind`` (dropdown), ``theta``/``phi`` (axis or plane normal, degrees), ``angle``
    (degrees), ``shift`` (Å), ``shuffle`` (new permutation), ``basis`` and ``model`` (whose
    forces are drawn) are the controls; ``operation()`` the current g;
    ``comparison`` the last result; ``figure`` and ``table`` what is shown.
    """

    def __init__(self, atoms: Atoms, compare: Callable[[Operation], SymmetryComparison]) -> None:
        self.atoms, self._compare = atoms, compare
        kinds = [k for k in _KINDS if k != "change of lattice basis" or bool(np.all(atoms.pbc))]
        self.kind = widgets.Dropdown(options=kinds, value="rotation", description="operation")
        self.theta = widgets.FloatSlider(value=40.0, min=0.0, max=180.0, step=1.0, description="axis θ (°)")
        self.phi = widgets.FloatSlider(value=30.0, min=0.0, max=360.0, step=1.0, description="axis φ (°)")
        self.angle = widgets.FloatSlider(value=90.0, min=0.0, max=360.0, step=5.0, description="angle (°)")
        self.shift = widgets.FloatSlider(value=2.0, min=-5.0, max=5.0, step=0.1, description="shift (Å)")
        self.basis = widgets.Dropdown(options=list(BASES), description="new basis")
        self.shuffle = widgets.Button(description="shuffle atoms")
        self._seed = 0
        self.comparison: SymmetryComparison | None = None
        self.figure = go.FigureWidget()
        self.table = widgets.HTML()
        self.status = widgets.HTML()
        self.model = widgets.Dropdown(description="forces of")
        for control in (self.kind, self.theta, self.phi, self.angle, self.shift, self.basis):
            control.observe(lambda _: self.update(), names="value")
        self.model.observe(lambda _: self._draw(), names="value")
        self.shuffle.on_click(self._on_shuffle)
        # rows of HBoxes (no inner VBox): the panel's VBox holds both the sliders and the view
        self.widget = widgets.VBox([
            widgets.HBox([self.kind, self.model, self.shuffle]),
            widgets.HBox([self.theta, self.phi]),
            widgets.HBox([self.shift, self.angle]),
            widgets.HBox([self.basis, self.table]),
            self.status,
            self.figure,
        ])
        self.update()

    def axis(self) -> np.ndarray:
        t, p = np.deg2rad(self.theta.value), np.deg2rad(self.phi.value)
        return np.array([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])

    def operation(self) -> Operation:
        """The operation the controls describe."""
        kind, n = self.kind.value, self.axis()
        if kind == "rotation":
            return rotation(n, self.angle.value)
        if kind == "improper rotation":
            return improper_rotation(n, self.angle.value)
        if kind == "reflection":
            return reflection(n)
        if kind == "inversion":
            return inversion()
        if kind == "translation":
            return translation(self.shift.value * n)
        if kind == "permutation":
            return permutation(np.random.default_rng(self._seed).permutation(len(self.atoms)))
        if kind == "change of lattice basis":
            return change_of_basis(BASES[self.basis.value])
        return time_reversal()

    def _on_shuffle(self, _=None) -> None:
        self._seed += 1
        if self.kind.value != "permutation":
            self.kind.value = "permutation"  # triggers update
        else:
            self.update()

    def update(self) -> None:
        """Recompute the comparison for the current controls and redraw."""
        kind = self.kind.value
        for control, used in ((self.theta, kind in ("rotation", "improper rotation", "reflection", "translation")),
                              (self.phi, kind in ("rotation", "improper rotation", "reflection", "translation")),
                              (self.angle, kind in ("rotation", "improper rotation")),
                              (self.shift, kind == "translation"), (self.basis, kind == "change of lattice basis")):
            control.disabled = not used
        op = self.operation()
        self.comparison = self._compare(op)
        labels = list(self.comparison.forces)
        if list(self.model.options) != labels:
            self.model.options = labels
        if self.model.value is None:
            self.model.value = labels[0]
        self.table.value = leakage_table_html(self.comparison.reports)
        worst = {label: r.max() for label, r in self.comparison.reports.items()}
        self.status.value = "<b>" + op.name + "</b> (" + ("proper" if op.proper else "improper") + "): worst leakage " + ", ".join(
            f"{label} {w:.1e}" for label, w in worst.items()) + ". Red: F(g·A); green: g·F(A), what it must be."
        self._draw()

    def _draw(self) -> None:
        c = self.comparison
        if c is None or self.model.value is None:
            return
        before, after = c.forces[self.model.value]
        plane = None
        if c.operation.kind == "reflection":
            plane = (c.operation.parameters["normal"], c.original.positions.mean(axis=0))
        new = side_by_side_figure(c.original, c.transformed, ("A", f"g·A ({c.operation.name})"), (before, after),
                                  expected=c.expected_forces[self.model.value], plane=plane)
        replace_figure(self.figure, new)
