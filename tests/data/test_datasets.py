"""Toy data sets and the digits loader."""

import numpy as np
import pytest

from minigrad.data import circles, moons, sine, spirals, xor

CLASSIFICATION = [xor, moons, circles, spirals]


@pytest.mark.parametrize("make", CLASSIFICATION + [sine])
def test_shapes_dtypes_and_seeding(make):
    X, y = make(n_samples=101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float32
    if make is sine:
        assert y.shape == (101, 1) and y.dtype == np.float32
    else:
        assert y.shape == (101,) and y.dtype == np.int64
    X2, y2 = make(n_samples=101, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=101, seed=4)
    assert not np.array_equal(X, X3)


def test_xor_truth_table():
    X, y = xor(4, noise=0.0)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_moons_and_circles_geometry():
    X, y = circles(400, noise=0.0, factor=0.3)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, rtol=1e-6)
    X, y = moons(200, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-6)
    assert np.bincount(y).tolist() == [100, 100]


def test_spirals_classes():
    X, y = spirals(301, n_classes=3)
    assert np.bincount(y).tolist() == [101, 100, 100]
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-6


def test_sine_is_the_lecture_function():
    X, y = sine(500, noise=0.0)
    assert X.min() >= 0 and X.max() <= 10
    np.testing.assert_allclose(y[:, 0], np.sin(X[:, 0]) + np.cos(X[:, 1]), atol=1e-5)
    _, noisy = sine(500, noise=0.5)
    residual = noisy[:, 0] - (np.sin(X[:, 0]) + np.cos(X[:, 1]))
    assert 0.4 < residual.std() < 0.6


def test_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        moons(10, noise=-1)
    with pytest.raises(ValueError, match="n_samples"):
        xor(0)
    with pytest.raises(ValueError, match="factor"):
        circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        spirals(10, n_classes=1)
