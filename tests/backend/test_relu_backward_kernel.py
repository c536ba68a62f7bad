"""The CPU backend's ``relu_backward`` kernel: PyTorch's threshold_backward on every layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minigrad.backend.cpu import CPUBackend
from minigrad.backend.cpu.activation import _relu_backward_kernel

BACKEND = CPUBackend()


def torch_reference(grad: np.ndarray, a: np.ndarray) -> np.ndarray:
    return torch.ops.aten.threshold_backward(torch.from_numpy(np.array(grad)),
                                             torch.from_numpy(np.array(a)), 0.0).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_match_torch(dtype):
    rng = np.random.default_rng(0)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-38, -1e-38, 2.0, -3.0],
                       dtype=dtype)
    a = rng.choice(special, size=(7, 9)).astype(dtype)
    grad = rng.choice(special, size=(7, 9)).astype(dtype)
    result = BACKEND.relu_backward(grad, a)
    assert result.dtype == dtype and result.shape == a.shape
    np.testing.assert_array_equal(result, torch_reference(grad, a))


@pytest.mark.parametrize("layout", ["transposed", "broadcast", "sliced", "zero_d", "empty"])
def test_any_layout_gives_the_contiguous_answer(layout):
    rng = np.random.default_rng(1)
    if layout == "zero_d":
        grad, a = np.array(3.0), np.array(-1.0)
    elif layout == "empty":
        grad, a = np.zeros((0, 4)), np.zeros((0, 4))
    else:
        a = rng.standard_normal((6, 5))
        grad = {"transposed": rng.standard_normal((5, 6)).T,
                "broadcast": np.broadcast_to(rng.standard_normal(5), (6, 5)),
                "sliced": rng.standard_normal((6, 10))[:, ::2]}[layout]
    result = BACKEND.relu_backward(grad, a)
    assert result.shape == a.shape and result.flags.c_contiguous
    np.testing.assert_array_equal(result, torch_reference(grad, a))


def test_serial_and_parallel_twins_agree():
    rng = np.random.default_rng(2)
    grad = rng.standard_normal(1000).astype(np.float32)
    a = rng.standard_normal(1000).astype(np.float32)
    serial, parallel = np.empty_like(a), np.empty_like(a)
    _relu_backward_kernel.serial(grad, a, serial)
    _relu_backward_kernel.parallel(grad, a, parallel)
    np.testing.assert_array_equal(serial, parallel)
    np.testing.assert_array_equal(serial, np.where(a > 0, grad, 0))


def test_mismatched_shapes_and_dtypes_are_named():
    with pytest.raises(ValueError, match=r"grad \(2, 3\) and input \(3, 2\)"):
        BACKEND.relu_backward(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="got float32 and float64"):
        BACKEND.relu_backward(np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(TypeError, match="got int64 and int64"):
        BACKEND.relu_backward(np.zeros(3, np.int64), np.zeros(3, np.int64))
