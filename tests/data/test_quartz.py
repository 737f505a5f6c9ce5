"""The BKS α-quartz reference in a field: its derivatives, its polarization branch, and its
piezoelectric tensor two ways (the pipeline's internal-strain route vs the reference's own
relaxations), with class 32's zero pattern."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from ennp_lab import keys
from ennp_lab.data.quartz import BKS_CHARGES, generate_quartz_dataset, quartz_piezoelectric_reference, relaxed_quartz
from ennp_lab.properties.dielectric import compute_born_charges
from ennp_lab.properties.piezo import compute_piezoelectric_tensor


@pytest.fixture(scope="module")
def relaxed():
    return relaxed_quartz()


def test_the_reference_is_consistent_in_a_field(relaxed):
    crystal, calc = relaxed
    calc.set(electric_field=[0.01, -0.02, 0.03])
    atoms = crystal.copy()
    atoms.rattle(0.02, seed=1)
    atoms.calc = calc
    np.testing.assert_allclose(atoms.get_forces(), calculate_numerical_forces(atoms, 1e-5), atol=1e-7)
    calc.set(electric_field=None)
    atoms.calc = calc
    np.testing.assert_allclose(atoms.get_stress(), calculate_numerical_stress(atoms, 1e-6), atol=1e-8)
    at_sites = crystal.copy()
    at_sites.calc = calc
    assert np.abs(calc.get_property(keys.POLARIZATION, at_sites)).max() < 1e-14  # the non-polar branch
    born = compute_born_charges(crystal, calc, method="finite-difference").charges
    q = np.array([BKS_CHARGES[int(z)] for z in crystal.numbers])
    np.testing.assert_allclose(born, q[:, None, None] * np.eye(3), atol=1e-9)  # rigid ions: Z* = q
    with pytest.raises(ValueError, match="3 finite numbers"):
        calc.set(electric_field=[0.0, np.nan, 0.0])
        calc.get_forces(crystal.copy())
    calc.set(electric_field=None)


def test_piezoelectric_tensor_two_ways_with_the_class_32_pattern(relaxed):
    crystal, calc = relaxed
    own = quartz_piezoelectric_reference(crystal, calc)  # BFGS in every strained cell
    pipeline = compute_piezoelectric_tensor(crystal, calc, method="finite-difference")  # Z*, Hessian, coupling
    scale = np.abs(own).max()
    assert np.abs(pipeline.full - own).max() <= 0.01 * scale  # measured ~1e-5
    e = pipeline.voigt
    e11, e14 = e[0, 0], e[0, 3]
    assert abs(e11) > 0.005 and abs(e14) > 1e-4  # e/Å²: 0.16 and 0.004 C/m² (experiment: 0.171, −0.041)
    expected = np.zeros((3, 6))
    expected[0, 0], expected[0, 1], expected[1, 5] = e11, -e11, -e11  # e11 = −e12 = −e26
    expected[0, 3], expected[1, 4] = e14, -e14  # e14 = −e25
    assert np.abs(e - expected).max() <= 1e-3 * abs(e11)  # measured 2e-4 (the finite-difference Hessian's step)


def test_the_quartz_data_carry_fields_and_polarizations():
    frames = generate_quartz_dataset(3, seed=1)
    fields = [f.info["electric_field"] for f in frames]
    assert len({tuple(np.round(x, 12)) for x in fields}) == 3 and max(np.abs(x).max() for x in fields) <= 0.05
    for frame in frames:
        assert frame.get_forces().shape == (9, 3) and frame.info["polarization"].shape == (3,)
        assert np.abs(frame.info["polarization"]).max() > 0  # rattled: off the non-polar sites
