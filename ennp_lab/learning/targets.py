"""What a model is trained on: targets, their labels in ``Atoms``, and their losses.

A :class:`Target` names anything a model predicts — the energy, forces, stress, a
declared head (per structure, or per atom as ``keys.per_atom(name)``) or any quantity
its declared inputs make derivable (dipole, polarization, Born charges, effective
fields...) — with a weight and a loss. The batch loss is Σ_t w_t L_t, in the order
the targets are given, with

* ``"mse"``: mean over the labelled entries of (ŷ − y)²; for the energy, of the energy
  per atom ((Ê_b − E_b)/n_b)²;
* ``"mae"``: mean of |ŷ − y|;
* ``"gaussian_nll"`` (forces with a per-atom log-variance head s_i = log σ_i²):
  mean_{i,α} ½ [r_iα²/σ_i² + log σ_i²] with r = stop_gradient(F − F̂), so the mean forces
  are fitted by their own squared error and σ_i² learns the squared residual;
* a callable ``loss(prediction, label) -> scalar tensor``.

A polarization target with ``quantum_charge`` q_Q set is *folded* (as allegro-pol does):
its residual ΔP = P̂ − P is moved by whole quanta Q_i = q_Q a_i/Ω of each structure's cell
to the branch through zero before the loss
(:func:`~ennp_lab.properties.polarization.fold_difference`), so a label reported on
another branch of the polarization lattice costs nothing extra.

Labels: energy, forces and stress come from the frame's calculator results (what ASE
writes to extxyz); any other target from ``atoms.info[label]`` (per structure) or
``atoms.arrays[label]`` (per atom), ``label`` defaulting to the target's name. A frame
without a label is left out of that target (e.g. stress of a molecule).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from ase import Atoms

from ennp_lab import keys
from ennp_lab.data.io import frame_labels

__all__ = ["Target", "LOSSES", "default_targets", "read_label", "target_loss"]

#: the named losses
LOSSES = ("mse", "mae", "gaussian_nll")
#: quantities given per atom (others are per structure)
_PER_ATOM = {keys.FORCES, keys.BORN_CHARGES, keys.EFFECTIVE_FIELD, keys.TORQUE}
_CALCULATOR_LABELS = {keys.ENERGY, keys.FORCES, keys.STRESS}


@dataclass(frozen=True)
class Target:
    """One term of the training loss.

    Attributes:
        name: the predicted quantity (``energy``, ``forces``, ``stress``, a head,
            ``keys.per_atom(head)``, a derived quantity).
        weight: its weight w_t (≥ 0).
        loss: "mse", "mae", "gaussian_nll" or a callable (module docstring).
        label: where the label is kept (default: ``name``).
        variance: for "gaussian_nll", the per-atom 0e head holding log σ².
        quantum_charge: fold the residual by the polarization quanta of this charge (e)
            before the loss (a per-structure 3-vector target such as the polarization).
    """

    name: str
    weight: float = 1.0
    loss: str | Callable = "mse"
    label: str | None = None
    variance: str | None = None
    quantum_charge: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a target needs a name, got {self.name!r}")
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not self.weight >= 0:
            raise ValueError(f"target {self.name!r}: weight must be a number >= 0, got {self.weight!r}")
        if not callable(self.loss) and self.loss not in LOSSES:
            raise ValueError(f"target {self.name!r}: unknown loss {self.loss!r}; choose from {LOSSES} or pass a callable")
        if self.loss == "gaussian_nll" and (self.name != keys.FORCES or not self.variance):
            raise ValueError("a gaussian_nll target is the forces with variance=<name of a per-atom log-variance head>")
        if self.quantum_charge is not None and not (isinstance(self.quantum_charge, (int, float))
                                                    and not isinstance(self.quantum_charge, bool) and self.quantum_charge > 0):
            raise ValueError(f"target {self.name!r}: quantum_charge must be a positive number (e), got {self.quantum_charge!r}")

    @property
    def key(self) -> str:
        """Where its label is kept."""
        return self.label or self.name

    def per_atom(self, model_outputs: dict) -> bool:
        """Whether the quantity is given per atom."""
        return self.name in _PER_ATOM or any(self.name == keys.per_atom(h) for h, s in model_outputs.items() if s.per_atom)

    def to_dict(self) -> dict:
        if callable(self.loss):
            raise ValueError(f"target {self.name!r} has a callable loss, which cannot be stored in a checkpoint")
        return asdict(self)


def default_targets(energy_weight: float, force_weight: float, stress_weight: float,
                    noise_head: str | None = None, noise_weight: float = 1.0) -> tuple[Target, ...]:
    """Energy (per atom), forces and stress with these weights, and the heteroscedastic
    noise term when ``noise_head`` is set (the classic force-field loss)."""
    targets = [Target(keys.ENERGY, energy_weight), Target(keys.FORCES, force_weight), Target(keys.STRESS, stress_weight)]
    if noise_head is not None:
        targets.append(Target(keys.FORCES, noise_weight, "gaussian_nll", variance=noise_head))
    return tuple(targets)


def read_label(atoms: Atoms, target: Target, index: int, per_atom: bool) -> np.ndarray | None:
    """The label of ``target`` in frame ``index`` (per atom (n, ...), per structure (1, ...)),
    or None when the frame has none.

    Raises:
        ValueError: a malformed or non-finite label, naming the frame.
    """
    if target.key in _CALCULATOR_LABELS and target.label is None:
        results = frame_labels(atoms, index, require=(keys.ENERGY, keys.FORCES) if target.name != keys.STRESS else ())
        if target.name == keys.STRESS:
            if keys.STRESS not in results or not atoms.pbc.all():
                return None
            from ase.stress import voigt_6_to_full_3x3_stress

            return voigt_6_to_full_3x3_stress(results[keys.STRESS])[None]
        value = np.asarray(results[target.name], dtype=float)
        return value.reshape(1) if target.name == keys.ENERGY else value
    store = atoms.arrays if per_atom else atoms.info
    if target.key not in store:
        return None
    value = np.asarray(store[target.key], dtype=float)
    if per_atom and value.shape[:1] != (len(atoms),):
        raise ValueError(f"frame {index}: label {target.key!r} has shape {value.shape}, expected ({len(atoms)}, ...)")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"frame {index}: label {target.key!r} has non-finite values")
    return value if per_atom else value[None]


def target_loss(target: Target, prediction: torch.Tensor, label: torch.Tensor, atoms_per_structure: torch.Tensor | None = None,
                variance: torch.Tensor | None = None, cells: torch.Tensor | None = None) -> torch.Tensor:
    """L_t for the labelled entries (module docstring). ``prediction`` and ``label`` have
    the same shape; the energy is compared per atom when ``atoms_per_structure`` (B,)
    is given; ``variance`` holds the log σ² (N, 1) for "gaussian_nll"; ``cells`` (B, 3, 3)
    the structures' cells for a folded target.

    Raises:
        ValueError: a folded target without cells or with a prediction that is not (B, 3).
    """
    if target.quantum_charge is not None:
        from ennp_lab.properties.polarization import fold_difference

        if cells is None or prediction.shape != (len(cells), 3):
            raise ValueError(f"target {target.name!r} is folded by a polarization quantum: it needs (B, 3) values "
                             f"and the B cells, got {tuple(prediction.shape)} and "
                             f"{None if cells is None else tuple(cells.shape)}")
        volume = torch.linalg.det(cells).abs()[:, None, None]
        label = prediction.detach() - fold_difference(prediction.detach() - label, target.quantum_charge * cells / volume)
    if target.loss == "gaussian_nll":
        residual2 = (prediction - label).detach() ** 2
        return (0.5 * (residual2 * torch.exp(-variance) + variance)).mean()
    if callable(target.loss):
        if atoms_per_structure is not None:
            prediction, label = prediction / atoms_per_structure, label / atoms_per_structure
        return target.loss(prediction, label)
    diff = prediction - label
    if atoms_per_structure is not None:
        diff = diff / atoms_per_structure
    return (diff**2).mean() if target.loss == "mse" else diff.abs().mean()


def check_targets(targets: Sequence[Target], derivable: Sequence[str], outputs: dict) -> None:
    """Every target names something the model gives or can derive.

    Raises:
        ValueError: naming the unknown target and what is available.
    """
    heads = {n for name, spec in outputs.items() for n in ((name, keys.per_atom(name)) if spec.per_atom else (name,))}
    known = {keys.ENERGY, keys.FORCES, keys.STRESS} | set(derivable) | heads
    for t in targets:
        if t.name not in known:
            raise ValueError(f"target {t.name!r} is neither an output nor a derivable quantity of the model; "
                             f"choose from {sorted(known)}")
        if t.variance is not None:
            spec = outputs.get(t.variance)
            if spec is None:
                raise ValueError(f"noise_head {t.variance!r} is not a head of the model (heads: {sorted(outputs) or 'none'}); "
                                 f"build it with heads={{{t.variance!r}: '0e'}}")
            if spec.irreps != "1x0e" or not spec.per_atom:
                raise ValueError(f"noise_head {t.variance!r} must be one even scalar ('0e') per atom, got {spec.irreps!r}")
