"""Mini-batches: ``TensorDataset``, ``DataLoader`` and ``train_test_split``.

Training with stochastic gradient descent looks at the data a few samples at a time. A
``DataLoader`` cuts a data set into batches of ``batch_size`` samples, in a new random
order every epoch when ``shuffle=True``. The order comes from a numpy random generator
seeded once, so the same seed gives the same sequence of batches on every run.

Typical use::

    X, y = minigrad.data.moons(500)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    for epoch in range(10):
        for xb, yb in loader:       # xb: Tensor (32, 2) float32, yb: Tensor (32,) int64
            ...
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

import minigrad
from minigrad.random import numpy_generator


def _is_array_like(value) -> bool:
    return isinstance(value, np.ndarray | minigrad.Tensor)


def _length(value) -> int:
    shape = value.shape
    if len(shape) == 0:
        raise ValueError("a data set needs arrays with a first (sample) dimension; got a "
                         "0-d array/tensor")
    return shape[0]


def _to_tensor(value):
    """A batch as a Tensor: numpy arrays keep their dtype (as ``torch.from_numpy``)."""
    if isinstance(value, minigrad.Tensor):
        return value
    array = np.ascontiguousarray(value)
    if array.dtype == np.bool_ or array.dtype.kind in "iuf":
        return minigrad.from_numpy(array)
    raise TypeError(f"cannot turn a batch of dtype {array.dtype} into a tensor; expected "
                    "numbers or booleans")


class TensorDataset:
    """Samples that are rows of one or more arrays (numpy arrays or Tensors).

    ``TensorDataset(X, y)[i]`` is ``(X[i], y[i])``. All arrays must have the same number of
    rows. Indexing with an integer array returns whole batches at once, which is how
    ``DataLoader`` reads it quickly.
    """

    def __init__(self, *arrays) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        for position, array in enumerate(arrays):
            if not _is_array_like(array):
                raise TypeError(f"TensorDataset takes numpy arrays or minigrad Tensors; "
                                f"argument {position} is {type(array).__name__}")
        lengths = [_length(array) for array in arrays]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(tuple(array.shape)) for array in arrays)
            raise ValueError(f"TensorDataset arrays must have the same number of rows (first "
                             f"dimension); got shapes {shapes}")
        self.arrays = arrays

    def __len__(self) -> int:
        return _length(self.arrays[0])

    def __getitem__(self, index):
        return tuple(array[index] for array in self.arrays)


def _collate(samples: list):
    """Stack a list of samples into one batch: tuples are stacked field by field."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_collate([sample[field] for sample in samples])
                     for field in range(len(first)))
    if isinstance(first, minigrad.Tensor):
        return minigrad.stack(samples)
    return _to_tensor(np.stack([np.asarray(sample) for sample in samples]))


