"""Small pretrained models shipped inside the package (no download at run time).

| name | what | recipe |
|---|---|---|
| ``cu-emt`` | Cu ENNP trained on EMT data (MD 300–1500 K, strains, rattles, vacancies, slabs) | ``configs/cu-emt.json`` |
| ``chirality-o3`` | O(3) ENNP with a 0o (pseudoscalar) head trained on the chirality label χ of 240 enantiomer pairs (:mod:`ennp_lab.data.chiral`) | ``scripts/train_chirality.py`` |
| ``cu-bulk-ensemble`` | four Cu ENNPs (seeds 0–3, bootstrap resamples) trained on EMT *bulk* frames only (MD 300–900 K, ±3 % strains, rattles), for uncertainty: surfaces, vacancies and large strains are out of distribution; :func:`load_pretrained_ensemble` | ``scripts/train_ensemble.py`` |
| ``cuau-noise-ensemble`` | three CuAu ENNPs with a heteroscedastic noise head, trained on EMT forces with 0.3 eV/Å (Au) and 0.1 eV/Å (Cu) label noise (:func:`ennp_lab.data.reference.noisy_cuau_frames`); predicts 0.32 and 0.11 eV/Å on held-out frames | ``scripts/train_noise_ensemble.py`` |
| ``nacl-local`` | a local NaCl ENNP (r_c = 4 Å, 8 channels, l ≤ 1, one layer) trained on Tosi–Fumi rigid-ion labels (crystals, strains, Schottky pairs, melt, ion pairs; :func:`ennp_lab.data.ionic.generate_nacl_dataset`) | ``scripts/train_electrostatics.py`` |
| ``nacl-hybrid`` | the same local part plus Ewald electrostatics of latent charges (a ``ChargedENNP``; charges oriented Na > 0), on the same data; ``nacl-cutoff-scan.json`` holds the force error of both kinds against the cutoff, on bare and screened data | ``scripts/train_electrostatics.py`` |
| ``quartz-field`` | a field-aware Si–O ENNP (``electric_field=True``, r_c = 4 Å, 12 channels, l ≤ 1) trained on BKS α-quartz in random fields (energies, forces, stress, polarization; :func:`ennp_lab.data.quartz.generate_quartz_dataset`) | ``scripts/train_quartz_field.py`` |
| ``batio3-field`` | a field-aware Ba–Ti–O ENNP (r_c = 4.5 Å, 12 channels, l ≤ 1) trained on the bond-valence BaTiO₃ reference (:mod:`ennp_lab.data.perovskite`) along its switching path and in its own field-driven switching runs; ``batio3-loops.json`` holds the P–ℰ loops of model and reference (``BATIO3_HYSTERESIS``) | ``scripts/train_batio3_field.py`` |
| ``si-sw`` | a Si ENNP (r_c = 3.6 Å, 16 channels, l ≤ 2, two layers, float64) trained on Stillinger–Weber 64-atom cells (MD 100–900 K, 0.01–0.06 Å displacements, ±2 % strains, ±3 % volumes, transverse waves; :func:`ennp_lab.data.silicon.generate_silicon_dataset`); ``si-sw-thermal.json`` holds κ(T), its mesh convergence, LBTE and the Φ₃ timings of model and reference (``scripts/thermal_records.py``) | ``scripts/train_silicon_sw.py`` |
| ``cu-ripple`` | the same kind of model trained on EMT plus a 2 meV, 0.25 Å pair ripple (a "noisy reference", :func:`ennp_lab.data.reference.rippled_emt`) | ``configs/cu-ripple.json`` |
"""

from __future__ import annotations

from importlib import resources

import torch

from ennp_lab.device import resolve_device, resolve_dtype
from ennp_lab.models.io import load_model

__all__ = ["PRETRAINED", "ENSEMBLES", "RECORDS", "load_pretrained", "load_pretrained_ensemble", "pretrained_path", "record_path"]

#: name → file inside this package
PRETRAINED = {"cu-emt": "cu-emt.pt", "cu-ripple": "cu-ripple.pt", "chirality-o3": "chirality-o3.pt",
              "nacl-local": "nacl-local.pt", "nacl-hybrid": "nacl-hybrid.pt", "quartz-field": "quartz-field.pt",
              "batio3-field": "batio3-field.pt", "si-sw": "si-sw.pt"}
#: name → a shipped record (JSON) inside this package
RECORDS = {"nacl-cutoff-scan": "nacl-cutoff-scan.json", "batio3-loops": "batio3-loops.json",
           "si-sw-thermal": "si-sw-thermal.json"}
#: name → folder of ``member_k.pt`` files inside this package
ENSEMBLES = {"cu-bulk-ensemble": "cu-bulk-ensemble", "cuau-noise-ensemble": "cuau-noise-ensemble"}


def pretrained_path(name: str):
    """Path of a shipped model file."""
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; available: {', '.join(sorted(PRETRAINED))}")
    return resources.files(__name__) / PRETRAINED[name]


def record_path(name: str):
    """Path of a shipped record (e.g. ``"nacl-cutoff-scan"``)."""
    if name not in RECORDS:
        raise ValueError(f"unknown record {name!r}; available: {', '.join(sorted(RECORDS))}")
    return resources.files(__name__) / RECORDS[name]


def load_pretrained(name: str, device: str | torch.device = "cpu", dtype: str | torch.dtype | None = "float64"):
    """Load a shipped model (an :class:`~ennp_lab.models.ennp.ENNP`, or for ``nacl-hybrid`` a ``ChargedENNP``), by
    default in float64 (for derivatives and Hessians).

    Args:
        name: e.g. ``"cu-emt"``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        dtype: cast the weights to this dtype (None: as trained).
    """
    model = load_model(pretrained_path(name), device=resolve_device(device))
    if dtype is not None:
        model = model.with_dtype(resolve_dtype(dtype))
    return model


def load_pretrained_ensemble(name: str, device: str | torch.device = "cpu", dtype: str | torch.dtype | None = "float64"):
    """Load a shipped ensemble (:class:`~ennp_lab.learning.ensemble.Ensemble`), by default in float64."""
    from ennp_lab.models.ensemble import Ensemble

    if name not in ENSEMBLES:
        raise ValueError(f"unknown pretrained ensemble {name!r}; available: {', '.join(sorted(ENSEMBLES))}")
    folder = resources.files(__name__) / ENSEMBLES[name]
    paths = sorted((p for p in folder.iterdir() if p.name.startswith("member_") and p.name.endswith(".pt")), key=lambda p: p.name)
    members = [load_model(p, device=resolve_device(device)) for p in paths]
    if dtype is not None:
        members = [m.with_dtype(resolve_dtype(dtype)) for m in members]
    return Ensemble(members)
