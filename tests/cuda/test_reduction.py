"""Reductions against numpy: short rows (one thread per row) and long rows (tree)."""

import numpy as np
import pytest

# (3, 37, 5): rows of 37 or 185 elements take the shared-memory tree path (not a power of
# two, so the first fold is uneven); rows of 3 or 5 take the one-thread-per-row path.
AXES = [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_reductions_match_numpy(backend, to_device, to_host, rng, axes, keepdims, kind):
    x = rng.standard_normal((3, 37, 5)).astype(np.float32)
    result = to_host(getattr(backend, kind)(to_device(x), axes, keepdims))
    expected = getattr(np, kind)(x, axis=axes, keepdims=keepdims)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_long_row_sum_uses_many_threads(backend, to_device, to_host, rng):
    x = rng.standard_normal((2, 700))
    np.testing.assert_allclose(to_host(backend.sum(to_device(x), (1,), False)), x.sum(1))


def test_sum_of_int_and_bool(backend, to_device, to_host):
    x = np.arange(40).reshape(5, 8)
    np.testing.assert_array_equal(to_host(backend.sum(to_device(x), (0, 1), False)), x.sum())
    mask = x % 3 == 0
    np.testing.assert_array_equal(to_host(backend.sum(to_device(mask), (1,), False)),
                                  mask.sum(1))


def test_max_propagates_nan(backend, to_device, to_host):
    x = np.ones((2, 40))
    x[1, 17] = np.nan
    result = to_host(backend.max(to_device(x), (1,), False))
    assert result[0] == 1 and np.isnan(result[1])


@pytest.mark.parametrize("axis", [None, 0, 1, 2])
@pytest.mark.parametrize("kind", ["argmax", "argmin"])
def test_arg_reductions_pick_the_first_extreme(backend, to_device, to_host, axis, kind):
    # Many ties: the first index must win, as in numpy, on both code paths.
    x = np.random.default_rng(1).integers(0, 3, (3, 36, 4)).astype(np.float64)
    result = to_host(getattr(backend, kind)(to_device(x), axis, False))
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, getattr(np, kind)(x, axis=axis))


def test_argmax_keepdims(backend, to_device, to_host, rng):
    x = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(to_host(backend.argmax(to_device(x), 1, True)),
                                  np.argmax(x, axis=1, keepdims=True))
    np.testing.assert_array_equal(to_host(backend.argmax(to_device(x), None, True)),
                                  np.argmax(x, axis=None, keepdims=True))


def test_empty_reductions(backend, to_device, to_host):
    empty = to_device(np.zeros((3, 0)))
    np.testing.assert_array_equal(to_host(backend.sum(empty, (1,), False)), np.zeros(3))
    with pytest.raises(ValueError, match="max"):
        backend.max(empty, (1,), False)
