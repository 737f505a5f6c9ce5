"""`ENNPCalculator`: the one torch ↔ numpy bridge, speaking ASE's calculator protocol."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import keys
from ennp_lab.derivatives import HessianOperator, compute_properties, compute_strain_derivatives
from ennp_lab.device import resolve_device
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import PotentialModel

__all__ = ["ENNPCalculator"]


class ENNPCalculator(Calculator):
    """ASE calculator for any ennp_lab model.

    Provides ``energy``, ``free_energy`` (= energy), ``energies`` (per atom), ``forces``
    (always computed together with the energy) and ``stress`` (Voigt order xx, yy, zz, yz, xz, xy, eV/Å³; periodic cells only), plus
    :meth:`get_hessian`. A model's declared heads (e.g. a 0o pseudoscalar ``chirality``)
    come along as ``get_property(name)`` (dim,) and ``get_property(name + "_per_atom")``
    (N, dim), in e3nn's irreps basis. All results are float64 numpy arrays in ASE units.

    Args:
        model: the potential; it is moved to ``device`` (the model owns its dtype).
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda[:k]"``.
    """

    implemented_properties = [keys.ENERGY, "free_energy", keys.ENERGIES, keys.FORCES, keys.STRESS]

    def __init__(self, model: PotentialModel, device: str | torch.device = "auto", **kwargs) -> None:
        super().__init__(**kwargs)
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.model.eval()
        heads = getattr(getattr(model, "config", None), "heads", None) or {}
        #: declared heads: ``name`` (dim,) summed over atoms and ``name_per_atom`` (N, dim)
        self.heads = tuple(heads)
        self.implemented_properties = list(type(self).implemented_properties) + [
            n for name in self.heads for n in (name, name + "_per_atom")
        ]

    def _graph(self, atoms: Atoms) -> AtomGraph:
        return AtomGraph.from_atoms(atoms, self.model.cutoff, dtype=self.model.dtype, device=self.device)

    def calculate(self, atoms: Atoms | None = None, properties=(keys.ENERGY,), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        if keys.STRESS in properties and not atoms.pbc.all():
            raise PropertyNotImplementedError("stress needs a cell periodic in all three directions")
        # One backward pass gives forces (and stress) at little extra cost over the energy,
        # so they are always computed together: ASE asks for them one at a time.
        wanted = {keys.ENERGY, keys.ENERGIES, keys.FORCES}
        if atoms.pbc.all():
            wanted.add(keys.STRESS)
        out = compute_properties(self.model, self._graph(atoms), wanted)
        energy = float(out[keys.ENERGY][0])
        self.results[keys.ENERGY] = energy
        self.results["free_energy"] = energy
        self.results[keys.ENERGIES] = _numpy(out[keys.ENERGIES])
        if keys.FORCES in out:
            self.results[keys.FORCES] = _numpy(out[keys.FORCES])
        if keys.STRESS in out:
            self.results[keys.STRESS] = full_3x3_to_voigt_6_stress(_numpy(out[keys.STRESS][0]))
        for name in self.heads:
            self.results[name] = _numpy(out[name][0])
            self.results[name + "_per_atom"] = _numpy(out[name + "_per_atom"])

    def get_hessian(self, atoms: Atoms | None = None, indices: Sequence[int] | None = None) -> np.ndarray:
        """Hessian ∂²E/∂x∂x of ``atoms`` (or the last structure) by autograd.

        Args:
            atoms: the structure; the last calculated one when omitted.
            indices: only the rows of these atoms (e.g. the atoms of a primitive cell
                inside a phonon supercell); all atoms when omitted.

        Returns:
            (n, 3, N, 3) eV/Å², n = len(indices) or N.
        """
        operator = HessianOperator.evaluate(self.model, self._graph(self._atoms_or_last(atoms)))
        return _numpy(operator.rows(indices))

    def hessian_vector_product(self, atoms: Atoms | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A function v ↦ H v for ``atoms`` (v and H v of shape (N, 3); eV/Å² · v).

        The model is evaluated once; each product is one double-backward pass, and the
        Hessian is never formed (for Lanczos estimates of λ_max on large cells).
        """
        operator = HessianOperator.evaluate(self.model, self._graph(self._atoms_or_last(atoms)))
        positions = operator.positions

        def product(vector: np.ndarray) -> np.ndarray:
            v = torch.as_tensor(np.asarray(vector, dtype=np.float64).reshape(-1, 3))
            return _numpy(operator.matvec(v.to(device=positions.device, dtype=positions.dtype)))

        return product

    def get_strain_derivatives(self, atoms: Atoms | None = None) -> dict[str, np.ndarray]:
        """∂²E/∂ε∂ε (3, 3, 3, 3) eV and ∂²E/∂ε∂x (3, 3, N, 3) eV/Å of a periodic structure by
        autograd (see :func:`ennp_lab.derivatives.compute_strain_derivatives`)."""
        out = compute_strain_derivatives(self.model, self._graph(self._atoms_or_last(atoms)))
        return {k: _numpy(v) for k, v in out.items()}

    def _atoms_or_last(self, atoms: Atoms | None) -> Atoms:
        atoms = self.atoms if atoms is None else atoms
        if atoms is None:
            raise ValueError("a Hessian needs an Atoms object (none given, none calculated before)")
        return atoms

def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)
