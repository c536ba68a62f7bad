"""The tiled gemm: matmul (numpy semantics) and linear with fused bias/ReLU."""

import numpy as np
import pytest
import torch

# Sizes that do not divide the 16x16 tile, size-1 edges, and a broadcast batch.
MATMUL_SHAPES = [
    ((17, 19), (19, 5)),
    ((1, 3), (3, 1)),
    ((2, 17, 19), (19, 5)),
    ((19,), (19, 5)),
    ((17, 19), (19,)),
    ((7,), (7,)),
    ((2, 1, 4, 3), (3, 3, 5)),
    ((3, 4, 3), (2, 1, 3, 5)),
]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul_matches_numpy(backend, to_device, to_host, rng, shape_a, shape_b):
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    result = to_host(backend.matmul(to_device(a), to_device(b)))
    expected = a @ b
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_matmul_float64_and_bad_shapes(backend, to_device, to_host, rng):
    a, b = rng.standard_normal((5, 33)), rng.standard_normal((33, 18))
    np.testing.assert_allclose(to_host(backend.matmul(to_device(a), to_device(b))), a @ b)
    with pytest.raises(ValueError, match=r"\(5, 33\).*\(5, 33\)"):
        backend.matmul(to_device(a), to_device(a))


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_linear_matches_torch(backend, to_device, to_host, rng, with_bias, activation):
    x = rng.standard_normal((1, 21)).astype(np.float32)  # batch 1
    weight = rng.standard_normal((18, 21)).astype(np.float32)
    bias = rng.standard_normal(18).astype(np.float32) if with_bias else None
    expected = torch.nn.functional.linear(
        torch.from_numpy(x), torch.from_numpy(weight),
        None if bias is None else torch.from_numpy(bias))
    if activation == "relu":
        expected = torch.relu(expected)
    result = backend.linear(to_device(x), to_device(weight),
                            None if bias is None else to_device(bias), activation)
    np.testing.assert_allclose(to_host(result), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_linear_rejects_mismatched_weight(backend, to_device):
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 5\)"):
        backend.linear(to_device(np.zeros((3, 4))), to_device(np.zeros((2, 5))), None, None)
