"""The CPU backend's ReLU kernels: the forward against ``torch.relu`` and the backward
against PyTorch's threshold_backward, on every layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minigrad.backend.cpu import CPUBackend, activation
from minigrad.backend.cpu.activation import _relu_backward_kernel, _relu_kernel

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


# --- the forward ---------------------------------------------------------------------------
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-38, -1e-38, 2.0, -3.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [9, activation.KERNEL_MIN_SIZE + 3])
def test_relu_special_values_match_torch(dtype, size):
    # below KERNEL_MIN_SIZE numpy's maximum runs, from it on the kernel
    a = np.random.default_rng(3).choice(np.array(SPECIAL, dtype=dtype), size=size)
    result = BACKEND.unary("relu", a)
    expected = torch.relu(torch.from_numpy(a)).numpy()
    assert result.dtype == dtype and result.shape == a.shape
    np.testing.assert_array_equal(result, expected)
    if size >= activation.KERNEL_MIN_SIZE:  # the kernel also keeps the sign of -0.0
        np.testing.assert_array_equal(np.signbit(result), np.signbit(expected))


@pytest.mark.parametrize("layout", ["transposed", "sliced", "zero_d", "empty", "int64"])
def test_relu_on_any_layout_and_dtype(layout):
    a = {"transposed": np.arange(-4100.0, 4100.0).reshape(2, 4100).T,
         "sliced": np.arange(-9000.0, 9000.0)[::2],
         "zero_d": np.array(-2.5),
         "empty": np.zeros((0, 4)),
         "int64": np.arange(-5, 5)}[layout]
    result = BACKEND.unary("relu", a)
    assert result.shape == a.shape and result.dtype == a.dtype
    np.testing.assert_array_equal(result, np.maximum(a, 0))


def test_relu_into_out():
    a = np.random.default_rng(4).standard_normal((70, 80)).astype(np.float32)
    out = np.full_like(a, np.nan)
    assert activation.relu(a, out) is out
    np.testing.assert_array_equal(out, np.maximum(a, 0))
    with pytest.raises(ValueError, match=r"C-contiguous float32 array of shape \(70, 80\)"):
        activation.relu(a, np.empty((80, 70), np.float32).T)
    with pytest.raises(ValueError, match=r"got float64 \(70, 80\)"):
        activation.relu(a, np.empty((70, 80)))
    with pytest.raises(TypeError, match="got int32"):
        activation.relu(np.zeros(3, np.int32))


def test_relu_serial_and_parallel_twins_agree():
    a = np.random.default_rng(5).standard_normal(1000)
    serial, parallel = np.empty_like(a), np.empty_like(a)
    _relu_kernel.serial(a, serial)
    _relu_kernel.parallel(a, parallel)
    np.testing.assert_array_equal(serial, parallel)
    np.testing.assert_array_equal(serial, np.maximum(a, 0))
