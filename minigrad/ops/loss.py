"""Fused softmax + cross-entropy as one differentiable function.

For logits z (N, C) and class indices t (N,), loss_n = -log softmax(z_n)[t_n] and
dloss_n/dz_n = softmax(z_n) - one_hot(t_n). The backend computes both in one stable pass
(see ``minigrad/backend/cpu/loss.py``). A plain backward pass uses the fused backward
kernel; when the graph of the gradient is being recorded (``create_graph=True``), the same
formula is built from Tensor ops instead, so second derivatives are right too.

With ``reduction="mean"`` (``CrossEntropyLoss``'s default) or ``"sum"`` the reduction is
part of the same node and of the same backend call: the forward kernel sums the loss as
it computes it, and L = (1/N) sum_n loss_n has dL/dloss_n = g/N, one constant for every
sample, which the backward kernel is handed. A training step has one loss node instead of
two (PyTorch's ``NllLossBackward0`` likewise includes the mean).
"""

from __future__ import annotations

import numpy as np

from minigrad import dtypes
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


class SoftmaxCrossEntropy(Function):
    """loss_n = -log softmax(z_n)[t_n];  dL/dz_n = (softmax(z_n) - one_hot(t_n)) dL/dloss_n.

    ``reduction`` "mean" or "sum" returns the mean or sum of the loss_n (a 0-d tensor)."""

    @staticmethod
    def forward(ctx, logits, target, reduction: str):
        loss, probabilities = logits.backend.softmax_cross_entropy(logits._data, target._data,
                                                                   reduction)
        ctx.probabilities, ctx.reduction = probabilities, reduction
        ctx.save_for_backward(logits, target)  # saved, so that in-place changes are caught
        return logits._from_array(loss, logits.device)

    @staticmethod
    def backward(ctx, grad):
        if is_grad_enabled():
            return _differentiable_backward(ctx, grad), None, None
        _, target = ctx.saved_tensors
        array = grad.backend.softmax_cross_entropy_backward(ctx.probabilities, target._data,
                                                            grad._data, ctx.reduction)
        return grad._from_array(array, grad.device), None, None


def _differentiable_backward(ctx, grad):
    """(softmax(z) - one_hot(t)) * g written with Tensor ops, for create_graph=True."""
    logits, target = ctx.saved_tensors
    samples = logits.shape[0]
    if ctx.reduction == "mean":
        grad = (grad / samples).expand(samples)
    elif ctx.reduction == "sum":
        grad = grad.expand(samples)
    shifted = logits - logits.detach().amax(dim=1, keepdim=True)
    exponentials = shifted.exp()
    probabilities = exponentials / exponentials.sum(dim=1, keepdim=True)
    one_hot = np.zeros(logits.shape, dtype=logits.dtype.numpy)
    one_hot[np.arange(logits.shape[0]), logits.backend.to_numpy(target._data)] = 1
    one_hot = Tensor._from_array(logits.backend.from_numpy(one_hot), logits.device)
    return (probabilities - one_hot) * grad.unsqueeze(1)


def softmax_cross_entropy(logits: Tensor, target: Tensor, reduction: str = "none") -> Tensor:
    """Per-sample cross-entropy loss (N,) of logits (N, C) against int64 class indices (N,);
    with ``reduction="mean"`` or ``"sum"`` their mean or sum (0-d), in the same node.

    Stable for logits of any magnitude (the row maximum is subtracted before exponentiating).
    Differentiable with respect to ``logits``.
    """
    check_arguments(logits, target, reduction)
    # Checked here for every device: a CUDA kernel cannot raise. On the CPU ``to_numpy`` hands
    # back the array itself, so the check costs two numpy reductions and no copy.
    labels = target.backend.to_numpy(target._data)
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"softmax_cross_entropy: target holds class indices outside 0..{logits.shape[1] - 1}"
            f" (min {labels.min()}, max {labels.max()})"
        )
    return SoftmaxCrossEntropy.apply(logits, target, reduction)


def check_arguments(logits: Tensor, target: Tensor, reduction: str) -> None:
    """Everything ``softmax_cross_entropy`` checks except the range of the class indices
    (``F.cross_entropy`` checks that itself, together with ``ignore_index``)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be one of {REDUCTIONS}; got "
                         f"{reduction!r}")
    if not isinstance(logits, Tensor) or not isinstance(target, Tensor):
        raise TypeError(
            "softmax_cross_entropy: logits and target must be Tensors; got "
            f"{type(logits).__name__} and {type(target).__name__}"
        )
    # the arrays' shapes as plain tuples: cheaper than Tensor.shape, read on every step
    logits_shape, target_shape = tuple(logits._data.shape), tuple(target._data.shape)
    if len(logits_shape) != 2 or not logits.dtype.is_floating_point:
        raise ValueError(
            "softmax_cross_entropy: logits must be float32/float64 of shape (N, C); got "
            f"{logits.dtype.name} {logits.shape}"
        )
    if target.dtype is not dtypes.int64 or target_shape != logits_shape[:1]:
        raise ValueError(
            f"softmax_cross_entropy: target must be int64 of shape ({logits_shape[0]},) for "
            f"logits {logits.shape}; got {target.dtype.name} {target.shape}"
        )
    if target.device != logits.device:
        raise ValueError(
            f"softmax_cross_entropy: logits are on {logits.device} but target is on "
            f"{target.device}"
        )
    if logits_shape[1] == 0:
        raise ValueError(f"softmax_cross_entropy: logits {logits.shape} have no classes")
