"""Host-side bookkeeping for strided views of flat device buffers.

Every array the CUDA backend computes is C-contiguous. A *view* of such an array - a
transpose, a broadcast, a basic slice, a reshape - is described without touching the data by four
numbers per operand, exactly as numpy describes its own arrays:

    element (i0, i1, ..., ik) of the view lives at  buffer[offset + i0*s0 + i1*s1 + ... + ik*sk]

with strides counted in elements (not bytes). Broadcasting a dimension sets its stride to 0,
so every index along it reads the same element; permuting dimensions permutes the strides.
The elementwise kernels take (buffer, offset, strides) for each operand plus one common
shape, so a single kernel handles broadcasting, transposes and slices alike.

Nothing here imports Numba: this module is plain Python arithmetic on shapes (``strided.py``
turns a View back into a device array that shares the buffer).
"""

from __future__ import annotations

import math
from typing import NamedTuple

# Elementwise launches use at most this many threads per block and this many blocks; a
# grid-stride loop covers arrays larger than THREADS_PER_BLOCK * MAX_BLOCKS.
THREADS_PER_BLOCK = 256
MAX_BLOCKS = 4096
WARP_SIZE = 32


class View(NamedTuple):
    """A strided view of a flat device buffer (see the module docstring)."""

    buffer: object
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Element strides of a C-contiguous array of ``shape``: the last dimension moves by 1."""
    strides = []
    step = 1
    for extent in reversed(shape):
        strides.append(step)
        step *= extent
    return tuple(reversed(strides))


def size_of(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def flat(array):
    """The 1-D buffer behind a C-contiguous device array (a view, no copy)."""
    if not array.is_c_contiguous():
        raise ValueError(
            f"the CUDA backend works on C-contiguous device arrays; got one of shape "
            f"{array.shape} with strides {array.strides}"
        )
    return array.reshape(array.size)


def view_of(array) -> View:
    """The whole of a device array as a view: a view array (``strided.as_array``) carries
    its own description; any other array the backend makes is contiguous."""
    storage_view = getattr(array, "storage_view", None)
    if storage_view is not None:
        return storage_view
    return View(flat(array), 0, tuple(array.shape), contiguous_strides(tuple(array.shape)))


def is_contiguous(array) -> bool:
    """Whether the kernels may treat ``array`` as one flat buffer in C order."""
    return getattr(array, "storage_view", None) is None or array.is_c_contiguous()


def reshaped_strides(shape: tuple[int, ...], strides: tuple[int, ...],
                     new_shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides that show a strided view of ``shape`` as ``new_shape`` without copying, or
    None when no strides can (numpy's and PyTorch's rule, so a device reshape is a view in
    exactly the cases where a CPU reshape is one).

    Walking the dimensions from the last: old dimensions that are laid out back to back
    (``stride[d - 1] == shape[d] * stride[d]``) form one chunk that behaves like a single
    contiguous run; the new dimensions must split each chunk exactly, and inside a chunk
    their strides are products of the extents after them times the chunk's last stride.
    """
    if math.prod(shape) == 0 or not shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    new_dim = len(new_shape) - 1
    chunk_stride = strides[-1]
    chunk_size = new_size = 1
    for dim in range(len(shape) - 1, -1, -1):
        chunk_size *= shape[dim]
        chunk_ends = dim == 0 or (shape[dim - 1] != 1
                                  and strides[dim - 1] != chunk_size * chunk_stride)
        if not chunk_ends:
            continue
        while new_dim >= 0 and (new_size < chunk_size or new_shape[new_dim] == 1):
            new_strides[new_dim] = new_size * chunk_stride
            new_size *= new_shape[new_dim]
            new_dim -= 1
        if new_size != chunk_size:
            return None
        if dim > 0:
            chunk_stride = strides[dim - 1]
            chunk_size = new_size = 1
    if new_dim != -1:
        return None
    return tuple(new_strides)


def broadcast_view(view: View, shape: tuple[int, ...]) -> View:
    """``view`` broadcast to ``shape`` with numpy's rules: missing leading dimensions and
    dimensions of extent 1 get stride 0."""
    if len(shape) < len(view.shape):
        raise ValueError(f"cannot broadcast shape {view.shape} to {shape}")
    pad = len(shape) - len(view.shape)
    strides = [0] * pad
    for extent, stride, target in zip(view.shape, view.strides, shape[pad:], strict=True):
        if extent == target:
            strides.append(stride)
        elif extent == 1:
            strides.append(0)
        else:
            raise ValueError(f"cannot broadcast shape {view.shape} to {shape}")
    return View(view.buffer, view.offset, tuple(shape), tuple(strides))


def permuted_view(view: View, axes: tuple[int, ...]) -> View:
    """``view`` with its dimensions reordered: ``result.shape[i] == view.shape[axes[i]]``."""
    return View(
        view.buffer,
        view.offset,
        tuple(view.shape[axis] for axis in axes),
        tuple(view.strides[axis] for axis in axes),
    )


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape numpy broadcasting gives for ``shapes`` (ValueError naming them if none)."""
    ndim = max(len(shape) for shape in shapes)
    result = []
    for axis in range(ndim):
        extents = {shape[axis - ndim + len(shape)] for shape in shapes
                   if axis - ndim + len(shape) >= 0}
        extents.discard(1)
        if len(extents) > 1:
            raise ValueError(
                f"shapes {' and '.join(str(s) for s in shapes)} cannot be broadcast together"
            )
        result.append(extents.pop() if extents else 1)
    return tuple(result)


def kernel_shape(view: View) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shape and strides as handed to a kernel: a 0-d view becomes shape (1,) so every
    kernel loops over at least one dimension."""
    if view.shape:
        return view.shape, view.strides
    return (1,), (0,)


def launch_1d(size: int) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over ``size`` elements.

    Threads per block are rounded up to a whole warp (32 threads run in lock step anyway)
    and capped at THREADS_PER_BLOCK; small arrays get a small block instead of 256 mostly
    idle threads.
    """
    threads = min(THREADS_PER_BLOCK, WARP_SIZE * math.ceil(size / WARP_SIZE))
    blocks = min(MAX_BLOCKS, math.ceil(size / threads))
    return blocks, threads
