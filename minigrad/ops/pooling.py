"""Max and average pooling as differentiable functions (PyTorch's signatures).

Both are linear maps of the input once the window choices are fixed, so their gradients are
simple: max pooling sends each output gradient to the element that won its window (the
backend returns those winners as ``argmax``); average pooling spreads it evenly over the
window. Each backward rule is itself a ``Function`` whose gradient is the forward rule's
linear map again (a gather at ``argmax``, or average pooling), so second derivatives work.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.ops.conv import as_tuple
from minigrad.tensor import Tensor


class MaxPool2d(Function):
    """y = max over each window of x; dL/dx[winner] += dL/dy."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        out, argmax = x.backend.max_pool2d(x._data, kernel_size, stride, padding)
        ctx.argmax, ctx.input_shape = argmax, x.shape
        return x._from_array(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dBackward.apply(grad, ctx.argmax, ctx.input_shape), None, None, None


class MaxPool2dBackward(Function):
    """gx = scatter-add of gy onto the winners. Its own gradient is a gather at the winners."""

    @staticmethod
    def forward(ctx, grad_out, argmax, input_shape):
        ctx.argmax = argmax
        array = grad_out.backend.max_pool2d_backward(grad_out._data, argmax, input_shape)
        return grad_out._from_array(array, grad_out.device)

    @staticmethod
    def backward(ctx, grad):
        batch, channels, out_h, out_w = ctx.argmax.shape
        winners = Tensor._from_array(ctx.argmax.reshape(batch, channels, -1), grad.device)
        picked = grad.reshape(batch, channels, -1).gather(2, winners)
        return picked.reshape(batch, channels, out_h, out_w), None, None


class AvgPool2d(Function):
    """y = mean over each window of x; dL/dx gets dL/dy / window size from every window."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, count_include_pad):
        ctx.window = (kernel_size, stride, padding, count_include_pad)
        ctx.input_shape = x.shape
        out = x.backend.avg_pool2d(x._data, kernel_size, stride, padding, count_include_pad)
        return x._from_array(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2dBackward.apply(grad, ctx.input_shape, ctx.window), None, None, None, None


class AvgPool2dBackward(Function):
    """gx = avg_pool2d's adjoint applied to gy; the adjoint of that is avg_pool2d itself."""

    @staticmethod
    def forward(ctx, grad_out, input_shape, window):
        ctx.window = window
        array = grad_out.backend.avg_pool2d_backward(grad_out._data, input_shape, *window)
        return grad_out._from_array(array, grad_out.device)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2d.apply(grad, *ctx.window), None, None


def _check_pool(op, input, kernel_size, stride, padding):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor; got {type(input).__name__}")
    if input.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W); got shape {input.shape}")
    if not input.dtype.is_floating_point:
        raise ValueError(f"{op}: input must be float32 or float64; got {input.dtype.name}")
    kernel_size = as_tuple(kernel_size, 2, "kernel_size", op)
    stride = kernel_size if stride is None else as_tuple(stride, 2, "stride", op)
    padding = as_tuple(padding, 2, "padding", op)
    if min(kernel_size) <= 0 or min(stride) <= 0:
        raise ValueError(
            f"{op}: kernel_size {kernel_size} and stride {stride} must be positive"
        )
    if min(padding) < 0 or any(2 * p > k for p, k in zip(padding, kernel_size, strict=True)):
        raise ValueError(
            f"{op}: padding {padding} must be between 0 and half of kernel_size {kernel_size}"
        )
    for axis in range(2):
        padded = input.shape[2 + axis] + 2 * padding[axis]
        if kernel_size[axis] > padded:
            raise ValueError(
                f"{op}: kernel_size {kernel_size} is larger than the padded input "
                f"({padded} along spatial dim {axis}) of input {input.shape}"
            )
    if input.shape[2] == 0 or input.shape[3] == 0:
        raise ValueError(f"{op}: input {input.shape} has an empty (H, W) plane")
    return kernel_size, stride, padding


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Max over kernel_size windows, as ``torch.nn.functional.max_pool2d`` (``stride``
    defaults to ``kernel_size``; padding counts as -inf and may be at most half the kernel)."""
    kernel_size, stride, padding = _check_pool("max_pool2d", input, kernel_size, stride, padding)
    return MaxPool2d.apply(input, kernel_size, stride, padding)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over kernel_size windows, as ``torch.nn.functional.avg_pool2d``. The zero padding
    is part of every window's divisor when ``count_include_pad`` (the default)."""
    kernel_size, stride, padding = _check_pool("avg_pool2d", input, kernel_size, stride, padding)
    return AvgPool2d.apply(input, kernel_size, stride, padding, bool(count_include_pad))
