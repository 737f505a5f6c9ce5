"""Silicon with the Stillinger–Weber potential: a reference with real anharmonic physics.

Stillinger & Weber, PRB 31, 5262 (1985): a pair term plus a three-body term
λ ε (cos θ_jik + 1/3)² exp(γσ/(r_ij − aσ) + γσ/(r_ik − aσ)) that favours the tetrahedral
angle; cutoff aσ = 3.771 Å (nearest neighbours only in the diamond lattice). The
calculator is matscipy's (``matscipy.calculators.manybody``, its own code path: a numpy
many-body implementation, nothing shared with the ENNP). Its diamond lattice constant is
5.4310 Å and cohesive energy 4.3366 eV/atom (ε = 2.1683 eV, 2ε per atom at a0 = 5.431 Å).

The data are the kinds a phonon and thermal-conductivity model needs: Langevin MD of the
64-atom cubic cell (the 2×2×2 conventional supercell phono3py uses) at several
temperatures, random displacements of the size phono3py uses (0.01–0.06 Å), strained cells,
and cells at ±3 % volume with small displacements (for the Grüneisen parameters: the
transverse acoustic modes of Stillinger–Weber Si have γ ≈ 0, a delicate cancellation a model
only learns from forces in cells of several volumes).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.build import bulk
from scipy.optimize import minimize_scalar

from ennp_lab.data.generators import TEST_STREAM, label_frames, md_frames, rattled_frames, strained_frames
from ennp_lab.validation import as_int

__all__ = ["stillinger_weber", "sw_lattice_constant", "diamond_silicon", "volume_frames", "transverse_wave_frames",
           "generate_silicon_dataset",
           "generate_silicon_test_set"]


def stillinger_weber():
    """matscipy's Stillinger–Weber calculator with the original Si parameters."""
    from matscipy.calculators.manybody import Manybody
    from matscipy.calculators.manybody.explicit_forms import StillingerWeber
    from matscipy.calculators.manybody.explicit_forms.stillinger_weber import Stillinger_Weber_PRB_31_5262_Si

    return Manybody(**StillingerWeber(Stillinger_Weber_PRB_31_5262_Si))


@lru_cache(maxsize=1)
def sw_lattice_constant() -> float:
    """The diamond lattice constant (Å) minimising the Stillinger–Weber energy (5.4310 Å)."""
    calc = stillinger_weber()

    def energy(a: float) -> float:
        atoms = bulk("Si", "diamond", a=a, cubic=True)
        atoms.calc = calc
        return atoms.get_potential_energy()

    return float(minimize_scalar(energy, bounds=(5.3, 5.6), method="bounded", options={"xatol": 1e-7}).x)


def diamond_silicon(repeat: int = 1, cubic: bool = True, a: float | None = None) -> Atoms:
    """Diamond Si at the Stillinger–Weber lattice constant: the 8-atom cubic cell
    (``cubic=True``) or the 2-atom primitive cell, repeated ``repeat`` times."""
    repeat = as_int(repeat, "repeat", minimum=1)
    return bulk("Si", "diamond", a=sw_lattice_constant() if a is None else a, cubic=cubic).repeat(repeat)


