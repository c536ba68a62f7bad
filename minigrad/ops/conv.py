"""Convolution as differentiable functions: ``conv2d`` and ``conv1d`` (PyTorch's signatures).

Convolution is linear in its input and linear in its weight, so its three rules form a
closed family:

- forward:            y  = conv(x, w)
- gradient for x:     gx = conv_backward_input(gy, w)     (the adjoint of x -> conv(x, w))
- gradient for w:     gw = conv_backward_weight(gy, x)    (the adjoint of w -> conv(x, w))

and the gradient of each backward rule is again one of the three (derived next to each
``backward`` below). Each rule is a ``Function`` whose ``backward`` calls the other
Functions, so gradients of gradients work (``create_graph=True``, ``minigrad.grad`` twice),
all running on the backend's im2col + matrix-multiply kernels. ``conv1d`` is ``conv2d`` on
inputs of height 1.
"""

from __future__ import annotations

import numbers

from minigrad.autograd.function import Function
from minigrad.tensor import Tensor


class Conv2d(Function):
    """y = conv2d(x, w) + b for x (N, C, H, W), w (O, C/groups, KH, KW), b (O,) or None."""

    @staticmethod
    def forward(ctx, x, weight, bias, geometry):
        ctx.save_for_backward(x, weight)
        ctx.geometry = geometry
        bias_array = None if bias is None else bias._data
        return x._from_array(x.backend.conv2d(x._data, weight._data, bias_array, *geometry),
                             x.device)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = Conv2dBackwardInput.apply(grad, weight, x.shape, ctx.geometry)
        if ctx.needs_input_grad[1]:
            grad_weight = Conv2dBackwardWeight.apply(grad, x, weight.shape, ctx.geometry)
        if ctx.needs_input_grad[2]:
            # every output position of channel o added b[o] once
            grad_bias = grad.sum(dim=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None


class Conv2dBackwardInput(Function):
    """gx = conv_backward_input(gy, w): the gradient of conv2d with respect to its input.

    It is bilinear in (gy, w) with <gx', gx> = <conv(gx', w), gy> for any gx', so with an
    upstream gradient gx' its own gradients are conv(gx', w) for gy and
    conv_backward_weight(gy, gx') for w.
    """

    @staticmethod
    def forward(ctx, grad_out, weight, input_shape, geometry):
        ctx.save_for_backward(grad_out, weight)
        ctx.geometry = geometry
        array = grad_out.backend.conv2d_backward_input(grad_out._data, weight._data,
                                                       input_shape, *geometry)
        return grad_out._from_array(array, grad_out.device)

    @staticmethod
    def backward(ctx, grad):
        grad_out, weight = ctx.saved_tensors
        grad_grad_out = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_grad_out = Conv2d.apply(grad, weight, None, ctx.geometry)
        if ctx.needs_input_grad[1]:
            grad_weight = Conv2dBackwardWeight.apply(grad_out, grad, weight.shape, ctx.geometry)
        return grad_grad_out, grad_weight, None, None


class Conv2dBackwardWeight(Function):
    """gw = conv_backward_weight(gy, x): the gradient of conv2d with respect to its weight.

    Bilinear in (gy, x) with <gw', gw> = <conv(x, gw'), gy>, so its gradients are
    conv(x, gw') for gy and conv_backward_input(gy, gw') for x.
    """

    @staticmethod
    def forward(ctx, grad_out, x, weight_shape, geometry):
        ctx.save_for_backward(grad_out, x)
        ctx.geometry = geometry
        array = grad_out.backend.conv2d_backward_weight(grad_out._data, x._data, weight_shape,
                                                        *geometry)
        return grad_out._from_array(array, grad_out.device)

    @staticmethod
    def backward(ctx, grad):
        grad_out, x = ctx.saved_tensors
        grad_grad_out = grad_x = None
        if ctx.needs_input_grad[0]:
            grad_grad_out = Conv2d.apply(x, grad, None, ctx.geometry)
        if ctx.needs_input_grad[1]:
            grad_x = Conv2dBackwardInput.apply(grad_out, grad, x.shape, ctx.geometry)
        return grad_grad_out, grad_x, None, None


# --- argument checking ---------------------------------------------------------------------
def as_tuple(value, length: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of ``length`` ints as a tuple (PyTorch accepts both)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * length
    if isinstance(value, tuple | list) and len(value) == length and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
    ):
        return tuple(int(v) for v in value)
    raise ValueError(f"{op}: {name} must be an int or a tuple of {length} ints; got {value!r}")


def check_tensor_args(op: str, input, weight, bias) -> None:
    """Types, devices and dtypes of (input, weight, bias) for conv and linear."""
    for name, value in (("input", input), ("weight", weight), ("bias", bias)):
        if not isinstance(value, Tensor) and not (name == "bias" and value is None):
            raise TypeError(f"{op}: {name} must be a Tensor; got {type(value).__name__}")
    others = [("weight", weight)] + ([("bias", bias)] if bias is not None else [])
    if not input.dtype.is_floating_point:
        raise ValueError(f"{op}: input must be float32 or float64; got {input.dtype.name}")
    for name, value in others:
        if value.device != input.device:
            raise ValueError(
                f"{op}: input is on {input.device} but {name} (shape {value.shape}) is on "
                f"{value.device}; move one with .to(device)"
            )
        if value.dtype is not input.dtype:
            raise ValueError(
                f"{op}: input is {input.dtype.name} but {name} (shape {value.shape}) is "
                f"{value.dtype.name}; convert one with .float() or .double()"
            )


def _check_conv(op, input, weight, bias, stride, padding, dilation, groups, spatial):
    """Validate a conv call with ``spatial`` (1 or 2) window dimensions; return tuples."""
    check_tensor_args(op, input, weight, bias)
    rank = spatial + 2
    layout = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
    kernel_layout = "(O, C/groups, K)" if spatial == 1 else "(O, C/groups, KH, KW)"
    if input.ndim != rank:
        raise ValueError(f"{op}: input must be {layout}; got shape {input.shape}")
    if weight.ndim != rank:
        raise ValueError(f"{op}: weight must be {kernel_layout}; got shape {weight.shape}")
    if weight.shape[0] == 0:
        raise ValueError(f"{op}: weight {weight.shape} has zero output channels; it needs at "
                         "least one filter")
    if min(weight.shape[2:]) == 0:
        raise ValueError(f"{op}: kernel size must be at least 1 along every spatial dim; "
                         f"weight {weight.shape} has kernel size {weight.shape[2:]}")
    stride = as_tuple(stride, spatial, "stride", op)
    padding = as_tuple(padding, spatial, "padding", op)
    dilation = as_tuple(dilation, spatial, "dilation", op)
    if min(stride) <= 0:
        raise ValueError(f"{op}: stride must be positive; got {stride}")
    if min(dilation) <= 0:
        raise ValueError(f"{op}: dilation must be positive; got {dilation}")
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be non-negative; got {padding}")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int; got {groups!r}")
    channels, out_channels = input.shape[1], weight.shape[0]
    if channels % groups or out_channels % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide both the input channels ({channels}, input "
            f"{input.shape}) and the output channels ({out_channels}, weight {weight.shape})"
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"{op}: input {input.shape} has {channels} channels, but weight {weight.shape} "
            f"with groups={groups} expects {weight.shape[1]} * {groups} = "
            f"{weight.shape[1] * groups}"
        )
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(
            f"{op}: bias must have shape ({out_channels},) for weight {weight.shape}; got "
            f"{bias.shape}"
        )
    for axis in range(spatial):
        padded = input.shape[2 + axis] + 2 * padding[axis]
        extent = dilation[axis] * (weight.shape[2 + axis] - 1) + 1
        if extent > padded:
            raise ValueError(
                f"{op}: kernel {weight.shape[2:]} (dilation {dilation}) spans {extent} along "
                f"spatial dim {axis}, larger than the padded input ({padded}) of input "
                f"{input.shape} with padding {padding}"
            )
    return stride, padding, dilation, int(groups)


