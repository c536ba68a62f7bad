"""Matrix multiplication, the heart of every dense layer.

For C = A @ B the chain rule gives dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC: each input's
gradient is the upstream gradient multiplied by the *other* input, transposed so the shapes
fit. Batch dimensions broadcast like elementwise ops and are summed back the same way.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.ops.common import broadcast_shape, promote_pair, sum_to_shape


class MatMul(Function):
    """C = A @ B for operands with at least two dimensions."""

    @staticmethod
    def forward(ctx, a, b):
        # dL/dA reads only B and dL/dB only A: save just what the wanted gradients read.
        needs_a, needs_b = ctx.needs_input_grad or (False, False)
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        return a._from_array(a.backend.matmul(a._data, b._data), a.device)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = sum_to_shape(grad @ b.transpose(-1, -2), shape_a)
        if ctx.needs_input_grad[1]:
            grad_b = sum_to_shape(a.transpose(-1, -2) @ grad, shape_b)
        return grad_a, grad_b


def matmul(a, b):
    """``a @ b`` with numpy/PyTorch semantics: a 1-D first operand is a row vector, a 1-D
    second operand a column vector (the added dimension is removed from the result), and
    batch dimensions broadcast."""
    from minigrad.tensor import Tensor

    if not isinstance(b, Tensor):
        raise TypeError(f"matmul: expected a Tensor as the second operand, got {type(b).__name__}")
    if a.device != b.device:
        raise RuntimeError(
            f"matmul: expected both tensors on the same device, got {a.device} (shape "
            f"{a.shape}) and {b.device} (shape {b.shape})"
        )
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and "
            f"{b.shape}"
        )
    a, b = promote_pair(a, b, "matmul")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: {inner_a} (last dim of "
            f"the first) != {inner_b} ({'first' if b.ndim == 1 else 'second-to-last'} dim of "
            "the second)"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shape(a.shape[:-2], b.shape[:-2], "matmul (batch dimensions)")
    a_vector, b_vector = a.ndim == 1, b.ndim == 1
    if a_vector:
        a = a.unsqueeze(0)
    if b_vector:
        b = b.unsqueeze(-1)
    result = MatMul.apply(a, b)
    if a_vector:
        result = result.squeeze(-2)
    if b_vector:
        result = result.squeeze(-1)
    return result
