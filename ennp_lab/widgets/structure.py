"""`StructurePanel`: a 3D view (nglview) with per-atom colours, arrows, supercell and playback."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from ase import Atoms

from ennp_lab.viz.structure import StructureScene, build_structure_scene, colorbar_figure
from ennp_lab.widgets.base import Panel

__all__ = ["StructurePanel"]


def _nglview():
    """Import nglview (lazily: it is slow to import and warns about pkg_resources).

    In a kernel, nglview's first import displays its colour-scheme registry (an empty
    widget output that per-atom colours need in the front end). A panel that will draw
    later (from a callback, in another cell) calls this when it is built, so that output
    lands in the cell that builds the panel.
    """
    import warnings

    with warnings.catch_warnings():  # nglview 3.1.4 imports pkg_resources
        warnings.simplefilter("ignore")
        import nglview
    return nglview


def _scene(scene, options: dict) -> StructureScene:
    if isinstance(scene, StructureScene):
        if options:
            raise ValueError(f"options {sorted(options)} given with a built scene: build the scene with them")
        return scene
    return build_structure_scene(scene, **options)


class StructurePanel(Panel):
    """3D structure view with the unit cell, colours from a per-atom array, arrows for
    per-atom vectors, a supercell control and trajectory playback.

    Args:
        scene: a built :class:`~ennp_lab.viz.structure.StructureScene`, or a structure or
            trajectory (MD, optimisation, a normal mode), built into one with
            ``scene_options``.
        representation: NGL representation of the atoms ("spacefill", "ball+stick"...).
        atom_radius: sphere radius in Å (small enough for the arrows to show).
        **scene_options: :func:`~ennp_lab.viz.structure.build_structure_scene`'s
            (``values`` per atom, ``value_label``, ``vectors``, ``arrow_scale``, ``repeat``...).

    All state lives in Python: ``panel.scene`` is what is drawn, ``panel.frame`` and
    ``panel.repeat`` the controls, ``panel.drawn_colors``/``panel.drawn_arrows`` what was
    last sent to the view.
    """

    def __init__(
        self,
        scene: StructureScene | Atoms | Sequence[Atoms],
        representation: str = "spacefill",
        atom_radius: float = 0.45,
        **scene_options,
    ) -> None:
        self.representation = representation
        self.atom_radius = float(atom_radius)
        self.scene: StructureScene = _scene(scene, scene_options)
        nglview = _nglview()
        self.view = nglview.NGLWidget()
        self.view.layout = widgets.Layout(width="600px", height="450px")
        self._structure = None
        self._arrow_component = None
        self.drawn_colors: dict[str, list[int]] = {}
        self.drawn_arrows: list[tuple[np.ndarray, np.ndarray]] = []

        n = self.scene.n_frames
        self.frame = widgets.IntSlider(value=0, min=0, max=max(n - 1, 0), description="frame", disabled=n == 1)
        self.play = widgets.Play(value=0, min=0, max=max(n - 1, 0), interval=150, description="play", disabled=n == 1)
        widgets.jslink((self.play, "value"), (self.frame, "value"))
        self.repeat = [widgets.BoundedIntText(value=r, min=1, max=6, description=label, layout=widgets.Layout(width="130px"))
                       for r, label in zip(self.scene.repeat, ("a ×", "b ×", "c ×"))]
        self.colorbar = go.FigureWidget(colorbar_figure(self.scene))
        self.frame.observe(self._on_frame, names="value")
        for box in self.repeat:
            box.observe(self._on_repeat, names="value")
        self._load()
        controls = widgets.HBox([self.play, self.frame])
        repeat_box = widgets.HBox([widgets.Label("supercell"), *self.repeat])
        side = [self.colorbar] if self.scene.values is not None else []
        self.widget = widgets.VBox([widgets.HBox([self.view, *side]), controls, repeat_box])

    # -- drawing ---------------------------------------------------------------------
    def _load(self) -> None:
        """(Re)load the scene's trajectory into the view, then draw the current frame."""
        nglview = _nglview()
        for component in (self._arrow_component, self._structure):
            if component is not None:
                self.view.remove_component(component)
        self._arrow_component = None
        self._structure = self.view.add_trajectory(nglview.ASETrajectory(list(self.scene.frames)))
        self._structure.clear_representations()
        if self.scene.frames[0].pbc.any():
            self._structure.add_unitcell()
        self._draw_frame(self.frame.value)

    def _draw_frame(self, frame: int) -> None:
        self.view.frame = frame
        groups = self.scene.color_groups(frame)
        if groups != self.drawn_colors:
            self._structure.clear_representations()
            if self.scene.frames[0].pbc.any():
                self._structure.add_unitcell()
            for color, atoms in groups.items():
                self._structure.add_representation(
                    self.representation, selection=atoms, color=color, radiusType="size", radiusSize=self.atom_radius
                )
            self.drawn_colors = groups
        arrows = self.scene.arrows(frame)
        if self._arrow_component is not None:
            self.view.remove_component(self._arrow_component)
            self._arrow_component = None
        if arrows:
            shapes = [("arrow", list(map(float, a)), list(map(float, b)), [0.85, 0.1, 0.1], 0.1) for a, b in arrows]
            self._arrow_component = self.view._add_shape(shapes, name="vectors")
        self.drawn_arrows = arrows

    def show(self, scene: StructureScene | Atoms | Sequence[Atoms], **scene_options) -> None:
        """Replace what is shown (e.g. another normal mode) keeping the view and the controls.

        ``scene`` as in the constructor; given frames keep the current repeat, colour
        scale and labels unless ``scene_options`` say otherwise (values and vectors are
        only those given). The frame control restarts at 0.
        """
        if not isinstance(scene, StructureScene):
            kept = {k: v for k, v in self.scene.options.items() if k not in ("values", "vectors", "value_range")}
            scene_options = {**kept, "repeat": tuple(int(box.value) for box in self.repeat), **scene_options}
        self.scene = _scene(scene, scene_options)
        n = self.scene.n_frames
        self.frame.unobserve(self._on_frame, names="value")
        self.play.value = 0
        self.frame.value = 0
        for control in (self.frame, self.play):
            control.max = max(n - 1, 0)
            control.disabled = n == 1
        self.frame.observe(self._on_frame, names="value")
        self.colorbar.data = ()
        self.colorbar.add_traces(list(colorbar_figure(self.scene).data))
        self.drawn_colors = {}
        self._load()

    # -- controls --------------------------------------------------------------------
    def _on_frame(self, change) -> None:
        self._draw_frame(int(change["new"]))

    def _on_repeat(self, _change) -> None:
        self.scene = self.scene.repeated(tuple(int(box.value) for box in self.repeat))
        self.drawn_colors = {}
        self._load()
