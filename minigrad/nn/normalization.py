"""Batch normalisation: ``BatchNorm1d`` for (N, C) or (N, C, L), ``BatchNorm2d`` for
(N, C, H, W); and ``LayerNorm``, which normalises each sample on its own."""

from __future__ import annotations

import numbers

import minigrad
from minigrad.dtypes import DType
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import empty_parameter
from minigrad.tensor import Tensor


class _BatchNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias for each channel.

    Training: mean and (biased) variance of the batch over N and the spatial dimensions;
    the running estimates are updated as running = (1 - momentum) running + momentum stat
    (the variance unbiased), or, with ``momentum=None``, as the cumulative average over
    ``num_batches_tracked`` batches. Evaluation (``eval()``): the running estimates.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: str | None = None, dtype: DType | None = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = empty_parameter((num_features,), dtype, device)
        else:
            self.register_parameter("weight", None)
        if affine and bias:  # bias=False keeps the scale gamma but drops the shift beta
            self.bias = empty_parameter((num_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            options = {"dtype": dtype or minigrad.float32, "device": device or "cpu"}
            self.register_buffer("running_mean", minigrad.zeros((num_features,), **options))
            self.register_buffer("running_var", minigrad.ones((num_features,), **options))
            self.register_buffer(
                "num_batches_tracked",
                minigrad.zeros((), dtype=minigrad.int64, device=device or "cpu"),
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) got input of shape "
                f"{tuple(input.shape)} with {input.shape[1]} channels"
            )
        average_factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with minigrad.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                average_factor = 1.0 / float(self.num_batches_tracked.item())
        # Without running statistics there is nothing else to normalise with, so batch
        # statistics are used in evaluation mode too (as in PyTorch).
        use_batch_statistics = self.training or self.running_mean is None
        update_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if update_running else None,
            self.running_var if update_running else None,
            self.weight,
            self.bias,
            use_batch_statistics,
            average_factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d expects input (N, C) or (N, C, L), got shape {tuple(input.shape)}"
            )


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) feature maps, per channel C."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(
                f"BatchNorm2d expects input (N, C, H, W), got shape {tuple(input.shape)}"
            )


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, the statistics taken over the last
    dimensions of each sample (``normalized_shape``), not over the batch: the same in
    training and evaluation, and fine with a batch of one. ``weight`` starts at ones and
    ``bias`` at zeros, one per normalised element."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: str | None = None, dtype: DType | None = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(size) for size in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._has_bias = bias and elementwise_affine
        if elementwise_affine:
            self.weight = empty_parameter(self.normalized_shape, dtype, device)
            init.ones_(self.weight)
            if bias:
                self.bias = empty_parameter(self.normalized_shape, dtype, device)
                init.zeros_(self.bias)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self._has_bias}")
