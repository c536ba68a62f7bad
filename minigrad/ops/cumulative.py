"""Running sums along one dimension: ``cumsum``.

z_i = a_0 + a_1 + ... + a_i, so a_j appears in every z_i with i >= j and
dL/da_j = sum over i >= j of dL/dz_i: the running sum of the upstream gradient taken from
the other end. The backward pass is therefore a cumsum of the reversed gradient, reversed
back - written with Tensor ops, so it can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops.common import normalize_dim


def reverse(x, axis: int):
    """``x`` with the order along ``axis`` reversed (``torch.flip(x, [axis])``), as
    differentiable indexing with the positions n-1, ..., 1, 0."""
    from minigrad.tensor import Tensor

    backwards = np.arange(x.shape[axis] - 1, -1, -1, dtype=np.int64)
    positions = Tensor._from_array(x.backend.from_numpy(backwards), x.device)
    return x[(slice(None),) * axis + (positions,)]


class Cumsum(Function):
    """z = running sum of a along ``axis``;  dL/da = reversed running sum of dL/dz."""

    @staticmethod
    def forward(ctx, a, axis: int):
        ctx.axis = axis
        return a._from_array(a.backend.cumsum(a._data, axis), a.device)

    @staticmethod
    def backward(ctx, grad):
        return reverse(Cumsum.apply(reverse(grad, ctx.axis), ctx.axis), ctx.axis), None


def cumsum(input, dim: int, *, dtype=None):  # noqa: A002 - PyTorch's argument name
    """``torch.cumsum``: the running sum along ``dim``. Integer and bool tensors give
    int64; ``dtype=`` converts the input first."""
    if dtype is not None:
        input = input.to(dtype=dtype)
    if input.ndim == 0:  # a number is its own running sum
        normalize_dim(dim, 0)
        return Cumsum.apply(input.reshape(1), 0).reshape(())
    return Cumsum.apply(input, normalize_dim(dim, input.ndim))


FUNCTIONS = {"cumsum": cumsum}
