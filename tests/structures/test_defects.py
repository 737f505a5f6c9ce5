"""Defect builders (matscipy underneath): the dislocation's Burgers circuit closes to
a/2⟨110⟩, the stacking-fault line starts and ends at the perfect crystal and finds EMT's
intrinsic fault energy of REFERENCES.md."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT

from ennp_lab.structures.defects import Dislocation, burgers_circuit, fcc_dislocation, stacking_fault_line
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2

A = 3.59  # EMT Cu (REFERENCES.md)
C_EMT = (176.2, 124.9, 81.8)


@pytest.mark.parametrize("kind", ["screw", "edge"])
def test_the_burgers_circuit_closes_to_half_a_110(kind):
    d = fcc_dislocation("Cu", A, C_EMT, kind=kind, radius=15.0)
    line = np.array([0.0, 0.0, 1.0])
    assert np.linalg.norm(d.burgers) == pytest.approx(A / np.sqrt(2), rel=1e-12)
    assert abs(d.burgers @ line) == pytest.approx(A / np.sqrt(2) if kind == "screw" else 0.0, abs=1e-12)
    for annulus in ((3.0, 6.0), (6.0, 9.0), (None, None)):
        np.testing.assert_allclose(burgers_circuit(d, *annulus), d.burgers, atol=1e-8)
    perfect = Dislocation(d.bulk, d.bulk, d.burgers, d.core, kind, d.elastic_gpa)
    np.testing.assert_allclose(burgers_circuit(perfect), 0.0, atol=1e-8)  # no dislocation, no closure failure
    assert 0 < d.atoms.arrays["fixed"].sum() < len(d.atoms)


def test_a_calculators_own_elastic_constants_and_bad_input():
    from ase.build import bulk

    from ennp_lab.properties.elasticity import compute_elastic_tensor
    from ennp_lab.units import EV_PER_A3_TO_GPA

    d = fcc_dislocation("Cu", A, calc=EMT(), kind="screw", radius=10.0)
    c = compute_elastic_tensor(bulk("Cu", "fcc", a=A, cubic=True), EMT()).voigt * EV_PER_A3_TO_GPA
    assert d.elastic_gpa == pytest.approx((c[0, 0], c[0, 1], c[3, 3]), rel=1e-6)  # the calculator's own C
    with pytest.raises(ValueError, match="kind"):
        fcc_dislocation("Cu", A, C_EMT, kind="mixed")
    with pytest.raises(ValueError, match="not both or neither"):
        fcc_dislocation("Cu", A, C_EMT, calc=EMT())
    with pytest.raises(ValueError, match="not those of a stable cubic crystal"):
        fcc_dislocation("Cu", A, (100.0, 150.0, 50.0))
    with pytest.raises(ValueError, match="only 0 atoms"):
        burgers_circuit(fcc_dislocation("Cu", A, C_EMT, radius=10.0), 30.0, 40.0)


def test_the_stacking_fault_line_ends_at_the_perfect_crystal_and_finds_emts_intrinsic_fault():
    line = stacking_fault_line("Cu", A, EMT(), n_images=4, layers=3, relax=True)  # shifts 0, 1/3, 2/3, 1 of a⟨112⟩/2
    mj = line.gamma * EV_PER_A2_TO_J_PER_M2 * 1e3
    assert abs(mj[0]) < 1e-8 and abs(mj[-1]) < 1e-8  # the perfect crystal's energy at both ends
    assert mj[2] == pytest.approx(-5.4, abs=0.1)  # REFERENCES.md: EMT's intrinsic fault, -5.4 mJ/m² (hcp below fcc)
    assert mj[1] > 500  # the shift that puts a plane atop the one below
    unrelaxed = stacking_fault_line("Cu", A, EMT(), n_images=4, layers=3)
    assert np.all(unrelaxed.gamma >= line.gamma - 1e-12)
    with pytest.raises(ValueError, match="at least 3 images"):
        stacking_fault_line("Cu", A, EMT(), n_images=2)
