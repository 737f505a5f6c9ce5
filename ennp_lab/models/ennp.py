"""The ENNP: an O(3)- (or SO(3)-) equivariant message-passing interatomic potential."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Sequence

import torch
from ase.data import atomic_numbers
from e3nn import o3

from ennp_lab import keys
from ennp_lab.device import dtype_name, resolve_dtype
from ennp_lab.spec import ELECTRIC_FIELD_INPUT, InputSpec, OutputSpec
from ennp_lab.validation import as_int, as_ints, as_real
from ennp_lab.graph.data import AtomGraph
from ennp_lab.models.interface import ModelBase, sum_per_graph
from ennp_lab.nn import EquivariantHead, InteractionBlock, RadialEmbedding, ScalarReadout, SpeciesIndex, exact_wigner_3j

__all__ = ["ENNPConfig", "ENNP", "build_ennp", "default_hidden_irreps"]


def default_hidden_irreps(channels: int, l_max: int, parity: bool) -> str:
    """``channels`` copies of each l ≤ l_max, e.g. "16x0e+16x1o+16x2e".

    With parity (O(3)) the natural parity p = (−1)^l of polar tensors is used; without it
    (SO(3) only) every irrep is labelled even, as are the spherical harmonics, so cross
    products (1⊗1→1) are allowed and the energy need not be invariant under inversion.
    """
    def p(l: int) -> str:
        return ("e" if l % 2 == 0 else "o") if parity else "e"

    return "+".join(f"{channels}x{l}{p(l)}" for l in range(l_max + 1))


@dataclass(frozen=True)
class ENNPConfig:
    """Everything needed to rebuild an :class:`ENNP` (weights aside); plain types only.

    Attributes:
        species: atomic numbers the model knows, sorted.
        r_max: cutoff radius (Å).
        l_max: largest spherical-harmonic degree of edges and features.
        channels: multiplicity of each irrep in the hidden features.
        layers: number of interaction blocks.
        parity: full O(3) (True) or SO(3) only (False).
        num_basis: number of Bessel functions.
        radial_hidden: width of the radial MLPs.
        cutoff_p: order of the polynomial envelope.
        avg_num_neighbors: normalisation n̄ of the neighbor sums.
        readout_hidden: width of the scalar energy readout.
        hidden_irreps: explicit hidden irreps (e3nn string); default from channels/l_max.
        heads: extra per-atom heads, name → irreps (summed per structure as well).
        electric_field: take a uniform electric field ℰ (1o, V/Å, per structure) as an
            input: each atom's first features get C polar vectors w_{z,c} ℰ beside its C
            species scalars, and the interactions couple them to the geometry, so the
            energy is the electric enthalpy E(R, ε, ℰ) and the derivatives module gives
            dipole, polarization, Born charges and polarizability by name (O(3) only).
        dtype: "float64" or "float32".
        seed: the seed the weights were initialised with (provenance).
    """

    species: tuple[int, ...]
    r_max: float = 5.0
    l_max: int = 2
    channels: int = 16
    layers: int = 2
    parity: bool = True
    num_basis: int = 8
    radial_hidden: int = 32
    cutoff_p: int = 6
    avg_num_neighbors: float = 20.0
    readout_hidden: int = 16
    hidden_irreps: str | None = None
    heads: dict[str, str] = field(default_factory=dict)
    electric_field: bool = False
    dtype: str = "float64"
    seed: int = 0

    def __post_init__(self) -> None:
        species = tuple(sorted(set(as_ints(self.species, "species", minimum=1))))
        object.__setattr__(self, "species", species)
        if not isinstance(self.heads, dict):
            raise ValueError(f"heads must be a mapping name → irreps, got {self.heads!r}")
        object.__setattr__(self, "heads", dict(self.heads))
        for name, minimum in (("l_max", 0), ("channels", 1), ("layers", 1), ("num_basis", 1), ("radial_hidden", 1),
                              ("cutoff_p", 2), ("readout_hidden", 1), ("seed", None)):
            object.__setattr__(self, name, as_int(getattr(self, name), f"model option {name}", minimum))
        for name in ("r_max", "avg_num_neighbors"):
            object.__setattr__(self, name, as_real(getattr(self, name), f"model option {name}", 0.0, strict=True))
        if not isinstance(self.parity, bool):
            raise ValueError(f"model option parity must be true or false, got {self.parity!r}")
        if not isinstance(self.electric_field, bool):
            raise ValueError(f"model option electric_field must be true or false, got {self.electric_field!r}")
        if self.electric_field and not self.parity:
            raise ValueError("electric_field=True needs parity=True: the field is a polar vector (1o)")
        if self.hidden_irreps is not None and not isinstance(self.hidden_irreps, str):
            raise ValueError(f"model option hidden_irreps must be an e3nn irreps string, got {self.hidden_irreps!r}")
        resolve_dtype(self.dtype)
        for name, irreps in self.heads.items():
            OutputSpec(name, irreps)  # validates the name and the irreps

    def to_dict(self) -> dict:
        """Plain-Python form (for checkpoints loaded with ``weights_only=True``)."""
        out = asdict(self)
        out["species"] = list(self.species)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ENNPConfig":
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


class ENNP(ModelBase):
    """NequIP/MACE-family potential; see :func:`build_ennp`.

    E = Σ_i (s_{z_i} ε_i + μ_{z_i}), with ε_i read out from the even scalars after
    ``layers`` equivariant interactions, and learnable per-species scale s and shift μ.
    """

    def __init__(self, config: ENNPConfig) -> None:
        super().__init__()
        self.config = config
        self.species_index = SpeciesIndex(config.species)
        num_species = self.species_index.num_species
        sh_parity = -1 if config.parity else 1
        self.irreps_sh = o3.Irreps.spherical_harmonics(config.l_max, p=sh_parity)
        self.spherical_harmonics = o3.SphericalHarmonics(self.irreps_sh, normalize=True, normalization="component")
        self.radial = RadialEmbedding(config.r_max, config.num_basis, config.cutoff_p)
        hidden = o3.Irreps(config.hidden_irreps or default_hidden_irreps(config.channels, config.l_max, config.parity))
        if not config.parity and any(ir.p == -1 for _, ir in hidden):
            raise ValueError("parity=False (SO(3) only) takes even-labelled hidden irreps only")
        self.embedding = o3.Linear(o3.Irreps(f"{num_species}x0e"), o3.Irreps(f"{config.channels}x0e"))
        irreps = self.embedding.irreps_out
        if config.electric_field:
            #: w_{z,c}: the field's C polar-vector features per species (h_1o = w_{z_i} ⊗ ℰ)
            self.field_weights = torch.nn.Parameter(torch.randn(num_species, config.channels))
            irreps = irreps + o3.Irreps(f"{config.channels}x1o")
        blocks = []
        for _ in range(config.layers):
            block = InteractionBlock(
                irreps,
                self.irreps_sh,
                hidden,
                num_species,
                config.num_basis,
                config.radial_hidden,
                config.avg_num_neighbors,
            )
            blocks.append(block)
            irreps = block.irreps_out
        self.interactions = torch.nn.ModuleList(blocks)
        self.irreps_out = irreps
        self.readout = ScalarReadout(irreps, config.readout_hidden)
        self.heads = torch.nn.ModuleDict({name: EquivariantHead(irreps, ir) for name, ir in config.heads.items()})
        self.energy_scale = torch.nn.Parameter(torch.ones(num_species))
        self.energy_shift = torch.nn.Parameter(torch.zeros(num_species))

    @classmethod
    def from_config(cls, config: ENNPConfig) -> "ENNP":
        """Build from a config, initialised from ``config.seed`` (global RNG untouched)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = cls(config)
        return model.to(resolve_dtype(config.dtype)).exact_constants()

    def exact_constants(self) -> "ENNP":
        """Recompute e3nn's Clebsch–Gordan buffers exactly in the current dtype (after a
        cast or loading a state dict; see :mod:`ennp_lab.nn.constants`)."""
        exact_wigner_3j(self)
        return self

    def with_dtype(self, dtype: torch.dtype | str) -> "ENNP":
        """This model cast to ``dtype`` (in place), its config updated to match."""
        dtype = resolve_dtype(dtype)
        self.config = replace(self.config, dtype=dtype_name(dtype))
        return self.to(dtype).exact_constants()

    @property
    def cutoff(self) -> float:
        """Neighbor cutoff (Å) the graph must be built with."""
        return self.config.r_max

    @property
    def species(self) -> tuple[int, ...]:
        return self.config.species

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        """The electric field when built with ``electric_field=True``, else none."""
        return (ELECTRIC_FIELD_INPUT,) if self.config.electric_field else ()

    @property
    def outputs(self) -> dict[str, OutputSpec]:
        """The declared heads (summed per structure, and per atom)."""
        return {name: OutputSpec(name, irreps) for name, irreps in self.config.heads.items()}

    def forward(
        self,
        graph: AtomGraph,
        positions: torch.Tensor | None = None,
        cell: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Energies (and declared heads) of a batched graph.

        Args:
            graph: the structures; its cutoff must be at least ``r_max``.
            positions: (N, 3) positions to use instead of ``graph.positions`` (Å),
                e.g. a ``requires_grad`` or strained copy.
            cell: (B, 3, 3) cells to use instead of ``graph.cell`` (Å).

        Returns:
            ``energy`` (B,) eV, ``energies`` (N,) eV, and for each head ``name`` (B, dim)
            summed over atoms and ``keys.per_atom(name)`` (N, dim).
        """
        if graph.cutoff < self.config.r_max - 1e-12:
            raise ValueError(f"graph cutoff {graph.cutoff} Å is smaller than the model's r_max {self.config.r_max} Å")
        idx = self.species_index(graph.numbers)
        node_attrs = self.species_index.one_hot(idx, self.dtype)
        # Edge vectors are formed in the graph's (float64) geometry and only then cast: in a
        # float32 model the differences x_j − x_i of large coordinates keep full precision.
        vectors = graph.edge_vectors(positions, cell).to(self.dtype)
        lengths = torch.linalg.norm(vectors, dim=-1)
        # The graph may carry a larger cutoff than the model (shared graphs): mask.
        keep = lengths < self.config.r_max
        edge_index = graph.edge_index
        if not bool(keep.all()):
            vectors, lengths, edge_index = vectors[keep], lengths[keep], edge_index[:, keep]
        edge_sh = self.spherical_harmonics(vectors)
        edge_radial = self.radial(lengths)
        h = self.embedding(node_attrs)
        if self.config.electric_field:
            field = graph.input(keys.ELECTRIC_FIELD).to(h.dtype)[graph.batch]  # (N, 3)
            polar = self.field_weights[idx][:, :, None] * field[:, None, :]  # (N, C, 3): e3nn's "Cx1o" layout
            h = torch.cat([h, polar.reshape(len(h), -1)], dim=1)
        for block in self.interactions:
            h = block(h, node_attrs, edge_sh, edge_radial, edge_index)
        energies = self.energy_scale[idx] * self.readout(h) + self.energy_shift[idx]
        out = {keys.ENERGIES: energies, keys.ENERGY: sum_per_graph(energies, graph)}
        for name, head in self.heads.items():
            per_atom = head(h)
            out[keys.per_atom(name)] = per_atom
            out[name] = sum_per_graph(per_atom, graph)
        return out


def _atomic_number(s: int | str) -> int:
    if isinstance(s, str):
        if s not in atomic_numbers or atomic_numbers[s] == 0:
            raise ValueError(f"unknown element symbol {s!r}")
        return atomic_numbers[s]
    return int(s)


def build_ennp(
    species: Sequence[int | str],
    r_max: float = 5.0,
    l_max: int = 2,
    channels: int = 16,
    layers: int = 2,
    parity: bool = True,
    seed: int = 0,
    dtype: torch.dtype | str = torch.float64,
    **options,
) -> ENNP:
    """Build a NequIP/MACE-style ENNP on e3nn, reproducibly from ``seed``.

    Bessel radial basis × polynomial envelope (smooth to second order at ``r_max``),
    spherical harmonics up to ``l_max``, ``layers`` channel-wise ("uvu") tensor-product
    convolutions with gated nonlinearities, per-species energy scale and shift, sum of
    per-atom energies. ``parity=True`` is O(3)-equivariant (energy invariant under
    rotations, reflections and inversion); ``parity=False`` is the SO(3)-only variant.

    Args:
        species: elements (symbols or atomic numbers) the model will know.
        r_max: cutoff radius (Å).
        l_max: largest degree of the spherical harmonics and features.
        channels: multiplicity of each hidden irrep.
        layers: number of interaction blocks.
        parity: O(3) (True) or SO(3) only (False).
        seed: initialisation seed (the global RNG state is left untouched).
        dtype: parameter dtype (float64 for derivative checks and Hessians).
        **options: other :class:`ENNPConfig` fields (``num_basis``, ``radial_hidden``,
            ``avg_num_neighbors``, ``hidden_irreps``, ``heads``, ...).
    """
    config = ENNPConfig(
        species=tuple(_atomic_number(s) for s in species),
        r_max=float(r_max),
        l_max=int(l_max),
        channels=int(channels),
        layers=int(layers),
        parity=bool(parity),
        dtype=dtype_name(resolve_dtype(dtype)),
        seed=int(seed),
        **options,
    )
    return ENNP.from_config(config)

