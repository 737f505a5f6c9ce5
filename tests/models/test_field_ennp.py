"""The field-aware ENNP (``build_ennp(..., electric_field=True)``): its energy is the
electric enthalpy E(R, ε, ℰ); polarization and Born charges come out of the one
derivatives module and agree with finite differences in a field."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError

from ennp_lab import ENNPCalculator, keys
from ennp_lab.models import build_ennp, load_model, save_model
from ennp_lab.testing import ModelSuite, tiny_model

FIELD = np.array([0.02, -0.01, 0.03])  # V/Å


def _model(seed=0):
    return tiny_model(["Na", "Cl"], seed=seed, electric_field=True)


def _crystal(rattle=0.05, seed=0):
    atoms = bulk("NaCl", "rocksalt", a=5.64).repeat((2, 1, 1))
    if rattle:
        atoms.rattle(rattle, seed=seed)
    return atoms


def _results(model, atoms, field, names=(keys.ENERGY, keys.FORCES, keys.POLARIZATION, keys.BORN_CHARGES)):
    calc = ENNPCalculator(model, device="cpu", electric_field=field)
    a = atoms.copy()
    a.calc = calc
    return {name: np.asarray(calc.get_property(name, a)) for name in names}


def test_born_charges_and_polarization_match_finite_differences_in_a_field():
    model, atoms, h = _model(), _crystal(), 1e-5
    exact = _results(model, atoms, FIELD)
    assert np.abs(exact[keys.BORN_CHARGES]).max() > 1e-3  # the field couples: not a trivially zero check
    volume = atoms.get_volume()
    born = np.zeros((len(atoms), 3, 3))
    polarization = np.zeros(3)
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        plus, minus = _results(model, atoms, FIELD + step), _results(model, atoms, FIELD - step)
        born[:, i, :] = (plus[keys.FORCES] - minus[keys.FORCES]) / (2 * h)  # Z*_κ,ij = ∂F_κj/∂ℰ_i
        polarization[i] = -(plus[keys.ENERGY] - minus[keys.ENERGY]) / (2 * h) / volume  # P = −(1/Ω) ∂E/∂ℰ
    scale = np.abs(exact[keys.BORN_CHARGES]).max()
    assert np.abs(exact[keys.BORN_CHARGES] - born).max() <= 1e-6 * scale
    assert np.abs(exact[keys.POLARIZATION] - polarization).max() <= 1e-6 * np.abs(polarization).max()


def test_polarization_flips_under_inversion_and_vanishes_for_a_centrosymmetric_crystal():
    model, atoms = _model(seed=2), _crystal(rattle=0.08, seed=3)
    inverted = atoms.copy()
    inverted.positions = -atoms.positions
    p = _results(model, atoms, np.zeros(3), (keys.POLARIZATION,))[keys.POLARIZATION]
    q = _results(model, inverted, np.zeros(3), (keys.POLARIZATION,))[keys.POLARIZATION]
    assert np.abs(p).max() > 1e-8
    np.testing.assert_allclose(q, -p, rtol=0, atol=1e-12 * max(1.0, np.abs(p).max()))
    ideal = _results(model, _crystal(rattle=0), np.zeros(3), (keys.POLARIZATION,))[keys.POLARIZATION]
    assert np.abs(ideal).max() <= 1e-10 * np.abs(p).max() + 1e-16  # rock salt has an inversion centre


def test_bad_fields_and_missing_field_inputs_are_named(tmp_path):
    atoms = _crystal()
    with pytest.raises(ValueError, match="must have shape \\(3,\\)"):
        _results(_model(), atoms, [0.0, 0.1])
    with pytest.raises(ValueError, match="NaN or inf"):
        _results(_model(), atoms, [0.0, np.inf, 0.0])
    plain = ENNPCalculator(tiny_model(["Na", "Cl"]), device="cpu")
    with pytest.raises(PropertyNotImplementedError, match="derivative with respect to electric_field"):
        plain.get_property(keys.POLARIZATION, atoms)
    with pytest.raises(ValueError, match="needs parity=True"):
        build_ennp(["Na", "Cl"], parity=False, electric_field=True)
    model = _model(seed=4)
    loaded = load_model(save_model(model, tmp_path / "field.pt"))
    assert loaded.inputs == model.inputs
    np.testing.assert_allclose(_results(loaded, atoms, FIELD)[keys.POLARIZATION],
                               _results(model, atoms, FIELD)[keys.POLARIZATION], rtol=1e-14)


class TestFieldAwareENNP(ModelSuite):
    def build_model(self):
        return _model(seed=5)
