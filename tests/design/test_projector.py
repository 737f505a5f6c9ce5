"""The rigid-motion projector: zero net force and torque, idempotent, 6/5/3 modes, and an
invariant model's gradient left as it is."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ennp_lab import ENNPCalculator
from ennp_lab.design import cell_rotation_free, net_force_and_torque, project_rigid, rigid_components, rigid_modes
from ennp_lab.testing import tiny_model


def _systems():
    water = molecule("CH3CH2OH")
    water.rattle(0.05, seed=1)
    co2 = Atoms("CO2", positions=[(0, 0, 0), (0.3, 0.4, 1.16), (-0.3, -0.4, -1.16)])  # linear, off the axes
    crystal = bulk("Cu", "fcc", a=3.6, cubic=True)
    crystal.rattle(0.05, seed=2)
    return {"molecule": (water, 6), "linear": (co2, 5), "crystal": (crystal, 3)}


@pytest.mark.parametrize("name", ["molecule", "linear", "crystal"])
@pytest.mark.parametrize("metric", ["unweighted", "mass"])
def test_projected_gradient_has_no_net_force_or_torque(name, metric):
    atoms, k = _systems()[name]
    modes = rigid_modes(atoms, metric)
    assert modes.shape == (3 * len(atoms), k)
    np.testing.assert_allclose(modes.T @ modes, np.eye(k), atol=1e-12)
    g = np.random.default_rng(0).normal(size=(len(atoms), 3))
    p = project_rigid(atoms, g, metric)
    force, torque = net_force_and_torque(atoms, p, metric)
    assert np.abs(force).max() < 1e-12
    if name != "crystal":
        assert np.abs(torque).max() < 1e-12
    np.testing.assert_allclose(project_rigid(atoms, p, metric), p, atol=1e-12)  # idempotent
    assert np.abs(rigid_components(atoms, g, metric)).max() > 1e-3  # a random vector has rigid parts
    if metric == "mass":  # the step −g⊥/m moves neither the centre of mass nor the orientation (Eckart)
        m = atoms.get_masses()
        step = -p / m[:, None]
        assert np.abs(m @ step).max() < 1e-12
        if name != "crystal":
            d = atoms.positions - atoms.get_center_of_mass()
            assert np.abs((m[:, None] * np.cross(d, step)).sum(0)).max() < 1e-12


def test_an_invariant_models_gradient_is_unchanged():
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.1, seed=3)
    model = tiny_model(["H", "C", "O"], seed=0)
    atoms.calc = ENNPCalculator(model, device="cpu")
    g = -atoms.get_forces()  # an O(3)-invariant energy: no net force or torque to begin with
    for metric in ("unweighted", "mass"):
        np.testing.assert_allclose(project_rigid(atoms, g, metric), g, atol=1e-12 * np.abs(g).max())


def test_cell_rotations_are_removed_and_bad_input_named():
    rng = np.random.default_rng(4)
    h = np.eye(3) * 3.6 + rng.normal(scale=0.2, size=(3, 3))
    g = cell_rotation_free(h, rng.normal(size=(3, 3)))
    np.testing.assert_allclose(h.T @ g, (h.T @ g).T, atol=1e-12)  # only strains left
    np.testing.assert_allclose(cell_rotation_free(h, g), g, atol=1e-12)
    slab = bulk("Cu", "fcc", a=3.6, cubic=True)
    slab.pbc = (True, True, False)
    with pytest.raises(ValueError, match="partly periodic"):
        rigid_modes(slab)
    with pytest.raises(ValueError, match="metric"):
        rigid_modes(molecule("H2O"), "inertia")
    with pytest.raises(ValueError, match="finite"):
        project_rigid(molecule("H2O"), np.full((3, 3), np.nan))
