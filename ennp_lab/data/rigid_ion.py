"""Rigid-ion reference calculators in a uniform electric field, written independently of
ennp_lab's model path (the references that field-aware ENNPs are checked against).

    E(R, ℰ) = k Σ_{i<j} q_i q_j / r_ij + E_short(R) − ℰ · Σ_i q_i u_i

The Coulomb sum by matscipy's Ewald (:class:`~ennp_lab.data.ionic.CoulombReference`, any
cell), the short range by each model, and u_i = r_i − r_i⁰ M the displacement of ion i
from its site in a non-polar reference crystal (M = cell₀⁻¹ cell carries the sites along
with a strain). The polarization is P = (1/Ω) Σ_i q_i u_i: the branch of the polarization
lattice through the reference crystal (P = 0 there); moving ion i by a lattice vector R
changes it by the quantum q_i R/Ω. The Born charges are the q_i exactly.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.data import chemical_symbols

from ennp_lab import keys
from ennp_lab.data.ionic import CoulombReference
from ennp_lab.spec import ELECTRIC_FIELD_INPUT

__all__ = ["RigidIonInField", "label_in_fields"]

_VOIGT = ([0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1])


class RigidIonInField(Calculator):
    """A fixed-charge model in a uniform field (module docstring). Subclasses set
    :attr:`charges` (Z → e) and :attr:`label`, and implement :meth:`short_range`.

    Args:
        reference: the non-polar crystal whose sites define the displacements u (its cell
            and positions; default: the structure first calculated).
        electric_field: ℰ (3,) V/Å (a parameter: ``calc.set(electric_field=...)``).
        cutoff: short-range cutoff (Å).
        accuracy: relative accuracy of the Ewald sum.

    Raises:
        ValueError: elements the model does not know, a field that is not 3 finite numbers,
            a reference crystal that is not these atoms.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", keys.POLARIZATION]
    default_parameters = {"electric_field": None}
    discard_results_on_any_change = True  # a new field means new forces
    #: what :mod:`ennp_lab.properties.dielectric` looks for: this calculator takes a field
    inputs = (ELECTRIC_FIELD_INPUT,)
    charges: dict[int, float] = {}
    label = "rigid-ion model"

    def __init__(self, reference: Atoms | None = None, cutoff: float = 8.0, accuracy: float = 1e-10, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cutoff = float(cutoff)
        self.coulomb = CoulombReference(accuracy, 10.0)
        self.reference = None if reference is None else reference.copy()

    def short_range(self, atoms: Atoms) -> tuple[float, np.ndarray, np.ndarray]:
        """(energy eV, forces (N, 3) eV/Å, stress (3, 3) eV/Å³) of the non-Coulomb part."""
        raise NotImplementedError

    def field(self) -> np.ndarray:
        """ℰ (3,) V/Å as set (zero when unset)."""
        value = self.parameters.get("electric_field")
        field = np.zeros(3) if value is None else np.asarray(value, dtype=float).reshape(-1)
        if field.shape != (3,) or not np.all(np.isfinite(field)):
            raise ValueError(f"electric_field must be 3 finite numbers (V/Å), got {value!r}")
        return field

    def displacements(self, atoms: Atoms) -> np.ndarray:
        """u (N, 3) Å: each ion from its reference site carried along with the cell."""
        ref = self.reference
        if ref is None or len(ref) != len(atoms) or np.any(ref.numbers != atoms.numbers):
            raise ValueError(f"the {self.label} needs the reference crystal of these atoms (same atoms, same order)")
        sites = ref.positions @ np.linalg.solve(ref.cell[:], atoms.cell[:])
        return atoms.positions - sites

    def ionic_charges(self, atoms: Atoms) -> np.ndarray:
        """q (N,) e of the model's species; other elements refused by name."""
        unknown = sorted(set(atoms.numbers.tolist()) - set(self.charges))
        if unknown:
            known = [chemical_symbols[z] for z in sorted(self.charges)]
            raise ValueError(f"the {self.label} knows {known} only, got {[chemical_symbols[z] for z in unknown]}")
        return np.array([self.charges[int(z)] for z in atoms.numbers])

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        q = self.ionic_charges(a)
        field = self.field()
        if self.reference is None:
            self.reference = a.copy()
        probe = a.copy()
        probe.set_initial_charges(q)
        probe.calc = self.coulomb
        e_c, f_c, s_c = probe.get_potential_energy(), probe.get_forces(), probe.get_stress()
        e_s, f_s, s_s = self.short_range(a)
        dipole = q @ self.displacements(a)
        volume = a.get_volume()
        energy = e_c + e_s - float(field @ dipole)
        # a strain carries ions and sites alike, u → u(1 + ε): ∂(−ℰ·d)/∂ε_ab = −d_a ℰ_b, symmetrized
        s_field = -0.5 * (np.outer(dipole, field) + np.outer(field, dipole)) / volume
        self.results = {"energy": energy, "free_energy": energy, "forces": f_c + f_s + q[:, None] * field[None, :],
                        "stress": s_c + (s_s + s_field)[_VOIGT[0], _VOIGT[1]], keys.POLARIZATION: dipole / volume}


def label_in_fields(structures, calc: RigidIonInField, fields, config_type: str) -> list[Atoms]:
    """Copies of ``structures`` labelled by ``calc`` each in its field (V/Å): energy, forces,
    stress (single-point results), ``info["polarization"]`` (e/Å²), the field stored where the
    field input is read, and ``info["config_type"]``. The calculator's field is unset after."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from ennp_lab.spec import write_input

    frames = []
    try:
        for atoms, field in zip(structures, fields, strict=True):
            field = np.asarray(field, dtype=float)
            calc.set(electric_field=field)
            atoms = atoms.copy()
            atoms.calc = calc
            labels = dict(energy=atoms.get_potential_energy(), forces=atoms.get_forces(), stress=atoms.get_stress())
            polarization = np.asarray(calc.get_property(keys.POLARIZATION, atoms))
            frame = atoms.copy()
            frame.calc = SinglePointCalculator(frame, **labels)
            write_input(frame, ELECTRIC_FIELD_INPUT, field)
            frame.info["polarization"] = polarization
            frame.info["config_type"] = config_type
            frames.append(frame)
    finally:
        calc.set(electric_field=None)
    return frames
