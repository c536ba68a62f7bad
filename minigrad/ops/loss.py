"""Fused softmax + cross-entropy as one differentiable function.

For logits z (N, C) and class indices t (N,), loss_n = -log softmax(z_n)[t_n] and
dloss_n/dz_n = softmax(z_n) - one_hot(t_n). The backend computes both in one stable pass
(see ``minigrad/backend/cpu/loss.py``). A plain backward pass uses the fused backward
kernel; when the graph of the gradient is being recorded (``create_graph=True``), the same
formula is built from Tensor ops instead, so second derivatives are right too.
"""

from __future__ import annotations

import numpy as np

from minigrad import dtypes
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.tensor import Tensor


class SoftmaxCrossEntropy(Function):
    """loss_n = -log softmax(z_n)[t_n];  dL/dz_n = (softmax(z_n) - one_hot(t_n)) dL/dloss_n."""

    @staticmethod
    def forward(ctx, logits, target):
        loss, probabilities = logits.backend.softmax_cross_entropy(logits._data, target._data)
        ctx.probabilities = probabilities
        ctx.save_for_backward(logits, target)  # saved, so that in-place changes are caught
        return logits._from_array(loss, logits.device)

    @staticmethod
    def backward(ctx, grad):
        if is_grad_enabled():
            return _differentiable_backward(ctx, grad), None
        _, target = ctx.saved_tensors
        array = grad.backend.softmax_cross_entropy_backward(ctx.probabilities, target._data,
                                                            grad._data)
        return grad._from_array(array, grad.device), None


def _differentiable_backward(ctx, grad):
    """(softmax(z) - one_hot(t)) * g written with Tensor ops, for create_graph=True."""
    logits, target = ctx.saved_tensors
    shifted = logits - logits.detach().amax(dim=1, keepdim=True)
    exponentials = shifted.exp()
    probabilities = exponentials / exponentials.sum(dim=1, keepdim=True)
    one_hot = np.zeros(logits.shape, dtype=logits.dtype.numpy)
    one_hot[np.arange(logits.shape[0]), logits.backend.to_numpy(target._data)] = 1
    one_hot = Tensor._from_array(logits.backend.from_numpy(one_hot), logits.device)
    return (probabilities - one_hot) * grad.unsqueeze(1)


def softmax_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Per-sample cross-entropy loss (N,) of logits (N, C) against int64 class indices (N,).

    Stable for logits of any magnitude (the row maximum is subtracted before exponentiating).
    Differentiable with respect to ``logits`` (first order). Average it with ``.mean()`` for
    ``CrossEntropyLoss``'s default reduction.
    """
    if not isinstance(logits, Tensor) or not isinstance(target, Tensor):
        raise TypeError(
            "softmax_cross_entropy: logits and target must be Tensors; got "
            f"{type(logits).__name__} and {type(target).__name__}"
        )
    if logits.ndim != 2 or not logits.dtype.is_floating_point:
        raise ValueError(
            "softmax_cross_entropy: logits must be float32/float64 of shape (N, C); got "
            f"{logits.dtype.name} {logits.shape}"
        )
    if target.dtype is not dtypes.int64 or target.shape != (logits.shape[0],):
        raise ValueError(
            f"softmax_cross_entropy: target must be int64 of shape ({logits.shape[0]},) for "
            f"logits {logits.shape}; got {target.dtype.name} {target.shape}"
        )
    if target.device != logits.device:
        raise ValueError(
            f"softmax_cross_entropy: logits are on {logits.device} but target is on "
            f"{target.device}"
        )
    if logits.shape[1] == 0:
        raise ValueError(f"softmax_cross_entropy: logits {logits.shape} have no classes")
    # Checked here for every device: a CUDA kernel cannot raise. On the CPU ``to_numpy`` hands
    # back the array itself, so the check costs two numpy reductions and no copy.
    labels = target.backend.to_numpy(target._data)
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"softmax_cross_entropy: target holds class indices outside 0..{logits.shape[1] - 1}"
            f" (min {labels.min()}, max {labels.max()})"
        )
    return SoftmaxCrossEntropy.apply(logits, target)