class DataLoader:
    """Iterate over a data set in mini-batches of Tensors.

    Args:
        dataset: a ``TensorDataset``; any object with ``__len__`` and ``__getitem__``
            returning one sample (a tuple of arrays/numbers/Tensors, or one of them); a
            single numpy array or Tensor; or a tuple of arrays/Tensors (wrapped in a
            ``TensorDataset``).
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: visit the samples in a new random order every epoch.
        drop_last: skip the last batch when it has fewer than ``batch_size`` samples.
        generator: a ``minigrad.Generator`` (as PyTorch's ``torch.Generator``) or a
            ``numpy.random.Generator`` to draw the orders from.
        seed: seed for a new generator when ``generator`` is not given (default 0, so runs
            are reproducible; ``None`` draws a fresh seed from the operating system).
        collate_fn: turns the list of samples of a batch into the batch (default: stack
            each field into a Tensor).
        num_workers, pin_memory, persistent_workers: PyTorch's loading-speed options,
            accepted so that PyTorch scripts run unchanged. minigrad always loads batches in
            the calling process, which gives the same batches; PyTorch's worker processes
            only overlap loading with training.

    Each batch is a tuple of Tensors (one per array of the data set), or a single Tensor
    for a data set made of one plain array. numpy arrays keep their dtype.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, *, generator=None, seed: int | None = 0,
                 collate_fn=None, num_workers: int = 0, pin_memory: bool = False,
                 persistent_workers: bool = False) -> None:
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int | np.integer) or \
                num_workers < 0:
            raise ValueError(f"num_workers must be an integer >= 0, got {num_workers!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {collate_fn!r}")
        self.single_array = _is_array_like(dataset)
        if self.single_array:
            dataset = TensorDataset(dataset)
        elif isinstance(dataset, tuple) and dataset and all(map(_is_array_like, dataset)):
            dataset = TensorDataset(*dataset)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader needs a data set with __len__ and __getitem__, or "
                            f"numpy arrays/Tensors; got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator  # what the caller passed, as PyTorch keeps it
        self.collate_fn = collate_fn
        self.num_workers, self.pin_memory = int(num_workers), bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self._source = (np.random.default_rng(seed) if generator is None
                        else numpy_generator(generator, "DataLoader"))

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return math.ceil(len(self.dataset) / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self._source.permutation(n) if self.shuffle else np.arange(n)

    def _batch(self, indices: np.ndarray):
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(index)] for index in indices])
        if isinstance(self.dataset, TensorDataset):
            fields = self.dataset[indices]
            batch = tuple(_to_tensor(field) for field in fields)
        else:
            batch = _collate([self.dataset[int(index)] for index in indices])
        if self.single_array:
            return batch[0]
        return batch

    def __iter__(self) -> Iterator:
        order = self._order()
        for batch_number in range(len(self)):
            indices = order[batch_number * self.batch_size:(batch_number + 1) * self.batch_size]
            yield self._batch(indices)


def _stratified_test_counts(counts: np.ndarray, n_test: int,
                            rng: np.random.Generator) -> np.ndarray:
    """How many samples of each class go to the test part: exactly ``n_test`` in all, each
    class as close to its share ``count * n_test / n`` as whole samples allow.

    Largest-remainder rounding: every class first gets the whole part of its share; the
    samples still missing go one each to the classes with the largest fractional parts
    (ties broken at random). A class never gives more than its share rounded up, and the
    fractional parts add up to exactly the number missing, so the total is right. Rounding
    each class on its own instead can lose or add samples, and send every class with a
    single member to the training part, leaving the test part empty.
    """
    shares = counts * n_test / counts.sum()
    taken = np.floor(shares).astype(np.int64)
    missing = n_test - int(taken.sum())
    remainders = shares - taken
    # sort by remainder, largest first; a random key breaks ties
    order = np.lexsort((rng.random(len(counts)), -remainders))
    taken[order[:missing]] += 1
    return taken


def train_test_split(*arrays, test_size: float | int = 0.25, shuffle: bool = True,
                     seed: int | None = 0, stratify: np.ndarray | Sequence | None = None):
    """Split arrays (numpy or Tensors) into train and test parts by the same rows.

    Returns ``a_train, a_test, b_train, b_test, ...`` as scikit-learn's function of the same
    name does. ``test_size`` is a fraction in (0, 1) (rounded up to whole samples) or a
    number of samples. With ``stratify`` (class labels), every class keeps its proportion
    in both parts as closely as whole samples allow, and the test part has exactly the
    requested size. A class too small to appear in both parts (one member, for example)
    goes to one of them: scikit-learn raises an error there instead, but a split that
    keeps every sample and the requested sizes is more useful on small toy data sets.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    n = TensorDataset(*arrays).__len__()
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"a fractional test_size must be in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves {n_test} of {n} samples for testing; "
                         "both parts need at least one sample")
    rng = np.random.default_rng(seed)
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True")
        labels = np.asarray(stratify.numpy() if isinstance(stratify, minigrad.Tensor)
                            else stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify must hold one label per sample, shape ({n},); got "
                             f"shape {labels.shape}")
        classes, counts = np.unique(labels, return_counts=True)
        test_counts = _stratified_test_counts(counts, n_test, rng)
        test_parts, train_parts = [], []
        for label, take in zip(classes, test_counts, strict=True):
            members = rng.permutation(np.flatnonzero(labels == label))
            test_parts.append(members[:take])
            train_parts.append(members[take:])
        test_index = rng.permutation(np.concatenate(test_parts))
        train_index = rng.permutation(np.concatenate(train_parts))
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_index, test_index = order[: n - n_test], order[n - n_test:]
    result = []
    for array in arrays:
        result.append(array[train_index])
        result.append(array[test_index])
    return result
