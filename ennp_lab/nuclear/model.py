"""An equivariant two-nucleon potential: radial scalar channels (l = 0) and a rank-2 tensor
channel (l = 2) from the relative position r, assembled into the spin ⊗ isospin operator
with e3nn's Clebsch–Gordan coefficients.

    V(r) = Σ_{p ∈ c, σ, t} [v_p(r) + v_pτ(r) τ₁·τ₂] O_p,   O_c = 1, O_σ = σ₁·σ₂,
    O_t = (3/k) Σ_m Y₂ᵐ(r̂) [σ₁ ⊗ σ₂]⁽²⁾_m = S₁₂(r̂)

[σ₁ ⊗ σ₂]⁽²⁾_m = Σ_ab W_abm σ₁ᵃ σ₂ᵇ with W = e3nn's ``wigner_3j(1, 1, 2)`` and Y₂ its
component-normalised spherical harmonics (both in e3nn's basis for vectors, into which
the Pauli matrices are permuted); k, fixed once from the direction ẑ, makes the l = 2
output S₁₂ exactly (tested against :func:`~ennp_lab.nuclear.spin.tensor_operator`, written
in Cartesian form, for every direction). Spin–orbit, v_ls (+ v_lsτ τ₁·τ₂) L·S, depends on
the momentum, not on r: it is an extra scalar channel entering the partial-wave equations
(:meth:`NucleonPairModel.triplet_channel`), not the 16 × 16 static operator.

The radial functions are an MLP of Gaussian features in ln r, read in asinh space
(v = 0.01 MeV · sinh(y)): a soft core of a few GeV at 0.5 fm and tails of 0.1 MeV at 5 fm are
learned to the same relative precision.
"""

from __future__ import annotations

import numpy as np
import torch

from ennp_lab.nuclear.spin import PAULI

__all__ = ["NucleonPairModel", "RADIAL_CHANNELS", "fit_triplet_channel", "fit_operator_form", "save_pair_model",
           "load_pair_model", "SHIPPED"]

#: the shipped pair models (``ennp_lab/pretrained/NAME.pt``, made by scripts/train_nucleon_reid.py)
SHIPPED = ("nucleon-reid",)

#: the radial functions, in output order
RADIAL_CHANNELS = ("c", "sigma", "t", "ls", "c_tau", "sigma_tau", "t_tau", "ls_tau")
_E3NN_VECTOR = [1, 2, 0]  # e3nn's basis for vectors (y, z, x) from (x, y, z)
#: MeV: the radial functions are SCALE · sinh(MLP): relative precision above it, absolute below
SCALE = 0.01


def _pair_operators() -> dict[str, torch.Tensor]:
    from e3nn import o3

    pauli = torch.as_tensor(PAULI[_E3NN_VECTOR])  # (3, 2, 2) in e3nn's vector basis
    eye = torch.eye(2, dtype=torch.complex128)
    s1 = torch.stack([torch.kron(p, eye) for p in pauli])
    s2 = torch.stack([torch.kron(eye, p) for p in pauli])
    w = o3.wigner_3j(1, 1, 2, dtype=torch.float64).to(torch.complex128)
    coupled = torch.einsum("abm,aij,bjk->mik", w, s1, s2)  # (5, 4, 4) [σ₁ ⊗ σ₂]⁽²⁾
    z = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)[:, _E3NN_VECTOR]
    y2 = o3.spherical_harmonics(2, z, normalize=True, normalization="component")[0]
    # k from ẑ: Σ_m W_abm Y₂ᵐ(ẑ) = k (ẑ_a ẑ_b − δ_ab/3) in that basis
    k = float(torch.einsum("abm,m->ab", w.real, y2)[1, 1]) / (2.0 / 3.0)
    return {"one": torch.eye(4, dtype=torch.complex128), "dot": torch.einsum("aij,ajk->ik", s1, s2),
            "coupled": (3.0 / k) * coupled}


