"""The noisy reference: EMT plus a short-wavelength pair ripple."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.data.reference import PairRipple, rippled_emt
from ennp_lab.properties.stability import compute_lambda_max
from ennp_lab.testing import assert_forces_match_finite_differences, assert_stress_matches_finite_differences


@pytest.fixture
def rattled():
    atoms = bulk("Cu", "fcc", a=3.5898, cubic=True).repeat(2)
    atoms.rattle(0.08, seed=3)
    return atoms


def test_ripple_forces_and_stress_are_its_derivatives(rattled):
    ripple = PairRipple(0.002, 0.25, 2.538)
    assert_forces_match_finite_differences(ripple, rattled, eps=1e-5, tol=1e-7)
    assert_stress_matches_finite_differences(ripple, rattled, tol=1e-6)
    total = rippled_emt()
    assert_forces_match_finite_differences(total, rattled, eps=1e-5)


def test_ripple_pair_curvature_and_switch():
    ripple = PairRipple(0.002, 0.25, 2.5, r_on=3.7, r_cut=4.0)
    r = np.array([2.5, 3.5, 3.99999, 4.2])
    phi, dphi = ripple.pair(r)
    assert phi[0] == pytest.approx(-0.002) and dphi[0] == pytest.approx(0.0, abs=1e-15)
    assert abs(phi[2]) < 1e-9 and phi[3] == 0.0 and dphi[3] == 0.0
    # curvature at r0 is A (2π/λ)², by central differences of φ'
    h = 1e-5
    curvature = (ripple.pair(np.array([2.5 + h]))[1] - ripple.pair(np.array([2.5 - h]))[1]) / (2 * h)
    assert curvature[0] == pytest.approx(0.002 * (2 * np.pi / 0.25) ** 2, rel=1e-6)


def test_ripple_barely_changes_energy_but_raises_lambda_max():
    atoms = bulk("Cu", "fcc", a=3.5898, cubic=True).repeat(2)
    atoms.calc = EMT()
    e_emt = atoms.get_potential_energy()
    atoms.calc = rippled_emt()
    # 12 neighbours × ½ × (−A) per atom: 12 meV/atom, nothing else within 4 Å but 2nd shell
    assert abs(atoms.get_potential_energy() - e_emt) / len(atoms) < 0.02
    smooth = compute_lambda_max(atoms, EMT()).eigenvalue
    noisy = compute_lambda_max(atoms, rippled_emt()).eigenvalue
    assert noisy > 1.3 * smooth


def test_ripple_bad_input():
    with pytest.raises(ValueError, match="wavelength"):
        PairRipple(0.001, 0.0, 2.5)
    with pytest.raises(ValueError, match="r_on < r_cut"):
        PairRipple(0.001, 0.2, 2.5, r_on=4.0, r_cut=3.0)
