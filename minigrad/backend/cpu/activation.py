"""Activation backward kernels on the CPU: the ReLU backward in one pass.

Written with array operations, ReLU's backward ``grad * (a > 0)`` is three passes over
memory (compare, convert the mask to floats, multiply) and two temporary arrays per layer.
The kernel below reads each gradient and input element once and writes the result: one
pass, no temporaries. At the sizes of a small MLP's hidden layer (64 x 128 float32) it
takes about 3 us where the three array operations take about 6 us and ``np.where`` about
14 us (its data-dependent branch mispredicts on a random mask).

The rule is PyTorch's ``threshold_backward``: the gradient is zeroed where ``a <= 0`` and
passed on everywhere else, also where ``a`` is NaN (``nan <= 0`` is false). Zeroing is a
selection, not a multiplication by 0, so an infinite or NaN gradient in a zeroed position
gives 0, not NaN.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN, serial_or_parallel


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _relu_backward_kernel(grad, a, out):
    """out[i] = 0 if a[i] <= 0 else grad[i], over flat contiguous arrays.

    The loop body is a compare and a select with no branch, so LLVM vectorises it; it is
    memory-bound, which is why only arrays of a million elements and more use a second
    thread."""
    for i in prange(out.size):
        out[i] = 0 if a[i] <= 0 else grad[i]


def relu_backward(grad: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The gradient of ``relu`` at ``a`` for the upstream ``grad`` (same shape and dtype):
    ``grad`` where ``a > 0`` or ``a`` is NaN, else 0."""
    if grad.shape != a.shape:
        raise ValueError(f"relu_backward needs grad and input of one shape; got grad "
                         f"{grad.shape} and input {a.shape}")
    if grad.dtype != a.dtype or grad.dtype not in (np.float32, np.float64):
        raise TypeError(f"relu_backward needs grad and input both float32 or both float64; "
                        f"got {grad.dtype} and {a.dtype}")
    # order="C": a broadcast or transposed gradient is copied once so the kernel can walk
    # flat memory (np.ascontiguousarray would turn a 0-d array into a 1-d one).
    grad, a = np.asarray(grad, order="C"), np.asarray(a, order="C")
    out = np.empty(a.shape, dtype=a.dtype)
    _relu_backward_kernel(out.size, grad.reshape(-1), a.reshape(-1), out.reshape(-1))
    return out
