"""E(3) equivariance ≤ 1e-10 (float64) through the public test kit, and the kit itself."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT

from ennp_lab import ENNPCalculator
from ennp_lab.symmetry import equivariance_report, standard_operations
from ennp_lab.testing import assert_equivariant

EXPECTED_PERIODIC = {
    "rotation",
    "inversion",
    "reflection",
    "improper rotation",
    "translation",
    "permutation",
    "lattice translation of atoms",
    "wrap",
    "change of lattice basis",
    "time reversal",
}


@pytest.mark.parametrize("seed", [0, 1])
def test_periodic_alloy_is_equivariant(alloy_model, triclinic_alloy, seed):
    report = assert_equivariant(ENNPCalculator(alloy_model, device="cpu"), triclinic_alloy, seed=seed).as_dict()
    assert set(report) == EXPECTED_PERIODIC
    for op, errors in report.items():
        assert set(errors) == {"energy", "forces", "stress"}
        for output, err in errors.items():
            assert err < 1e-10, f"{op}: {output} leaks {err:.2e}"


def test_molecule_is_equivariant(molecule_model, ethanol):
    report = assert_equivariant(ENNPCalculator(molecule_model, device="cpu"), ethanol).as_dict()
    assert set(report) == {"rotation", "inversion", "reflection", "improper rotation", "translation", "permutation", "time reversal"}
    for op, errors in report.items():
        for output, err in errors.items():
            assert err < 1e-10, f"{op}: {output} leaks {err:.2e}"


def test_change_of_basis_really_changes_the_cell(triclinic_alloy):
    op = {o.name: o for o in standard_operations(triclinic_alloy)}["change of lattice basis"]
    new = op.apply(triclinic_alloy)
    assert not np.allclose(new.cell[:], triclinic_alloy.cell[:])
    np.testing.assert_allclose(new.get_volume(), triclinic_alloy.get_volume())
    wrapped = {o.name: o for o in standard_operations(triclinic_alloy)}["lattice translation of atoms"].apply(triclinic_alloy)
    assert np.abs(wrapped.positions - triclinic_alloy.positions).max() > 1.0


def test_kit_passes_emt_and_catches_a_broken_calculator(triclinic_alloy):
    """The kit is an oracle only if it can fail: EMT passes, a field along x does not."""
    assert_equivariant(EMT(), triclinic_alloy)

    class FieldAlongX(Calculator):
        implemented_properties = ["energy", "free_energy", "forces", "stress"]

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            a = self.atoms.copy()
            a.calc = EMT()
            energy = a.get_potential_energy() + 0.01 * a.positions[:, 0].sum()
            self.results = {
                "energy": energy,
                "free_energy": energy,
                "forces": a.get_forces() - np.array([0.01, 0.0, 0.0]),
                "stress": a.get_stress(),
            }

    with pytest.raises(AssertionError, match="energy under rotation"):
        assert_equivariant(FieldAlongX(), triclinic_alloy)
    broken = equivariance_report(FieldAlongX(), triclinic_alloy).as_dict()
    assert broken["rotation"]["energy"] > 1e-6 and broken["rotation"]["forces"] > 1e-6
    assert broken["translation"]["energy"] > 1e-6
    assert broken["permutation"]["energy"] < 1e-10  # a uniform field is permutation invariant
