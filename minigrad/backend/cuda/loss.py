"""Fused softmax + cross-entropy, forward and backward.

For logits z (N, C) and targets t (N,), per sample n (with m = max_j z[n, j] subtracted
first so that exp never overflows):

    p[n, j] = exp(z[n, j] - m) / sum_k exp(z[n, k] - m)
    loss[n] = log(sum_k exp(z[n, k] - m)) + m - z[n, t[n]]
    dloss[n] / dz[n, j] = p[n, j] - [j == t[n]]

Thread mapping: forward, one thread per sample, making three passes over its row (max,
sum of exponentials, normalise) - rows are short (the number of classes), and keeping a
row in one thread needs no synchronisation. Backward, one thread per logit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minigrad.backend.cuda.elementwise import empty
from minigrad.backend.cuda.layout import launch_1d


@cuda.jit
def _softmax_cross_entropy_kernel(logits, target, loss, probabilities):
    samples, classes = logits.shape
    for n in range(cuda.grid(1), samples, cuda.gridsize(1)):
        largest = logits[n, 0]
        for j in range(1, classes):
            largest = max(largest, logits[n, j])
        # Summed in float64 (as on the CPU). Not `logits[n, 0] * 0` to get the dtype: a
        # masked first logit of -inf would make that -inf * 0 = NaN.
        total = 0.0
        for j in range(classes):
            # Subtracting the row maximum keeps every exponent <= 0.
            exponential = math.exp(logits[n, j] - largest)
            probabilities[n, j] = exponential
            total += exponential
        for j in range(classes):
            probabilities[n, j] /= total
        loss[n] = math.log(total) + largest - logits[n, target[n]]


@cuda.jit
def _softmax_cross_entropy_backward_kernel(probabilities, target, grad_loss, grad_logits):
    classes = probabilities.shape[1]
    for i in range(cuda.grid(1), probabilities.size, cuda.gridsize(1)):
        n = i // classes
        j = i % classes
        one_hot = 1 if j == target[n] else 0
        grad_logits[n, j] = (probabilities[n, j] - one_hot) * grad_loss[n]


def softmax_cross_entropy(logits, target):
    """Per-sample loss (N,) and softmax probabilities (N, C). Targets must lie in
    [0, C); the op layer checks them (a kernel cannot raise)."""
    shape = tuple(logits.shape)
    if len(shape) != 2 or tuple(target.shape) != (shape[0],):
        raise ValueError(f"softmax_cross_entropy: expected logits (N, C) and target (N,); "
                         f"got {shape} and {tuple(target.shape)}")
    if target.dtype != np.int64:
        raise TypeError(f"softmax_cross_entropy: target must be int64, got {target.dtype}")
    loss = empty((shape[0],), logits.dtype)
    probabilities = empty(shape, logits.dtype)
    if shape[0] and shape[1]:
        blocks, threads = launch_1d(shape[0])
        _softmax_cross_entropy_kernel[blocks, threads](logits, target, loss, probabilities)
    return loss, probabilities


def softmax_cross_entropy_backward(probabilities, target, grad_loss):
    """(probabilities - one_hot(target)) * grad_loss[:, None]."""
    grad_logits = empty(tuple(probabilities.shape), probabilities.dtype)
    if grad_logits.size:
        blocks, threads = launch_1d(grad_logits.size)
        _softmax_cross_entropy_backward_kernel[blocks, threads](probabilities, target,
                                                                grad_loss, grad_logits)
    return grad_logits
