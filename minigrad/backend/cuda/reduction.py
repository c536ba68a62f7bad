"""Reductions (sum, prod, max, min, argmax, argmin) with a shared-memory tree.

Any reduction over any set of axes becomes "reduce every row of a 2-D array": the kept
axes are moved to the front and the reduced axes to the back (a strided copy, skipped when
they already are there), and the array is read as (rows, row_length).

Thread mapping: one block per row (a grid-stride loop over rows when there are more rows
than blocks). With ``T`` threads in the block (a power of two, at most ``row_length``):

1. thread ``t`` folds elements ``t, t + T, t + 2T, ...`` of the row into one partial
   result - reads of neighbouring threads are neighbouring addresses (coalesced);
2. the ``T`` partials go to shared memory and are combined pairwise in log2(T) steps:
   thread ``t < s`` combines slots ``t`` and ``t + s`` for ``s = T/2, T/4, ..., 1``, with a
   barrier (``syncthreads``) between steps;
3. thread 0 writes slot 0.

argmax/argmin carry an index next to each value and break ties by the smaller index, so the
first extreme element wins, as in numpy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, from_dtype

from minigrad.backend.cuda.elementwise import astype, empty, full, materialize
from minigrad.backend.cuda.layout import launch_1d, permuted_view, view_of

MAX_THREADS = 256  # per block; a power of two
MAX_BLOCKS = 65535
SHORT_ROW = 32  # rows shorter than a warp are reduced by one thread each


@cuda.jit(device=True)
def _combine_sum(a, b):
    return a + b


@cuda.jit(device=True)
def _combine_prod(a, b):
    return a * b


@cuda.jit(device=True)
def _combine_max(a, b):
    if a > b or a != a:  # nan wins, as in numpy
        return a
    return b


@cuda.jit(device=True)
def _combine_min(a, b):
    if a < b or a != a:
        return a
    return b


@cuda.jit(device=True)
def _better_max(value, index, best, best_index):
    """Whether (value, index) beats (best, best_index) for argmax: larger, nan counts as
    the largest, ties go to the smaller index."""
    if value != value:
        return best == best or index < best_index
    if best != best:
        return False
    return value > best or (value == best and index < best_index)


@cuda.jit(device=True)
def _better_min(value, index, best, best_index):
    if value != value:
        return best == best or index < best_index
    if best != best:
        return False
    return value < best or (value == best and index < best_index)


_COMBINE = {"sum": _combine_sum, "prod": _combine_prod, "max": _combine_max, "min": _combine_min}
_BETTER = {"argmax": _better_max, "argmin": _better_min}
_KERNELS: dict = {}


def _reduce_kernel(kind: str, dtype):
    """The kernel reducing rows of ``x`` (flat, rows * row_length) into ``out`` (rows,)."""
    key = (kind, np.dtype(dtype))
    if key in _KERNELS:
        return _KERNELS[key]
    shared_type = from_dtype(np.dtype(dtype))
    combine = _COMBINE[kind]

    @cuda.jit
    def reduce_rows(x, out, rows, row_length):
        partial = cuda.shared.array(MAX_THREADS, shared_type)
        thread = cuda.threadIdx.x
        threads = cuda.blockDim.x
        for row in range(cuda.blockIdx.x, rows, cuda.gridDim.x):
            start = row * row_length
            # threads <= row_length, so every thread starts from a real element.
            accumulator = x[start + thread]
            for j in range(thread + threads, row_length, threads):
                accumulator = combine(accumulator, x[start + j])
            partial[thread] = accumulator
            cuda.syncthreads()
            step = threads // 2
            while step > 0:
                if thread < step:
                    partial[thread] = combine(partial[thread], partial[thread + step])
                cuda.syncthreads()
                step //= 2
            if thread == 0:
                out[row] = partial[0]
            cuda.syncthreads()  # slot 0 is read before the next row overwrites it

    _KERNELS[key] = reduce_rows
    return reduce_rows


def _arg_reduce_kernel(kind: str, dtype):
    key = (kind, np.dtype(dtype))
    if key in _KERNELS:
        return _KERNELS[key]
    shared_type = from_dtype(np.dtype(dtype))
    index_type = from_dtype(np.dtype(np.int64))
    better = _BETTER[kind]

    @cuda.jit
    def arg_reduce_rows(x, out, rows, row_length):
        best_values = cuda.shared.array(MAX_THREADS, shared_type)
        best_indices = cuda.shared.array(MAX_THREADS, index_type)
        thread = cuda.threadIdx.x
        threads = cuda.blockDim.x
        for row in range(cuda.blockIdx.x, rows, cuda.gridDim.x):
            start = row * row_length
            best = x[start + thread]
            best_index = thread
            for j in range(thread + threads, row_length, threads):
                if better(x[start + j], j, best, best_index):
                    best = x[start + j]
                    best_index = j
            best_values[thread] = best
            best_indices[thread] = best_index
            cuda.syncthreads()
            step = threads // 2
            while step > 0:
                if thread < step:
                    other = thread + step
                    if better(best_values[other], best_indices[other],
                              best_values[thread], best_indices[thread]):
                        best_values[thread] = best_values[other]
                        best_indices[thread] = best_indices[other]
                cuda.syncthreads()
                step //= 2
            if thread == 0:
                out[row] = best_indices[0]
            cuda.syncthreads()

    _KERNELS[key] = arg_reduce_rows
    return arg_reduce_rows


def _serial_kernel(kind: str, dtype):
    """One thread per row, folding the row left to right (for rows shorter than a warp)."""
    key = ("serial", kind, np.dtype(dtype))
    if key in _KERNELS:
        return _KERNELS[key]
    is_arg = kind in _BETTER
    combine = _COMBINE["sum" if is_arg else kind]
    better = _BETTER["argmax" if not is_arg else kind]

    @cuda.jit
    def reduce_short_rows(x, out, rows, row_length):
        for row in range(cuda.grid(1), rows, cuda.gridsize(1)):
            start = row * row_length
            best = x[start]
            best_index = 0
            for j in range(1, row_length):
                if is_arg:
                    if better(x[start + j], j, best, best_index):
                        best = x[start + j]
                        best_index = j
                else:
                    best = combine(best, x[start + j])
            if is_arg:
                out[row] = best_index
            else:
                out[row] = best

    _KERNELS[key] = reduce_short_rows
    return reduce_short_rows


def _as_rows(a, axes: tuple[int, ...]):
    """``a`` as a contiguous (rows, row_length) buffer with the ``axes`` along each row,
    and the shape of the kept axes."""
    kept = tuple(axis for axis in range(a.ndim) if axis not in axes)
    order = kept + tuple(sorted(axes))
    if order != tuple(range(a.ndim)):
        a = materialize(permuted_view(view_of(a), order), a.dtype)
    kept_shape = tuple(a.shape[: len(kept)])
    row_length = math.prod(a.shape[len(kept):])
    return view_of(a).buffer, kept_shape, row_length


def _launch(kind: str, buffer, out, rows: int, row_length: int, dtype) -> None:
    if row_length < SHORT_ROW:
        # A short row would leave most of a warp idle: one thread per row instead.
        blocks, threads = launch_1d(rows)
        _serial_kernel(kind, dtype)[blocks, threads](buffer, view_of(out).buffer, rows,
                                                     row_length)
        return
    # The largest power of two not above the row length: every thread gets an element.
    threads = min(MAX_THREADS, 1 << (row_length.bit_length() - 1))
    kernel = _arg_reduce_kernel(kind, dtype) if kind in _BETTER else _reduce_kernel(kind, dtype)
    kernel[min(rows, MAX_BLOCKS), threads](buffer, view_of(out).buffer, rows, row_length)


def _result_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if axis in axes else extent for axis, extent in enumerate(shape))
    return tuple(extent for axis, extent in enumerate(shape) if axis not in axes)


def reduce(kind: str, a, axes: tuple[int, ...], keepdims: bool):
    """``kind`` ("sum", "prod", "max" or "min") of ``a`` over ``axes``, numpy style."""
    shape = tuple(a.shape)
    if a.dtype == np.bool_:
        a = astype(a, np.int64) if kind in ("sum", "prod") else a
    buffer, kept_shape, row_length = _as_rows(a, axes)
    rows = math.prod(kept_shape)
    out = empty(_result_shape(shape, axes, keepdims), a.dtype)
    if rows == 0:
        return out
    if row_length == 0:
        if kind not in ("sum", "prod"):
            raise ValueError(
                f"{kind} over axes {axes} of an array of shape {shape}: the reduced axes are "
                f"empty and {kind} has no identity"
            )
        return full(out.shape, 0 if kind == "sum" else 1, a.dtype)
    _launch(kind, buffer, out, rows, row_length, a.dtype)
    return out


def arg_reduce(kind: str, a, axis: int | None, keepdims: bool):
    """int64 index of the first maximum ("argmax") or minimum ("argmin") along ``axis``
    (over the flattened array when ``axis`` is None)."""
    shape = tuple(a.shape)
    if a.size == 0:
        raise ValueError(f"{kind} of an empty array of shape {shape}")
    if axis is None:
        buffer, rows, row_length = view_of(a).buffer, 1, a.size
        out_shape = (1,) * len(shape) if keepdims else ()
    else:
        buffer, kept_shape, row_length = _as_rows(a, (axis,))
        rows = math.prod(kept_shape)
        out_shape = _result_shape(shape, (axis,), keepdims)
    out = empty(out_shape, np.int64)
    if rows:
        _launch(kind, buffer, out, rows, row_length, a.dtype)
    return out

