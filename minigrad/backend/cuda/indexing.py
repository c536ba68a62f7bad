"""Indexing: ``a[index]`` and its gradient ``index_add``; also concatenation.

Basic indexing (ints, slices, ``None``, ``Ellipsis``) never needs the data to decide what
to read: it only changes the view's offset, shape and strides (``basic_view`` works them
out on the host, as numpy does), so ``a[index]`` is a view of ``a``'s memory, no copy, and
writing into it writes into ``a``. ``index_add`` with a basic index writes into the same view
of a zero array - basic indices never repeat an element, so plain writes suffice.

Advanced indexing (integer or boolean index arrays) is different: what to read depends on
the index values, and a boolean mask even decides the result's shape. Here it **round-trips
through the host**: the array and the index arrays are copied to the host, numpy does the
indexing (``np.add.at`` for ``index_add``), and the result is copied back. That is correct
but costs two transfers; a training step on the GPU should avoid advanced indexing in its
inner loop (the fused cross-entropy takes class indices directly).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from minigrad.backend.cuda.elementwise import contiguous, copy_into, empty, full
from minigrad.backend.cuda.layout import View, view_of
from minigrad.backend.cuda.strided import as_array


def _is_device_array(item) -> bool:
    return hasattr(item, "copy_to_host")


def is_basic(index: tuple) -> bool:
    """Whether ``index`` holds only ints, slices, None and Ellipsis."""
    return all(
        item is None or item is Ellipsis or isinstance(item, slice)
        or (isinstance(item, (int, np.integer)) and not isinstance(item, bool))
        for item in index
    )


def basic_view(view: View, index: tuple) -> View:
    """The view ``array[index]`` for a basic ``index``, computed from offset and strides."""
    index = tuple(index)
    if index.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for item in index if item is not None and item is not Ellipsis)
    if consumed > len(view.shape):
        raise IndexError(f"too many indices for an array of shape {view.shape}: "
                         f"{consumed} given")
    if Ellipsis in index:
        position = index.index(Ellipsis)
        fill = (slice(None),) * (len(view.shape) - consumed)
        index = index[:position] + fill + index[position + 1:]
    else:
        index = index + (slice(None),) * (len(view.shape) - consumed)
    offset, shape, strides, axis = view.offset, [], [], 0
    for item in index:
        if item is None:  # a new axis of extent 1
            shape.append(1)
            strides.append(0)
            continue
        extent, stride = view.shape[axis], view.strides[axis]
        if isinstance(item, slice):
            start, stop, step = item.indices(extent)
            count = len(range(start, stop, step))
            offset += start * stride if count else 0
            shape.append(count)
            strides.append(step * stride)
        else:
            position = int(item)
            if not -extent <= position < extent:
                raise IndexError(f"index {position} is out of bounds for axis {axis} with "
                                 f"size {extent}")
            offset += (position % extent) * stride
        axis += 1
    return View(view.buffer, offset, tuple(shape), tuple(strides))


def _to_host(array):
    return contiguous(array).copy_to_host()


def _host_index(index: tuple) -> tuple:
    return tuple(_to_host(item) if _is_device_array(item) else item for item in index)


def _as_tuple(index) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def setitem(a, index, values) -> None:
    """``a[index] = values`` in place: a strided write for a basic index, a round trip
    through the host (as in ``getitem``) for index arrays."""
    index = _as_tuple(index)
    if not _is_device_array(values):
        values = full((), values, a.dtype)
    if is_basic(index):
        copy_into(basic_view(view_of(a), index), view_of(values))
        return
    host = _to_host(a)
    host[_host_index(index)] = _to_host(values)
    copy_into(view_of(a), view_of(cuda.to_device(host)))  # ``a`` may be a strided view


def getitem(a, index):
    """``a[index]`` with numpy semantics: a view of ``a`` for a basic index, else a new
    contiguous device array."""
    index = _as_tuple(index)
    if is_basic(index):
        return as_array(basic_view(view_of(a), index))
    result = np.asarray(_to_host(a)[_host_index(index)], order="C")
    return cuda.to_device(result)


def index_add(shape, index, values, dtype):
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeats add up)."""
    index = _as_tuple(index)
    out = full(tuple(shape), 0, dtype)
    if is_basic(index):
        copy_into(basic_view(view_of(out), index), view_of(values))
        return out
    host = np.zeros(tuple(shape), dtype=dtype)
    np.add.at(host, _host_index(index), _to_host(values))
    return cuda.to_device(host)


def concatenate(arrays: list, axis: int):
    """The arrays joined along ``axis``: each is copied into its slice of the result."""
    first = tuple(arrays[0].shape)
    for array in arrays[1:]:
        shape = tuple(array.shape)
        if len(shape) != len(first) or shape[:axis] + shape[axis + 1:] != \
                first[:axis] + first[axis + 1:]:
            raise ValueError(f"concatenate along axis {axis}: shapes {first} and {shape} "
                             "differ outside that axis")
    total = sum(array.shape[axis] for array in arrays)
    out = empty(first[:axis] + (total,) + first[axis + 1:], arrays[0].dtype)
    out_view = view_of(out)
    start = 0
    for array in arrays:
        extent = array.shape[axis]
        where = (slice(None),) * axis + (slice(start, start + extent),)
        copy_into(basic_view(out_view, where), view_of(array))
        start += extent
    return out
