"""Electrostatic properties: the Madelung constant, truncated lattice sums, a separation
curve against a reference, learned charges, and the record of how a local model's error
depends on its cutoff.

Energies in eV and distances in Å; the Madelung constant M and the truncated sums are
per ion pair in units of q²/(4πε₀ r_nn) (M = 1.747565 for rock salt).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator

from ennp_lab import keys
from ennp_lab.files import atomic_write
from ennp_lab.validation import as_real

__all__ = ["madelung_constant", "truncated_lattice_sum", "SeparationCurve", "compute_separation_curve",
           "predict_charges", "ChargeSummary", "summarize_charges", "CutoffScan", "load_cutoff_scan"]


def _rocksalt(a: float) -> Atoms:
    from ennp_lab.data.ionic import rocksalt_nacl

    return rocksalt_nacl(1, a=a)


def _electrostatic_energy(electrostatics, atoms: Atoms) -> float:
    from ennp_lab.derivatives import compute_properties
    from ennp_lab.graph.data import AtomGraph
    from ennp_lab.models.electrostatics import FixedChargeModel

    model = FixedChargeModel(["Na", "Cl"], electrostatics)
    graph = AtomGraph.from_atoms(atoms, model.cutoff, inputs=model.inputs)
    return float(compute_properties(model, graph, {keys.ENERGY})[keys.ENERGY][0])


def madelung_constant(electrostatics, a: float = 5.64) -> float:
    """M of rock salt from the electrostatic energy of ±1 e ions on a cubic cell of side
    ``a`` (Å): M = −E r_nn / (k N_pairs), r_nn = a/2, for the given
    :class:`~ennp_lab.models.electrostatics.Electrostatics` (Ewald, PME or a cut sum)."""
    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    crystal = _rocksalt(a)
    return -_electrostatic_energy(electrostatics, crystal) * (a / 2) / (electrostatics.prefactor * (len(crystal) // 2))


def truncated_lattice_sum(shells: float, screening: float | None = None, a: float = 5.64) -> float:
    """The plain rock-salt sum of q_i q_j φ(r)/2 over pairs closer than ``shells`` × r_nn
    (a shell exactly at the cutoff left out), per ion pair in q²/(4πε₀ r_nn), with
    φ = 1/r or e^{−κr}/r (κ = ``screening`` 1/Å): −M's partial sums, which converge for the
    screened kernel and oscillate forever for the bare one (REFERENCES.md)."""
    from ennp_lab.models.electrostatics import Electrostatics

    shells = as_real(shells, "shells", 0.0, strict=True)
    a = as_real(a, "lattice constant a (Å)", 0.0, strict=True)
    r_nn = a / 2
    cut = Electrostatics(shells * r_nn * (1 - 1e-9), screening=screening, method="direct")
    return _electrostatic_energy(cut, _rocksalt(a)) / 4 * r_nn / cut.prefactor


@dataclass(frozen=True)
class SeparationCurve:
    """Energy against the separation d of two charged fragments, relative to the first
    distance: ΔE(d) = E(d) − E(d₀) (eV), the work needed to pull them from d₀ to d.

    Attributes:
        distances: (D,) Å, increasing.
        reference: (D,) eV, ΔE of the reference labels.
        predicted: model label → (D,) eV.
        cutoff: the local models' cutoff r_c (Å), where a local model's ΔE stops changing.
    """

    distances: np.ndarray
    reference: np.ndarray
    predicted: dict[str, np.ndarray]
    cutoff: float

    def error(self, label: str) -> np.ndarray:
        """|ΔE_model − ΔE_ref| (D,) eV."""
        return np.abs(self.predicted[label] - self.reference)

    def relative_error(self, label: str) -> np.ndarray:
        """|ΔE_model − ΔE_ref| / |ΔE_ref| at every distance past the first (D − 1,)."""
        return self.error(label)[1:] / np.abs(self.reference[1:])


def compute_separation_curve(frames: Sequence[Atoms], calculators: Mapping[str, Calculator], cutoff: float) -> SeparationCurve:
    """:class:`SeparationCurve` of ``frames`` (the same fragments at increasing separation
    ``info["distance"]`` or, for a pair, their distance; labelled by the reference) under
    each calculator.

    Raises:
        ValueError: fewer than two frames, distances not increasing, or unlabelled frames.
    """
    if len(frames) < 2:
        raise ValueError(f"a separation curve needs at least two frames, got {len(frames)}")
    distances = np.array([a.info.get("distance", a.get_distance(0, len(a) - 1)) for a in frames], dtype=float)
    if not np.all(np.diff(distances) > 0):
        raise ValueError("the frames' separations must increase")
    if any(a.calc is None for a in frames):
        raise ValueError("every frame needs its reference energy (labelled frames)")
    reference = np.array([a.get_potential_energy() for a in frames])
    predicted = {}
    for label, calc in calculators.items():
        energies = []
        for atoms in frames:
            a = atoms.copy()
            a.calc = calc
            energies.append(a.get_potential_energy())
        predicted[label] = np.asarray(energies) - energies[0]
    return SeparationCurve(distances, reference - reference[0], predicted, float(cutoff))


def predict_charges(model, frames: Sequence[Atoms] | Atoms) -> list[np.ndarray]:
    """The per-atom charges (e) a model with a ``charges`` head predicts for each frame
    (total charge from ``atoms.info["charge"]``).

    Raises:
        ValueError: a model without a per-atom ``charges`` output.
    """
    from ennp_lab.graph.data import AtomGraph
    from ennp_lab.models.interface import declared_outputs

    if keys.CHARGES not in declared_outputs(model):
        raise ValueError(f"{type(model).__name__} predicts no charges (no {keys.CHARGES!r} output)")
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    out = []
    for atoms in frames:
        graph = AtomGraph.from_atoms(atoms, model.cutoff, dtype=model.dtype, device=model.device, inputs=model.inputs)
        with torch.no_grad():
            q = model(graph)[keys.per_atom(keys.CHARGES)][:, 0]
        out.append(q.cpu().numpy().astype(float))
    return out


@dataclass(frozen=True)
class ChargeSummary:
    """Learned charges over a set of frames.

    Attributes:
        mean, std: element symbol → mean and standard deviation of its atoms' charges (e).
        worst_total_error: max over frames of |Σ_i q_i − Q| (e), Q the declared total.
    """

    mean: dict[str, float]
    std: dict[str, float]
    worst_total_error: float


def summarize_charges(frames: Sequence[Atoms], charges: Sequence[np.ndarray]) -> ChargeSummary:
    """:class:`ChargeSummary` of ``charges`` (from :func:`predict_charges`) on ``frames``."""
    if len(frames) != len(charges):
        raise ValueError(f"{len(frames)} frames but {len(charges)} charge arrays")
    symbols = np.concatenate([a.get_chemical_symbols() for a in frames])
    q = np.concatenate(charges)
    totals = [abs(float(c.sum()) - float(a.info.get("charge", 0.0))) for a, c in zip(frames, charges)]
    names = list(dict.fromkeys(symbols.tolist()))
    return ChargeSummary({s: float(q[symbols == s].mean()) for s in names}, {s: float(q[symbols == s].std()) for s in names},
                         max(totals))


@dataclass(frozen=True)
class CutoffScan:
    """Held-out force error of local models trained with several cutoffs, and of the
    hybrid (local + electrostatics), on data with each kind of interaction.

    Attributes:
        cutoffs: (C,) Å, the local models' cutoffs.
        local: data label ("Coulomb", "Yukawa κ=…") → (C,) force MAE (eV/Å) of the local model.
        hybrid: data label → (C,) force MAE of the hybrid with the same local part.
        meta: how it was made (data sizes, epochs, seconds, the script).
    """

    cutoffs: np.ndarray
    local: dict[str, np.ndarray]
    hybrid: dict[str, np.ndarray]
    meta: dict

    def __post_init__(self) -> None:
        for part in (self.local, self.hybrid):
            for label, values in part.items():
                if len(values) != len(self.cutoffs):
                    raise ValueError(f"{label!r}: {len(values)} errors for {len(self.cutoffs)} cutoffs")

    def to_dict(self) -> dict:
        return {"cutoffs": self.cutoffs.tolist(), "local": {k: np.asarray(v).tolist() for k, v in self.local.items()},
                "hybrid": {k: np.asarray(v).tolist() for k, v in self.hybrid.items()}, "meta": dict(self.meta)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write as JSON, atomically."""
        text = json.dumps(self.to_dict(), indent=1).encode()
        return atomic_write(path, lambda f: f.write(text))


def load_cutoff_scan(path: str | os.PathLike) -> CutoffScan:
    """Read a :class:`CutoffScan` written by :meth:`CutoffScan.save`.

    Raises:
        ValueError: a file that is not such a record.
    """
    try:
        data = json.loads(Path(path).read_text())
        return CutoffScan(np.asarray(data["cutoffs"], dtype=float), {k: np.asarray(v, dtype=float) for k, v in data["local"].items()},
                          {k: np.asarray(v, dtype=float) for k, v in data["hybrid"].items()}, dict(data["meta"]))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a cutoff-scan record: {exc}") from exc
