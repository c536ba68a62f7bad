"""Kernels that walk each line along one axis: running sums (cumsum) and sorting (argsort).

The axis is moved last (a strided copy, skipped when it already is last), so the array
reads as (lines, length) with each line contiguous. One thread handles one line, walking
it from left to right - these ops are for the small tensors of a course (ranking scores,
picking the top k classes), not for sorting millions of keys, where a parallel radix or
merge sort would pay.

argsort is an insertion sort on the indices of the line: stable (an element moves left
only past strictly larger ones), with nan counted as the largest value, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minigrad.backend.cuda.elementwise import empty, materialize
from minigrad.backend.cuda.layout import launch_1d, permuted_view, view_of

_KERNELS: dict = {}


@cuda.jit(device=True)
def _comes_before(value, other, descending):
    """Whether ``value`` sorts strictly before ``other`` (nan is the largest value)."""
    if descending:
        if value != value:
            return other == other
        return value > other
    if other != other:
        return value == value
    return value < other


def _cumsum_kernel(dtype):
    key = ("cumsum", np.dtype(dtype))
    if key not in _KERNELS:

        @cuda.jit
        def cumsum_lines(x, out, lines, length):
            for line in range(cuda.grid(1), lines, cuda.gridsize(1)):
                start = line * length
                running = x[start] - x[start]  # zero of the element type
                for j in range(length):
                    running += x[start + j]
                    out[start + j] = running

        _KERNELS[key] = cumsum_lines
    return _KERNELS[key]


def _argsort_kernel(dtype):
    key = ("argsort", np.dtype(dtype))
    if key not in _KERNELS:

        @cuda.jit
        def argsort_lines(x, out, lines, length, descending):
            for line in range(cuda.grid(1), lines, cuda.gridsize(1)):
                start = line * length
                for j in range(length):
                    # insert element j into the sorted indices out[start : start + j]
                    position = j
                    while position > 0 and _comes_before(
                        x[start + j], x[start + out[start + position - 1]], descending
                    ):
                        out[start + position] = out[start + position - 1]
                        position -= 1
                    out[start + position] = j

        _KERNELS[key] = argsort_lines
    return _KERNELS[key]


def _axis_last(a, axis: int):
    """``a`` as a contiguous array with ``axis`` last, and the permutation that undoes it."""
    order = tuple(i for i in range(a.ndim) if i != axis) + (axis,)
    if order != tuple(range(a.ndim)):
        a = materialize(permuted_view(view_of(a), order), a.dtype)
    inverse = tuple(int(i) for i in np.argsort(order))
    return a, inverse


def _run_on_lines(kernel, a, axis: int, out_dtype, *extra):
    """``kernel`` over every line of ``a`` (at least 1-D) along ``axis``."""
    lined, inverse = _axis_last(a, axis)
    shape = tuple(lined.shape)
    out = empty(shape, out_dtype)
    length, lines = shape[-1], math.prod(shape[:-1])
    if lines > 0 and length > 0:
        blocks, threads = launch_1d(lines)
        kernel[blocks, threads](view_of(lined).buffer, view_of(out).buffer, lines, length,
                                *extra)
    if inverse != tuple(range(len(inverse))):
        out = materialize(permuted_view(view_of(out), inverse), out_dtype)
    return out


def cumsum(a, axis: int):
    """Running sum along ``axis``; bool and int64 give int64, floats keep their dtype."""
    if a.dtype.kind != "f" and a.dtype != np.int64:
        from minigrad.backend.cuda.elementwise import astype

        a = astype(a, np.int64)
    return _run_on_lines(_cumsum_kernel(a.dtype), a, axis, a.dtype)


def argsort(a, axis: int, descending: bool):
    """int64 indices that stably sort ``a`` along ``axis``."""
    return _run_on_lines(_argsort_kernel(a.dtype), a, axis, np.int64, descending)
