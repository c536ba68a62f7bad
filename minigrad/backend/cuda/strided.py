"""Device arrays that are views: several arrays, one device allocation.

``x.t()``, ``x[0]``, ``x[:, ::2]`` and ``x.expand(...)`` must share ``x``'s memory, as numpy
views do on the CPU: writing through them writes into ``x``, and writing into ``x`` shows
through them. A view is described by a ``layout.View`` - the flat buffer of the storage,
the offset of element (0, ..., 0) in it and the strides, in elements - and ``as_array``
turns that description into a Numba device array that addresses the same memory (under the
simulator, a numpy view of the same numpy buffer).

The array remembers the ``View`` it was made from (attribute ``storage_view``), so that
``layout.view_of`` hands the kernels the storage's buffer and the view's offset and strides
exactly, also for strides that are negative (``x[::-1]``) or zero (``expand``), which no
device pointer plus byte strides could recover.
"""

from __future__ import annotations

import numpy as np

from minigrad.backend.cuda.layout import View


def _simulated(array) -> bool:
    # The simulator's arrays wrap a numpy array in ``_ary``; real device arrays do not.
    return "_ary" in vars(array)


def as_array(view: View):
    """A device array of ``view.shape`` whose elements are the view's elements (no copy)."""
    buffer = view.buffer
    itemsize = buffer.dtype.itemsize
    byte_strides = tuple(stride * itemsize for stride in view.strides)
    if _simulated(buffer):
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        start = buffer._ary[view.offset:]
        array = FakeCUDAArray(np.lib.stride_tricks.as_strided(start, view.shape, byte_strides))
    else:
        from numba.cuda.cudadrv.devicearray import DeviceNDArray

        if any(extent == 0 for extent in view.shape):  # no memory to point at
            return DeviceNDArray(view.shape, byte_strides, buffer.dtype)
        array = DeviceNDArray(view.shape, byte_strides, buffer.dtype,
                              gpu_data=buffer.gpu_data.view(view.offset * itemsize))
    array.storage_view = view
    return array


def _address_range(array) -> tuple[int, int]:
    """[first byte, last byte + 1) of the memory ``array`` can reach."""
    if _simulated(array):
        low, high = np.lib.array_utils.byte_bounds(array._ary)
        return low, high
    start = array.device_ctypes_pointer.value or 0
    itemsize = array.dtype.itemsize
    low = high = 0
    for extent, stride in zip(array.shape, array.strides, strict=True):
        reach = (extent - 1) * stride
        low, high = low + min(reach, 0), high + max(reach, 0)
    return start + low, start + high + itemsize


def may_share_memory(a, b) -> bool:
    """Whether ``a`` and ``b`` could address a common byte (numpy's ``may_share_memory``:
    overlapping address ranges, not a per-element check)."""
    if a.size == 0 or b.size == 0:
        return False
    a_low, a_high = _address_range(a)
    b_low, b_high = _address_range(b)
    return a_low < b_high and b_low < a_high
