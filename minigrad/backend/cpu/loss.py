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
    (the rows of those are left unwritten)."""
    rows, classes = logits.shape
    invalid_targets = 0  # a sum over the prange loop: Numba combines the threads' counts
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
        loss[n] = math.log(total) - (logits[n, target[n]] - row_max)
    return invalid_targets


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


def softmax_cross_entropy(logits, target):
    """Per-sample loss -log softmax(logits)[n, target[n]] for logits (N, C), int64 target (N,).

    Returns ``(loss, probabilities)``: loss (N,) and the softmax (N, C), both of the logits'
    dtype; the probabilities are what the backward pass needs.
    """
    if logits.ndim != 2 or logits.shape[1] < 1 or logits.dtype not in (np.float32, np.float64):
        raise ValueError(
            "softmax_cross_entropy needs float32/float64 logits (N, C) with C >= 1; got "
            f"{logits.dtype} {logits.shape}"
        )
    rows, classes = logits.shape
    _check_target_type(target, rows, "softmax_cross_entropy")
    loss = np.empty(rows, dtype=logits.dtype)
    probabilities = np.empty_like(logits, order="C")
    invalid_targets = _softmax_cross_entropy_kernel(
        logits.size, np.ascontiguousarray(logits), np.ascontiguousarray(target), loss,
        probabilities)
    if invalid_targets:
        _raise_for_class_indices(target, classes, "softmax_cross_entropy")
    return loss, probabilities


def softmax_cross_entropy_backward(probabilities, target, grad_loss):
    """(probabilities - one_hot(target)) * grad_loss[:, None], the gradient w.r.t. logits."""
    if probabilities.ndim != 2 or grad_loss.shape != (probabilities.shape[0],):
        raise ValueError(
            f"softmax_cross_entropy_backward: probabilities {probabilities.shape} and "
            f"grad_loss {grad_loss.shape} do not fit (expected (N, C) and (N,))"
        )
    rows, classes = probabilities.shape
    _check_target_type(target, rows, "softmax_cross_entropy_backward")
    grad_logits = np.empty((rows, classes), dtype=probabilities.dtype)
    invalid_targets = _softmax_cross_entropy_backward_kernel(
        grad_logits.size, np.ascontiguousarray(probabilities), np.ascontiguousarray(target),
        np.ascontiguousarray(grad_loss, dtype=probabilities.dtype), grad_logits,
    )
    if invalid_targets:
        _raise_for_class_indices(target, classes, "softmax_cross_entropy_backward")
    return grad_logits