# --- public functions ----------------------------------------------------------------------
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    input (N, C, H, W), weight (O, C/groups, KH, KW), bias (O,) or None; ``stride``,
    ``padding`` (zeros) and ``dilation`` are ints or (h, w) pairs. Returns (N, O, OH, OW)
    with OH = floor((H + 2 p_h - d_h (KH - 1) - 1) / s_h) + 1 (and likewise OW).
    Differentiable in input, weight and bias, also twice.
    """
    stride, padding, dilation, groups = _check_conv(
        "conv2d", input, weight, bias, stride, padding, dilation, groups, spatial=2
    )
    return Conv2d.apply(input, weight, bias, (stride, padding, dilation, groups))


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    input (N, C, L), weight (O, C/groups, K), bias (O,) or None. Runs as ``conv2d`` on
    (N, C, 1, L) with a (O, C/groups, 1, K) kernel, so it shares its kernels and gradients.
    """
    stride, padding, dilation, groups = _check_conv(
        "conv1d", input, weight, bias, stride, padding, dilation, groups, spatial=1
    )
    geometry = ((1, stride[0]), (0, padding[0]), (1, dilation[0]), groups)
    out = Conv2d.apply(input.unsqueeze(2), weight.unsqueeze(2), bias, geometry)
    return out.squeeze(2)
