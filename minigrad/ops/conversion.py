"""Copies across devices and dtypes. The gradient of a copy is the copy back: a tensor
moved to the GPU sends its gradient back to the CPU tensor it came from.

Casting to an integer or bool dtype ends the graph: such results never require grad (see
``Function.apply``), as in PyTorch."""

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


class CopyInto(Function):
    """z = source broadcast to target's shape, as target's dtype (what ``target.copy_(source)``
    and ``fill_`` write);  dL/dtarget = 0 (its old values are gone),
    dL/dsource = dL/dz summed back to source's shape."""

    @staticmethod
    def forward(ctx, target, source):
        ctx.source_shape, ctx.source_dtype = source.shape, source.dtype
        values = source._data
        if source.dtype is not target.dtype:
            values = target.backend.astype(values, target.dtype.numpy)
        array = target.backend.zeros(target.shape, target.dtype.numpy)
        target.backend.assign(array, values)
        return target._from_array(array, target.device)

    @staticmethod
    def backward(ctx, grad):
        from minigrad.ops.common import sum_to_shape

        grad_target = grad.zeros_like() if ctx.needs_input_grad[0] else None
        grad_source = None
        if ctx.needs_input_grad[1]:
            grad_source = sum_to_shape(grad, ctx.source_shape).to(dtype=ctx.source_dtype)
        return grad_target, grad_source
