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


def test_panel_takes_a_built_scene_and_refuses_options_beside_it():
    from ase.build import bulk

    from ennp_lab.viz.structure import build_structure_scene
    from ennp_lab.widgets import StructurePanel

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    scene = build_structure_scene(atoms, values=np.arange(4.0), value_label="index")
    panel = StructurePanel(scene)
    assert panel.scene is scene and panel.colorbar.data
    with pytest.raises(ValueError, match="given with a built scene"):
        StructurePanel(scene, values=np.zeros(4))
    panel.repeat[0].value = 2
    assert panel.scene.repeat == (2, 1, 1) and panel.scene.value_label == "index"
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
