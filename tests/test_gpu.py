"""CUDA: the same predictions on the GPU as on the CPU (skipped without CUDA)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ennp_lab import ENNPCalculator
from ennp_lab.testing import assert_forces_match_finite_differences, tiny_model

pytestmark = pytest.mark.gpu


def test_cuda_matches_cpu(triclinic_alloy):
    cpu = ENNPCalculator(tiny_model(["Cu", "Au"], seed=1), device="cpu")
    gpu = ENNPCalculator(tiny_model(["Cu", "Au"], seed=1), device="cuda")
    assert next(gpu.model.parameters()).is_cuda
    a, b = triclinic_alloy.copy(), triclinic_alloy.copy()
    a.calc, b.calc = cpu, gpu
    np.testing.assert_allclose(a.get_potential_energy(), b.get_potential_energy(), atol=1e-10)
    np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-10)
    np.testing.assert_allclose(a.get_stress(), b.get_stress(), atol=1e-10)
    assert b.get_forces().dtype == np.float64
    assert_forces_match_finite_differences(gpu, triclinic_alloy)


def test_auto_device_picks_cuda():
    calc = ENNPCalculator(tiny_model(), device="auto")
    assert calc.device.type == "cuda"
    assert torch.cuda.is_available()
