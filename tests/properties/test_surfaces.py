"""Surface energies vs orientation, the broken-bond γ(n) model and Wulff shapes."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ennp_lab.properties.surfaces import (
    compute_gamma_cut,
    compute_surface_energy,
    fit_orientation_model,
    is_symmetric_slab,
    miller_normal,
    symmetry_images,
    compute_wulff_shape,
)
from ennp_lab.structures.build import build_slab
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2 as J_M2

CU = bulk("Cu", "fcc", a=3.5898, cubic=True)


@pytest.fixture(scope="module")
def emt_gammas():
    return {m: compute_surface_energy(CU, EMT(), m, layers=7) for m in [(1, 1, 1), (1, 0, 0), (1, 1, 0)]}


def test_emt_copper_surface_energies_match_references(emt_gammas):
    reference = {(1, 1, 1): 1.0437, (1, 0, 0): 1.1338, (1, 1, 0): 1.2292}  # J/m², relaxed
    for miller, gamma in reference.items():
        assert emt_gammas[miller].gamma * J_M2 == pytest.approx(gamma, abs=0.005)
        assert emt_gammas[miller].symmetric
        # relaxation only lowers the energy
        assert emt_gammas[miller].gamma <= emt_gammas[miller].gamma_unrelaxed + 1e-12


def test_layer_convergence_of_the_111_surface(emt_gammas):
    thick = compute_surface_energy(CU, EMT(), (1, 1, 1), layers=11)
    assert thick.n_atoms > emt_gammas[(1, 1, 1)].n_atoms
    assert abs(thick.gamma - emt_gammas[(1, 1, 1)].gamma) * J_M2 < 0.002


def test_slab_geometry_and_normals():
    slab = build_slab(CU, (1, 1, 0), layers=5, vacuum=8.0)
    normal = miller_normal(CU, (1, 1, 0))
    np.testing.assert_allclose(np.abs(normal), [2**-0.5, 2**-0.5, 0], atol=1e-12)
    # the slab's third axis is along the surface normal and carries the vacuum
    in_plane = np.cross(slab.cell[0], slab.cell[1])
    assert slab.pbc.all() and len(slab) == 5 * 4  # 4 atoms per (110) layer of the conventional cell
    heights = slab.positions @ (in_plane / np.linalg.norm(in_plane))
    assert np.ptp(heights) < slab.get_volume() / np.linalg.norm(in_plane) - 15.9
    with pytest.raises(ValueError, match="not all zero"):
        build_slab(CU, (0, 0, 0))
    with pytest.raises(ValueError, match="layers must be >= 2, got 1"):
        build_slab(CU, (1, 1, 1), layers=1)


def test_point_group_images_of_facets():
    assert len(symmetry_images(CU, (1, 1, 1))) == 8
    assert len(symmetry_images(CU, (1, 0, 0))) == 6
    assert len(symmetry_images(CU, (1, 1, 0))) == 12
    assert len(symmetry_images(CU, (2, 1, 0))) == 24
    hcp = bulk("Cu", "hcp", a=2.55, c=4.16)
    assert len(symmetry_images(hcp, (0, 0, 1))) == 2


def test_orientation_model_predicts_held_out_orientations(emt_gammas):
    train = list(emt_gammas.values()) + [compute_surface_energy(CU, EMT(), (2, 1, 0), layers=9)]
    model = fit_orientation_model(CU, train, n_shells=2)
    for miller in [(2, 1, 1), (3, 1, 1), (2, 2, 1)]:
        held_out = compute_surface_energy(CU, EMT(), miller, layers=9)
        predicted = float(model(miller_normal(CU, miller))[0])
        assert predicted == pytest.approx(held_out.gamma, rel=0.01)
    # the model is invariant under the point group by construction
    images = [miller_normal(CU, m) for m in symmetry_images(CU, (3, 2, 1))]
    assert np.ptp(model(np.array(images))) < 1e-12
    with pytest.raises(ValueError, match="at least"):
        fit_orientation_model(CU, train[:2], n_shells=2)


def test_wulff_shape_of_copper(emt_gammas):
    gammas = {m: e.gamma for m, e in emt_gammas.items()}
    shape = compute_wulff_shape(CU, gammas)
    fractions = shape.area_fractions
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert fractions[(1, 1, 1)] > fractions[(1, 0, 0)] > fractions[(1, 1, 0)] > 0
    # every vertex satisfies every facet inequality, and some lie on each present facet
    for miller, gamma in gammas.items():
        for image in symmetry_images(CU, miller):
            assert np.all(shape.vertices @ miller_normal(CU, image) <= gamma + 1e-9)
    # a (110) energy above √(3/2)·γ(111)-like bounds removes the (110) facets entirely
    no_110 = compute_wulff_shape(CU, {**gammas, (1, 1, 0): 3 * gammas[(1, 1, 0)]})
    assert no_110.area_fractions[(1, 1, 0)] == 0.0
    # one family alone: a regular octahedron of (111) planes
    octahedron = compute_wulff_shape(CU, {(1, 1, 1): 1.0})
    assert len(octahedron.vertices) == 6 and octahedron.area_fractions[(1, 1, 1)] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        compute_wulff_shape(CU, {(1, 1, 1): -1.0})
    with pytest.raises(ValueError, match="finite shape"):  # two basal planes enclose nothing
        compute_wulff_shape(bulk("Cu", "hcp", a=2.55, c=4.16), {(0, 0, 1): 1.0})


@pytest.mark.parametrize("structure, millers", [
    ("fcc", [(1, 1, 1), (1, 0, 0), (1, 1, 0), (2, 1, 0), (3, 2, 1)]),
    ("hcp", [(0, 0, 1), (1, 0, 0), (1, 0, 1)]),
])
def test_slabs_have_two_equivalent_faces(structure, millers):
    crystal = CU if structure == "fcc" else bulk("Cu", "hcp", a=2.55, c=4.16)
    for miller in millers:
        for layers in (5, 6):
            assert is_symmetric_slab(build_slab(crystal, miller, layers=layers))
    broken = build_slab(crystal, millers[0], layers=5)
    top = np.argmax(broken.positions @ np.cross(broken.cell[0], broken.cell[1]))
    broken.positions[top] += 0.3 * np.cross(broken.cell[0], broken.cell[1]) / np.linalg.norm(np.cross(broken.cell[0], broken.cell[1]))
    assert not is_symmetric_slab(broken)


def test_zone_cut_finds_every_facet_of_the_zone_at_its_crystallographic_angle(emt_gammas):
    """In the [1-10] zone of a cube the normals of {001}, {111} and {110} all lie: (001) and
    (111) are 54.74° apart, (110) is 90° from (001), and γ of each marker is its facet's."""
    model = fit_orientation_model(CU, list(emt_gammas.values()), n_shells=1)
    cut = compute_gamma_cut(CU, model, list(emt_gammas.values()), plane=(1, -1, 0), n_points=37)
    assert sorted(set(cut.facet_labels)) == ["(-1 -1 -1)", "(-1 -1 0)", "(-1 -1 1)", "(0 0 -1)", "(0 0 1)",
                                              "(1 1 -1)", "(1 1 0)", "(1 1 1)"]
    angle = {label: a for label, a in zip(cut.facet_labels, cut.facet_angles)}
    gap = lambda a, b: abs((angle[a] - angle[b] + 180) % 360 - 180)  # noqa: E731
    assert gap("(0 0 1)", "(1 1 1)") == pytest.approx(np.degrees(np.arccos(1 / np.sqrt(3))), abs=1e-9)
    assert gap("(0 0 1)", "(1 1 0)") == pytest.approx(90.0, abs=1e-9)
    by_label = {label: g for label, g in zip(cut.facet_labels, cut.facet_gamma)}
    assert by_label["(1 1 1)"] == emt_gammas[(1, 1, 1)].gamma and by_label["(0 0 1)"] == emt_gammas[(1, 0, 0)].gamma
    # the model line passes through the model's γ at each facet normal (ψ on the same circle)
    fine = compute_gamma_cut(CU, model, list(emt_gammas.values()), plane=(1, -1, 0), n_points=3601)  # 0.1° steps
    k = int(round(angle["(1 1 1)"] * 10)) % 3600
    assert fine.gamma[k] == pytest.approx(float(model(miller_normal(CU, (1, 1, 1)))[0]), rel=1e-3)  # a cusp at (111)
