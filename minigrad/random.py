"""The random number generators behind ``rand``, ``randn``, initialisers and dropout.

One seeded numpy ``Generator`` for the whole library: ``minigrad.manual_seed(0)`` makes every
later draw reproducible. A ``minigrad.Generator`` is a stream of its own, as PyTorch's
``torch.Generator``: passed as ``generator=`` (to ``rand``, ``randn``, ``randint``,
``randperm``, ``random_split``, ``DataLoader``) it makes that one draw reproducible without
touching the library's stream.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def _check_seed(seed, where: str) -> int:
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"{where}: seed must be a non-negative int, got {seed!r}")
    return int(seed)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed minigrad's generator; returns it (as PyTorch returns its generator)."""
    global _generator
    _generator = np.random.default_rng(_check_seed(seed, "manual_seed"))
    return _generator


def generator() -> np.random.Generator:
    """The current generator (changes when ``manual_seed`` is called)."""
    return _generator


class Generator:
    """A random stream of its own (PyTorch's ``torch.Generator``)::

        g = minigrad.Generator().manual_seed(42)
        noise = minigrad.randn(3, generator=g)          # the same numbers on every run
        train, test = random_split(data, [0.8, 0.2], generator=g)

    The numbers come from a numpy generator (PCG64), so a seed does not give PyTorch's
    numbers. The draws are made on the host; ``device`` is kept for PyTorch's signature.
    """

    def __init__(self, device="cpu") -> None:
        from minigrad.devices import device as as_device

        self.device = as_device(device)
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator (so it can be chained)."""
        self._initial_seed = _check_seed(seed, "Generator.manual_seed")
        self._numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Restart the stream from a fresh seed drawn from the operating system; returns it."""
        self.manual_seed(int(np.random.SeedSequence().generate_state(1, np.uint64)[0]))
        return self._initial_seed

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._initial_seed

    def __repr__(self) -> str:
        return f"<minigrad.Generator on {self.device}, initial seed {self._initial_seed}>"


def numpy_generator(generator: Generator | np.random.Generator | None,
                    where: str) -> np.random.Generator:
    """The numpy generator a draw uses: ``generator``'s stream, or minigrad's own when it is
    None. (A ``numpy.random.Generator`` is taken as it is.)"""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator._numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{where}: generator must be a minigrad.Generator (or a "
                    f"numpy.random.Generator), got {type(generator).__name__}")
