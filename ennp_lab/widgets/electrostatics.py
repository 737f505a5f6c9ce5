"""`ElectrostaticsPanel`: energy against separation for the reference, local-only and
hybrid models; learned charges coloured on a structure; and the force error against the
cutoff on Coulomb and on screened data side by side."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.properties.electrostatics import CutoffScan, SeparationCurve, summarize_charges
from ennp_lab.viz.electrostatics import charges_figure, cutoff_scan_figure, separation_curve_figure
from ennp_lab.viz.report import html_table
from ennp_lab.widgets.base import Panel, replace_figure

__all__ = ["ElectrostaticsPanel"]


class ElectrostaticsPanel(Panel):
    """Local vs long-range, in three pictures.

    Args:
        curve: :class:`~ennp_lab.properties.electrostatics.SeparationCurve` (reference and models).
        scan: :class:`~ennp_lab.properties.electrostatics.CutoffScan` (force error vs cutoff).
        frames: structures to show the learned charges on, and ``charges`` (one (N,)
            array per frame, e.g. from :func:`~ennp_lab.properties.electrostatics.predict_charges`).

    ``frame`` (dropdown) picks the structure of the 3D view; ``table`` lists each
    element's mean and spread of charge over all frames, and the worst |Σq − Q|.

    Raises:
        ValueError: no frames, or not one charge array of the right length per frame.
    """

    def __init__(self, curve: SeparationCurve, scan: CutoffScan, frames: Sequence[Atoms], charges: Sequence[np.ndarray]) -> None:
        if not frames or len(frames) != len(charges):
            raise ValueError(f"need one charge array per frame, got {len(frames)} frames and {len(charges)} arrays")
        self.frames, self.charges = list(frames), [np.asarray(q, dtype=float) for q in charges]
        self.limit = max(float(np.abs(q).max()) for q in self.charges)
        options = [(f"{k}: {a.get_chemical_formula()} ({a.info.get('config_type', '')})", k) for k, a in enumerate(self.frames)]
        self.frame = widgets.Dropdown(options=options, value=0, description="structure")
        self.curve = go.FigureWidget(separation_curve_figure(curve))
        self.scan = go.FigureWidget(cutoff_scan_figure(scan))
        self.view = go.FigureWidget()
        summary = summarize_charges(self.frames, self.charges)
        rows = [[s, f"{summary.mean[s]:+.3f}", f"{summary.std[s]:.3f}"] for s in summary.mean]
        self.table = widgets.HTML(html_table(["element", "mean q (e)", "spread (e)"], rows)
                                  + f"<p>worst |Σq − Q| = {summary.worst_total_error:.1e} e</p>")
        self.frame.observe(lambda _: self.update(), names="value")
        self.widget = widgets.VBox([self.curve, widgets.HBox([widgets.VBox([self.frame, self.view]), self.table]), self.scan])
        self.update()

    def update(self) -> None:
        k = self.frame.value
        replace_figure(self.view, charges_figure(self.frames[k], self.charges[k], limit=self.limit))
