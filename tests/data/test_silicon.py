"""Stillinger–Weber silicon: the published lattice constant and cohesive energy, and the
dataset's kinds, labels and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from ennp_lab.data.silicon import (diamond_silicon, generate_silicon_dataset, generate_silicon_test_set,
                                   stillinger_weber, sw_lattice_constant)


def test_stillinger_weber_diamond_lattice_constant_and_cohesive_energy():
    # Stillinger & Weber 1985: a0 = 5.431 Å, E_coh = 2ε = 4.3366 eV per atom (ε = 2.1683 eV)
    assert sw_lattice_constant() == pytest.approx(5.431, abs=5e-4)
    atoms = diamond_silicon(1)
    atoms.calc = stillinger_weber()
    assert atoms.get_potential_energy() / len(atoms) == pytest.approx(-4.3366, abs=1e-4)
    assert np.abs(atoms.get_forces()).max() < 1e-10 and np.abs(atoms.get_stress()).max() < 1e-6


def test_dataset_kinds_labels_and_determinism():
    frames = generate_silicon_dataset(md_temperatures_K=(300.0,), md_per_temperature=2, n_displaced=3, n_strained=2,
                                      n_volume=2, n_waves=2)
    kinds = ["md_300K"] * 2 + ["displaced"] * 3 + ["strained"] * 2 + ["volume"] * 2 + ["transverse_wave"] * 2
    assert [f.info["config_type"] for f in frames] == kinds
    volumes = [f.get_volume() / frames[0].get_volume() for f in frames[-4:]]
    assert all(0.97 <= v <= 1.03 for v in volumes) and not np.allclose(volumes, 1.0)
    assert all(len(f) == 64 and f.calc.results["stress"].shape == (6,) for f in frames)
    again = generate_silicon_dataset(md_temperatures_K=(300.0,), md_per_temperature=2, n_displaced=3, n_strained=2,
                                     n_volume=2, n_waves=2)
    np.testing.assert_array_equal(frames[3].positions, again[3].positions)
    test = generate_silicon_test_set(n_per_kind=1)
    assert len(test) == 6 and not np.allclose(test[2].positions, frames[2].positions)
    with pytest.raises(ValueError, match="n_displaced"):
        generate_silicon_dataset(n_displaced=-1)
