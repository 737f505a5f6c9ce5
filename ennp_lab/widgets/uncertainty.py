"""`UncertaintyPanel` and `ActiveLearningPanel`: σ maps, per-atom σ on the structure,
calibration, and a live active-learning loop. No physics here: results come from
:mod:`ennp_lab.learning`."""

from __future__ import annotations

import threading
from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.learning.active import ActiveLearningResult, RoundRecord
from ennp_lab.learning.calibration import CalibrationReport
from ennp_lab.learning.uncertainty_map import UncertaintyMap
from ennp_lab.viz.uncertainty import active_learning_figure, calibration_figure, uncertainty_map_figure
from ennp_lab.widgets.base import Panel, replace_figure
from ennp_lab.widgets.structure import StructurePanel, _nglview
from ennp_lab.units import EV_TO_MEV

__all__ = ["UncertaintyPanel", "ActiveLearningPanel"]

SIGMA_LABEL = "σ_F (eV/Å)"


class UncertaintyPanel(Panel):
    """Where is the model unsure, and is it right to be?

    Args:
        umap: σ and error over strain × temperature (:func:`~ennp_lab.learning.uncertainty_map.uncertainty_map`).
        structures: name → (atoms, per-atom σ_F in eV/Å), e.g. bulk, a vacancy, a slab.
        calibration: name → :class:`~ennp_lab.learning.calibration.CalibrationReport`.

    Controls: ``structure`` (a dropdown over ``structures``) and the ``strain`` and
    ``temperature`` sliders (a cell of the map; its snapshot is then shown) choose what
    ``structure_panel`` colours by per-atom σ; the cell is outlined on ``map_figure``.
    ``shown`` names what is on display.
    """

    def __init__(self, umap: UncertaintyMap, structures: Mapping[str, tuple[Atoms, np.ndarray]] | None = None,
                 calibration: Mapping[str, CalibrationReport] | None = None) -> None:
        self.umap = umap
        self.structures = dict(structures or {})
        for name, (atoms, sigma) in self.structures.items():
            if np.shape(sigma) != (len(atoms),):
                raise ValueError(f"structure {name!r}: per-atom σ has shape {np.shape(sigma)}, expected ({len(atoms)},)")
        self.cell = (int(np.argmin(np.abs(umap.strains))), 0)
        self.map_figure = go.FigureWidget(uncertainty_map_figure(umap, self.cell))
        self.strain = widgets.SelectionSlider(options=[(f"{100 * s:+.0f} %", i) for i, s in enumerate(umap.strains)],
                                              value=self.cell[0], description="strain")
        self.temperature = widgets.SelectionSlider(options=[(f"{t:g} K", j) for j, t in enumerate(umap.temperatures_K)],
                                                   value=self.cell[1], description="temperature")
        names = list(self.structures) + ["map cell"]
        self.structure = widgets.Dropdown(options=names, value=names[0], description="show")
        atoms, sigma = self._selected()
        self.structure_panel = StructurePanel(atoms, values=sigma, value_label=SIGMA_LABEL)
        self.calibration_figure = go.FigureWidget(calibration_figure(dict(calibration or {})))
        self.shown = names[0]
        self.structure.observe(self._on_structure, names="value")
        self.strain.observe(self._on_cell, names="value")
        self.temperature.observe(self._on_cell, names="value")
        rho = umap.spearman() if umap.sigma.size > 2 else float("nan")
        self.summary = widgets.HTML(f"Spearman rank correlation of σ and error over the map: <b>{rho:.2f}</b>")
        # one flat column: side by side, the nglview view collapses to zero width in JupyterLab
        parts = [self.map_figure, self.summary, widgets.HBox([self.strain, self.temperature]), self.structure,
                 self.structure_panel.widget] + ([self.calibration_figure] if calibration else [])
        self.widget = widgets.VBox(parts)

    def _selected(self) -> tuple[Atoms, np.ndarray]:
        if self.structure.value == "map cell":
            i, j = self.cell
            return self.umap.frames[i][j], self.umap.atom_sigma[i][j]
        return self.structures[self.structure.value]

    def _show(self) -> None:
        atoms, sigma = self._selected()
        self.structure_panel.show(atoms, values=sigma)
        self.shown = self.structure.value if self.structure.value != "map cell" else f"map cell {self.cell}"

    def _on_structure(self, _change) -> None:
        self._show()

    def _on_cell(self, _change) -> None:
        self.cell = (int(self.strain.value), int(self.temperature.value))
        replace_figure(self.map_figure, uncertainty_map_figure(self.umap, self.cell))
        if self.structure.value != "map cell":
            self.structure.value = "map cell"  # shows it
        else:
            self._show()



