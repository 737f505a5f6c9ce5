"""Long-range electrostatics on torch-pme, and the models that use it.

For per-atom charges q_i (e) the electrostatic energy of a structure is

    E = Σ_i q_i V_i,     V_i = (k/2) Σ'_j q_j φ(r_ij)          (eV)

with k = e²/4πε₀ = :data:`~ennp_lab.units.COULOMB_EV_A` eV·Å, the sum over every other
atom and every periodic image (the prime: not j = i in the home cell), and the kernel
φ(r) = 1/r (bare Coulomb) or e^{−κr}/r (screened, Yukawa). V_i is torch-pme's
"potential" (the ½ of the double sum included), so E = Σ q_i V_i; this module is the one
place that convention and the prefactor are applied.

How the sum is done:

* molecules (no periodic direction): every pair, directly (either kernel);
* 3D-periodic, Coulomb: Ewald (``method="ewald"``) or PME (``"pme"``) from torch-pme;
  ``"auto"`` takes Ewald below :data:`PME_ATOMS` atoms and PME above. torch-pme gives the
  k-space part, the self term and the background; the real-space part erfc(r/√2σ)/r is
  summed here over the graph's pairs and tapered smoothly to zero between 0.8 r_c and r_c
  (from :data:`SWITCH`), so that the energy has no jump where a pair crosses the
  cutoff. The Gaussian width σ and the k-space resolution follow from 0.8 r_c and the
  requested relative ``accuracy`` (real-space tail e^{−(0.8 r_c)²/2σ²} = accuracy,
  likewise in k space), so the energy is one smooth function of positions and cell
  within that accuracy; :meth:`Electrostatics.tuned`
  instead runs torch-pme's Ewald tuner (``tune_ewald``, which times candidate settings)
  once for a representative structure and keeps what it chose. A net charge
  is compensated by a uniform background (torch-pme's convention); ``background=False``
  refuses charged cells instead;
* 3D-periodic, Yukawa: the screened kernel decays exponentially, so a real-space sum is
  exact to the accuracy with r_c = ln(1/accuracy)/(0.8 κ) and the same taper;
* other periodicities (slabs, wires): refused, by name.

Models: :class:`FixedChargeModel` (given per-atom charges, the rigid-ion electrostatics
of a reference) and :class:`ChargedENNP` (a local ENNP whose 0e head gives latent
charges, shifted so that each structure's total charge is exactly the declared input,
plus their electrostatic energy — learned from energies and forces alone, as in LES).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ennp_lab import keys
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import ModelBase, declared_inputs, declared_outputs, sum_per_graph
from ennp_lab.spec import CHARGES_INPUT, TOTAL_CHARGE_INPUT, InputSpec, OutputSpec, merge_inputs
from ennp_lab.units import COULOMB_EV_A
from ennp_lab.validation import as_real

__all__ = ["PME_ATOMS", "Electrostatics", "FixedChargeModel", "ChargedENNP"]

#: above this many atoms ``method="auto"`` takes PME (O(N log N)) rather than Ewald (O(N²) at a
#: fixed real-space cutoff): benchmarks/electrostatics.py (NaCl, r_c 8 Å, accuracy 1e-5, 2 CPU
#: threads) has Ewald 2× faster at 216 ions, PME 3× faster at 512 and 12× at 2744
PME_ATOMS = 500
#: the real-space taper starts at this fraction of the cutoff
SWITCH = 0.8
_METHODS = ("auto", "ewald", "pme", "direct")


class Electrostatics(torch.nn.Module):
    """The electrostatic energy of given charges (module docstring).

    Args:
        cutoff: real-space cutoff r_c (Å); for Yukawa, None takes ln(1/accuracy)/κ.
        accuracy: relative accuracy of the Ewald/PME split (and of the Yukawa cutoff).
        screening: κ (1/Å) of the Yukawa kernel e^{−κr}/r; None for bare Coulomb.
        method: "auto", "ewald", "pme" (3D-periodic Coulomb) or "direct" (only pairs
            within r_c: a truncated sum, for demonstrations).
        background: allow a net charge in a periodic cell (compensated by a uniform
            background); False refuses it.
        prefactor: k (eV·Å).

    Raises:
        ValueError: an unknown method, a non-positive cutoff, accuracy or screening.
    """

    def __init__(self, cutoff: float | None = 8.0, accuracy: float = 1e-6, screening: float | None = None,
                 method: str = "auto", background: bool = True, prefactor: float = COULOMB_EV_A) -> None:
        super().__init__()
        if method not in _METHODS:
            raise ValueError(f"unknown electrostatics method {method!r}; choose from {_METHODS}")
        self.accuracy = as_real(accuracy, "accuracy", 0.0, strict=True)
        if self.accuracy >= 1:
            raise ValueError(f"accuracy must be below 1, got {accuracy}")
        self.screening = None if screening is None else as_real(screening, "screening κ (1/Å)", 0.0, strict=True)
        if cutoff is None:
            if self.screening is None:
                raise ValueError("bare Coulomb needs a real-space cutoff")
            cutoff = math.log(1.0 / self.accuracy) / (SWITCH * self.screening)
        self.real_space_cutoff = as_real(cutoff, "cutoff (Å)", 0.0, strict=True)
        self.method = method
        self.background = bool(background)
        self.prefactor = as_real(prefactor, "prefactor", 0.0, strict=True)
        ln = math.log(1.0 / self.accuracy)
        #: Gaussian width σ (Å) of the Ewald/PME split: e^{−(0.8 r_c)²/2σ²} = accuracy
        self.smearing = SWITCH * self.real_space_cutoff / math.sqrt(2.0 * ln)
        #: torch-pme's k-space resolution (Å): it keeps k up to π/λ along each reciprocal
        #: vector, and the Gaussian's tail beyond is e^{−σ²k²/2} = accuracy at λ = πσ/√(2 ln(1/accuracy))
        self.lr_wavelength = math.pi * self.smearing / math.sqrt(2.0 * ln)
        #: PME mesh spacing (Å) and interpolation order: λ/2 and 6 nodes give forces within
        #: ~1e-6–1e-5 of Ewald's at accuracies 1e-6–1e-8 (rattled NaCl; 4 nodes, λ: 1e-3)
        self.mesh_spacing = self.lr_wavelength / 2.0
        self.interpolation_nodes = 6

    @property
    def cutoff(self) -> float:
        return self.real_space_cutoff

    #: the settings a model file keeps (plain values)
    _SETTINGS = ("real_space_cutoff", "accuracy", "screening", "method", "background", "prefactor", "smearing",
                 "lr_wavelength", "mesh_spacing", "interpolation_nodes")

    def to_dict(self) -> dict:
        """Every setting, tuned ones included, as plain values (:meth:`from_dict` inverts it)."""
        return {name: getattr(self, name) for name in self._SETTINGS}

    @classmethod
    def from_dict(cls, data: dict) -> "Electrostatics":
        """The module :meth:`to_dict` described.

        Raises:
            ValueError: a missing or unknown setting, or a bad value.
        """
        data = dict(data)
        if set(data) != set(cls._SETTINGS):
            raise ValueError(f"electrostatics settings must name exactly {sorted(cls._SETTINGS)}, got {sorted(data)}")
        out = cls(data["real_space_cutoff"], data["accuracy"], data["screening"], data["method"], data["background"],
                  data["prefactor"])
        out.smearing = as_real(data["smearing"], "smearing", 0.0, strict=True)
        out.lr_wavelength = as_real(data["lr_wavelength"], "lr_wavelength", 0.0, strict=True)
        out.mesh_spacing = as_real(data["mesh_spacing"], "mesh_spacing", 0.0, strict=True)
        out.interpolation_nodes = int(data["interpolation_nodes"])
        return out

    @classmethod
    def tuned(cls, atoms, charges, accuracy: float = 1e-4, cutoff: float = 8.0, method: str = "ewald") -> "Electrostatics":
        """Ewald parameters chosen by torch-pme's tuner (``tune_ewald``: the fastest settings,
        by timing, whose error bound on the forces meets ``accuracy`` eV/Å) for one
        representative 3D-periodic structure and its charges, with the real-space sum taken
        as ending where the taper starts (0.8 r_c); kept fixed afterwards.

        torch-pme 0.5's tuner bounds the k-space error for |k| up to 2π/λ, but its
        ``EwaldCalculator`` builds ceil(L/λ) vectors per reciprocal axis centred on 0, which
        reach only π/λ (cf. lab-cosmo/torch-pme#196): the tuned λ is halved so that the
        calculator sums the k vectors the bound assumed (rattled NaCl at 1e-3: force RMS error
        4e-4 eV/Å; unhalved, 5e-2). ``tune_pme``'s choices missed the requested accuracy by
        two orders of magnitude in the same check, so PME keeps the analytic settings of the
        constructor, which are checked against Ewald.

        Raises:
            ValueError: a structure that is not 3D-periodic, or a method other than "ewald".
        """
        from torchpme.tuning import tune_ewald

        from ennp_lab.graph.neighbors import neighbor_list

        if method != "ewald":
            raise ValueError(f"tuned() takes torch-pme's Ewald tuner only (method='ewald'), got {method!r}: "
                             f"its PME tuner missed the requested accuracy; Electrostatics(method='pme') sets PME "
                             f"from the accuracy instead")
        if not atoms.pbc.all():
            raise ValueError("torch-pme's tuner is for 3D-periodic cells")
        untapered = SWITCH * float(cutoff)
        i, j, _, d = neighbor_list(atoms.positions, atoms.cell[:], atoms.pbc, untapered)
        half = i < j
        smearing, params, _ = tune_ewald(
            charges=torch.as_tensor(charges, dtype=torch.float64).reshape(-1, 1),
            cell=torch.as_tensor(atoms.cell[:], dtype=torch.float64),
            positions=torch.as_tensor(atoms.positions, dtype=torch.float64), cutoff=untapered,
            neighbor_indices=torch.as_tensor(np.stack([i[half], j[half]], axis=1)),
            neighbor_distances=torch.as_tensor(d[half]), prefactor=COULOMB_EV_A, accuracy=float(accuracy))
        out = cls(cutoff, accuracy, method="ewald")
        out.smearing = float(smearing)
        out.lr_wavelength = float(params["lr_wavelength"]) / 2
        return out

    # ------------------------------------------------------------------------------------
    def energies(self, graph: AtomGraph, charges: torch.Tensor, positions: torch.Tensor | None = None,
                 cell: torch.Tensor | None = None) -> torch.Tensor:
        """Per-atom energies q_i V_i (N,) eV of charges (N,) e; they sum to each
        structure's E. Differentiable in positions, cell and charges.

        Raises:
            ValueError: non-finite charges; a charged periodic cell with ``background=False``;
                a slab or a wire (1 or 2 periodic directions); a cell too small for the
                PME mesh at the requested accuracy.
        """
        if charges.shape != (graph.num_atoms,):
            raise ValueError(f"charges must have shape ({graph.num_atoms},), got {tuple(charges.shape)}")
        if not bool(torch.isfinite(charges).all()):
            raise ValueError("charges hold NaN or inf")
        pos = graph.positions if positions is None else positions
        cel = graph.cell if cell is None else cell
        charges = charges.to(pos.dtype)  # the Coulomb sums in the geometry's precision (float64 from a calculator)
        vectors = graph.edge_vectors(pos, cel)
        lengths = torch.linalg.norm(vectors, dim=1)
        center, neighbor = graph.edge_index
        out = torch.zeros_like(charges)
        for b in range(graph.num_graphs):
            atoms = torch.nonzero(graph.batch == b).flatten()
            periodic = graph.pbc[b]
            n_periodic = int(periodic.sum())
            if n_periodic not in (0, 3):
                raise ValueError(f"structure {b}: electrostatics of slabs and wires (pbc={periodic.tolist()}) are not "
                                 f"implemented; use a 3D-periodic cell with vacuum or a molecule")
            q = charges[atoms]
            if n_periodic == 0:
                out[atoms] = self._direct_all_pairs(q, pos[atoms])
                continue
            if not self.background and abs(float(q.detach().sum())) > 1e-10:
                raise ValueError(f"structure {b} has a net charge {float(q.detach().sum()):.3g} e in a periodic cell, "
                                 f"and background=False: neutralise it or allow the uniform background")
            first = int(atoms[0])
            edges = (graph.batch[center] == b) & (lengths < self.real_space_cutoff)
            pairs = torch.stack([center[edges] - first, neighbor[edges] - first], dim=1)
            out[atoms] = self._periodic(q, pos[atoms], cel[b], pairs, lengths[edges])
        return out

    def method_for(self, n_atoms: int) -> str:
        """The k-space method a 3D-periodic Coulomb structure of ``n_atoms`` gets: the one
        asked for, or with ``"auto"`` Ewald up to :data:`PME_ATOMS` atoms and PME above."""
        if self.method != "auto":
            return self.method
        return "pme" if n_atoms > PME_ATOMS else "ewald"

    def _kernel(self, r: torch.Tensor) -> torch.Tensor:
        return 1.0 / r if self.screening is None else torch.exp(-self.screening * r) / r

    def _switch(self, r: torch.Tensor) -> torch.Tensor:
        """1 below 0.8 r_c, 0 beyond r_c, C² in between: 1 − 10t³ + 15t⁴ − 6t⁵ (smoothstep)."""
        t = ((r - SWITCH * self.real_space_cutoff) / ((1.0 - SWITCH) * self.real_space_cutoff)).clamp(0.0, 1.0)
        return 1.0 - t**3 * (10.0 - 15.0 * t + 6.0 * t**2)

    def _direct_all_pairs(self, q: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        n = len(q)
        if n < 2:
            return torch.zeros_like(q)
        i, j = torch.triu_indices(n, n, 1, device=q.device)
        r = torch.linalg.norm(pos[j] - pos[i], dim=1)
        if self.method == "direct":
            keep = r < self.real_space_cutoff
            i, j, r = i[keep], j[keep], r[keep]
        pair = 0.5 * self.prefactor * q[i] * q[j] * self._kernel(r)  # each atom of the pair gets half
        return torch.zeros_like(q).index_add(0, i, pair).index_add(0, j, pair)

    def _periodic(self, q: torch.Tensor, pos: torch.Tensor, cell: torch.Tensor, pairs: torch.Tensor,
                  lengths: torch.Tensor) -> torch.Tensor:
        i, j = pairs[:, 0], pairs[:, 1]
        if self.method == "direct":  # the plain truncated sum (full list: ½ each)
            pair = 0.5 * self.prefactor * q[i] * q[j] * self._kernel(lengths)
            return torch.zeros_like(q).index_add(0, i, pair)
        if self.screening is not None:  # a tapered real-space sum is exact for the screened kernel
            pair = 0.5 * self.prefactor * q[i] * q[j] * self._kernel(lengths) * self._switch(lengths)
            return torch.zeros_like(q).index_add(0, i, pair)
        from torchpme import CoulombPotential, EwaldCalculator, PMECalculator

        potential = CoulombPotential(smearing=self.smearing, prefactor=self.prefactor).to(q.dtype)
        method = self.method_for(len(q))
        if method == "pme":
            points = float(torch.linalg.norm(cell.detach(), dim=1).min()) / self.mesh_spacing
            if points < self.interpolation_nodes:
                raise ValueError(f"the cell ({points * self.mesh_spacing:.3g} Å) holds only "
                                 f"{points:.1f} PME mesh points at accuracy {self.accuracy:g} (mesh spacing "
                                 f"{self.mesh_spacing:.3g} Å, {self.interpolation_nodes} interpolation nodes): too small "
                                 f"for PME; use method='ewald'")
        if method == "ewald":
            calculator = EwaldCalculator(potential, lr_wavelength=self.lr_wavelength, full_neighbor_list=True)
        else:
            calculator = PMECalculator(potential, mesh_spacing=self.mesh_spacing,
                                       interpolation_nodes=self.interpolation_nodes, full_neighbor_list=True)
        calculator = calculator.to(dtype=q.dtype, device=q.device)
        # k space, self term and background from torch-pme (no pairs); real space here, tapered
        none = torch.zeros((0, 2), dtype=pairs.dtype, device=pairs.device)
        v = calculator(q[:, None], cell, pos, none, lengths[:0])[:, 0]
        real = 0.5 * q[j] * potential.sr_from_dist(lengths) * self._switch(lengths)
        v = v + torch.zeros_like(q).index_add(0, i, real)
        return q * v


class FixedChargeModel(ModelBase):
    """Electrostatics of given per-atom charges (``atoms.get_initial_charges()``), a
    :class:`~ennp_lab.models.interface.PotentialModel` (e.g. the rigid-ion part of a
    reference, or a prior to add to an ENNP with :class:`~ennp_lab.models.compose.SumModel`)."""

    def __init__(self, species, electrostatics: Electrostatics | None = None, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        from ennp_lab.models.ennp import _atomic_number

        self._species = tuple(sorted({_atomic_number(s) for s in species}))
        self.electrostatics = electrostatics or Electrostatics()
        self.register_buffer("_dtype_anchor", torch.zeros((), dtype=dtype))

    @property
    def cutoff(self) -> float:
        return self.electrostatics.cutoff

    @property
    def species(self) -> tuple[int, ...]:
        return self._species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return (CHARGES_INPUT,)

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None):
        q = graph.input(keys.CHARGES)[:, 0].to(self.dtype)
        energies = self.electrostatics.energies(graph, q, positions, cell)
        return {keys.ENERGIES: energies, keys.ENERGY: sum_per_graph(energies, graph)}


class ChargedENNP(ModelBase):
    """A local ENNP with latent charges and their long-range electrostatics.

    The ENNP's per-atom 0e head ``charges`` gives raw charges q̃_i; each structure's are
    shifted to sum exactly to its declared total charge Q (``atoms.info["charge"]``, 0 by
    default): q_i = q̃_i − ⟨q̃⟩_b + Q_b/n_b. The energy is the ENNP's plus the
    electrostatic energy of q (:class:`Electrostatics`); the charges are declared outputs
    (``charges`` per structure = Q, and per atom).

    Raises:
        ValueError: a local model without a one-component 0e head named ``charges``.
    """

    def __init__(self, local: torch.nn.Module, electrostatics: Electrostatics | None = None) -> None:
        super().__init__()
        spec = declared_outputs(local).get(keys.CHARGES)
        if spec is None or spec.irreps != "1x0e" or not spec.per_atom:
            raise ValueError(f"the local model needs a per-atom head {keys.CHARGES!r} of irreps '0e' "
                             f"(build_ennp(..., heads={{'charges': '0e'}}))")
        self.local = local
        self.electrostatics = electrostatics or Electrostatics()

    @property
    def cutoff(self) -> float:
        return max(self.local.cutoff, self.electrostatics.cutoff)

    @property
    def species(self) -> tuple[int, ...]:
        return self.local.species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        """The total charge and whatever the local model takes (an electric field)."""
        return merge_inputs([(TOTAL_CHARGE_INPUT,), declared_inputs(self.local)])

    def with_dtype(self, dtype) -> "ChargedENNP":
        """This model cast to ``dtype`` (in place)."""
        self.local.with_dtype(dtype)
        return self

    @property
    def energy_shift(self) -> torch.Tensor:
        """The local model's per-species energy shift (what training fits first)."""
        return self.local.energy_shift

    @property
    def energy_scale(self) -> torch.Tensor:
        return self.local.energy_scale

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        return {keys.CHARGES: OutputSpec(keys.CHARGES, "0e")}

    def charges(self, graph: AtomGraph, raw: torch.Tensor) -> torch.Tensor:
        """q (N,) from raw charges (N,): each structure's shifted to its total charge."""
        n = graph.atoms_per_graph.to(raw.dtype)
        total = graph.input(keys.TOTAL_CHARGE)[:, 0].to(raw.dtype)
        mean = sum_per_graph(raw, graph) / n
        return raw - mean[graph.batch] + (total / n)[graph.batch]

    def orient_charges(self, atoms, positive: str) -> bool:
        """Fix the sign of the latent charges so that element ``positive`` carries a positive
        mean charge in ``atoms``; returns whether it flipped them.

        E = Σ q_i V_i is even in q, so energies and forces of neutral structures cannot tell
        q from −q: training on them ends in either sign. Flipping negates the (linear,
        bias-free) charge head, which leaves every neutral structure's energy unchanged.

        Raises:
            ValueError: ``atoms`` without that element.
        """
        from ase.data import atomic_numbers

        z = atomic_numbers.get(positive)
        if z is None or z not in atoms.numbers:
            raise ValueError(f"orient_charges: {atoms.get_chemical_formula()} holds no {positive!r}")
        graph = AtomGraph.from_atoms(atoms, self.cutoff, dtype=self.dtype, device=self.device, inputs=self.inputs)
        with torch.no_grad():
            out = self.local(graph)
            q = self.charges(graph, out[keys.per_atom(keys.CHARGES)][:, 0])
            mean = float(q[torch.as_tensor(atoms.numbers == z, device=q.device)].mean())
            if mean >= 0:
                return False
            for parameter in self.local.heads[keys.CHARGES].parameters():
                parameter.neg_()
        return True

    def forward(self, graph: AtomGraph, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None):
        out = self.local(graph, positions, cell)
        q = self.charges(graph, out[keys.per_atom(keys.CHARGES)][:, 0])
        energies = out[keys.ENERGIES] + self.electrostatics.energies(graph, q, positions, cell)
        # the structure's charge is the declared total (Σ q_i equals it to rounding)
        return {keys.ENERGIES: energies, keys.ENERGY: sum_per_graph(energies, graph),
                keys.per_atom(keys.CHARGES): q[:, None], keys.CHARGES: graph.input(keys.TOTAL_CHARGE).to(q.dtype)}
