"""Exact Clebsch–Gordan constants, whatever dtype a model was built or cast in.

e3nn's tensor products keep their Wigner 3j coefficients as buffers (``_w3j_l1_l2_l3``)
made in the default dtype at construction. Built in float32 and cast to float64, they
carry float32 rounding (~3e-8 relative), and the model is then equivariant only to
~1e-8 — e.g. a pseudoscalar head leaks ~1e-8 under rotations. :func:`exact_wigner_3j`
recomputes them in float64 and casts them to each buffer's dtype.
"""

from __future__ import annotations

import re

import torch
from e3nn import o3

__all__ = ["exact_wigner_3j"]

_W3J = re.compile(r"_w3j_(\d+)_(\d+)_(\d+)$")


@torch.no_grad()
def exact_wigner_3j(module: torch.nn.Module) -> int:
    """Overwrite every e3nn ``_w3j_*`` buffer of ``module`` with float64-exact values.

    Returns:
        the number of buffers rewritten.
    """
    count = 0
    for name, buffer in module.named_buffers():
        match = _W3J.search(name)
        if match:
            l1, l2, l3 = (int(g) for g in match.groups())
            buffer.copy_(o3.wigner_3j(l1, l2, l3, dtype=torch.float64).to(buffer.dtype))
            count += 1
    return count
