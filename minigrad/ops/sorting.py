"""Ordering values: ``sort``, ``argsort``, ``topk`` and ``unique``.

Sorting moves values around without changing them, so it needs no derivative of its own:
the backend finds the order (``argsort``, non-differentiable indices), and the values are
``gather``-ed with those indices. gather's gradient sends each output gradient back to the
position the value came from, which is exactly d(sort)/da.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigrad.ops.common import name_node, normalize_dim
from minigrad.ops.reduction import ValuesIndices


def _indices(tensor, array):
    from minigrad.tensor import Tensor

    return Tensor._from_array(array, tensor.device)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """The int64 indices that sort ``input`` along ``dim``. The sort is always stable (equal
    values keep their order; PyTorch only promises that with ``stable=True``); nan counts as
    the largest value."""
    if input.ndim == 0:
        normalize_dim(dim, 0)
        return _indices(input, input.backend.from_numpy(np.zeros((), dtype=np.int64)))
    axis = normalize_dim(dim, input.ndim)
    return _indices(input, input.backend.argsort(input._data, axis, bool(descending)))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """``(values, indices)``: ``input`` sorted along ``dim`` and where each value came from.
    Gradients flow to ``input`` through ``values``."""
    indices = argsort(input, dim, descending, stable)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), indices)
    return ValuesIndices(name_node(input.gather(dim, indices), "SortBackward0"), indices)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, in sorted order (also for ``sorted=False``, whose order PyTorch leaves open)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"topk(): k must be an int, got {type(k).__name__}")
    axis = normalize_dim(dim, input.ndim)
    length = input.shape[axis] if input.ndim > 0 else 1
    if not 0 <= k <= length:
        raise RuntimeError(
            f"topk(): k={k} is out of range for dimension {dim} of size {length} (shape "
            f"{input.shape})"
        )
    order = argsort(input, axis, descending=largest)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), order)
    first_k = order[(slice(None),) * axis + (slice(0, k),)]
    return ValuesIndices(name_node(input.gather(axis, first_k), "TopkBackward0"), first_k)


def unique(input, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (or, with ``dim``, the distinct slices along ``dim``), sorted.

    ``return_inverse`` adds, for every input element, the position of its value in the
    result; ``return_counts`` adds how often each value occurs. Like PyTorch's, it is not
    differentiable, and the result's size depends on the values, so it is computed on the
    host (a device tensor makes the round trip).
    """
    host = input.backend.to_numpy(input._data)
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    values, inverse, counts = np.unique(host, return_inverse=True, return_counts=True,
                                        axis=axis)
    shape = host.shape if axis is None else (host.shape[axis],)
    inverse = inverse.reshape(shape).astype(np.int64)

    def on_device(array):
        return _indices(input, input.backend.from_numpy(np.ascontiguousarray(array)))

    result = on_device(values.astype(host.dtype, copy=False))
    extras = []
    if return_inverse:
        extras.append(on_device(inverse))
    if return_counts:
        extras.append(on_device(counts.astype(np.int64)))
    return (result, *extras) if extras else result


FUNCTIONS = {"sort": sort, "argsort": argsort, "topk": topk, "unique": unique}
