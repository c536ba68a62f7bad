"""The fully connected layer as one differentiable function: ``linear`` (PyTorch's signature).

y = x W^T + b for x (N, in), W (out, in), b (out,). The chain rule gives

    dL/dx = g W,    dL/dW = g^T x,    dL/db = sum_n g[n]

for the upstream gradient g (N, out). Forward runs the backend's fused kernel (product and
bias in one call). A plain backward pass is one backend call too (``linear_backward``: both
products and the bias sum, and no graph nodes); when the graph of the gradient is being
recorded (``create_graph=True``) the same formulas are written with Tensor ops, so
gradients of gradients work too.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.ops.conv import check_tensor_args
from minigrad.ops.linalg import MatMul
from minigrad.tensor import Tensor


class Linear(Function):
    """y = x @ W.T + b for 2-D x (N, in), W (out, in), b (out,) or None."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        # dL/dx reads only W and dL/dW only x: save just what the wanted gradients read.
        needs_x, needs_weight = (ctx.needs_input_grad or (False, False))[:2]
        ctx.save_for_backward(x if needs_weight else None, weight if needs_x else None)
        bias_array = None if bias is None else bias._data
        return x._from_array(x.backend.linear(x._data, weight._data, bias_array, None), x.device)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if not is_grad_enabled():
            needs_input_grad = ctx.needs_input_grad
            arrays = iter(grad.backend.linear_backward(
                grad._data, None if x is None else x._data,
                None if weight is None else weight._data, needs_input_grad))
            # the backend returns just the wanted gradients, in input order
            return tuple(grad._from_array(next(arrays), grad.device) if needed else None
                         for needed in needs_input_grad)
        # grad @ weight and grad.T @ x: the shapes are known to fit, so the products go
        # straight to the MatMul node, without matmul()'s argument checks
        grad_x = MatMul.apply(grad, weight) if ctx.needs_input_grad[0] else None
        grad_weight = MatMul.apply(grad.T, x) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(dim=0) if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, as ``torch.nn.functional.linear``.

    input (*, in) with any number of leading dimensions (they are flattened into one batch
    dimension for the kernel and restored afterwards), weight (out, in), bias (out,) or None.
    Returns (*, out).
    """
    check_tensor_args("linear", input, weight, bias)
    # the arrays' shapes as plain tuples: cheaper to read than Tensor.shape on every layer
    # call (tuple(): a device array's shape need not support negative indices)
    input_shape, weight_shape = tuple(input._data.shape), tuple(weight._data.shape)
    if len(weight_shape) != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features); got {weight.shape}")
    if len(input_shape) < 1 or input_shape[-1] != weight_shape[1]:
        raise ValueError(
            f"linear: input {input.shape} must end in in_features={weight_shape[1]} to match "
            f"weight {weight.shape}"
        )
    if bias is not None and bias._data.shape != (weight_shape[0],):
        raise ValueError(
            f"linear: bias must have shape ({weight_shape[0]},) for weight {weight.shape}; got "
            f"{bias.shape}"
        )
    if len(input_shape) == 2:
        return Linear.apply(input, weight, bias)
    leading = input.shape[:-1]
    out = Linear.apply(input.reshape(-1, weight.shape[1]), weight, bias)
    return out.reshape(*leading, weight.shape[0])
