"""PolarizationPanel: the frame slider moves the marker on the loop and the arrows, which
flip with the polarization; the dropdown switches runs; empty input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab.data.perovskite import batio3_ground_state
from ennp_lab.properties.ferroelectric import field_driven_md, switching_path
from ennp_lab.widgets import PolarizationPanel


@pytest.fixture(scope="module")
def inputs():
    polar, para, calc = batio3_ground_state()
    path = switching_path(polar, para, calc, np.linspace(-1.4, 1.4, 15))
    loops = {"slow": field_driven_md(polar, calc, amplitude=0.35, period=1000.0, interval=5),
             "fast": field_driven_md(polar, calc, amplitude=0.35, period=600.0, interval=5)}
    return {"reference": path}, loops, para


def test_the_slider_moves_the_marker_and_the_arrows_flip(inputs):
    paths, loops, para = inputs
    panel = PolarizationPanel(paths, loops, para)
    loop = loops["slow"]
    n = loop.direction
    switched = int(np.argmin(loop.polarizations))  # fully reversed
    for frame in (0, switched):
        panel.structure.frame.value = frame
        marker = panel.hysteresis.data[-1]
        assert marker.x[0] == pytest.approx(loop.fields[frame]) and marker.name == f"t = {loop.times[frame]:.0f} fs"
    ti = 1  # the arrows: Ti relative to the cell's centre of mass, along n̂, before and after switching
    u = loop.displacements(para)
    assert u[0, ti] @ n > 0 > u[switched, ti] @ n
    start, end = panel.structure.drawn_arrows[ti]
    assert (end - start) @ n < 0  # drawn reversed
    assert len(panel.well.data) == 1 and len(panel.branch.data) == 3  # two dotted branches + the path
    panel.loop.value = "fast"
    assert panel.structure.scene.n_frames == len(loops["fast"].frames)
    assert panel.hysteresis.data[-1].x[0] == pytest.approx(loops["fast"].fields[0])


def test_empty_input_is_refused(inputs):
    paths, loops, para = inputs
    with pytest.raises(ValueError, match="at least one"):
        PolarizationPanel({}, loops, para)
    with pytest.raises(ValueError, match="same order"):
        loops["slow"].displacements(para.repeat(2))
