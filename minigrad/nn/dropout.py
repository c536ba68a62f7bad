"""``Dropout`` and ``Dropout2d``: randomly zero activations (or whole channels) while
training."""

from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn._functional_layers import check_dropout_probability
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p); in evaluation mode (``model.eval()``), the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_dropout_probability(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """In training, zero each whole channel (an (H, W) feature map) of an (N, C, H, W)
    input with probability ``p`` and scale the rest by 1 / (1 - p); the identity in
    evaluation mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
