"""Toy data sets from the lectures, made locally with numpy (no downloads).

Every generator takes ``n_samples``, a ``noise`` level and a ``seed`` and returns a pair of
numpy arrays ``(X, y)``:

- ``X`` is float32 of shape (n_samples, 2): two features, so the data and a model's decision
  boundary can be drawn in the plane.
- For classification sets (``xor``, ``moons``, ``circles``, ``spirals``) ``y`` is int64 of
  shape (n_samples,) holding class indices, ready for ``nn.CrossEntropyLoss``. For a binary
  loss such as ``nn.BCEWithLogitsLoss`` use ``y.astype(np.float32)[:, None]``.
- For the regression set ``sine`` ``y`` is float32 of shape (n_samples, 1), the shape an
  ``nn.Linear(..., 1)`` output has, so ``nn.MSELoss`` compares like with like.

The same ``seed`` always gives the same arrays.
"""

from __future__ import annotations

import numpy as np


def _check_count(n_samples: int, minimum: int = 1) -> None:
    if not isinstance(n_samples, int | np.integer) or n_samples < minimum:
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")


def _check_noise(noise: float) -> None:
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def xor(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0):
    """The XOR problem: points near the four corners of the unit square.

    Sample ``i`` sits at corner ``i % 4`` of (0,0), (0,1), (1,0), (1,1) plus Gaussian noise
    of standard deviation ``noise``; its label is ``x0 XOR x1`` of that corner. No straight
    line separates the classes, which is why a single-layer perceptron cannot learn it.
    ``xor(4, noise=0)`` is the truth table itself.
    """
    _check_count(n_samples)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    corner_index = np.arange(n_samples) % 4
    X = corners[corner_index] + noise * rng.standard_normal((n_samples, 2))
    y = (corners[corner_index, 0] != corners[corner_index, 1]).astype(np.int64)
    return X.astype(np.float32), y


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0):
    """Two interleaving half circles (the construction of scikit-learn's ``make_moons``).

    Class 0 lies on the upper half circle of radius 1 around (0, 0); class 1 on the lower
    half circle around (1, 0.5). Both get Gaussian noise of standard deviation ``noise``.
    Samples are shuffled.
    """
    _check_count(n_samples, 2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer_angle = np.linspace(0, np.pi, n_outer)
    inner_angle = np.linspace(0, np.pi, n_inner)
    X = np.concatenate([
        np.stack([np.cos(outer_angle), np.sin(outer_angle)], axis=1),
        np.stack([1 - np.cos(inner_angle), 0.5 - np.sin(inner_angle)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return X[order].astype(np.float32), y[order]


def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5,
            seed: int | None = 0):
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1).

    As scikit-learn's ``make_circles``: points evenly spaced in angle, Gaussian noise of
    standard deviation ``noise``, samples shuffled.
    """
    _check_count(n_samples, 2)
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer_angle = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner_angle = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([
        np.stack([np.cos(outer_angle), np.sin(outer_angle)], axis=1),
        factor * np.stack([np.cos(inner_angle), np.sin(inner_angle)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return X[order].astype(np.float32), y[order]


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
            seed: int | None = 0):
    """``n_classes`` interleaved spiral arms (the classic CS231n example).

    Arm ``k`` holds ``n_samples // n_classes`` points (the first arms take the remainder)
    with radius growing from 0 to 1 while the angle turns by 4 radians, starting at
    ``k * 2 pi / n_classes``; ``noise`` is the standard deviation of Gaussian noise added
    to the angle. Samples are ordered arm by arm.
    """
    _check_noise(noise)
    if not isinstance(n_classes, int | np.integer) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    _check_count(n_samples, n_classes)
    rng = np.random.default_rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    points, labels = [], []
    for k, count in enumerate(counts):
        radius = np.linspace(0.0, 1.0, count)
        start = k * 2 * np.pi / n_classes
        angle = np.linspace(start, start + 4, count) + noise * rng.standard_normal(count)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(count, k, dtype=np.int64))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)


def sine(n_samples: int = 1000, noise: float = 0.1, seed: int | None = 0):
    """The lectures' regression surface: ``y = sin(x0) + cos(x1) + noise``.

    ``x0`` and ``x1`` are uniform on [0, 10]; the noise is Gaussian with standard deviation
    ``noise``. Returns ``X`` (n_samples, 2) and ``y`` (n_samples, 1), both float32.
    """
    _check_count(n_samples)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 10.0, size=(n_samples, 2))
    y = np.sin(X[:, 0]) + np.cos(X[:, 1]) + noise * rng.standard_normal(n_samples)
    return X.astype(np.float32), y[:, None].astype(np.float32)
