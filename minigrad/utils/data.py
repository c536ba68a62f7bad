"""``from minigrad.utils.data import DataLoader, Dataset, random_split``: the names a
PyTorch script imports from ``torch.utils.data``. The loader, ``TensorDataset``, ``Subset``,
``ConcatDataset`` and ``random_split`` live in ``minigrad.data``."""

from __future__ import annotations

from minigrad.data import ConcatDataset, DataLoader, Subset, TensorDataset, random_split
from minigrad.unsupported import module_getattr


class Dataset:
    """Base class of map-style data sets, as in PyTorch: a subclass defines
    ``__getitem__(index)`` (one sample) and ``__len__()``; ``DataLoader`` batches it."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")


__getattr__ = module_getattr("minigrad.utils.data", {
    name: "samplers and worker processes are not part of minigrad's DataLoader "
          "(batch_size, shuffle, drop_last, collate_fn, generator)"
    for name in ("Sampler", "RandomSampler", "SequentialSampler", "get_worker_info")
})

__all__ = ["DataLoader", "TensorDataset", "Dataset", "Subset", "ConcatDataset", "random_split"]
