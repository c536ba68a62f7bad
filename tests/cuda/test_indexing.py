"""getitem / index_add: basic indices on the device, advanced ones via the host."""

import numpy as np
import pytest

BASIC = [
    (1,),
    (slice(1, None, 2),),
    (Ellipsis, 2),
    (slice(None), None, slice(3, 0, -1)),
    (-1, slice(None, None, -2), 0),
    (slice(5, 9),),  # empty
]


@pytest.mark.parametrize("index", BASIC)
def test_basic_getitem_and_index_add(backend, to_device, to_host, rng, index):
    x = rng.standard_normal((3, 5, 4))
    result = to_host(backend.getitem(to_device(x), index))
    np.testing.assert_array_equal(result, x[index])
    values = rng.standard_normal(x[index].shape)
    expected = np.zeros_like(x)
    expected[index] += values
    np.testing.assert_array_equal(
        to_host(backend.index_add(x.shape, index, to_device(values), np.float64)), expected)


def test_basic_index_errors(backend, to_device):
    x = to_device(np.zeros((3, 4)))
    with pytest.raises(IndexError, match="out of bounds"):
        backend.getitem(x, (3,))
    with pytest.raises(IndexError, match="too many"):
        backend.getitem(x, (0, 0, 0))


def test_advanced_index_with_repeats(backend, to_device, to_host, rng):
    x = rng.standard_normal((4, 3))
    rows = np.array([0, 2, 2, 3], dtype=np.int64)
    cols = np.array([1, 1, 1, 0], dtype=np.int64)
    index = (to_device(rows), to_device(cols))
    np.testing.assert_array_equal(to_host(backend.getitem(to_device(x), index)), x[rows, cols])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    expected = np.zeros((4, 3))
    np.add.at(expected, (rows, cols), values)
    result = to_host(backend.index_add((4, 3), index, to_device(values), np.float64))
    np.testing.assert_array_equal(result, expected)  # repeated (2, 1) adds up to 5


def test_boolean_mask(backend, to_device, to_host, rng):
    x = rng.standard_normal((3, 4))
    mask = x > 0
    np.testing.assert_array_equal(to_host(backend.getitem(to_device(x), to_device(mask))),
                                  x[mask])
