"""Loss functions, re-exported by ``minigrad.nn.functional`` (the modules are in ``loss.py``).

Each returns the per-element (or per-sample) loss reduced by ``reduction``: ``"mean"`` (the
default), ``"sum"`` or ``"none"``. Unlike PyTorch, input and target shapes must match
exactly where PyTorch would silently broadcast them: an output of shape (N, 1) against a
target of shape (N,) would otherwise become an (N, N) loss, a classic silent bug.
"""

from __future__ import annotations

import numbers

import numpy as np

import minigrad
from minigrad.autograd import Function
from minigrad.nn._functional_layers import cast_mask, log_softmax
from minigrad.ops.loss import SoftmaxCrossEntropy
from minigrad.ops.loss import check_arguments as check_fused_arguments
from minigrad.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: input has shape {tuple(input.shape)} but target has shape "
            f"{tuple(target.shape)}; they must be equal (reshape one of them)"
        )


# --- regression --------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Squared error (x - y)^2."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "mse_loss")
    difference = input - target
    return _reduce(difference * difference, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Absolute error |x - y|."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """0.5 d^2 for |d| < delta, delta (|d| - 0.5 delta) otherwise, with d = x - y:
    quadratic near the target, linear (robust to outliers) far from it."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss needs delta > 0, got {delta}")
    difference = input - target
    absolute = difference.abs()
    quadratic = difference * difference * 0.5
    linear = (absolute - 0.5 * delta) * delta
    return _reduce(minigrad.where(absolute < delta, quadratic, linear), reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d^2 / beta for |d| < beta, |d| - 0.5 beta otherwise, with d = x - y: Huber's
    loss divided by beta, so its slope far from the target is 1 (beta = 0 is the L1 loss)."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "smooth_l1_loss")
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta >= 0:
        raise ValueError(f"smooth_l1_loss needs beta >= 0, got {beta!r}")
    difference = input - target
    absolute = difference.abs()
    if beta == 0:
        return _reduce(absolute, reduction)
    quadratic = difference * difference * (0.5 / beta)
    return _reduce(minigrad.where(absolute < beta, quadratic, absolute - 0.5 * beta), reduction)


def hinge_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """max(0, 1 - y s) for scores s and labels y in {-1, +1} (the SVM loss of micrograd's
    demo): zero once a sample is on the right side with a margin of at least 1."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "hinge_loss")
    return _reduce((1.0 - target * input).relu(), reduction)


# --- binary classification ---------------------------------------------------------------
# The floor of p (1 - p) in the BCE gradient: PyTorch's EPSILON is the C float 1e-12f, which
# is 9.999999960e-13 as a double; using the same number gives the same gradient where a
# saturated sigmoid makes p (1 - p) tiny.
_BCE_EPSILON = float(np.float32(1e-12))


def _log_one_minus(p: Tensor) -> Tensor:
    """log(1 - p), accurate also for tiny p (PyTorch's BCE uses log1p(-p) there).

    Plain (1 - p).log() is 0 once 1 - p rounds to 1 (p < 6e-8 in float32), so the loss of
    a confident, correct prediction would be 0 instead of about p. With u = 1 - p as
    rounded, log(u) * (-p) / (u - 1) is accurate (Goldberg's trick: the rounding error of u
    cancels in the ratio); where u rounds to 1, log(1 - p) = -p to working precision.
    """
    u = 1.0 - p
    rounds_to_one = u == 1.0
    ratio = u.log() * (-p) / minigrad.where(rounds_to_one, -1.0, u - 1.0)
    return minigrad.where(rounds_to_one, -p, ratio)


class BinaryCrossEntropy(Function):
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 as in PyTorch.

    A Function of its own rather than composed ops so that its gradient is PyTorch's
    (p - y) / max(p (1 - p), 1e-12): composed, p = 0 or 1 (a saturated sigmoid in float32)
    would give 0 / 0 = NaN through the clamp.
    """

    @staticmethod
    def forward(ctx, probabilities: Tensor, target: Tensor) -> Tensor:
        ctx.save_for_backward(probabilities, target)
        log_p = probabilities.log().clamp(min=-100.0)
        log_one_minus_p = _log_one_minus(probabilities).clamp(min=-100.0)
        return -(target * log_p + (1.0 - target) * log_one_minus_p)

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        probabilities, target = ctx.saved_tensors
        grad_probabilities = grad_target = None
        if ctx.needs_input_grad[0]:
            denominator = (probabilities * (1.0 - probabilities)).clamp(min=_BCE_EPSILON)
            grad_probabilities = grad_output * (probabilities - target) / denominator
        if ctx.needs_input_grad[1]:
            log_p = probabilities.log().clamp(min=-100.0)
            log_one_minus_p = _log_one_minus(probabilities).clamp(min=-100.0)
            grad_target = grad_output * (log_one_minus_p - log_p)
        return grad_probabilities, grad_target


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1] (e.g. after a
    sigmoid). Prefer ``binary_cross_entropy_with_logits`` on the raw scores: it is exact
    where the sigmoid saturates."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy")
    if input.ndim > 0 and min(input.shape) > 0:
        low, high = input.min().item(), input.max().item()
        if low < 0 or high > 1 or np.isnan(low) or np.isnan(high):
            raise ValueError(
                f"binary_cross_entropy expects probabilities in [0, 1], got values in "
                f"[{low}, {high}]; for raw scores use binary_cross_entropy_with_logits"
            )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _softplus_of_negative(x: Tensor) -> Tensor:
    """log(1 + exp(-x)) = -log sigmoid(x), finite for any x.

    Written as m + log(exp(-m) + exp(-x - m)) with m = max(0, -x): neither exponent is
    positive, so nothing overflows. m is detached because the expression does not depend
    on it; the gradient is then exactly -sigmoid(-x), also at x = 0.
    """
    shift = (-x).relu().detach()
    return shift + ((-shift).exp() + (-x - shift).exp()).log()


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(x) computed from the logits x, stably:

    -w (P y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
        = w ((1 - y) x + (1 + (P - 1) y) log(1 + exp(-x)))

    with P = ``pos_weight`` (1 if not given; broadcast over the last dimension, the
    classes). Finite for logits of any size; the gradient is w (sigmoid(x) - y) when P = 1.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus = _softplus_of_negative(input)
    if pos_weight is None:
        loss = (1.0 - target) * input + softplus
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# --- multi-class classification ----------------------------------------------------------
def _classes_last(input: Tensor, target: Tensor, name: str):
    """Rearrange ``input`` (C,), (N, C) or (N, C, d1, ...) to a 2-D (M, C) matrix and the
    target to (M,) class indices or (M, C) probabilities; also return the shape of the
    per-sample loss (what ``reduction='none'`` gives back)."""
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError(f"{name}: input and target must be Tensors; got "
                        f"{type(input).__name__} and {type(target).__name__}")
    # the arrays' shapes as plain tuples: cheaper than Tensor.shape, read on every step
    shape, target_shape = tuple(input._data.shape), tuple(target._data.shape)
    if not shape:
        raise ValueError(f"{name}: input must have a class dimension, got a scalar")
    class_dim = 0 if len(shape) == 1 else 1
    if shape[class_dim] == 0:
        raise ValueError(
            f"{name}: input of shape {shape} has zero classes (dimension {class_dim} is "
            "empty); a classification loss needs at least one class"
        )
    probabilities = target.dtype.is_floating_point
    if len(shape) == 1:
        batch_shape: tuple[int, ...] = ()
        matrix = input.reshape((1, shape[0]))
    elif len(shape) == 2:  # already (N, C): no reshape node
        batch_shape = (shape[0],)
        matrix = input
    else:
        batch_shape = (shape[0], *shape[2:])
        matrix = input.permute(0, *range(2, len(shape)), 1).reshape((-1, shape[1]))
    expected = shape if probabilities else batch_shape
    if target_shape != expected:
        kind = "class probabilities" if probabilities else "class indices"
        raise ValueError(
            f"{name}: input of shape {shape} needs a target of {kind} with shape {expected}, "
            f"got {target_shape}"
        )
    if probabilities:
        if len(shape) > 2:
            target = target.permute(0, *range(2, len(shape)), 1)
        target = target.reshape((-1, shape[class_dim]))
    else:
        if target.dtype is not minigrad.int64:
            raise TypeError(f"{name}: class indices must be int64, got {target.dtype}")
        if len(target_shape) != 1:
            target = target.reshape((-1,))
    return matrix, target, batch_shape


def _check_weight(weight: Tensor | None, classes: int, name: str) -> None:
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(
            f"{name}: weight must have one entry per class, shape ({classes},), got "
            f"{tuple(weight.shape)}"
        )


def _check_class_indices(target: Tensor, classes: int, ignore_index: int, name: str) -> bool:
    """Raise for an index outside [0, classes) that is not ``ignore_index``; return whether
    any sample is ignored."""
    labels = target.numpy()
    if labels.size:
        # The usual case in two reductions: every index a class, none equal to ignore_index.
        low, high = labels.min(), labels.max()
        if 0 <= low and high < classes and not low <= ignore_index <= high:
            return False
    ignored = labels == ignore_index
    used = labels[~ignored]
    if used.size and (used.min() < 0 or used.max() >= classes):
        raise ValueError(
            f"{name}: class indices must lie in [0, {classes}) (or equal ignore_index="
            f"{ignore_index}), got values in [{used.min()}, {used.max()}]"
        )
    return bool(ignored.any())


def _picked_log_probabilities(log_probabilities, target, weight, ignore_index):
    """Per sample: w[y] * log p[y] and w[y] (both 0 for ignored samples)."""
    classes = log_probabilities.shape[1]
    class_ids = minigrad.arange(classes, dtype=minigrad.int64, device=target.device)
    dtype = log_probabilities.dtype
    # One-hot rows select log p[y]; an ignored target matches no class unless ignore_index
    # is itself a class id, which the `valid` mask handles. log p[y] is picked with
    # `where`, not by multiplying with the 0/1 one-hot rows: a masked logit of -inf has
    # log p = -inf, and -inf * 0 = NaN (in the loss and its gradient), while PyTorch's
    # loss stays finite.
    is_target = target.unsqueeze(1) == class_ids
    is_valid = target != ignore_index
    log_p_of_target = minigrad.where(is_target, log_probabilities, 0.0).sum(dim=1)
    selector = cast_mask(is_target, dtype)
    if weight is not None:
        selector = selector * weight.reshape((1, classes))
    valid = cast_mask(is_valid, dtype)
    sample_weight = selector.sum(dim=1) * valid
    picked = minigrad.where(is_valid, log_p_of_target, 0.0) * sample_weight
    return picked, sample_weight, valid


def _nll_from_log_probabilities(log_probabilities, target, weight, ignore_index, reduction):
    picked, sample_weight, valid = _picked_log_probabilities(
        log_probabilities, target, weight, ignore_index
    )
    loss = 0.0 - picked  # not -picked: an ignored sample's loss is 0.0, as in PyTorch, not -0.0
    if reduction == "mean":
        # PyTorch's weighted mean: divided by the total weight of the samples, not their count.
        return loss.sum() / sample_weight.sum(), sample_weight, valid
    return _reduce(loss, reduction), sample_weight, valid


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood -w[y] log p[y] of log-probabilities ``input`` (N, C) or
    (N, C, d1, ...) and class indices ``target``; "mean" divides by the sum of w[y] over
    the samples not equal to ``ignore_index``."""
    _check_reduction(reduction)
    matrix, labels, batch_shape = _classes_last(input, target, "nll_loss")
    if labels.dtype.is_floating_point:
        raise TypeError("nll_loss: target must hold int64 class indices")
    _check_weight(weight, matrix.shape[1], "nll_loss")
    _check_class_indices(labels, matrix.shape[1], ignore_index, "nll_loss")
    loss, _, _ = _nll_from_log_probabilities(matrix, labels, weight, ignore_index, reduction)
    return loss.reshape(batch_shape) if reduction == "none" else loss


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(logits) and the target, -sum_c q_c log softmax(x)_c.

    ``target`` holds class indices (int64, q is one-hot) or class probabilities (float,
    same shape as ``input``). With ``label_smoothing`` = e, q becomes
    (1 - e) q + e / C. ``weight`` scales each class; samples whose target equals
    ``ignore_index`` contribute nothing. Stable for logits of any size (log-sum-exp with
    the maximum subtracted). The plain case uses the fused softmax-cross-entropy kernel.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logits, labels, batch_shape = _classes_last(input, target, "cross_entropy")
    classes = logits.shape[1]
    _check_weight(weight, classes, "cross_entropy")

    if labels.dtype.is_floating_point:
        if label_smoothing > 0:
            labels = labels * (1.0 - label_smoothing) + label_smoothing / classes
        per_class = log_softmax(logits, dim=1) * labels
        if weight is not None:
            per_class = per_class * weight.reshape((1, classes))
        loss = -per_class.sum(dim=1)
        return loss.reshape(batch_shape) if reduction == "none" else _reduce(loss, reduction)

    any_ignored = _check_class_indices(labels, classes, ignore_index, "cross_entropy")
    if weight is None and label_smoothing == 0.0 and not any_ignored:
        # the fused kernel; the class indices were checked above, the rest is checked here
        check_fused_arguments(logits, labels, reduction)
        loss = SoftmaxCrossEntropy.apply(logits, labels, reduction)  # reduced in the node
        if reduction == "none" and len(batch_shape) != 1:
            loss = loss.reshape(batch_shape)
        return loss

    log_probabilities = log_softmax(logits, dim=1)
    nll, sample_weight, valid = _nll_from_log_probabilities(
        log_probabilities, labels, weight, ignore_index, reduction
    )
    if label_smoothing == 0.0:
        return nll.reshape(batch_shape) if reduction == "none" else nll

    # The smoothing term -sum_c w_c log p_c, reduced like PyTorch reduces it: a weighted
    # mean divides by the same total weight as the nll term.
    if weight is not None:
        smooth = -(log_probabilities * weight.reshape((1, classes))).sum(dim=1) * valid
    else:
        smooth = -log_probabilities.sum(dim=1) * valid
    if reduction == "mean":
        smooth = smooth.sum() / (sample_weight.sum() if weight is not None else valid.sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    loss = nll * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    return loss.reshape(batch_shape) if reduction == "none" else loss
