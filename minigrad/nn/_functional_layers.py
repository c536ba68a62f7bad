"""Functional forms of the layers and activations, re-exported by ``minigrad.nn.functional``.

Everything here is built from public Tensor ops, so autograd differentiates it (twice, if
asked). The dense, convolution and pooling forms hand the work to the fused kernels in
``minigrad.ops``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import minigrad
from minigrad.autograd.inplace import apply_inplace
from minigrad.dtypes import DType
from minigrad.ops.conv import conv1d as fused_conv1d
from minigrad.ops.conv import conv2d as fused_conv2d
from minigrad.ops.dense import linear as fused_linear
from minigrad.ops.elementwise import log_sigmoid
from minigrad.ops.pooling import avg_pool2d as fused_avg_pool2d
from minigrad.ops.pooling import max_pool2d as fused_max_pool2d
from minigrad.tensor import Tensor


# --- dense, convolution, pooling: fused kernels ------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, for ``input`` (*, in_features), ``weight`` (out_features,
    in_features) and ``bias`` (out_features,)."""
    return fused_linear(input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation: out[n, o, l] = b[o] + sum_{c, k} w[o, c, k]
    x[n, c, l*stride + k*dilation - padding], for ``input`` (N, C, L)."""
    return fused_conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, KH, KW):
    out[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, c, i*s + p*d, j*s + q*d]
    (after zero padding)."""
    return fused_conv2d(input, weight, bias, stride, padding, dilation, groups)


def _unsupported(op: str, **options) -> None:
    for name, (value, default) in options.items():
        if value != default:
            raise ValueError(f"{op}: {name}={value!r} is not supported (only {default!r})")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The maximum of each window; ``stride`` defaults to ``kernel_size``. The gradient
    flows to each window's maximum. ``dilation`` and ``ceil_mode`` are accepted for
    PyTorch's signature but only their defaults are supported."""
    _unsupported("max_pool2d", dilation=(dilation, 1), ceil_mode=(ceil_mode, False))
    return fused_max_pool2d(input, kernel_size, stride, padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window; ``stride`` defaults to ``kernel_size``. ``ceil_mode`` and
    ``divisor_override`` are accepted for PyTorch's signature but only their defaults are
    supported."""
    _unsupported("avg_pool2d", ceil_mode=(ceil_mode, False),
                 divisor_override=(divisor_override, None))
    return fused_avg_pool2d(input, kernel_size, stride, padding, count_include_pad)


# --- activations ---------------------------------------------------------------------------
def _maybe_in_place(input: Tensor, name: str, compute, inplace: bool) -> Tensor:
    """``compute(input)``, or with ``inplace=True`` the same values written into ``input``
    (returned). In place saves one activation-sized buffer; autograd still sees the op,
    and it refuses, as PyTorch does, when ``input`` is a leaf that requires grad or a
    saved tensor another op still needs."""
    if not inplace:
        return compute(input)
    return apply_inplace(input, name, compute)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x)."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """``relu`` in place."""
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _maybe_in_place(
        input, "leaky_relu_", lambda x: minigrad.where(x > 0, x, x * negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` in place."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def compute(x: Tensor) -> Tensor:
        # exp of the clamped input: exp(x) for large positive x would overflow in the branch
        # that where() discards, and inf * 0 in its gradient would give NaN.
        negative_part = (x.clamp(max=0.0).exp() - 1.0) * alpha
        return minigrad.where(x > 0, x, negative_part)

    return _maybe_in_place(input, "elu_", compute, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` in place."""
    return elu(input, alpha, inplace=True)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (also called swish): smooth, slightly negative for x < 0."""
    return _maybe_in_place(input, "silu_", lambda x: x * x.sigmoid(), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt 2)); with
    ``approximate="tanh"``, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return input * ((input * (1.0 / math.sqrt(2.0))).erf() + 1.0) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (inner.tanh() + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def logsigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))), computed as min(x, 0) - log(1 + exp(-|x|)): finite where
    ``sigmoid(x).log()`` gives -inf (x below about -104 in float32)."""
    return log_sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x))."""
    return input.tanh()


def _softmax_dim(ndim: int, name: str) -> int:
    # PyTorch's legacy rule for a missing dim, kept so results match; it warns because the
    # guess is wrong for e.g. a 3-D (batch, sequence, classes) input.
    warnings.warn(
        f"implicit dimension choice for {name} is deprecated; pass dim explicitly",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _is_empty_along(input: Tensor, dim: int, name: str) -> bool:
    """Whether ``input`` has no elements to normalise: then (log-)softmax returns an empty
    result of the same shape, as in PyTorch (there is no maximum to subtract)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}")
    if input.ndim == 0:
        return False
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor of shape "
                         f"{tuple(input.shape)} (expected -{input.ndim} <= dim < {input.ndim})")
    return input.numel() == 0


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``.

    Computed as exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j, which is the same
    number but never overflows. The shift is detached: softmax does not change when a
    constant is added, so no gradient flows through m.
    """
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    if _is_empty_along(input, dim, "softmax"):
        return input * 1.0
    shifted = input - input.detach().amax(dim=dim, keepdim=True)
    exponentials = shifted.exp()
    return exponentials / exponentials.sum(dim=dim, keepdim=True)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """x_i - log sum_j exp(x_j) along ``dim``, via the same max shift as ``softmax``
    (finite for logits of any size)."""
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    if _is_empty_along(input, dim, "log_softmax"):
        return input * 1.0
    shifted = input - input.detach().amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


# --- regularisation and normalisation ------------------------------------------------------
def cast_mask(mask: Tensor, dtype: DType) -> Tensor:
    """A bool tensor as 0/1 values of ``dtype`` (e.g. to multiply with)."""
    return mask.to(dtype=dtype)


def check_dropout_probability(p) -> None:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p!r}")


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple,
             name: str) -> Tensor:
    """Inverted dropout with one keep/drop draw per element of ``mask_shape``, broadcast
    over ``input`` (the shared body of ``dropout`` and ``dropout2d``)."""
    check_dropout_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_in_place(input, name, lambda x: x * 0.0, inplace)
    draws = minigrad.rand(mask_shape, dtype=input.dtype, device=input.device)
    keep = cast_mask(draws >= p, input.dtype)
    return _maybe_in_place(input, name, lambda x: x * keep * (1.0 / (1.0 - p)), inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the survivors by 1 / (1 - p)
    ("inverted" dropout: the expected value is unchanged, so evaluation needs no rescaling).
    Identity when ``training`` is False. The mask comes from minigrad's seeded generator."""
    return _dropout(input, p, training, inplace, tuple(input.shape), "dropout_")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Dropout of whole channels: each (sample, channel) feature map of an (N, C, H, W) or
    (C, H, W) input is zeroed with probability ``p``, the rest scaled by 1 / (1 - p).
    Neighbouring pixels are strongly correlated, so dropping single pixels barely
    regularises a CNN; dropping maps does."""
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects input of shape (N, C, H, W) or (C, H, W), "
                         f"got {tuple(input.shape)}")
    return _dropout(input, p, training, inplace, (*input.shape[:-2], 1, 1), "dropout2d_")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last ``len(normalized_shape)`` dimensions:
    (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance. Unlike batch
    norm it needs no batch statistics, so training and evaluation compute the same thing."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) \
        else tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or tuple(input.shape[input.ndim - count:]) != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape {normalized_shape} must be the last "
                         f"dimensions of the input, got input of shape {tuple(input.shape)}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != normalized_shape:
            raise ValueError(f"layer_norm: {name} has shape {tuple(tensor.shape)}, expected "
                             f"{normalized_shape}")
    axes = tuple(range(input.ndim - count, input.ndim))
    centered = input - input.mean(dim=axes, keepdim=True)
    variance = (centered * centered).mean(dim=axes, keepdim=True)
    output = centered / (variance + eps).sqrt()
    if weight is not None:
        output = output * weight
    if bias is not None:
        output = output + bias
    return output


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over the channel dimension 1 of ``input`` (N, C, *).

    y = (x - mean) / sqrt(var + eps) * weight + bias, per channel. In training the batch's
    mean and biased variance are used (over N and the spatial dimensions), and the running
    statistics, when given, are updated in place:
    running = (1 - momentum) * running + momentum * batch_statistic (the variance stored
    unbiased, times n / (n - 1)). Otherwise the running statistics are used.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C, *), got {tuple(input.shape)}")
    channels = input.shape[1]
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var),
                         ("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {name} has shape {tuple(tensor.shape)}, expected ({channels},) "
                f"for input of shape {tuple(input.shape)}"
            )
    axes = (0, *range(2, input.ndim))
    channel_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = math.prod(input.shape[axis] for axis in axes)
        if count < 2:
            raise ValueError(
                f"batch_norm in training needs more than 1 value per channel, got input of "
                f"shape {tuple(input.shape)}"
            )
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        variance = (centered * centered).mean(dim=axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with minigrad.no_grad():
                batch_mean = mean.detach().reshape((channels,))
                unbiased = variance.detach().reshape((channels,)) * (count / (count - 1))
                running_mean.mul_(1.0 - momentum).add_(batch_mean * momentum)
                running_var.mul_(1.0 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        mean = running_mean.reshape(channel_shape)
        centered = input - mean
        variance = running_var.reshape(channel_shape)
    output = centered / (variance + eps).sqrt()
    if weight is not None:
        output = output * weight.reshape(channel_shape)
    if bias is not None:
        output = output + bias.reshape(channel_shape)
    return output


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape (*tensor.shape, num_classes) with a 1 at each class index.

    ``num_classes=-1`` means one more than the largest index."""
    if tensor.dtype != minigrad.int64:
        raise TypeError(f"one_hot expects an int64 tensor of class indices, got {tensor.dtype}")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1
    if math.prod(tensor.shape) > 0:
        low, high = int(tensor.min().item()), int(tensor.max().item())
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"one_hot: class indices must lie in [0, {num_classes}), got values in "
                f"[{low}, {high}]"
            )
    classes = minigrad.arange(num_classes, dtype=minigrad.int64, device=tensor.device)
    return cast_mask(tensor.unsqueeze(-1) == classes, minigrad.int64)
