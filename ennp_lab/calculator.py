"""`ENNPCalculator`: the one torch ↔ numpy bridge, speaking ASE's calculator protocol."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from ennp_lab import keys
from ennp_lab.derivatives import HessianOperator, available_properties, compute_properties, missing_inputs
from ennp_lab.device import resolve_device
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import PotentialModel, declared_inputs, declared_outputs
from ennp_lab.spec import read_inputs

__all__ = ["ENNPCalculator", "EnsembleCalculator", "to_numpy"]

_BASE = [keys.ENERGY, "free_energy", keys.ENERGIES, keys.FORCES, keys.STRESS]


class ENNPCalculator(Calculator):
    """ASE calculator for any ennp_lab model (an ENNP, an ensemble, a composed model...).

    Provides ``energy``, ``free_energy`` (= energy), ``energies`` (per atom), ``forces``
    (always computed together with the energy) and ``stress`` (Voigt order xx, yy, zz,
    yz, xz, xy, eV/Å³; periodic cells only), plus :meth:`get_hessian`. Every declared
    head comes along as ``get_property(name)`` (dim,) and, per atom,
    ``get_property(keys.per_atom(name))`` (N, dim), in e3nn's irreps basis. The
    quantities the model's declared inputs make derivable (``dipole``, ``polarization``,
    ``born_charges``, ``polarizability``, ``effective_field``, ``torque``; see
    :mod:`ennp_lab.derivatives`) are computed when asked for. All results are float64
    numpy arrays in ASE units.

    Declared inputs are read from the ``Atoms`` by ASE's conventions
    (:mod:`ennp_lab.spec`: initial magnetic moments, collinear or (N, 3); initial charges
    and ``info["charge"]``; ``info[name]`` for a field), or given here as parameters
    (``ENNPCalculator(model, electric_field=[0, 0, 0.01])``, or ``calc.set(...)``), which
    take precedence. A change of an input held in ``atoms.info`` triggers a new calculation.

    Args:
        model: the potential; it is moved to ``device`` (the model owns its dtype).
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda[:k]"``.
        **parameters: values of declared inputs, and ASE's own calculator arguments.

    Raises:
        ValueError: ``model`` is not an ennp_lab model (a name of a shipped model, say);
            a parameter that is not a declared input of the model.
    """

    implemented_properties = list(_BASE)

    def __init__(self, model: PotentialModel, device: str | torch.device = "auto", **parameters) -> None:
        if not isinstance(model, torch.nn.Module) or not hasattr(model, "cutoff"):
            hint = " (load a shipped model with ennp_lab.pretrained.load_pretrained(name))" if isinstance(model, str) else ""
            raise ValueError(f"ENNPCalculator needs an ennp_lab model, got {type(model).__name__}{hint}")
        self.inputs = declared_inputs(model)
        self.outputs = declared_outputs(model)
        own = {k: parameters.pop(k) for k in list(parameters) if k in {"restart", "ignore_bad_restart_file", "label",
                                                                        "atoms", "directory"}}
        super().__init__(**own)
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.model.eval()
        #: declared heads: ``name`` (dim,) summed over atoms and ``keys.per_atom(name)`` (N, dim)
        self.heads = tuple(self.outputs)
        #: quantities its declared inputs make derivable, computed when asked for (the
        #: Hessian has its own method, :meth:`get_hessian`)
        self.derivable = [p for p in available_properties(model) if p not in _BASE and p != keys.HESSIAN]
        self.implemented_properties = list(_BASE) + self.derivable + [
            n for name, spec in self.outputs.items() for n in ((name, keys.per_atom(name)) if spec.per_atom else (name,))
        ]
        self._used_inputs: dict[str, np.ndarray] | None = None
        self.set(**parameters)

    def get_property(self, name, atoms=None, allow_calculation=True):
        """ASE's ``get_property``; a quantity derived from an input the model does not take
        (polarization without an electric field, torques without moments) is refused by
        saying which input it needs."""
        if name not in self.implemented_properties:
            missing = missing_inputs(name, self.model)
            if missing:
                held = [s.name for s in self.inputs] or "none"
                raise PropertyNotImplementedError(
                    f"{name} is a derivative with respect to {', '.join(missing)}, which {type(self.model).__name__} "
                    f"does not take as an input (its inputs: {held}); use a model that declares it "
                    f"(e.g. build_ennp(..., electric_field=True))")
        return super().get_property(name, atoms, allow_calculation)

    def set(self, **kwargs) -> dict:
        """Set declared input values (e.g. ``electric_field``); other names are refused."""
        names = {s.name for s in getattr(self, "inputs", ())}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ValueError(f"unknown calculator parameters {unknown}: the model's declared inputs are {sorted(names) or 'none'}")
        return super().set(**{k: (None if v is None else np.asarray(v, dtype=float)) for k, v in kwargs.items()})

    def _values(self) -> dict:
        return {k: v for k, v in self.parameters.items() if v is not None}

    def _graph(self, atoms: Atoms) -> AtomGraph:
        # geometry in float64 whatever the model's dtype: the model casts its edge vectors
        return AtomGraph.from_atoms(atoms, self.model.cutoff, dtype=torch.float64, device=self.device,
                                    inputs=self.inputs, values=self._values())

    def check_state(self, atoms: Atoms, tol: float = 1e-15) -> list[str]:
        """ASE's changes, plus ``"inputs"`` when a declared input read from ``atoms`` changed."""
        changes = super().check_state(atoms, tol)
        if not changes and self.inputs and self._used_inputs is not None:
            now = read_inputs(atoms, self.inputs, self._values())
            if any(not np.array_equal(now[k], self._used_inputs[k]) for k in now):
                changes.append("inputs")
        return changes

    def calculate(self, atoms: Atoms | None = None, properties=(keys.ENERGY,), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        periodic = bool(atoms.pbc.all())
        if keys.STRESS in properties and not periodic:
            raise PropertyNotImplementedError("stress needs a cell periodic in all three directions")
        extra = [p for p in properties if p in self.derivable]
        if not periodic and keys.POLARIZATION in extra:
            raise PropertyNotImplementedError("polarization needs a cell periodic in all three directions (use dipole)")
        # One backward pass gives forces (and stress) at little extra cost over the energy,
        # so they are always computed together: ASE asks for them one at a time.
        wanted = {keys.ENERGY, keys.ENERGIES, keys.FORCES} | set(extra) | ({keys.STRESS} if periodic else set())
        graph = self._graph(atoms)
        self._used_inputs = {k: v.detach().cpu().numpy()[0] if k in graph.global_inputs else v.detach().cpu().numpy()
                             for k, v in {**graph.node_inputs, **graph.global_inputs}.items()}
        out = compute_properties(self.model, graph, wanted)
        _require_finite(out, atoms)
        energy = float(out[keys.ENERGY][0])
        self.results[keys.ENERGY] = energy
        self.results["free_energy"] = energy
        for name in (keys.ENERGIES, keys.FORCES):
            self.results[name] = to_numpy(out[name])
        if keys.STRESS in out:
            self.results[keys.STRESS] = full_3x3_to_voigt_6_stress(to_numpy(out[keys.STRESS][0]))
        for name in extra:
            per_structure = name in (keys.DIPOLE, keys.POLARIZATION, keys.POLARIZABILITY)
            self.results[name] = to_numpy(out[name][0] if per_structure else out[name])
        for name, spec in self.outputs.items():
            self.results[name] = to_numpy(out[name][0])
            if spec.per_atom:
                self.results[keys.per_atom(name)] = to_numpy(out[keys.per_atom(name)])

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
        return to_numpy(operator.rows(indices))

    def get_third_order(self, atoms: Atoms | None = None, indices: Sequence[int] | None = None,
                        second: Sequence[int] | None = None) -> np.ndarray:
        """Third derivatives ∂³E/∂x_ia∂x_jb∂x_kc of ``atoms`` (or the last structure) by
        autograd, for the atoms i in ``indices`` and j in ``second`` (all when omitted).

        Returns:
            (n, 3, m, 3, N, 3) eV/Å³ (anharmonic force constants; phono3py's fc3 rows).
        """
        atoms = self._atoms_or_last(atoms)
        rows = range(len(atoms)) if indices is None else indices
        operator = HessianOperator.evaluate(self.model, self._graph(atoms))
        return to_numpy(operator.third_order_rows(rows, second))

    def hessian_vector_product(self, atoms: Atoms | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A function v ↦ H v for ``atoms`` (v and H v of shape (N, 3); eV/Å² · v).

        The model is evaluated once; each product is one double-backward pass, and the
        Hessian is never formed (for Lanczos estimates of λ_max on large cells).
        """
        operator = HessianOperator.evaluate(self.model, self._graph(self._atoms_or_last(atoms)))
        positions = operator.positions

        def product(vector: np.ndarray) -> np.ndarray:
            v = torch.as_tensor(np.asarray(vector, dtype=np.float64).reshape(-1, 3))
            return to_numpy(operator.matvec(v.to(device=positions.device, dtype=positions.dtype)))

        return product

    def get_strain_derivatives(self, atoms: Atoms | None = None) -> dict[str, np.ndarray]:
        """Strain derivatives of a 3D-periodic structure by autograd (x' = x (I + ε̃)):
        ``keys.STRAIN_GRADIENT`` ∂E/∂ε (3, 3) eV (= V σ), ``keys.STRAIN_HESSIAN``
        ∂²E/∂ε∂ε (3, 3, 3, 3) eV and ``keys.STRAIN_POSITION`` ∂²E/∂ε∂x (N, 3, 3, 3) eV/Å
        ([κ, a, b, k] = ∂²E/∂ε_ab∂x_κk), with ``energy`` (eV). Nine double-backward passes.

        Raises:
            ValueError: a structure that is not periodic in three directions.
        """
        atoms = self._atoms_or_last(atoms)
        if not atoms.pbc.all():
            raise ValueError("strain derivatives need a structure periodic in all three directions")
        names = (keys.STRAIN_GRADIENT, keys.STRAIN_HESSIAN, keys.STRAIN_POSITION)
        out = self.get_derivatives(atoms, names)
        return {k: v if k in (keys.ENERGY, keys.STRAIN_POSITION) else v[0] for k, v in out.items()}

    def get_derivatives(self, atoms: Atoms | None, names: Sequence[str]) -> dict[str, np.ndarray]:
        """Any quantities of :func:`~ennp_lab.derivatives.compute_properties` by name (e.g.
        ``keys.second_derivative("electric_field", "strain")``) for one structure, as numpy
        arrays in the engine's layout (per-structure ones keep their structure axis of
        length 1), with ``energy`` (eV, a float)."""
        atoms = self._atoms_or_last(atoms)
        out = compute_properties(self.model, self._graph(atoms), set(names) | {keys.ENERGY})
        result = {keys.ENERGY: to_numpy(out[keys.ENERGY][0])}
        result.update({name: to_numpy(out[name]) for name in names})
        return result

    def _atoms_or_last(self, atoms: Atoms | None) -> Atoms:
        atoms = self.atoms if atoms is None else atoms
        if atoms is None:
            raise ValueError("a Hessian needs an Atoms object (none given, none calculated before)")
        return atoms


def _require_finite(out: dict[str, torch.Tensor], atoms: Atoms) -> None:
    """Never hand back a NaN or inf energy, force or stress without saying so."""
    for name in (keys.ENERGY, keys.FORCES, keys.STRESS):
        if name in out and not bool(torch.isfinite(out[name]).all()):
            where = ""
            if name == keys.FORCES:
                bad = torch.nonzero(~torch.isfinite(out[name]).all(dim=1)).flatten().tolist()
                where = f" on atoms {bad[:10]}"
            raise ValueError(f"the model predicts a non-finite {name}{where} for {atoms.get_chemical_formula()} "
                             f"({len(atoms)} atoms, pbc={atoms.pbc.tolist()}): the structure is outside anything it "
                             f"can describe, or its weights are broken")


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor as a float64 numpy array on the CPU (the calculator's output convention)."""
    return t.detach().cpu().numpy().astype(np.float64)


class EnsembleCalculator(ENNPCalculator):
    """:class:`ENNPCalculator` over an :class:`~ennp_lab.models.ensemble.Ensemble`: the mean
    energy, forces, stress and heads, plus their spread (σ convention in
    :class:`~ennp_lab.models.ensemble.EnsemblePrediction`).

    Extra results: ``energy_std`` (eV), ``forces_std`` (N,) eV/Å per atom (the epistemic
    spread), ``stress_std`` (6,) eV/Å³ (Voigt), ``member_energies`` (K,),
    ``member_forces`` (K, N, 3). With a noise head also ``forces_std_aleatoric``,
    ``forces_std_epistemic`` (= ``forces_std``) and ``forces_std_total`` (N,) eV/Å.
    :attr:`prediction` holds the last :class:`~ennp_lab.models.ensemble.EnsemblePrediction`.
    """

    implemented_properties = list(_BASE) + ["energy_std", "forces_std", "stress_std", "member_energies",
                                            "member_forces", "forces_std_aleatoric", "forces_std_epistemic",
                                            "forces_std_total"]

    def __init__(self, ensemble, device: str | torch.device = "auto", **parameters) -> None:
        from ennp_lab.models.ensemble import Ensemble

        if not isinstance(ensemble, Ensemble):
            raise ValueError(f"EnsembleCalculator needs an Ensemble, got {type(ensemble).__name__}")
        super().__init__(ensemble, device=device, **parameters)
        self.implemented_properties += [p for p in type(self).implemented_properties if p not in self.implemented_properties]
        self.prediction = None

    @property
    def ensemble(self):
        return self.model

    def calculate(self, atoms: Atoms | None = None, properties=(keys.ENERGY,), system_changes=all_changes) -> None:
        from ennp_lab.models.ensemble import NOISE_HEAD, EnsemblePrediction, compute_member_properties

        super().calculate(atoms, properties, system_changes)
        periodic = bool(self.atoms.pbc.all())
        wanted = {keys.ENERGY, keys.FORCES} | ({keys.STRESS} if periodic else set())
        members = {k: to_numpy(v) for k, v in
                   compute_member_properties(self.model, self._graph(self.atoms), wanted).items()}
        noise = keys.per_atom(NOISE_HEAD)
        p = EnsemblePrediction(
            member_energies=members[keys.ENERGY][:, 0],
            member_forces=members[keys.FORCES],
            member_stress=members[keys.STRESS][:, 0] if periodic else None,
            member_log_variance=members[noise][..., 0] if noise in members else None,
        )
        self.prediction = p
        # the mean of the members (the same numbers as the ensemble model's, up to rounding)
        self.results.update({keys.ENERGY: p.energy, "free_energy": p.energy, keys.FORCES: p.forces,
                             "energy_std": p.energy_std, "forces_std": p.epistemic,
                             "member_energies": p.member_energies, "member_forces": p.member_forces})
        if p.aleatoric is not None:
            self.results.update({"forces_std_aleatoric": p.aleatoric, "forces_std_epistemic": p.epistemic,
                                 "forces_std_total": p.total})
        if periodic:
            self.results[keys.STRESS] = full_3x3_to_voigt_6_stress(p.stress)
            self.results["stress_std"] = full_3x3_to_voigt_6_stress(p.stress_std)