def volume_frames(atoms: Atoms, n_frames: int, max_volume_strain: float = 0.03, max_shear: float = 0.005,
                  rattle: tuple[float, float] = (0.01, 0.04), seed: int = 0) -> list[Atoms]:
    """Cells scaled by (1 + s) (s uniform in ±``max_volume_strain``/3 per axis, i.e. volume
    ±``max_volume_strain``) with a small random shear, and small displacements (uniform σ in
    ``rattle`` Å): forces in strained cells are what fixes ∂Φ₂/∂ε, the Grüneisen parameters."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(as_int(n_frames, "n_frames", minimum=0)):
        eps = np.eye(3) * rng.uniform(-max_volume_strain, max_volume_strain) / 3.0
        shear = rng.uniform(-max_shear, max_shear, size=(3, 3))
        eps = eps + 0.5 * (shear + shear.T) - np.eye(3) * np.trace(shear) / 3.0
        frame = atoms.copy()
        frame.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
        frame.positions += rng.normal(scale=rng.uniform(*rattle), size=frame.positions.shape)
        frames.append(frame)
    return frames


def transverse_wave_frames(atoms: Atoms, n_frames: int, max_volume_strain: float = 0.03,
                           amplitude: tuple[float, float] = (0.02, 0.05), seed: int = 0) -> list[Atoms]:
    """Transverse plane waves u = A ê cos(q·r + φ), q commensurate with the (cubic) cell and
    ê ⟂ q, in cells at ±``max_volume_strain`` volume: mostly the transverse acoustic modes
    that carry the heat, whose volume dependence (γ_TA ≈ 0 for Stillinger–Weber) random
    displacements pin down only weakly. A 0.005 Å rattle keeps every force component alive."""
    rng = np.random.default_rng(seed)
    reciprocal = 2.0 * np.pi * np.linalg.inv(atoms.cell[:]).T  # rows: reciprocal vectors of the cell
    choices = [np.array(n) for n in np.ndindex(3, 3, 3) if 0 < sum(n) <= 3]
    frames = []
    for _ in range(as_int(n_frames, "n_frames", minimum=0)):
        q = (choices[rng.integers(len(choices))] * rng.choice([-1, 1], size=3)) @ reciprocal
        polarization = np.cross(q, rng.normal(size=3))
        polarization /= np.linalg.norm(polarization)
        scale = 1.0 + rng.uniform(-max_volume_strain, max_volume_strain) / 3.0
        frame = atoms.copy()
        phase = frame.positions @ q + rng.uniform(0, 2 * np.pi)
        frame.positions += rng.uniform(*amplitude) * np.cos(phase)[:, None] * polarization[None, :]
        frame.positions += rng.normal(scale=0.005, size=frame.positions.shape)
        frame.set_cell(frame.cell[:] * scale, scale_atoms=True)
        frames.append(frame)
    return frames


def _frames(md_temperatures_K: Sequence[float], md_per_temperature: int, n_displaced: int, n_strained: int,
            n_volume: int, n_waves: int, seed: int, calc) -> list[Atoms]:
    cell = diamond_silicon(2)
    seeds = iter(np.random.default_rng(seed).integers(0, 2**31, size=64).tolist())
    frames: list[Atoms] = []
    for T in md_temperatures_K:
        md = md_frames(cell, calc, T, md_per_temperature, interval=20, timestep_fs=1.0, equilibration=200,
                       seed=next(seeds))
        frames += label_frames(md, calc, f"md_{int(T)}K")
    base = next(seeds)
    for k, sigma in enumerate(np.linspace(0.01, 0.06, max(n_displaced, 1))[:n_displaced]):
        frames += label_frames(rattled_frames(cell, 1, sigma=float(sigma), seed=base + k), calc, "displaced")
    frames += label_frames(strained_frames(cell, n_strained, max_strain=0.02, rattle=0.03, seed=next(seeds)), calc,
                           "strained")
    frames += label_frames(volume_frames(cell, n_volume, seed=next(seeds)), calc, "volume")
    frames += label_frames(transverse_wave_frames(cell, n_waves, seed=next(seeds)), calc, "transverse_wave")
    return frames


def generate_silicon_dataset(md_temperatures_K: Sequence[float] = (100.0, 300.0, 600.0, 900.0),
                             md_per_temperature: int = 40, n_displaced: int = 60, n_strained: int = 30,
                             n_volume: int = 90, n_waves: int = 60, seed: int = 0) -> list[Atoms]:
    """Labelled Stillinger–Weber frames of the 64-atom cubic Si cell (defaults: 400 frames):
    MD every 20 fs at each temperature, displacements of 0.01–0.06 Å, strains of ±2 %, and
    volume changes of ±3 % with small displacements (:func:`volume_frames`), and ``n_waves``
    transverse plane waves at several volumes (:func:`transverse_wave_frames`).
    ``atoms.info["config_type"]`` names each frame's kind."""
    for name, value in (("md_per_temperature", md_per_temperature), ("n_displaced", n_displaced),
                        ("n_strained", n_strained), ("n_volume", n_volume), ("n_waves", n_waves)):
        as_int(value, name, minimum=0)
    return _frames(md_temperatures_K, md_per_temperature, n_displaced, n_strained, n_volume, n_waves, seed,
                   stillinger_weber())


def generate_silicon_test_set(n_per_kind: int = 8, seed: int = 0) -> list[Atoms]:
    """Held-out frames of the same kinds, from an independent random stream."""
    n = as_int(n_per_kind, "n_per_kind", minimum=1)
    test_seed = int(np.random.SeedSequence(seed, spawn_key=(TEST_STREAM,)).generate_state(1)[0])
    return _frames((300.0, 600.0), n, n, n, n, n, test_seed, stillinger_weber())
