"""Parts of a data set: ``Subset`` and ``random_split`` (a train/validation split); and the
other way round, ``ConcatDataset`` (several data sets read as one).

A ``Subset`` is a view: it stores the parent data set and a list of positions, and reads
``dataset[indices[i]]`` when asked for sample ``i`` - no sample is copied.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
from collections.abc import Sequence

import numpy as np


class Subset:
    """The samples of ``dataset`` at ``indices``, in that order (PyTorch's ``Subset``)."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: int):
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset:
    """Several data sets read one after another as one (PyTorch's ``ConcatDataset``):
    sample ``i`` comes from the first data set while ``i`` is below its length, then from
    the second, and so on. No sample is copied."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one data set")
        for number, dataset in enumerate(self.datasets):
            if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
                raise TypeError(f"ConcatDataset: data set {number} ({type(dataset).__name__}) "
                                "has no __len__ and __getitem__")
        # cumulative_sizes[k]: how many samples the first k + 1 data sets hold together
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if not isinstance(index, numbers.Integral):
            raise TypeError(f"ConcatDataset indices must be integers, got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of "
                             f"{len(self)} samples")
        index = int(index) % len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _split_lengths(lengths: Sequence, total: int) -> list[int]:
    """Whole lengths that add up to ``total``. Fractions (adding up to 1) are rounded down,
    and the samples left over go one each to the first parts, as in PyTorch."""
    if all(isinstance(length, numbers.Integral) for length in lengths):
        if any(length < 0 for length in lengths):
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
        if sum(lengths) != total:
            raise ValueError(f"random_split: the lengths {list(lengths)} add up to "
                             f"{sum(lengths)}, but the data set has {total} samples")
        return [int(length) for length in lengths]
    if not math.isclose(sum(lengths), 1.0) or any(not 0 <= f <= 1 for f in lengths):
        raise ValueError(f"random_split: fractions must lie in [0, 1] and add up to 1, got "
                         f"{list(lengths)}")
    whole = [math.floor(total * fraction) for fraction in lengths]
    for position in range(total - sum(whole)):
        whole[position % len(whole)] += 1
    return whole


def random_split(dataset, lengths: Sequence, generator=None):
    """Split ``dataset`` into non-overlapping ``Subset``s of the given ``lengths`` (sample
    counts adding up to ``len(dataset)``, or fractions adding up to 1), with the samples
    drawn in random order from ``generator`` (a ``minigrad.Generator``, as PyTorch's
    ``generator=minigrad.Generator().manual_seed(42)``, or a ``numpy.random.Generator``;
    default: minigrad's generator, so ``minigrad.manual_seed`` makes the split
    reproducible).

    The split is random like PyTorch's but not the same draw: the same seed does not pick
    the same samples as ``torch.utils.data.random_split``.
    """
    from minigrad import random

    source = random.numpy_generator(generator, "random_split")
    sizes = _split_lengths(lengths, len(dataset))
    order = source.permutation(len(dataset)).tolist()
    ends = np.cumsum(sizes).tolist()
    return [Subset(dataset, order[end - size:end]) for size, end in zip(sizes, ends,
                                                                          strict=True)]
