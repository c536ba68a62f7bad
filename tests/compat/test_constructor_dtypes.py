"""The dtypes tensors get from their data, next to PyTorch: the legacy ``Tensor(data)``
constructor is always float32; ``tensor(data)`` infers, and keeps a numpy array's dtype
or, where minigrad has no dtype of that width, asks for one instead of widening."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def dtype_name(tensor) -> str:
    if isinstance(tensor, torch.Tensor):
        return str(tensor.dtype).removeprefix("torch.")
    return tensor.dtype.name


@pytest.mark.parametrize("data", [
    [1, 2], [[1.5, 2.0]], [True, False], np.array([1, 2], dtype=np.int32),
    np.array([1, 2], dtype=np.int64), np.array([0.5], dtype=np.float64),
])
def test_legacy_constructor_is_float32_like_torch(data):
    ours, theirs = minigrad.Tensor(data), torch.Tensor(data)
    assert dtype_name(ours) == dtype_name(theirs) == "float32"
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("data", [
    [1, 2], [1.0, 2.0], [True], 2.5, np.array([1, 2]), np.array([1.0], dtype=np.float32),
    np.array([1.0]), np.array([False]), np.float64(2.0), np.float32(2.0), np.int64(4),
])
def test_tensor_infers_the_dtype_like_torch(data):
    assert dtype_name(minigrad.tensor(data)) == dtype_name(torch.tensor(data))


@pytest.mark.parametrize("numpy_dtype", [np.int32, np.int16, np.uint8, np.float16])
def test_numpy_widths_minigrad_lacks_are_not_widened_silently(numpy_dtype):
    data = np.array([1, 2], dtype=numpy_dtype)
    with pytest.raises(NotImplementedError, match=f"dtype {np.dtype(numpy_dtype).name} has no "
                                                  "minigrad dtype"):
        minigrad.tensor(data)
    converted = minigrad.tensor(data, dtype=minigrad.long)
    assert converted.dtype is minigrad.int64 and converted.tolist() == [1, 2]
    assert minigrad.tensor(data, dtype=minigrad.float32).tolist() == [1.0, 2.0]
