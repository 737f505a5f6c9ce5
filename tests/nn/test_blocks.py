"""Each e3nn building block is O(3)-equivariant on its own, parity included: e3nn's
``assert_equivariant`` as in e3nn's ``tests/o3/linear_test.py`` (at e3nn's default
tolerance: its Wigner-D matrices for l ≥ 2 come from float32-stored constants and are good
to ~1e-7), and to 1e-12 with the exact Wigner matrices of ``ennp_lab.nn.constants``."""

from __future__ import annotations

import pytest
import torch
from e3nn import o3
from e3nn.util.test import assert_equivariant

from ennp_lab.nn import EquivariantHead, InteractionBlock, RadialEmbedding, ScalarReadout, SpeciesIndex, exact_wigner_3j
from ennp_lab.nn.constants import irreps_matrix
from ennp_lab.symmetry import random_rotation

HIDDEN = o3.Irreps("4x0e+2x0o+4x1o+2x1e+4x2e+2x2o")
SH = o3.Irreps.spherical_harmonics(2, p=-1)


def _float64(module: torch.nn.Module) -> torch.nn.Module:
    module = module.to(torch.float64)
    exact_wigner_3j(module)
    return module


def _exactly_equivariant(func, args, irreps_in, irreps_out, seed: int = 0) -> float:
    """max |f(D x) − D f(x)| / max |f(x)| over a proper and an improper random rotation."""
    import numpy as np

    worst = 0.0
    R = random_rotation(np.random.default_rng(seed))
    for Q in (R, -R):
        D = [None if ir is None else torch.as_tensor(irreps_matrix(ir, Q)) for ir in irreps_in]
        moved = func(*[x if d is None else x @ d.T for x, d in zip(args, D)])
        expected = func(*args) @ torch.as_tensor(irreps_matrix(irreps_out, Q)).T
        worst = max(worst, float(((moved - expected).abs().max() / expected.abs().max()).detach()))
    return worst


def _graph(n_atoms: int = 5, n_edges: int = 12, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n_atoms, (2, n_edges), generator=g)
    species = torch.nn.functional.one_hot(torch.randint(0, 2, (n_atoms,), generator=g), 2).to(torch.float64)
    return edge_index, species, g


@pytest.mark.parametrize("seed", [0, 1])
def test_interaction_block_is_equivariant(seed):
    torch.manual_seed(seed)  # e3nn draws the block's weights from the global generator
    block = _float64(InteractionBlock(o3.Irreps("4x0e+2x1o"), SH, HIDDEN, 2, 6, 8, 3.0))
    edge_index, species, g = _graph(seed=seed)
    feats = torch.randn(5, block.irreps_in.dim, generator=g, dtype=torch.float64)
    sh = torch.randn(12, SH.dim, generator=g, dtype=torch.float64)
    radial = torch.randn(12, 6, generator=g, dtype=torch.float64)
    func = lambda h, a, y, r: block(h, a, y, r, edge_index)  # noqa: E731
    args, irreps = [feats, species, sh, radial], [block.irreps_in, o3.Irreps("2x0e"), SH, o3.Irreps("6x0e")]
    assert_equivariant(func, args_in=args, irreps_in=irreps, irreps_out=[block.irreps_out])
    assert _exactly_equivariant(func, args, [block.irreps_in, None, SH, None], block.irreps_out, seed) < 1e-12


@pytest.mark.parametrize("irreps_out", ["0e", "0o", "1o", "1e+2e", "0e+1o+2e"])
def test_heads_are_equivariant_with_their_declared_irreps(irreps_out):
    torch.manual_seed(0)
    head = _float64(EquivariantHead(HIDDEN, irreps_out))
    x = HIDDEN.randn(5, -1, dtype=torch.float64)
    assert_equivariant(head, args_in=[x], irreps_in=[HIDDEN], irreps_out=[o3.Irreps(irreps_out)])
    assert _exactly_equivariant(head, [x], [HIDDEN], irreps_out) < 1e-12


def test_scalar_readout_and_radial_embedding_are_invariant():
    torch.manual_seed(0)
    readout = _float64(ScalarReadout(HIDDEN, 8))
    x = HIDDEN.randn(5, -1, dtype=torch.float64)
    func = lambda h: readout(h)[:, None]  # noqa: E731
    assert_equivariant(func, args_in=[x], irreps_in=[HIDDEN], irreps_out=[o3.Irreps("0e")])
    assert _exactly_equivariant(func, [x], [HIDDEN], "0e") < 1e-12
    radial = RadialEmbedding(4.0, 6).to(torch.float64)
    r = torch.linspace(0.5, 5.0, 9, dtype=torch.float64)
    out = radial(r)
    assert out.shape == (9, 6) and torch.all(out[r >= 4.0] == 0)  # the envelope is zero beyond r_c


def test_species_index_rejects_unknown_elements():
    index = SpeciesIndex((29, 79))
    assert index(torch.tensor([79, 29, 29])).tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="unknown element for this model: O"):
        index(torch.tensor([29, 8]))
