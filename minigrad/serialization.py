"""``minigrad.save`` / ``minigrad.load``: tensors, state dicts and other Python objects to a
file, with pickle (as ``torch.save`` does), so the tutorial line
``minigrad.save(model.state_dict(), "model.pt")`` works unchanged.

Only load files you trust: unpickling can run code (PyTorch has the same warning).
"""

from __future__ import annotations

import os
import pickle


def _to_device(obj, device):
    """``obj`` with every tensor in it (through dicts, lists, tuples) moved to ``device``."""
    from minigrad.tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, _to_device(value, device)) for key, value in obj.items())
    if isinstance(obj, list | tuple):
        return type(obj)(_to_device(value, device) for value in obj)
    return obj


def save(obj, f) -> None:
    """Write ``obj`` to ``f`` (a path or a binary file object). CUDA tensors are saved with
    their values copied to the host and come back on the CPU."""
    obj = _to_device(obj, "cpu")
    if isinstance(f, str | os.PathLike):
        with open(f, "wb") as file:
            pickle.dump(obj, file)
    else:
        pickle.dump(obj, f)


def load(f, map_location=None, weights_only: bool | None = None):
    """Read what :func:`save` wrote; ``map_location`` ("cpu" or "cuda") moves the tensors
    there. ``weights_only`` is accepted for PyTorch's signature; files are always unpickled
    in full, so load only files you trust."""
    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as file:
            obj = pickle.load(file)
    else:
        obj = pickle.load(f)
    return obj if map_location is None else _to_device(obj, map_location)
