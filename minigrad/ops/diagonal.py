"""``diag``: a vector onto the diagonal of a matrix, or a matrix's diagonal as a vector.

Both directions only move values, so each one's gradient is the other direction: the
gradient of reading a diagonal puts the upstream gradient back on that diagonal (zeros
elsewhere), and the gradient of building a diagonal matrix reads the diagonal of the
upstream gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops.common import name_node


def _diagonal_positions(rows: int, columns: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of diagonal ``offset`` (above the main one when positive)."""
    length = max(0, min(rows, columns - offset) if offset >= 0 else min(rows + offset, columns))
    steps = np.arange(length, dtype=np.int64)
    return (steps, steps + offset) if offset >= 0 else (steps - offset, steps)


class DiagEmbed(Function):
    """z = the square matrix with vector v on diagonal ``offset`` and zeros elsewhere;
    dL/dv = the same diagonal of dL/dz."""

    @staticmethod
    def forward(ctx, vector, offset: int):
        size = vector.shape[0] + abs(offset)
        rows, columns = _diagonal_positions(size, size, offset)
        ctx.offset = offset
        backend = vector.backend
        index = (backend.from_numpy(rows), backend.from_numpy(columns))
        out = backend.index_add((size, size), index, vector._data, vector.dtype.numpy)
        return vector._from_array(out, vector.device)

    @staticmethod
    def backward(ctx, grad):
        return _read_diagonal(grad, ctx.offset), None


def _read_diagonal(matrix, offset: int):
    """The diagonal ``offset`` of a 2-D tensor, by differentiable indexing."""
    from minigrad.tensor import Tensor

    rows, columns = _diagonal_positions(*matrix.shape, offset)

    def positions(array):
        return Tensor._from_array(matrix.backend.from_numpy(array), matrix.device)

    return name_node(matrix[positions(rows), positions(columns)], "DiagonalBackward0")


def diag(input, diagonal: int = 0):  # noqa: A002 - PyTorch's argument names
    """``torch.diag``: for a 1-D tensor, the square matrix with it on diagonal ``diagonal``
    (0 the main one, > 0 above, < 0 below); for a 2-D tensor, that diagonal as a 1-D
    tensor."""
    if isinstance(diagonal, bool) or not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"diag(): diagonal must be an int, got {type(diagonal).__name__}")
    if input.ndim == 1:
        return DiagEmbed.apply(input, int(diagonal))
    if input.ndim == 2:
        return _read_diagonal(input, int(diagonal))
    raise ValueError(f"diag(): expected a 1-D or 2-D tensor, got shape {input.shape}")


FUNCTIONS = {"diag": diag}
