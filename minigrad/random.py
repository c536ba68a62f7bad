"""The random number generator behind ``rand``, ``randn``, initialisers and dropout.

One seeded numpy ``Generator`` for the whole library: ``minigrad.manual_seed(0)`` makes every
later draw reproducible.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed minigrad's generator; returns it (as PyTorch returns its generator)."""
    global _generator
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The current generator (changes when ``manual_seed`` is called)."""
    return _generator
