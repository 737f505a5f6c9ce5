"""The structure scene: validated per-atom colours and arrows, supercell tiling."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ennp_lab.viz.structure import build_structure_scene, colorbar_figure


def _traj(n=3):
    frames = []
    for k in range(n):
        a = bulk("Cu", "fcc", a=3.6, cubic=True)
        a.rattle(0.1, seed=k)
        frames.append(a)
    return frames


def test_values_map_monotonically_onto_the_colorscale():
    water = molecule("H2O")
    scene = build_structure_scene(water, values=[0.0, 0.5, 1.0], value_label="|F| (eV/Å)")
    assert scene.value_range == (0.0, 1.0)
    assert scene.colors[0, 0] == "#440154" and scene.colors[0, 2] == "#fde725"  # Viridis ends
    assert len(set(scene.colors[0])) == 3
    groups = scene.color_groups(0)
    assert sorted(i for atoms in groups.values() for i in atoms) == [0, 1, 2]
    plain = build_structure_scene(water)
    assert plain.values is None and plain.colors[0, 0] != plain.colors[0, 1]  # element colours: O vs H


def test_repeat_tiles_values_and_vectors_with_the_atoms():
    frames = _traj()
    vec = np.random.default_rng(0).normal(size=(3, 4, 3))
    scene = build_structure_scene(frames, values=np.arange(4.0), vectors=vec, arrow_scale=0.5, repeat=(2, 1, 1))
    assert len(scene.frames[0]) == 8 and scene.n_frames == 3
    np.testing.assert_allclose(scene.values[1], np.tile(np.arange(4.0), 2))
    # atom k of the second copy sits one lattice vector away and carries the same vector
    np.testing.assert_allclose(scene.frames[2].positions[4:] - scene.frames[2].positions[:4], np.tile(frames[2].cell[0], (4, 1)))
    arrows = scene.arrows(2)
    assert len(arrows) == 8
    np.testing.assert_allclose(arrows[5][1] - arrows[5][0], 0.5 * vec[2, 1])


def test_zero_vectors_get_no_arrow_and_bad_input_is_named():
    frames = _traj(2)
    vec = np.zeros((4, 3))
    vec[1] = [1, 0, 0]
    assert len(build_structure_scene(frames, vectors=vec).arrows(1)) == 1
    with pytest.raises(ValueError, match=r"values must have shape \(4,\) or \(2, 4\)"):
        build_structure_scene(frames, values=np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        build_structure_scene(frames, vectors=np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="same atoms"):
        build_structure_scene([frames[0], frames[0][:3]])
    with pytest.raises(ValueError, match="repeat"):
        build_structure_scene(frames, repeat=(0, 1, 1))
    with pytest.raises(ValueError, match="empty"):
        build_structure_scene(Atoms())


def test_colorbar_figure_spans_the_value_range():
    scene = build_structure_scene(_traj(1), values=[0.2, 0.4, 0.6, 1.4], value_label="σ (meV)")
    marker = colorbar_figure(scene).data[0].marker
    assert (marker.cmin, marker.cmax) == (0.2, 1.4) and marker.colorbar.title.text == "σ (meV)"
    assert len(colorbar_figure(build_structure_scene(_traj(1))).data) == 0


def test_auto_arrow_scale_makes_the_longest_arrow_1_5_angstrom():
    frames = _traj(2)
    vec = np.random.default_rng(2).normal(size=(2, 4, 3)) * 7.0
    scene = build_structure_scene(frames, vectors=vec)
    lengths = np.linalg.norm(scene.vectors, axis=-1)
    np.testing.assert_allclose(lengths.max(), 1.5)
    np.testing.assert_allclose(scene.vectors / vec, lengths.max() / np.linalg.norm(vec, axis=-1).max())


def test_a_scene_rebuilds_itself_for_another_repeat():
    from ase.build import bulk

    from ennp_lab.viz.structure import build_structure_scene

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    values = np.arange(len(atoms), dtype=float)
    scene = build_structure_scene(atoms, values=values, value_label="k", vectors=np.ones((len(atoms), 3)))
    twice = scene.repeated((2, 1, 1))
    direct = build_structure_scene(atoms, values=values, value_label="k", vectors=np.ones((len(atoms), 3)), repeat=(2, 1, 1))
    assert twice.repeat == (2, 1, 1) and len(twice.frames[0]) == 2 * len(atoms)
    np.testing.assert_array_equal(twice.values, direct.values)
    np.testing.assert_array_equal(twice.colors, direct.colors)
    np.testing.assert_allclose(twice.vectors, direct.vectors)
    assert len(scene.base[0]) == len(atoms) and twice.value_label == "k"
