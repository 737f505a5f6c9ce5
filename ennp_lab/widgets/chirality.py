"""`ChiralityPanel`: an enantiomer pair with its mirror plane, every model's predicted
pseudoscalar for both, and predicted vs true χ over a test set."""

from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as widgets
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.properties.chirality import EnantiomerEvaluation, mirror_beside
from ennp_lab.viz.report import html_table
from ennp_lab.viz.symmetry import chirality_parity_figure, enantiomer_figure
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["ChiralityPanel"]


class ChiralityPanel(Panel):
    """Browse mirror pairs.

    Args:
        frames: the test molecules, each with ``info['pair']`` and ``info['mirror']``
            (:func:`ennp_lab.data.chiral.enantiomer_dataset`).
        evaluations: model label → :class:`~ennp_lab.properties.chirality.EnantiomerEvaluation`
            on ``frames``.

    ``pair`` (slider) picks the pair. The 3D view shows the molecule and its reflection
    through a plane placed beside it (the data set's mirror image is this one, rotated;
    every model here is rotation invariant). ``table`` lists true and predicted χ of both.
    """

    def __init__(self, frames: Sequence[Atoms], evaluations: Mapping[str, EnantiomerEvaluation]) -> None:
        index: dict[int, list[Atoms | None]] = {}
        for a in frames:
            index.setdefault(int(a.info["pair"]), [None, None])[int(a.info["mirror"])] = a
        self.pairs = [index[p] for p in sorted(index)]
        self.evaluations = dict(evaluations)
        for label, ev in self.evaluations.items():
            if len(ev.predicted) != 2 * len(self.pairs):
                raise ValueError(f"evaluation {label!r} has {len(ev.predicted)} predictions for {2 * len(self.pairs)} molecules")
        self.pair = widgets.IntSlider(value=0, min=0, max=len(self.pairs) - 1, description="pair")
        self.view = go.FigureWidget()
        self.scatter = go.FigureWidget(chirality_parity_figure(self.evaluations, highlight=0))
        self.table = widgets.HTML()
        self.pair.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox([self.pair, widgets.HBox([self.view, self.table]), self.scatter])
        self.update()

    def update(self) -> None:
        k = self.pair.value
        atoms = self.pairs[k][0]
        pair = mirror_beside(atoms)
        new = enantiomer_figure(atoms, pair.image, pair.normal, pair.point, title=f"pair {k}: {atoms.get_chemical_formula()}")
        replace_figure(self.view, new)
        rows = [["true χ", *(f"{v:+.4f}" for v in next(iter(self.evaluations.values())).target[2 * k : 2 * k + 2])]]
        for label, ev in self.evaluations.items():
            rows.append([label, *(f"{v:+.4f}" for v in ev.predicted[2 * k : 2 * k + 2])])
        self.table.value = html_table(["", "molecule", "mirror image"], rows)
        new_scatter = chirality_parity_figure(self.evaluations, highlight=k)
        replace_figure(self.scatter, new_scatter)
