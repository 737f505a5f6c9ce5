"""`PhononPanel`: bands + DOS, model vs reference; a click on a band animates that mode."""

from __future__ import annotations

from functools import partial
from typing import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.properties.phonons import PhononBands, PhononDOS, build_mode_frames
from ennp_lab.viz.phonons import band_structure_figure
from ennp_lab.widgets.structure import StructurePanel
from ennp_lab.widgets.base import Panel

__all__ = ["PhononPanel"]

ModeFrames = Callable[[int, int], tuple[list[Atoms], list[np.ndarray]]]


class PhononPanel(Panel):
    """Phonon bands (and DOS) of one or more calculators, with mode animation.

    Args:
        bands: label → bands on the same path; the first one that carries eigenvectors
            is animated (compute it with ``eigenvectors=True``).
        dos: label → DOS for the side panel.
        reference: label to compare the others with (error row under the bands).
        repeat: supercell of the primitive cell in which modes are animated.
        amplitude: largest displacement of an animated mode, Å.
        n_frames: frames per period.
        frames_for_mode: ``(q_index, branch) → (frames, displacements)``; by default
            :func:`ennp_lab.properties.phonons.build_mode_frames` on the animated bands.

    State in Python: ``selected`` = (q_index, branch) or None; ``figure`` (a
    ``FigureWidget``), ``structure`` (a :class:`StructurePanel`), ``status``.
    """

    def __init__(
        self,
        bands: Mapping[str, PhononBands],
        dos: Mapping[str, PhononDOS] | None = None,
        reference: str | None = None,
        repeat: Sequence[int] = (3, 3, 3),
        amplitude: float = 0.3,
        n_frames: int = 16,
        frames_for_mode: ModeFrames | None = None,
    ) -> None:
        animated = [label for label, b in bands.items() if b.eigenvectors is not None]
        if frames_for_mode is None:
            if not animated:
                raise ValueError("no band structure carries eigenvectors: compute one with eigenvectors=True")
            frames_for_mode = partial(build_mode_frames, bands[animated[0]], repeat=repeat, amplitude=amplitude, n_frames=n_frames)
        self.bands = dict(bands)
        self.animated = animated[0] if animated else None
        self._frames_for_mode = frames_for_mode
        self.selected: tuple[int, int] | None = None
        self.figure = go.FigureWidget(band_structure_figure(bands, dos, reference))
        self.figure.add_trace(go.Scatter(x=[], y=[], mode="markers", name="selected mode", showlegend=False,
                                         marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color="black", width=2))))
        for trace in self.figure.data:
            if trace.customdata is not None:
                trace.on_click(self._on_click)
        self.status = widgets.HTML("click a band to animate that phonon mode")
        start, _ = frames_for_mode(0, 0)
        self.structure = StructurePanel(start[:1], arrow_scale="auto")
        self.widget = widgets.VBox([self.figure, self.status, self.structure.widget])

    def _on_click(self, trace, points, _selector) -> None:
        if not points.point_inds:
            return
        q_index, branch = trace.customdata[points.point_inds[0]]
        if q_index is not None:
            self.select(int(q_index), int(branch))

    def select(self, q_index: int, branch: int) -> None:
        """Animate the mode (q_index, branch) (what a click on the bands does)."""
        frames, displacements = self._frames_for_mode(q_index, branch)
        self.structure.show(frames, vectors=np.array(displacements))
        self.selected = (q_index, branch)
        b = self.bands[self.animated] if self.animated else next(iter(self.bands.values()))
        nu = float(b.frequencies_thz[q_index, branch])
        q = ", ".join(f"{x:.3f}" for x in b.qpoints[q_index])
        marker = self.figure.data[-1]
        with self.figure.batch_update():
            marker.x, marker.y = [float(b.distances[q_index])], [nu]
        self.status.value = f"q = ({q}) (reduced), branch {branch + 1}: ν = {nu:.3f} THz, {len(frames)} frames"
        self.structure.play.value = 0
