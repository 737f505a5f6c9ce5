"""What a model takes and gives: declared inputs and outputs, and how ASE's ``Atoms`` carry them.

A model declares the optional inputs it reads beyond positions, numbers and cell (an
electric field, magnetic moments, charges, per-atom vectors...) as :class:`InputSpec`
and the extra outputs (heads) it gives as :class:`OutputSpec`, each with its e3nn irreps
and its behaviour under time reversal. Everything downstream works from these
declarations alone: the graph reads the inputs from ``Atoms`` (:func:`read_inputs`), the
derivatives module differentiates with respect to the differentiable ones, the
calculator validates them and returns every declared output, and the symmetry report
transforms inputs and outputs by their irreps.

Values are stored with a trailing irreps axis: a per-atom input as (N, d), a
per-structure input as (d,) per structure ((B, d) in a graph), d = dim of the irreps.
In e3nn 0.6 an l = 1 irrep is ordered (x, y, z), so 1o/1e values are Cartesian vectors.

Where ``Atoms`` keep them (ASE's conventions):

* magnetic moments: ``atoms.get_initial_magnetic_moments()``, collinear (N,) or
  non-collinear (N, 3). A model declaring 1e moments gets a collinear moment m as the
  vector (0, 0, m) (the spin quantisation axis along z, VASP's default ``SAXIS``); a
  model declaring collinear (0e) moments refuses non-collinear ones.
* per-atom charges: ``atoms.get_initial_charges()``; the total charge: ``atoms.info["charge"]``,
  else the sum of the initial charges, else 0.
* an electric field and any other per-structure input: ``atoms.info[name]``, or a
  calculator parameter of the same name (which takes precedence).
* any other per-atom input: ``atoms.arrays[name]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from ase import Atoms
from e3nn import o3

from ennp_lab import keys

__all__ = [
    "InputSpec",
    "OutputSpec",
    "ELECTRIC_FIELD_INPUT",
    "MAGMOMS_INPUT",
    "COLLINEAR_MAGMOMS_INPUT",
    "CHARGES_INPUT",
    "TOTAL_CHARGE_INPUT",
    "vector_input",
    "read_inputs",
    "write_input",
    "merge_inputs",
    "merge_outputs",
]


#: names every model derives; a head may not take them (a head may be named like a
#: quantity derivable from an input, e.g. a directly predicted "dipole": it is then
#: the model's output, and that model does not derive the quantity)
_RESERVED = frozenset({keys.ENERGY, keys.ENERGIES, keys.FORCES, keys.STRESS, keys.HESSIAN})


def _irreps_dim(irreps: str) -> int:
    return o3.Irreps(irreps).dim


@dataclass(frozen=True)
class InputSpec:
    """An optional input of a model.

    Attributes:
        name: the key (:mod:`ennp_lab.keys`), e.g. ``"electric_field"``.
        irreps: e3nn irreps of one value ("1o" a polar vector, "1e" an axial vector,
            "0e" a scalar); they fix how it transforms under rotations and parity.
        per_atom: one value per atom (N, d), or one per structure (d,).
        time_odd: changes sign under time reversal (magnetic moments).
        differentiable: derivatives of the energy with respect to it can be requested.
        required: no default; a structure without it is an error. Otherwise zeros.
        unit: the unit of the value (ASE units), for messages and docs.
        reader: ``reader(atoms) -> array or None`` where ASE keeps it; default
            ``atoms.arrays[name]`` (per atom) or ``atoms.info[name]`` (per structure).
        ase_native: stored where ASE's own ``Atoms`` methods keep it (initial moments,
            initial charges), so rotations, mirrors and time reversal that act on
            ``Atoms`` already transform it.
    """

    name: str
    irreps: str
    per_atom: bool
    time_odd: bool = False
    differentiable: bool = True
    required: bool = False
    unit: str = ""
    reader: Callable[[Atoms], Any] | None = None
    ase_native: bool = False

    def __post_init__(self) -> None:
        if self.name in (keys.POSITIONS, keys.STRAIN) or self.name in keys.DERIVED_PROPERTIES:
            raise ValueError(f"input name {self.name!r} clashes with a built-in variable or property")
        object.__setattr__(self, "irreps", str(o3.Irreps(self.irreps)))

    @property
    def dim(self) -> int:
        """Components of one value."""
        return _irreps_dim(self.irreps)

    def shape(self, n_atoms: int) -> tuple[int, ...]:
        """Shape of the value of one structure of ``n_atoms`` atoms."""
        return (n_atoms, self.dim) if self.per_atom else (self.dim,)

    def read(self, atoms: Atoms, value: Any = None) -> np.ndarray:
        """This input's value for ``atoms`` (``value`` overrides what the Atoms hold).

        Raises:
            ValueError: a required input that is missing, a wrong shape, non-finite values.
        """
        if value is None:
            value = self.reader(atoms) if self.reader is not None else self._default_reader(atoms)
        where = f"input {self.name!r} ({self.irreps}{', per atom' if self.per_atom else ''}"
        where += f", {self.unit})" if self.unit else ")"
        if value is None:
            if self.required:
                raise ValueError(f"the model needs {where}, but the structure {atoms.get_chemical_formula()} has none; "
                                 f"set {self._how_to_set()}")
            return np.zeros(self.shape(len(atoms)))
        array = np.asarray(value, dtype=float)
        expected = self.shape(len(atoms))
        if array.shape != expected and array.size == int(np.prod(expected)) and (array.ndim <= 1 or self.dim == 1):
            array = array.reshape(expected)  # (N,) for a (N, 1) input, a scalar for (1,)
        if array.shape != expected:
            raise ValueError(f"{where} must have shape {expected} for {len(atoms)} atoms, got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{where} holds NaN or inf")
        return array

    def _default_reader(self, atoms: Atoms):
        return atoms.arrays.get(self.name) if self.per_atom else atoms.info.get(self.name)

    def _how_to_set(self) -> str:
        if self.name == keys.MAGMOMS:
            return "atoms.set_initial_magnetic_moments(...)"
        if self.name == keys.CHARGES:
            return "atoms.set_initial_charges(...)"
        return f"atoms.arrays[{self.name!r}]" if self.per_atom else f"atoms.info[{self.name!r}] or the calculator parameter {self.name}="


@dataclass(frozen=True)
class OutputSpec:
    """An extra output (head) of a model.

    Attributes:
        name: the key, e.g. ``"chirality"``.
        irreps: e3nn irreps of one value.
        per_atom: a per-atom version ``keys.per_atom(name)`` (N, d) comes with the
            per-structure value (B, d).
        reduction: how per-atom values make the structure's: "sum" (extensive) or
            "mean" (intensive).
        time_odd: changes sign under time reversal.
        cartesian: an e3nn ``CartesianTensor`` formula (e.g. "ijkl=jikl=ijlk=klij") when
            the value is given as that Cartesian tensor, (3,)·rank, instead of in the
            irreps basis; ``irreps`` are then the formula's.
    """

    name: str
    irreps: str
    per_atom: bool = True
    reduction: str = "sum"
    time_odd: bool = False
    cartesian: str | None = None

    def __post_init__(self) -> None:
        if self.name in _RESERVED or keys.parse_derivative(self.name) is not None:
            raise ValueError(f"head name {self.name!r} clashes with a derived property")
        if self.reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {self.reduction!r}")
        object.__setattr__(self, "irreps", str(o3.Irreps(self.irreps)))
        if self.cartesian is not None:
            from e3nn.io import CartesianTensor

            formula_irreps = str(o3.Irreps(CartesianTensor(self.cartesian)))
            if formula_irreps != self.irreps:
                raise ValueError(f"output {self.name!r}: the Cartesian formula {self.cartesian!r} has irreps "
                                 f"{formula_irreps}, not {self.irreps}")

    @property
    def rank(self) -> int:
        """Number of Cartesian indices (0 for a value in the irreps basis)."""
        return 0 if self.cartesian is None else len(self.cartesian.split("=")[0])

    @property
    def dim(self) -> int:
        return _irreps_dim(self.irreps)


def _read_magmoms(atoms: Atoms):
    return atoms.get_initial_magnetic_moments() if atoms.has("initial_magmoms") else None


def _read_vector_magmoms(atoms: Atoms):
    m = _read_magmoms(atoms)
    if m is not None and np.ndim(m) == 1:  # collinear: along the quantisation axis z
        m = np.stack([np.zeros_like(m), np.zeros_like(m), m], axis=1)
    return m


def _read_collinear_magmoms(atoms: Atoms):
    m = _read_magmoms(atoms)
    if m is not None and np.ndim(m) == 2:
        raise ValueError("the model takes collinear magnetic moments (N,), but the structure has non-collinear (N, 3) ones")
    return m


def _read_charges(atoms: Atoms):
    return atoms.get_initial_charges() if atoms.has("initial_charges") else None


def _read_total_charge(atoms: Atoms):
    if "charge" in atoms.info:
        return atoms.info["charge"]
    return float(atoms.get_initial_charges().sum()) if atoms.has("initial_charges") else None


#: A homogeneous external electric field ℰ (V/Å), one per structure: the energy is the
#: electric enthalpy E(R, ℰ), so μ = −∂E/∂ℰ.
ELECTRIC_FIELD_INPUT = InputSpec(keys.ELECTRIC_FIELD, "1o", per_atom=False, unit="V/Å")
#: Non-collinear magnetic moments (μ_B): axial vectors, odd under time reversal.
MAGMOMS_INPUT = InputSpec(keys.MAGMOMS, "1e", per_atom=True, time_odd=True, unit="μ_B", reader=_read_vector_magmoms,
                          ase_native=True)
#: Collinear magnetic moments (μ_B): scalars, odd under time reversal.
COLLINEAR_MAGMOMS_INPUT = InputSpec(keys.MAGMOMS, "0e", per_atom=True, time_odd=True, unit="μ_B",
                                    reader=_read_collinear_magmoms, ase_native=True)
#: Given per-atom charges (e).
CHARGES_INPUT = InputSpec(keys.CHARGES, "0e", per_atom=True, unit="e", reader=_read_charges, ase_native=True)
#: The net charge of each structure (e); not differentiated.
TOTAL_CHARGE_INPUT = InputSpec(keys.TOTAL_CHARGE, "0e", per_atom=False, differentiable=False, unit="e",
                               reader=_read_total_charge, ase_native=True)


def vector_input(name: str, irreps: str = "1o", time_odd: bool = False, required: bool = True, unit: str = "") -> InputSpec:
    """A per-atom vector input kept in ``atoms.arrays[name]`` (e.g. coarse-grained bead
    orientations: "1o" for a polar direction, "1e" for an axial one)."""
    return InputSpec(name, irreps, per_atom=True, time_odd=time_odd, required=required, unit=unit)


def read_inputs(atoms: Atoms, specs: Iterable[InputSpec], values: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """The declared inputs of one structure, validated: name → (N, d) or (d,) array.

    Args:
        atoms: the structure.
        specs: the model's declared inputs.
        values: explicit values (e.g. calculator parameters), which take precedence.

    Raises:
        ValueError: unknown names in ``values``; see :meth:`InputSpec.read`.
    """
    specs = list(specs)
    values = dict(values or {})
    unknown = set(values) - {s.name for s in specs}
    if unknown:
        raise ValueError(f"values given for inputs {sorted(unknown)} that the model does not take "
                         f"(it takes {sorted(s.name for s in specs) or 'none'})")
    return {s.name: s.read(atoms, values.get(s.name)) for s in specs}


def write_input(atoms: Atoms, spec: InputSpec, value: np.ndarray) -> None:
    """Store ``value`` where :meth:`InputSpec.read` finds it (in place)."""
    value = np.asarray(value, dtype=float)
    if spec.name == keys.MAGMOMS:
        moments = value[:, 0] if spec.irreps == "1x0e" else value
        if atoms.has("initial_magmoms") and atoms.arrays["initial_magmoms"].shape != moments.shape:
            atoms.set_initial_magnetic_moments(None)  # collinear ↔ non-collinear
        atoms.set_initial_magnetic_moments(moments)
    elif spec.name == keys.CHARGES:
        atoms.set_initial_charges(value.reshape(len(atoms)))
    elif spec.name == keys.TOTAL_CHARGE:
        atoms.info["charge"] = float(value.reshape(-1)[0])
    elif spec.per_atom:
        atoms.arrays[spec.name] = value.copy()
    else:
        atoms.info[spec.name] = value.copy()


def merge_inputs(groups: Sequence[Sequence[InputSpec]]) -> tuple[InputSpec, ...]:
    """The union of several models' inputs (composition); one name, one declaration.

    Raises:
        ValueError: two models declare the same name differently.
    """
    merged: dict[str, InputSpec] = {}
    for group in groups:
        for spec in group:
            if spec.name in merged and merged[spec.name] != spec:
                raise ValueError(f"input {spec.name!r} is declared differently by two models: {merged[spec.name]} vs {spec}")
            merged[spec.name] = spec
    return tuple(merged.values())


def merge_outputs(groups: Sequence[Mapping[str, OutputSpec]]) -> dict[str, OutputSpec]:
    """The union of several models' heads (composition); a shared name must agree.

    Raises:
        ValueError: two models declare the same head differently.
    """
    merged: dict[str, OutputSpec] = {}
    for group in groups:
        for name, spec in group.items():
            if name in merged and merged[name] != spec:
                raise ValueError(f"head {name!r} is declared differently by two models: {merged[name]} vs {spec}")
            merged[name] = spec
    return merged
