"""StructurePanel driven from Python: frames, colours, arrows and supercell follow the controls."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nglview")

from ase.build import bulk  # noqa: E402

from ennp_lab.widgets import StructurePanel  # noqa: E402


def _panel():
    frames = []
    for k in range(3):
        a = bulk("Cu", "fcc", a=3.6, cubic=True)
        a.rattle(0.1, seed=k)
        frames.append(a)
    vec = np.random.default_rng(1).normal(size=(3, 4, 3))
    return StructurePanel(frames, values=np.linalg.norm(vec, axis=2), value_label="|F| (eV/Å)", vectors=vec, arrow_scale=1.0), vec


def test_frame_control_moves_view_colours_and_arrows():
    panel, vec = _panel()
    assert panel.view.frame == 0 and len(panel.drawn_arrows) == 4
    assert panel.drawn_colors == panel.scene.color_groups(0)
    components = len(panel.view._ngl_component_ids)
    panel.frame.value = 2
    assert panel.view.frame == 2
    assert panel.drawn_colors == panel.scene.color_groups(2)
    start, end = panel.drawn_arrows[1]
    np.testing.assert_allclose(end - start, vec[2, 1])
    np.testing.assert_allclose(start, panel.scene.frames[2].positions[1])
    assert len(panel.view._ngl_component_ids) == components  # old arrows replaced, not piled up
    assert panel.play.max == 2 and panel.colorbar.data[0].marker.colorbar.title.text == "|F| (eV/Å)"


def test_supercell_control_rebuilds_the_scene():
    panel, _ = _panel()
    components = len(panel.view._ngl_component_ids)
    panel.repeat[0].value = 2
    panel.repeat[2].value = 3
    assert panel.scene.repeat == (2, 1, 3) and len(panel.scene.frames[0]) == 24
    assert len(panel.drawn_arrows) == 24
    assert len(panel.view._ngl_component_ids) == components
    assert sum(len(v) for v in panel.drawn_colors.values()) == 24