class NucleonPairModel(torch.nn.Module):
    """V(r) on the 16-dimensional spin ⊗ isospin space (module docstring), float64.

    Args:
        hidden: MLP width; basis: Gaussian radial features between ``r_min`` and ``r_max`` fm.
        seed: of the initial weights.
    """

    def __init__(self, hidden: int = 48, basis: int = 32, r_min: float = 0.01, r_max: float = 40.0, seed: int = 0) -> None:
        super().__init__()
        self.config = {"hidden": int(hidden), "basis": int(basis), "r_min": float(r_min), "r_max": float(r_max)}
        torch.manual_seed(seed)
        # Gaussians in ln r: as fine at the core as in the tail
        self.register_buffer("centres", torch.linspace(np.log(r_min), np.log(r_max), basis, dtype=torch.float64))
        self.width = float((np.log(r_max) - np.log(r_min)) / (basis - 1))
        self.mlp = torch.nn.Sequential(torch.nn.Linear(basis, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, hidden),
                                       torch.nn.SiLU(), torch.nn.Linear(hidden, len(RADIAL_CHANNELS))).double()
        ops = _pair_operators()
        tau = ops["dot"]  # τ₁·τ₂ has the same matrix on the isospin space
        eye = ops["one"]
        self.register_buffer("_one", torch.kron(eye, eye))
        self.register_buffer("_tau", torch.kron(eye, tau))
        self.register_buffer("_dot", torch.kron(ops["dot"], eye))
        self.register_buffer("_dot_tau", torch.kron(ops["dot"], tau))
        self.register_buffer("_coupled", ops["coupled"])  # (5, 4, 4) spin only
        self.register_buffer("_tau4", tau)  # σ₁·σ₂ on a pair space: τ₁·τ₂ here, and σ₁·σ₂ in spin_operator

    def radial(self, r: torch.Tensor) -> torch.Tensor:
        """(B, 8) the radial functions (MeV) at separations ``r`` (B,) fm, order :data:`RADIAL_CHANNELS`.

        Raises:
            ValueError: r ≤ 0 or not finite.
        """
        r = torch.as_tensor(r, dtype=torch.float64)
        if not bool(torch.isfinite(r).all()) or bool((r <= 0).any()):
            raise ValueError("the radial functions need separations r > 0 fm (finite)")
        features = torch.exp(-(((torch.log(r)[:, None] - self.centres[None, :]) / self.width) ** 2))
        return SCALE * torch.sinh(self.mlp(features))

    def tensor_part(self, r_vec: torch.Tensor) -> torch.Tensor:
        """(B, 4, 4) the unit l = 2 spin operator at directions r̂ (= S₁₂(r̂))."""
        from e3nn import o3

        y2 = o3.spherical_harmonics(2, r_vec[:, _E3NN_VECTOR], normalize=True, normalization="component")
        return torch.einsum("bm,mij->bij", y2.to(torch.complex128), self._coupled)

    def forward(self, r_vec: torch.Tensor) -> torch.Tensor:
        """(B, 16, 16) V(r) (MeV) for relative positions ``r_vec`` (B, 3) fm (spin ⊗ isospin).

        Raises:
            ValueError: not (B, 3), or r = 0.
        """
        r_vec = torch.as_tensor(r_vec, dtype=torch.float64)
        if r_vec.ndim != 2 or r_vec.shape[1] != 3:
            raise ValueError(f"relative positions must have shape (B, 3), got {tuple(r_vec.shape)}")
        r = torch.linalg.norm(r_vec, dim=1)
        if bool((r == 0).any()):
            raise ValueError("r = 0: the two nucleons coincide, and the tensor channel has no direction")
        v = self.radial(r).to(torch.complex128)
        t = self.tensor_part(r_vec)
        eye = torch.eye(4, dtype=torch.complex128, device=t.device)
        tensor = torch.einsum("bij,kl->bikjl", t, eye).reshape(-1, 16, 16)
        tensor_tau = torch.einsum("bij,kl->bikjl", t, self._tau4).reshape(-1, 16, 16)
        c, s, tt, _, ct, st, ttt, _ = v.unbind(1)
        return (c[:, None, None] * self._one + ct[:, None, None] * self._tau + s[:, None, None] * self._dot
                + st[:, None, None] * self._dot_tau + tt[:, None, None] * tensor + ttt[:, None, None] * tensor_tau)

    def spin_operator(self, r_vec, isospin: int = 0) -> np.ndarray:
        """(4, 4) the static spin operator (MeV) at one relative position (fm) in total
        isospin T (τ₁·τ₂ = −3 for T = 0, 1 for T = 1): (v_c + τ v_cτ) + (v_σ + τ v_στ) σ₁·σ₂ +
        (v_t + τ v_tτ) S₁₂.

        Raises:
            ValueError: T not 0 or 1, r = 0.
        """
        if isospin not in (0, 1):
            raise ValueError(f"two isospins 1/2 couple to T = 0 or 1, got {isospin}")
        tau = -3.0 if isospin == 0 else 1.0
        r_vec = torch.as_tensor(np.asarray(r_vec, float).reshape(1, 3))
        if float(torch.linalg.norm(r_vec)) == 0.0:
            raise ValueError("r = 0: the two nucleons coincide, and the tensor channel has no direction")
        with torch.no_grad():
            c, s, t, _, ct, st, tt, _ = self.radial(torch.linalg.norm(r_vec, dim=1))[0].tolist()
            tensor = self.tensor_part(r_vec)[0]
        eye = torch.eye(4, dtype=torch.complex128)
        return ((c + tau * ct) * eye + (s + tau * st) * self._tau4 + (t + tau * tt) * tensor).numpy()

    def triplet_channel(self, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(V_C, V_T, V_LS) MeV of the T = 0, S = 1 waves (τ₁·τ₂ = −3, σ₁·σ₂ = 1): what the
        deuteron solver takes."""
        c, s, t, ls, ct, st, tt, lst = self.radial(r).unbind(1)
        return c + s - 3.0 * (ct + st), t - 3.0 * tt, ls - 3.0 * lst

    def triplet_radial(self, r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`triplet_channel` as numpy, for :func:`~ennp_lab.nuclear.deuteron.solve_deuteron`."""
        with torch.no_grad():
            return tuple(x.numpy() for x in self.triplet_channel(torch.as_tensor(np.asarray(r, float))))


def _minimise(model: torch.nn.Module, loss_now, adam_steps: int, steps: int) -> list[float]:
    """Adam to the basin, L-BFGS to the bottom; the loss after each step (each 20 L-BFGS iterations)."""
    history = []
    adam = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(int(adam_steps)):
        adam.zero_grad()
        loss = loss_now()
        loss.backward()
        adam.step()
        history.append(float(loss.detach()))
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=20, history_size=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = loss_now()
        loss.backward()
        return loss

    for _ in range(int(steps) // 20):
        history.append(float(optimizer.step(closure).detach()))
    return history


def fit_operator_form(model: NucleonPairModel, reference, samples: int = 400, states: int = 8, r_range=(0.3, 8.0),
                      steps: int = 600, adam_steps: int = 1500, seed: int = 0) -> list[float]:
    """Train ``model`` on operator-form samples of ``reference`` (r_vec (B, 3) → (B, 16, 16)
    MeV): at ``samples`` random relative positions (uniform in ln r, random directions), the
    matrix elements ⟨χ_a|V|χ_b⟩ between ``states`` random spin ⊗ isospin states per
    position; loss on asinh of their real and imaginary parts. Returns the loss history."""
    rng = np.random.default_rng(seed)
    r = np.exp(rng.uniform(np.log(r_range[0]), np.log(r_range[1]), size=samples))
    direction = rng.normal(size=(samples, 3))
    r_vec = torch.as_tensor(direction / np.linalg.norm(direction, axis=1, keepdims=True) * r[:, None])
    chi = rng.normal(size=(samples, states, 16)) + 1j * rng.normal(size=(samples, states, 16))
    chi = torch.as_tensor(chi / np.linalg.norm(chi, axis=2, keepdims=True))

    def elements(v):
        m = torch.einsum("bai,bij,bcj->bac", chi.conj(), v, chi)
        return torch.asinh(torch.cat([m.real, m.imag], dim=1) / SCALE)

    target = elements(torch.as_tensor(np.asarray(reference(r_vec.numpy()))))
    return _minimise(model, lambda: torch.mean((elements(model(r_vec)) - target) ** 2), adam_steps, steps)


def fit_triplet_channel(model: NucleonPairModel, reference, samples: int = 600, r_range=(0.01, 35.0), steps: int = 600,
                        adam_steps: int = 1500, seed: int = 0) -> list[float]:
    """Train ``model`` on the ³S₁–³D₁ channel matrix elements of ``reference`` (r → V_C, V_T,
    V_LS): V_SS = V_C, V_SD = ⟨S|S₁₂|D⟩ V_T, V_DD = V_C + ⟨D|S₁₂|D⟩ V_T + ⟨D|L·S|D⟩ V_LS,
    the S₁₂ elements those of the model's own l = 2 operator (partial-wave quadrature), at
    ``samples`` random separations (uniform in ln r over ``r_range``, the solver's grid); loss
    on asinh of the elements (relative precision across the range). Adam, then L-BFGS.
    Returns the loss history.
    """
    from ennp_lab.nuclear.deuteron import triplet_channel_elements
    from ennp_lab.nuclear.spin import partial_wave_element

    waves = ((0, 1, 1), (2, 1, 1))

    def unit_tensor(n):
        with torch.no_grad():
            return model.tensor_part(torch.as_tensor(n[None], dtype=torch.float64))[0].numpy()

    s12 = torch.tensor([[partial_wave_element(unit_tensor, a, b).real for b in waves] for a in waves])
    ls = torch.as_tensor(triplet_channel_elements()["LS"])
    rng = np.random.default_rng(seed)
    r = np.sort(np.exp(rng.uniform(np.log(r_range[0]), np.log(r_range[1]), size=samples)))  # uniform in ln r
    vc, vt, vls = (torch.as_tensor(np.asarray(x, float)) for x in reference(r))

    def channel(c, t, l):
        return torch.stack([c + s12[0, 0] * t, s12[0, 1] * t, c + s12[1, 1] * t + ls[1, 1] * l], dim=1)

    target = torch.asinh(channel(vc, vt, vls) / SCALE)
    rt = torch.as_tensor(r)

    def loss_now():
        return torch.mean((torch.asinh(channel(*model.triplet_channel(rt)) / SCALE) - target) ** 2)

    return _minimise(model, loss_now, adam_steps, steps)


def save_pair_model(model: NucleonPairModel, path) -> None:
    """Write the model's configuration and weights to ``path`` atomically."""
    import io

    from ennp_lab.files import atomic_write

    buffer = io.BytesIO()
    torch.save({"config": model.config, "state": model.state_dict()}, buffer)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))


def load_pair_model(name_or_path) -> NucleonPairModel:
    """A pair model from a file written by :func:`save_pair_model`, or a shipped one by name
    (:data:`SHIPPED`).

    Raises:
        FileNotFoundError: no such file or shipped name; ValueError: not a pair-model file.
    """
    from pathlib import Path

    path = Path(name_or_path)
    if str(name_or_path) in SHIPPED:
        path = Path(__file__).resolve().parents[1] / "pretrained" / f"{name_or_path}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no pair-model file {str(name_or_path)!r} (shipped: {', '.join(SHIPPED)})")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or set(saved) != {"config", "state"}:
        raise ValueError(f"{path} is not a nucleon pair model written by save_pair_model")
    model = NucleonPairModel(**saved["config"])
    model.load_state_dict(saved["state"])
    return model
