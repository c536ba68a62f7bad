"""Fused softmax + cross-entropy on the CPU.

For one row of logits z and its target class t,

    loss = -log softmax(z)_t = log(sum_j exp(z_j - m)) - (z_t - m),   m = max_j z_j,

and the gradient with respect to the logits is softmax(z) - one_hot(t). Subtracting the row
maximum first makes every exponent <= 0, so nothing overflows even for logits of +-1e4, and
the log-sum-exp is at least log(1) = 0, so nothing underflows to log(0) either. Fusing the
two steps saves materialising log-probabilities and keeps each row in cache for its three
passes (max, sum of exponentials, normalise). Rows are independent: ``prange`` over rows,
run on the calling thread alone for the usual small batch (``serial_or_parallel``).

The target's class indices are checked inside the forward kernel, in the same pass: it
returns the first row whose index is outside 0..C-1 (or -1), and the wrapper raises.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from minigrad.backend.cpu.threads import serial_or_parallel


@serial_or_parallel()
def _softmax_cross_entropy_kernel(logits, target, loss, probabilities):
    """Fills ``loss`` and ``probabilities``; returns how many targets lie outside 0..C-1
    (the rows of those are left unwritten) and the sum of the loss over the valid rows, in
    float64 (one rounding, in the wrapper, for float32 logits)."""
    rows, classes = logits.shape
    # sums over the prange loop: Numba combines the threads' partial sums
    invalid_targets = 0
    loss_total = 0.0
    for n in prange(rows):
        if target[n] < 0 or target[n] >= classes:
            invalid_targets += 1
            continue
        row_max = logits[n, 0]
        for j in range(1, classes):
            row_max = max(row_max, logits[n, j])
        total = 0.0  # accumulate in float64: one rounding at the end for float32 logits
        for j in range(classes):
            shifted_exp = math.exp(logits[n, j] - row_max)
            probabilities[n, j] = shifted_exp
            total += shifted_exp
        inverse = 1.0 / total
        for j in range(classes):
            probabilities[n, j] *= inverse
        row_loss = math.log(total) - (logits[n, target[n]] - row_max)
        loss[n] = row_loss
        loss_total += row_loss
    return invalid_targets, loss_total


@serial_or_parallel()
def _softmax_cross_entropy_backward_kernel(probabilities, target, grad_loss, grad_logits):
    """Fills ``grad_logits``; returns how many targets lie outside 0..C-1."""
    rows, classes = probabilities.shape
    invalid_targets = 0
    for n in prange(rows):
        scale = grad_loss[n]
        for j in range(classes):
            grad_logits[n, j] = probabilities[n, j] * scale
        if target[n] < 0 or target[n] >= classes:
            invalid_targets += 1
        else:
            grad_logits[n, target[n]] -= scale
    return invalid_targets


def _check_target_type(target, rows: int, what: str) -> None:
    if target.dtype != np.int64 or target.shape != (rows,):
        raise ValueError(
            f"{what}: target must be int64 of shape ({rows},); got {target.dtype} {target.shape}"
        )


def _raise_for_class_indices(target, classes: int, what: str):
    raise ValueError(
        f"{what}: target holds class indices outside 0..{classes - 1} "
        f"(min {target.min()}, max {target.max()})"
    )


REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str, what: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {REDUCTIONS}; got {reduction!r}")


def softmax_cross_entropy(logits, target, reduction="none"):
    """Per-sample loss -log softmax(logits)[n, target[n]] for logits (N, C), int64 target (N,).

    Returns ``(loss, probabilities)``: the softmax (N, C), which the backward pass needs,
    and the loss: (N,) for ``reduction="none"``, else its sum or mean (0-d), summed in
    float64 by the same pass that computes it (the mean of 0 samples is nan, as in
    PyTorch). Both have the logits' dtype.
    """
    if logits.ndim != 2 or logits.shape[1] < 1 or logits.dtype not in (np.float32, np.float64):
        raise ValueError(
            "softmax_cross_entropy needs float32/float64 logits (N, C) with C >= 1; got "
            f"{logits.dtype} {logits.shape}"
        )
    _check_reduction(reduction, "softmax_cross_entropy")
    rows, classes = logits.shape
    _check_target_type(target, rows, "softmax_cross_entropy")
    loss = np.empty(rows, dtype=logits.dtype)
    probabilities = np.empty_like(logits, order="C")
    invalid_targets, loss_total = _softmax_cross_entropy_kernel(
        logits.size, np.ascontiguousarray(logits), np.ascontiguousarray(target), loss,
        probabilities)
    if invalid_targets:
        _raise_for_class_indices(target, classes, "softmax_cross_entropy")
    if reduction == "sum":
        loss = np.array(loss_total, dtype=logits.dtype)
    elif reduction == "mean":
        loss = np.array(loss_total / rows if rows else math.nan, dtype=logits.dtype)
    return loss, probabilities


def softmax_cross_entropy_backward(probabilities, target, grad_loss, reduction="none"):
    """(probabilities - one_hot(target)) * dL/dloss_n, the gradient w.r.t. the logits.

    ``grad_loss`` is the gradient of the loss as ``softmax_cross_entropy`` returned it with
    the same ``reduction``: (N,) for "none", else 0-d; a sum hands its gradient g to every
    sample, a mean g / N.
    """
    _check_reduction(reduction, "softmax_cross_entropy_backward")
    if probabilities.ndim != 2:
        raise ValueError(f"softmax_cross_entropy_backward: probabilities must be (N, C); got "
                         f"{probabilities.shape}")
    rows, classes = probabilities.shape
    per_sample_shape = (rows,) if reduction == "none" else ()
    if grad_loss.shape != per_sample_shape:
        raise ValueError(
            f"softmax_cross_entropy_backward: probabilities {probabilities.shape} with "
            f"reduction={reduction!r} need grad_loss of shape {per_sample_shape}; got "
            f"{grad_loss.shape}"
        )
    _check_target_type(target, rows, "softmax_cross_entropy_backward")
    dtype = probabilities.dtype
    if reduction != "none":
        # the same dL/dloss_n for every sample, divided in the dtype (no sample: none reads it)
        scale = dtype.type(grad_loss)
        if reduction == "mean":
            scale /= dtype.type(max(rows, 1))
        grad_loss = np.full(rows, scale, dtype=dtype)
    grad_logits = np.empty((rows, classes), dtype=dtype)
    invalid_targets = _softmax_cross_entropy_backward_kernel(
        grad_logits.size, np.ascontiguousarray(probabilities), np.ascontiguousarray(target),
        np.ascontiguousarray(grad_loss, dtype=dtype), grad_logits,
    )
    if invalid_targets:
        _raise_for_class_indices(target, classes, "softmax_cross_entropy_backward")
    return grad_logits