class ActiveLearningPanel(Panel):
    """A live active-learning run: start/stop, error and σ per round, the newest picks.

    Usage::

        panel = ActiveLearningPanel()
        display(panel)
        job = partial(run_active_learning, EMT(), initial, pool, build, test, ActiveLearningConfig(rounds=4))
        panel.run(job, label="uncertainty")          # blocking; or panel.start(job) in the background

    ``job`` is called as ``job(callback=...)`` and must return an
    :class:`~ennp_lab.learning.active.ActiveLearningResult` (``run_active_learning``
    with everything but the callback bound). The stop button ends the run after the
    current round. ``records`` holds each run's rounds, ``results`` the finished runs;
    ``pick`` (a slider) steps through the frames picked in the newest round, coloured by
    their per-atom σ_F when they were picked.
    """

    def __init__(self) -> None:
        _nglview()  # the structure view is built by a later round's callback; see _nglview
        self.records: dict[str, list[RoundRecord]] = {}
        self.results: dict[str, ActiveLearningResult] = {}
        self.figure = go.FigureWidget(active_learning_figure({}))
        self.start_button = widgets.Button(description="start", icon="play", button_style="success")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True,
                                          tooltip="stop after the current round")
        self.status = widgets.HTML("idle")
        self.stop_requested = False
        self.thread: threading.Thread | None = None
        self._job: Callable[..., ActiveLearningResult] | None = None
        self._label = "run"
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.picked: list[Atoms] = []
        self.picked_atom_sigma: list[np.ndarray] = []
        self.pick = widgets.IntSlider(value=0, min=0, max=0, description="pick", disabled=True)
        self.pick.observe(self._on_pick, names="value")
        self.picks_table = widgets.HTML("")
        self.structure_panel: StructurePanel | None = None
        self._structure_box = widgets.VBox([])
        self.widget = widgets.VBox([widgets.HBox([self.start_button, self.stop_button, self.status]), self.figure,
                                    self.picks_table, self.pick, self._structure_box])

    # -- running ---------------------------------------------------------------------
    def prepare(self, job: Callable[..., ActiveLearningResult], label: str = "run") -> None:
        """Set the job the start button runs."""
        self._job, self._label = job, label

    def run(self, job: Callable[..., ActiveLearningResult] | None = None, label: str | None = None) -> ActiveLearningResult:
        """Run ``job`` (default: the prepared one) here, updating the panel every round."""
        if job is not None:
            self.prepare(job, label or self._label)
        elif label is not None:
            self._label = label
        if self._job is None:
            raise ValueError("no active-learning job: pass one to run() or prepare()")
        label = self._label
        self.stop_requested = False
        self.records[label] = []
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"{label}: training the first ensemble…"
        try:
            result = self._job(callback=lambda record: self.callback(record, label))
        finally:
            self.start_button.disabled, self.stop_button.disabled = False, True
        self.results[label] = result
        self.status.value += " — finished" if not self.stop_requested else " — stopped"
        return result

    def start(self, job: Callable[..., ActiveLearningResult] | None = None, label: str | None = None) -> threading.Thread:
        """Run in a background thread (the notebook stays responsive); returns the thread."""
        if self.thread is not None and self.thread.is_alive():
            raise RuntimeError("an active-learning run is already going")
        self.thread = threading.Thread(target=self.run, args=(job, label), daemon=True)
        self.thread.start()
        return self.thread

    def stop(self) -> None:
        """Ask the running loop to stop after the current round."""
        self.stop_requested = True
        self.status.value += " (stopping after this round)"

    def callback(self, record: RoundRecord, label: str | None = None) -> bool:
        """Record and show one round; returns True (stop) once stop was pressed."""
        label = label or self._label
        self.records.setdefault(label, []).append(record)
        replace_figure(self.figure, active_learning_figure(self.records))
        self.status.value = (f"{label}, round {record.round}: {record.n_train} labelled frames, test force MAE "
                             f"{EV_TO_MEV * record.test_force_mae:.0f} meV/Å, mean σ_F {EV_TO_MEV * record.test_sigma:.0f} meV/Å")
        if record.picked:
            self._show_picks(list(record.picked), record.picked_sigma, list(record.picked_atom_sigma))
        return self.stop_requested

    # -- the newest picks ------------------------------------------------------------------
    def _show_picks(self, picked: list[Atoms], scores: np.ndarray, atom_sigma: list[np.ndarray]) -> None:
        self.picked = picked
        self.picked_atom_sigma = atom_sigma
        rows = "".join(f"<tr><td>{k}</td><td>{f.info.get('source', '')}</td><td>{len(f)}</td>"
                       f"<td>{EV_TO_MEV * s:.0f}</td></tr>" for k, (f, s) in enumerate(zip(picked, scores)))
        self.picks_table.value = ("<b>newest picks</b><table><tr><th>#</th><th>from</th><th>atoms</th>"
                                  f"<th>max σ_F (meV/Å)</th></tr>{rows}</table>")
        self.pick.unobserve(self._on_pick, names="value")
        self.pick.max, self.pick.value, self.pick.disabled = len(picked) - 1, 0, len(picked) < 2
        self.pick.observe(self._on_pick, names="value")
        self._draw_pick(0)

    def _draw_pick(self, k: int) -> None:
        atoms = self.picked[k]
        sigma = self.picked_atom_sigma[k] if k < len(self.picked_atom_sigma) else None
        if self.structure_panel is None:
            self.structure_panel = StructurePanel(atoms, values=sigma, value_label=SIGMA_LABEL)
            self._structure_box.children = (self.structure_panel.widget,)
        else:
            self.structure_panel.show(atoms, values=sigma)

    def _on_pick(self, change) -> None:
        self._draw_pick(int(change["new"]))
