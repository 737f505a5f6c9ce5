"""Switching paths and hysteresis loops: the bookkeeping against synthetic oracles, the
path on the bond-valence reference, field-driven MD's field and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab import ENNPCalculator, keys
from ennp_lab.data.perovskite import batio3_ground_state, cubic_batio3
from ennp_lab.properties.ferroelectric import HysteresisLoop, field_driven_md, switching_path, triangle_field
from ennp_lab.properties.md import run_md
from ennp_lab.testing import tiny_model


def test_triangle_field_runs_zero_down_up_zero():
    t = np.array([0.0, 250.0, 500.0, 750.0, 1000.0, 1125.0])
    np.testing.assert_allclose(triangle_field(t, 0.2, 1000.0), [0.0, -0.2, 0.0, 0.2, 0.0, -0.1], atol=1e-15)


def _synthetic_loop(ec=0.15, width=0.01, period=1000.0):
    """P = tanh((ℰ ∓ ℰc)/w) on the falling and rising branches: coercive fields ∓ℰc."""
    times = np.linspace(0, period, 2001)
    fields = triangle_field(times, 0.3, period)
    rising = (np.mod(times / period, 1) > 0.25) & (np.mod(times / period, 1) <= 0.75)
    p = np.where(rising, np.tanh((fields - ec) / width), np.tanh((fields + ec) / width))
    return HysteresisLoop(times, fields, 0.05 * p, np.array([0, 0, 1.0]), (), period)


def test_coercive_and_remanent_values_of_a_synthetic_loop():
    loop = _synthetic_loop()
    down, up = loop.coercive_fields
    assert abs(down + 0.15) < 1e-3 and abs(up - 0.15) < 1e-3  # the sample spacing is 6e-4 V/Å
    assert abs(loop.coercive_field - 0.15) < 1e-3
    assert abs(loop.remanent_polarization - 0.05) < 1e-6
    weak = HysteresisLoop(loop.times, loop.fields, np.full_like(loop.fields, 0.05), loop.direction, (), loop.period)
    with pytest.raises(ValueError, match="did not switch on the falling sweep"):
        weak.coercive_fields


def test_the_reference_switching_path_is_a_symmetric_double_well():
    polar, para, calc = batio3_ground_state()
    path = switching_path(polar, para, calc, np.linspace(-1.5, 1.5, 31))
    e = path.energies
    np.testing.assert_allclose(e, e[::-1], atol=1e-10)  # λ ↔ −λ is inversion
    np.testing.assert_allclose(path.polarizations, -path.polarizations[::-1], atol=1e-15)
    exact_depth = e[15] - _energy(polar, calc)
    assert abs(path.well_depth - exact_depth) < 1e-3 * exact_depth  # the parabola through the images near λ = 1
    np.testing.assert_allclose(path.spontaneous_polarization, _p(polar, calc), rtol=1e-3)
    assert path.branches(1).shape == (3, 31, 3)
    np.testing.assert_allclose(np.diff(path.branches(1), axis=0)[0, 0], path.branches(1)[2, 0] - path.branches(1)[1, 0])


def _energy(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return a.get_potential_energy()


def _p(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return np.asarray(calc.get_property(keys.POLARIZATION, a))


def test_run_md_drives_the_calculator_at_every_step():
    seen = []
    polar, _, calc = batio3_ground_state()
    result = run_md(polar, calc, "langevin", dt=2.0, steps=4, temperature=2.0, interval=1,
                    drive=lambda t: (seen.append(t), calc.set(electric_field=[0, 0, 0.01 * t])))
    assert seen == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0] and result.stop_reason is None
    assert calc.parameters["electric_field"][2] == pytest.approx(0.1)


def test_field_driven_md_switches_the_reference_and_names_bad_input():
    polar, para, calc = batio3_ground_state()
    loop = field_driven_md(polar, calc, amplitude=0.35, period=1000.0, temperature=2.0, interval=5)
    assert loop.polarizations[0] > 0 and loop.polarizations.min() < -0.5 * loop.polarizations[0]
    down, up = loop.coercive_fields
    assert down < 0 < up
    assert calc.parameters.get("electric_field") is None  # restored
    with pytest.raises(ValueError, match="takes an electric field"):
        field_driven_md(polar, ENNPCalculator(tiny_model(["Ba", "Ti", "O"]), device="cpu"))
    with pytest.raises(ValueError, match="direction"):
        field_driven_md(polar, calc, direction=(0, 0, 0))
    with pytest.raises(ValueError, match="amplitude"):
        field_driven_md(polar, calc, amplitude=-1.0)
    with pytest.raises(ValueError, match="same atoms"):
        switching_path(polar, cubic_batio3(repeat=2), calc)


def test_loops_round_trip_through_a_record(tmp_path):
    from ennp_lab.properties.ferroelectric import load_loops, save_loops

    polar, _, calc = batio3_ground_state()
    loop = field_driven_md(polar, calc, amplitude=0.35, period=200.0, temperature=2.0, interval=10)
    path = save_loops({"reference": loop}, tmp_path / "loops.json", {"amplitude": 0.35})
    back, meta = load_loops(path)
    assert meta == {"amplitude": 0.35}
    np.testing.assert_array_equal(back["reference"].polarizations, loop.polarizations)
    np.testing.assert_array_equal(back["reference"].frames[3].positions, loop.frames[3].positions)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a hysteresis-loop record"):
        load_loops(tmp_path / "bad.json")
