"""Training a field-aware ENNP on energies, forces, stress and polarization.

The recipe behind the shipped ``quartz-field`` and ``batio3-field`` models
(``scripts/train_quartz_field.py``, ``scripts/train_batio3_field.py``) and the slow test of
quartz's Born charges: ``build_ennp(..., electric_field=True)`` trained
with the polarization as a target beside E, F and σ, so that ∂E/∂ℰ is fitted directly and
the Born charges ∂F/∂ℰ through the forces in random fields.
"""

from __future__ import annotations

from typing import Sequence

from ase import Atoms

from ennp_lab import keys
from ennp_lab.learning.config import TrainConfig
from ennp_lab.learning.targets import Target
from ennp_lab.learning.train import train

__all__ = ["QUARTZ_FIELD_MODEL", "BATIO3_FIELD_MODEL", "field_targets", "train_field_model"]

#: the ENNP options of ``quartz-field``
QUARTZ_FIELD_MODEL = dict(r_max=4.0, channels=12, layers=2, l_max=1, seed=0)
#: the ENNP options of ``batio3-field`` (beyond the nearest Ba–Ba, Ti–Ti distance a₀ ≈ 4.0 Å)
BATIO3_FIELD_MODEL = dict(r_max=4.5, channels=12, layers=2, l_max=1, seed=0)


def field_targets(polarization_weight: float = 1000.0) -> tuple[Target, ...]:
    """E, F, σ (weight 10) and P (``polarization_weight``: P in e/Å² is ~10⁻³, so its squared
    error needs the weight to count beside the forces')."""
    return (Target(keys.ENERGY), Target(keys.FORCES), Target(keys.STRESS, 10.0),
            Target(keys.POLARIZATION, polarization_weight))


def train_field_model(frames: Sequence[Atoms], species: Sequence[str], epochs: int = 150, **options):
    """A field-aware ENNP (``QUARTZ_FIELD_MODEL`` updated by ``options``) trained on ``frames``
    (labels E, F, σ and ``info["polarization"]``; fields in ``info["electric_field"]``)."""
    from ennp_lab.models.ennp import build_ennp

    model = build_ennp(species, electric_field=True, **{**QUARTZ_FIELD_MODEL, **options})
    config = TrainConfig(max_epochs=epochs, batch_size=4, lr=5e-3, scheduler="cosine", min_lr=1e-4,
                         early_stopping_patience=None, progress=False, targets=field_targets())
    train(model, frames, None, config)
    return model
