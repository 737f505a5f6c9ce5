"""Structure scenes: frames + per-atom values + per-atom vectors → validated drawing data.

A pure, tested data constructor (cf. chemiscope's ``create_input``): the 3D panel only
draws what a :class:`StructureScene` holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from ase import Atoms
from plotly.colors import sample_colorscale

from ennp_lab.validation import as_ints

__all__ = ["StructureScene", "build_structure_scene", "colorbar_figure"]


@dataclass(frozen=True)
class StructureScene:
    """What a structure view draws, for F frames of M atoms (after the supercell repeat).

    Attributes:
        frames: F ``ase.Atoms`` (repeated), positions in Å.
        values: (F, M) per-atom values in the caller's unit, or None.
        value_label: name and unit of the values (colour-bar title).
        value_range: (vmin, vmax) of the colour scale.
        colors: (F, M) hex colours of the atoms (per-element colours when no values).
        vectors: (F, M, 3) per-atom arrows (in Å after ``arrow_scale``), or None.
        repeat: the supercell repeat (n1, n2, n3).
        colorscale: plotly colour-scale name.
        base: the frames as given (before the repeat).
        options: the other arguments it was built with (to rebuild it, :meth:`repeated`).
    """

    frames: tuple[Atoms, ...]
    values: np.ndarray | None
    value_label: str
    value_range: tuple[float, float]
    colors: np.ndarray
    vectors: np.ndarray | None
    repeat: tuple[int, int, int]
    colorscale: str
    base: tuple[Atoms, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.frames)

    def repeated(self, repeat: tuple[int, int, int]) -> "StructureScene":
        """The same scene over another supercell repeat."""
        return build_structure_scene(self.base, repeat=repeat, **self.options)

    def color_groups(self, frame: int) -> dict[str, list[int]]:
        """Atom indices of each colour in ``frame`` (one representation per colour)."""
        groups: dict[str, list[int]] = {}
        for index, color in enumerate(self.colors[frame]):
            groups.setdefault(str(color), []).append(index)
        return groups

    def arrows(self, frame: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(start, end) of each arrow in ``frame`` (atoms with a zero vector get none)."""
        if self.vectors is None:
            return []
        pos = self.frames[frame].positions
        vec = self.vectors[frame]
        keep = np.linalg.norm(vec, axis=1) > 1e-12
        return [(pos[i], pos[i] + vec[i]) for i in np.nonzero(keep)[0]]


def _per_frame(array, n_frames: int, n_atoms: int, tail: tuple[int, ...], name: str) -> np.ndarray:
    a = np.asarray(array, dtype=float)
    if a.shape == (n_atoms, *tail):
        a = np.broadcast_to(a, (n_frames, n_atoms, *tail))
    if a.shape != (n_frames, n_atoms, *tail):
        raise ValueError(
            f"{name} must have shape {(n_atoms, *tail)} or {(n_frames, n_atoms, *tail)} "
            f"(atoms: {n_atoms}, frames: {n_frames}), got {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} holds NaN or inf")
    return np.array(a)


def _to_hex(rgb: str) -> str:
    r, g, b = (int(round(float(c))) for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _element_hex(numbers: np.ndarray) -> np.ndarray:
    from ase.data.colors import jmol_colors

    return np.array([f"#{int(255 * r):02x}{int(255 * g):02x}{int(255 * b):02x}" for r, g, b in jmol_colors[numbers]])


def build_structure_scene(
    frames: Atoms | Sequence[Atoms],
    values: np.ndarray | None = None,
    value_label: str = "",
    vectors: np.ndarray | None = None,
    arrow_scale: float | str = "auto",
    repeat: tuple[int, int, int] = (1, 1, 1),
    colorscale: str = "Viridis",
    value_range: tuple[float, float] | None = None,
    levels: int = 32,
) -> StructureScene:
    """Validate and assemble a scene.

    Args:
        frames: one structure or a trajectory (same atoms in every frame).
        values: per-atom values, (N,) or (F, N): force magnitude, per-atom energy,
            uncertainty, ...; coloured on ``colorscale`` quantised to ``levels`` colours.
        value_label: colour-bar title, with the unit.
        vectors: per-atom vectors, (N, 3) or (F, N, 3) (forces, spins, mode
            displacements), drawn as arrows of length ``arrow_scale`` × |v| Å;
            ``"auto"`` makes the longest arrow (over all frames) 1.5 Å.
        repeat: supercell repeat; values and vectors are tiled with the atoms.
        value_range: fixed (vmin, vmax); default the range over all frames.

    Raises:
        ValueError: empty input, frames with different atoms, wrong shapes, NaN/inf,
            a repeat below 1.
    """
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    options = dict(values=values, value_label=value_label, vectors=vectors, arrow_scale=arrow_scale,
                   colorscale=colorscale, value_range=value_range, levels=levels)
    if not frames:
        raise ValueError("a scene needs at least one structure")
    n = len(frames[0])
    if n == 0:
        raise ValueError("empty Atoms: nothing to draw")
    if any(len(f) != n or not np.array_equal(f.numbers, frames[0].numbers) for f in frames):
        raise ValueError("every frame of a trajectory must hold the same atoms in the same order")
    repeat = as_ints(repeat, "repeat", length=3, minimum=1)
    copies = int(np.prod(repeat))
    shown = tuple(f.repeat(repeat) if copies > 1 else f.copy() for f in frames)
    n_frames = len(frames)

    vals = None
    colors = np.broadcast_to(_element_hex(shown[0].numbers), (n_frames, n * copies)).copy()
    vrange = (0.0, 1.0)
    if values is not None:
        vals = np.tile(_per_frame(values, n_frames, n, (), "values"), (1, copies))
        lo, hi = (float(vals.min()), float(vals.max())) if value_range is None else map(float, value_range)
        vrange = (lo, hi if hi > lo else lo + 1.0)
        t = np.clip((vals - vrange[0]) / (vrange[1] - vrange[0]), 0.0, 1.0)
        t = np.round(t * (levels - 1)) / (levels - 1)
        palette = {level: _to_hex(c) for level, c in zip(np.unique(t), sample_colorscale(colorscale, list(np.unique(t))))}
        colors = np.vectorize(palette.get, otypes=[object])(t).astype(str)
    vecs = None
    if vectors is not None:
        vecs = np.tile(_per_frame(vectors, n_frames, n, (3,), "vectors"), (1, copies, 1))
        if arrow_scale == "auto":
            longest = float(np.linalg.norm(vecs, axis=-1).max())
            arrow_scale = 1.5 / longest if longest > 0 else 1.0
        vecs = vecs * float(arrow_scale)
    return StructureScene(shown, vals, value_label, vrange, colors, vecs, repeat, colorscale,
                          tuple(f.copy() for f in frames), options)


def colorbar_figure(scene: StructureScene) -> go.Figure:
    """A slim figure holding only the colour bar of ``scene`` (empty if it has no values)."""
    fig = go.Figure()
    if scene.values is not None:
        lo, hi = scene.value_range
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                marker=dict(colorscale=scene.colorscale, cmin=lo, cmax=hi, color=[lo], showscale=True,
                            colorbar=dict(title=dict(text=scene.value_label, side="right"), thickness=15, len=1.0, x=0.0)),
            )
        )
    fig.update_layout(width=110, height=300, margin=dict(l=0, r=70, t=10, b=10), template="plotly_white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig
