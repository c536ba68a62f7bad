"""The loss functions with PyTorch's full signatures, legacy arguments included.

``F.mse_loss(input, target, size_average=None, reduce=None, reduction="mean")`` and the rest
take their arguments in PyTorch's order (so positional calls port unchanged), turn
``size_average``/``reduce`` into a ``reduction`` (see ``_reduction.py``) and call the
implementation in ``_functional_losses.py``.
"""

from __future__ import annotations

from minigrad.nn import _functional_losses as losses
from minigrad.nn._reduction import legacy_reduction
from minigrad.ops.common import name_node as _named

# PyTorch has no L1Loss node: its l1_loss is abs() then the reduction's own node
_L1_NODE_NAMES = {"none": "AbsBackward0", "sum": "SumBackward0", "mean": "MeanBackward0"}


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Squared error (x - y)^2, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _named(losses.mse_loss(input, target, reduction=reduction), "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Absolute error |x - y|, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _named(losses.l1_loss(input, target, reduction=reduction), _L1_NODE_NAMES[reduction])


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    """0.5 d^2 for |d| < delta, delta (|d| - delta / 2) otherwise, d = x - y."""
    return _named(losses.huber_loss(input, target, reduction=reduction, delta=delta),
                  "HuberLossBackward0")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
                   beta=1.0):
    """0.5 d^2 / beta for |d| < beta, |d| - beta / 2 otherwise, d = x - y."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _named(losses.smooth_l1_loss(input, target, reduction=reduction, beta=beta),
                  "SmoothL1LossBackward0")


def hinge_loss(input, target, reduction="mean"):  # noqa: A002
    """max(0, 1 - y s) for scores s and labels +-1 (micrograd's demo loss)."""
    return losses.hinge_loss(input, target, reduction=reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _named(losses.binary_cross_entropy(input, target, weight=weight, reduction=reduction),
                  "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of sigmoid(x), computed stably from the logits x."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = losses.binary_cross_entropy_with_logits(input, target, weight=weight,
                                                   reduction=reduction, pos_weight=pos_weight)
    return _named(loss, "BinaryCrossEntropyWithLogitsBackward0")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    """-w[y] x[y] for log-probabilities x and class indices y."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = losses.nll_loss(input, target, weight=weight, ignore_index=ignore_index,
                           reduction=reduction)
    return _named(loss, "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """-sum_c q_c log softmax(x)_c from logits x (LogSoftmax and NLLLoss in one step)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = losses.cross_entropy(input, target, weight=weight, ignore_index=ignore_index,
                                reduction=reduction, label_smoothing=label_smoothing)
    # PyTorch's cross_entropy is log_softmax then nll_loss, so its last node is NllLoss's
    return _named(loss, "NllLossBackward0")
