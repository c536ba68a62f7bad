"""Convolution layers ``Conv1d`` and ``Conv2d`` (cross-correlation, as in PyTorch)."""

from __future__ import annotations

import math
import numbers

from minigrad.dtypes import DType
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import empty_parameter
from minigrad.tensor import Tensor


def _tuple(value: int | tuple[int, ...], size: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * size
    value = tuple(value)
    if len(value) != size or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{name} must be an int or a tuple of {size} ints, got {value!r}")
    return value


class _ConvNd(Module):
    """Shared bookkeeping of Conv1d and Conv2d: weight (out, in / groups, *kernel_size),
    bias (out,), PyTorch's default initialisation."""

    spatial_dims: int

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, groups: int, bias: bool, device: str | None,
                 dtype: DType | None) -> None:
        super().__init__()
        name = type(self).__name__
        for what, count in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(count, numbers.Integral) or isinstance(count, bool) or count < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {count!r}")
        if not isinstance(groups, numbers.Integral) or groups <= 0 or in_channels % groups or \
                out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must "
                f"both be divisible by groups={groups}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, self.spatial_dims, "kernel_size")
        self.stride = _tuple(stride, self.spatial_dims, "stride")
        if min(self.kernel_size) < 1:
            raise ValueError(f"{name}: kernel_size must be at least 1 along every spatial "
                             f"dim, got {self.kernel_size}")
        if min(self.stride) < 1:
            raise ValueError(f"{name}: stride must be at least 1, got {self.stride}")
        self.padding = padding if isinstance(padding, str) else \
            _tuple(padding, self.spatial_dims, "padding")
        self.dilation = _tuple(dilation, self.spatial_dims, "dilation")
        self.groups = groups
        self.weight = empty_parameter(
            (out_channels, in_channels // groups, *self.kernel_size), dtype, device
        )
        if bias:
            self.bias = empty_parameter((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W ~ U(-b, b) and bias ~ U(-b, b) with b = 1 / sqrt(fan_in),
        fan_in = in_channels / groups * prod(kernel_size), as PyTorch does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in > 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input: Tensor) -> None:
        expected = self.spatial_dims + 2
        if input.ndim != expected or input.shape[1] != self.in_channels:
            layout = "(N, C, L)" if self.spatial_dims == 1 else "(N, C, H, W)"
            raise ValueError(
                f"{type(self).__name__} expects input {layout} with C={self.in_channels}, "
                f"got shape {tuple(input.shape)}"
            )

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        default_padding = (0,) * self.spatial_dims
        if self.padding != default_padding:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial_dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): out[n, o, l] = b[o] +
    sum_{c, k} W[o, c, k] x[n, c, l * stride + k * dilation] (x zero-padded)."""

    spatial_dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int],
                 stride: int | tuple[int] = 1, padding: int | tuple[int] | str = 0,
                 dilation: int | tuple[int] = 1, groups: int = 1, bias: bool = True,
                 device: str | None = None, dtype: DType | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W): out[n, o, i, j] = b[o] +
    sum_{c, p, q} W[o, c, p, q] x[n, c, i * s + p * d, j * s + q * d] (x zero-padded)."""

    spatial_dims = 2

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int | tuple[int, int], stride: int | tuple[int, int] = 1,
                 padding: int | tuple[int, int] | str = 0, dilation: int | tuple[int, int] = 1,
                 groups: int = 1, bias: bool = True, device: str | None = None,
                 dtype: DType | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)
