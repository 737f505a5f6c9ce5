"""A property-based sweep over the public entry points (hypothesis, seeded and bounded):
for any structure, cell and parameter thrown at them they either give finite results or
refuse with a one-line ``ValueError``/``TypeError`` — never a crash, a hang or a NaN."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ennp_lab import AtomGraph, ENNPCalculator
from ennp_lab.learning import TrainConfig
from ennp_lab.learning.config import _TYPES
from ennp_lab.properties.md import run_md
from ennp_lab.structures.build import miller_indices
from ennp_lab.testing import tiny_model

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MODEL = tiny_model(["Cu", "Au"], seed=0)
CALC = ENNPCalculator(MODEL, device="cpu")

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
anything = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans(),
                     st.text(max_size=4), st.none(), st.lists(st.integers(-3, 3), max_size=4))


def _refused(exc: Exception) -> None:
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message and "\n" not in message.strip(), f"not one line: {message!r}"


@st.composite
def structures(draw):
    n = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([1e-3, 1.0, 3.0, 1e3, 1e6]))
    positions = np.array(draw(st.lists(st.tuples(finite, finite, finite), min_size=n, max_size=n))) * scale / 1e3
    if draw(st.booleans()):
        positions[draw(st.integers(0, n - 1)), draw(st.integers(0, 2))] = draw(st.sampled_from([np.nan, np.inf]))
    cell = np.array(draw(st.lists(st.tuples(finite, finite, finite), min_size=3, max_size=3))) / 100.0
    if draw(st.booleans()):
        cell = np.diag(draw(st.tuples(*[st.floats(0.0, 20.0)] * 3)))
    pbc = draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))
    numbers = draw(st.lists(st.sampled_from([29, 79, 1, 0, 200]), min_size=n, max_size=n))
    return positions, cell, pbc, numbers


@SETTINGS
@given(structures())
def test_any_structure_gives_finite_results_or_a_named_refusal(structure):
    positions, cell, pbc, numbers = structure
    try:
        atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc)
    except Exception:  # ASE itself refuses it (unknown atomic number): nothing of ours to test
        return
    try:
        atoms.calc = CALC
        energy = atoms.get_potential_energy()
        forces = atoms.get_forces()
    except Exception as exc:  # noqa: BLE001 - the assertion is the test
        _refused(exc)
        return
    assert np.isfinite(energy) and np.all(np.isfinite(forces))


@SETTINGS
@given(st.sampled_from(sorted(_TYPES)), anything)
def test_any_training_option_value_is_accepted_or_refused_by_name(field, value):
    try:
        TrainConfig(**{field: value})
    except Exception as exc:  # noqa: BLE001
        _refused(exc)
        assert field in str(exc) or "loss weights" in str(exc), str(exc)


@SETTINGS
@given(st.lists(st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.text(max_size=2)), min_size=0, max_size=4))
def test_any_miller_index_is_three_integers_or_refused(value):
    try:
        m = miller_indices(value)
    except Exception as exc:  # noqa: BLE001
        _refused(exc)
        return
    assert len(m) == 3 and all(isinstance(v, int) for v in m) and any(m)
    assert all(float(v) == float(w) for v, w in zip(m, value))  # nothing was truncated


@settings(max_examples=25, deadline=None, derandomize=True)
@given(dt=st.one_of(st.floats(-10, 400), st.sampled_from([np.nan, np.inf])), temperature=st.one_of(
    st.none(), st.floats(-500, 1e5), st.sampled_from([np.nan])), steps=st.integers(0, 5))
def test_any_md_settings_run_sanely_or_are_refused(dt, temperature, steps):
    from ase.build import bulk
    from ase.calculators.emt import EMT

    try:
        run = run_md(bulk("Cu", "fcc", a=3.6, cubic=True), EMT(), "nve", dt=dt, steps=steps, temperature=temperature)
    except Exception as exc:  # noqa: BLE001
        _refused(exc)
        return
    ran = len(run.times) - 1
    assert ran == steps or run.stop_reason is not None
    assert np.all(np.isfinite(run.potential_energy[: ran + 1 if run.stop_reason is None else ran]))


def test_graphs_of_refused_structures_name_the_problem():
    with pytest.raises(ValueError, match="non-finite"):
        AtomGraph.from_atoms(Atoms("Cu2", positions=[[0, 0, 0], [np.nan, 0, 0]]), 4.0)
    with pytest.raises(ValueError, match="zero-volume"):
        AtomGraph.from_atoms(Atoms("Cu", cell=np.zeros((3, 3)), pbc=True), 4.0)
