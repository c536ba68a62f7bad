"""Copies across devices and dtypes. The gradient of a copy is the copy back: a tensor
moved to the GPU sends its gradient back to the CPU tensor it came from."""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.backend import get_backend


class Convert(Function):
    """z = a on ``device`` as ``dtype``;  dL/da = dL/dz moved back to a's device and dtype."""

    @staticmethod
    def forward(ctx, a, device: str, dtype):
        ctx.source_device, ctx.source_dtype = a.device, a.dtype
        target = get_backend(device)
        if device != a.device:
            array = target.from_numpy(a.backend.to_numpy(a._data))
            if dtype is not a.dtype:
                array = target.astype(array, dtype.numpy)
        elif dtype is not a.dtype:
            array = target.astype(a._data, dtype.numpy)
        else:
            array = target.copy(a._data)
        return a._from_array(array, device)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.source_dtype.is_floating_point:
            return None, None, None
        return grad.to(device=ctx.source_device, dtype=ctx.source_dtype), None, None
