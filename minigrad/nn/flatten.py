"""``Flatten`` joins dimensions, e.g. (N, C, H, W) feature maps into (N, C*H*W) rows;
``Unflatten`` splits one dimension back into several."""

from __future__ import annotations

import math

from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class Flatten(Module):
    """Flatten dimensions ``start_dim`` .. ``end_dim`` (inclusive) into one; by default
    everything but the batch dimension."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: ``Unflatten(1, (16, 5, 5))`` turns
    (N, 400) rows into (N, 16, 5, 5) feature maps."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim + input.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape "
                             f"{tuple(input.shape)}")
        sizes = self.unflattened_size
        if -1 not in sizes and math.prod(sizes) != input.shape[dim]:
            raise ValueError(f"Unflatten: sizes {self.unflattened_size} do not multiply to "
                             f"{input.shape[dim]}, the size of dimension {self.dim} of input "
                             f"of shape {tuple(input.shape)}")
        shape = (*input.shape[:dim], *self.unflattened_size, *input.shape[dim + 1:])
        return input.reshape(shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
