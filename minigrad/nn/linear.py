"""The fully connected layer ``Linear`` and the pass-through ``Identity``."""

from __future__ import annotations

import math

from minigrad.dtypes import DType
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import empty_parameter
from minigrad.tensor import Tensor


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features) and b of (out_features,).

    Initialised as in PyTorch: W ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (that is
    ``kaiming_uniform_(a=sqrt(5))``) and b from the same range.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: str | None = None, dtype: DType | None = None) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(
                f"Linear needs non-negative sizes, got in_features={in_features}, "
                f"out_features={out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter((out_features, in_features), dtype, device)
        if bias:
            self.bias = empty_parameter((out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights from minigrad's seeded generator, as PyTorch does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None and self.in_features > 0:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}) got input of shape "
                f"{tuple(input.shape)}; its last dimension must be {self.in_features}"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for "no activation")."""

    def forward(self, input: Tensor) -> Tensor:
        return input
