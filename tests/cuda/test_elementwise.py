"""Elementwise, copy and shape kernels against numpy, on odd shapes and broadcasts."""

import numpy as np
import pytest

SHAPE_PAIRS = [((3, 5), (3, 5)), ((3, 5), (5,)), ((2, 1, 3), (4, 1)), ((), (7,)), ((1,), ())]


@pytest.mark.parametrize("shape_a,shape_b", SHAPE_PAIRS)
@pytest.mark.parametrize("op,reference", [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide),
    ("maximum", np.maximum), ("minimum", np.minimum),
])
def test_binary_broadcasts_like_numpy(backend, to_device, to_host, rng, shape_a, shape_b, op,
                                      reference):
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32) + 3.0
    result = to_host(getattr(backend, op)(to_device(a), to_device(b)))
    assert result.shape == reference(a, b).shape
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, reference(a, b), rtol=1e-6)


def test_pow_float64(backend, to_device, to_host, rng):
    a = rng.uniform(0.5, 2.0, (4, 3))
    b = rng.uniform(-2.0, 2.0, (3,))
    np.testing.assert_allclose(to_host(backend.pow(to_device(a), to_device(b))), a ** b)


@pytest.mark.parametrize("op", ["neg", "exp", "log", "sqrt", "abs", "sign", "tanh", "sigmoid",
                                "relu"])
def test_unary_matches_numpy_including_edge_values(backend, to_device, to_host, op):
    values = np.array([[-3.5, -1.0, 0.0], [0.25, 2.0, 800.0], [-800.0, np.inf, np.nan]])
    reference = {
        "neg": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
        "sign": np.sign, "tanh": np.tanh, "sigmoid": lambda x: 0.5 * (1 + np.tanh(0.5 * x)),
        "relu": lambda x: np.where(x > 0, x, x * 0),
    }[op]
    with np.errstate(all="ignore"):
        expected = reference(values)
        result = to_host(backend.unary(op, to_device(values)))
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    assert result.dtype == values.dtype


def test_sigmoid_does_not_overflow_in_float32(backend, to_device, to_host):
    x = np.array([-1000.0, 0.0, 1000.0], dtype=np.float32)
    np.testing.assert_allclose(to_host(backend.unary("sigmoid", to_device(x))), [0, 0.5, 1])


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_compare_returns_bool(backend, to_device, to_host, op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    result = to_host(backend.compare(op, to_device(a), to_device(b)))
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, getattr(np, {"eq": "equal", "ne": "not_equal",
                                                       "lt": "less", "le": "less_equal",
                                                       "gt": "greater",
                                                       "ge": "greater_equal"}[op])(a, b))


def test_where_broadcasts_all_three(backend, to_device, to_host, rng):
    condition = rng.random((3, 1)) > 0.5
    a = rng.standard_normal((1, 5))
    b = rng.standard_normal((3, 5))
    result = to_host(backend.where(to_device(condition), to_device(a), to_device(b)))
    np.testing.assert_array_equal(result, np.where(condition, a, b))


def test_incompatible_shapes_raise_with_both_shapes(backend, to_device):
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5,\)"):
        backend.add(to_device(np.zeros((3, 4))), to_device(np.zeros(5)))


def test_creation_copy_astype_assign(backend, to_device, to_host, rng):
    np.testing.assert_array_equal(to_host(backend.zeros((2, 3), np.float32)), np.zeros((2, 3)))
    np.testing.assert_array_equal(to_host(backend.full((33,), 2.5, np.float64)), np.full(33, 2.5))
    assert to_host(backend.full((), 7, np.int64)) == 7
    assert backend.from_numpy(np.array(2.0)).shape == ()  # 0-d stays 0-d
    x = rng.standard_normal((3, 4)).astype(np.float32)
    device_x = to_device(x)
    copied = backend.copy(device_x)
    backend.assign(device_x, to_device(np.arange(4, dtype=np.float32)))  # broadcast write
    np.testing.assert_array_equal(to_host(copied), x)
    np.testing.assert_array_equal(to_host(device_x), np.broadcast_to(np.arange(4), (3, 4)))
    np.testing.assert_array_equal(to_host(backend.astype(to_device(x), np.int64)),
                                  x.astype(np.int64))
    np.testing.assert_array_equal(to_host(backend.astype(to_device(x), np.bool_)),
                                  x.astype(np.bool_))
    backend.assign(device_x, 1.5)
    np.testing.assert_array_equal(to_host(device_x), np.full((3, 4), 1.5))


def test_shape_ops(backend, to_device, to_host, rng):
    x = rng.standard_normal((2, 3, 5))
    device_x = to_device(x)
    np.testing.assert_array_equal(to_host(backend.reshape(device_x, (6, 5))), x.reshape(6, 5))
    np.testing.assert_array_equal(to_host(backend.permute(device_x, (2, 0, 1))),
                                  x.transpose(2, 0, 1))
    np.testing.assert_array_equal(to_host(backend.broadcast_to(to_device(x[:, :1]),
                                                               (4, 2, 3, 5))),
                                  np.broadcast_to(x[:, :1], (4, 2, 3, 5)))
    y = rng.standard_normal((2, 1, 5))
    np.testing.assert_array_equal(
        to_host(backend.concatenate([device_x, to_device(y)], axis=1)),
        np.concatenate([x, y], axis=1))
