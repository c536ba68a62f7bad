"""Dense kernels: batched matmul and linear (with fused bias and ReLU), shared-memory tiled.

One kernel, ``gemm``, computes ``out[z] = op(A[z]) @ op(B[z])`` for a batch of matrices,
where ``op`` is the identity or a transpose chosen when the kernel is built. Everything
dense is this kernel: ``matmul``; ``linear`` (``x @ weight.T`` with ``bias`` and ``relu``
applied before the result is stored, so no second pass over the output); and the matrix
products inside convolution (``conv.py``).

Thread mapping: the output (M, N) is cut into TILE x TILE tiles, one thread block per tile
and one thread per output element (thread (ty, tx) of block (by, bx) owns
``out[by*TILE + ty, bx*TILE + tx]``); the grid's z dimension runs over the batch. The sum
over k is done one TILE-wide slab at a time:

1. each thread loads one element of the A slab and one of the B slab into shared memory
   (zeros past the matrix edges, so sizes need not divide TILE);
2. barrier; each thread multiplies its row of the A tile by its column of the B tile out
   of shared memory (TILE multiply-adds per element loaded from global memory, instead of
   one);
3. barrier, so nobody overwrites a tile another thread is still reading.

Batch broadcasting: batch ``z`` of A is ``A[z % A.shape[0]]``; that covers an operand
shared by every batch (batch extent 1) and one repeated over leading batch dimensions
(a weight of shape (G, M, K) used for batch (N, G)). Other broadcasts are materialized.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, from_dtype

from minigrad.backend.cuda.elementwise import copy_into, empty, full
from minigrad.backend.cuda.layout import broadcast_shapes, broadcast_view, view_of

TILE = 16  # threads per block = TILE * TILE = 256
MAX_GRID_Z = 65535

_KERNELS: dict = {}


def _gemm_kernel(transpose_a: bool, transpose_b: bool, dtype):
    """The tiled kernel for ``op(A) @ op(B)`` (``op`` = transpose when the flag is set)."""
    key = (transpose_a, transpose_b, np.dtype(dtype))
    if key in _KERNELS:
        return _KERNELS[key]
    tile_type = from_dtype(np.dtype(dtype))

    @cuda.jit
    def gemm(a, b, bias, out, zero, has_bias, relu):
        # a: (Ba, M, K), or (Ba, K, M) when transpose_a; b: (Bb, K, N), or (Bb, N, K).
        a_tile = cuda.shared.array((TILE, TILE), tile_type)
        b_tile = cuda.shared.array((TILE, TILE), tile_type)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        z = cuda.blockIdx.z
        za = z % a.shape[0]
        zb = z % b.shape[0]
        m = out.shape[1]
        n = out.shape[2]
        k = a.shape[1] if transpose_a else a.shape[2]
        accumulator = zero
        for k0 in range(0, k, TILE):
            ka = k0 + tx  # this thread loads A[row, ka] ...
            if row < m and ka < k:
                a_tile[ty, tx] = a[za, ka, row] if transpose_a else a[za, row, ka]
            else:
                a_tile[ty, tx] = zero
            kb = k0 + ty  # ... and B[kb, col]
            if kb < k and col < n:
                b_tile[ty, tx] = b[zb, col, kb] if transpose_b else b[zb, kb, col]
            else:
                b_tile[ty, tx] = zero
            cuda.syncthreads()
            for kk in range(TILE):
                accumulator += a_tile[ty, kk] * b_tile[kk, tx]
            cuda.syncthreads()
        if row < m and col < n:
            if has_bias:
                accumulator += bias[col]
            if relu and accumulator < zero:
                accumulator = zero
            out[z, row, col] = accumulator

    _KERNELS[key] = gemm
    return gemm


def gemm(a, b, transpose_a=False, transpose_b=False, bias=None, relu=False, batch=None):
    """``op(a) @ op(b)`` for 3-D device arrays, batch ``z`` of each operand taken modulo its
    batch extent; ``bias`` (N,) is added to every row and ``relu`` applied before storing.
    Returns (batch, M, N)."""
    m = a.shape[2] if transpose_a else a.shape[1]
    n = b.shape[1] if transpose_b else b.shape[2]
    batch = max(a.shape[0], b.shape[0]) if batch is None else batch
    out = empty((batch, m, n), a.dtype)
    if out.size == 0:
        return out
    k = a.shape[1] if transpose_a else a.shape[2]
    if k == 0:
        return full(out.shape, 0, a.dtype)
    has_bias = bias is not None
    bias = bias if has_bias else empty((1,), a.dtype)
    kernel = _gemm_kernel(transpose_a, transpose_b, a.dtype)
    zero = np.dtype(a.dtype).type(0)
    blocks_x, blocks_y = math.ceil(n / TILE), math.ceil(m / TILE)
    # The grid's z extent is limited; very large batches are launched in chunks.
    for start in range(0, batch, MAX_GRID_Z):
        stop = min(batch, start + MAX_GRID_Z)
        if start == 0 and stop == batch:
            a_part, b_part, out_part = a, b, out
        else:
            a_part = a if a.shape[0] == 1 else a[start:stop]
            b_part = b if b.shape[0] == 1 else b[start:stop]
            out_part = out[start:stop]
        kernel[(blocks_x, blocks_y, stop - start), (TILE, TILE)](
            a_part, b_part, bias, out_part, zero, has_bias, relu
        )
    return out


def _batched(operand, batch_shape: tuple[int, ...]):
    """``operand`` (..., R, C) as a 3-D (B', R, C) array whose batch ``z`` is
    ``operand[z % B']`` for the flattened ``batch_shape``; materialized when its batch
    dimensions are not a trailing part of ``batch_shape``."""
    operand_shape = tuple(operand.shape)
    own = operand_shape[:-2]
    padded = (1,) * (len(batch_shape) - len(own)) + own
    leading_ones = 0
    while leading_ones < len(padded) and padded[leading_ones] == 1:
        leading_ones += 1
    if padded[leading_ones:] != batch_shape[leading_ones:]:
        shape = batch_shape + operand_shape[-2:]
        expanded = empty(shape, operand.dtype)
        copy_into(view_of(expanded), broadcast_view(view_of(operand), shape))
        operand = expanded
    rows, cols = operand_shape[-2:]
    return operand.reshape((math.prod(tuple(operand.shape)[:-2]), rows, cols))


def matmul(a, b):
    """``a @ b`` with numpy semantics: 1-D operands are promoted to a row (a) or column (b)
    vector and the added dimension is removed again; batch dimensions broadcast."""
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if not a_shape or not b_shape:
        raise ValueError(f"matmul needs at least 1-D operands; got shapes {a_shape} and "
                         f"{b_shape}")
    a_matrix = a.reshape((1,) + a_shape) if len(a_shape) == 1 else a
    b_matrix = b.reshape(b_shape + (1,)) if len(b_shape) == 1 else b
    a_matrix_shape, b_matrix_shape = tuple(a_matrix.shape), tuple(b_matrix.shape)
    if a_matrix_shape[-1] != b_matrix_shape[-2]:
        raise ValueError(
            f"matmul: shapes {a_shape} and {b_shape} do not fit "
            f"({a_matrix_shape[-1]} != {b_matrix_shape[-2]})"
        )
    batch_shape = broadcast_shapes(a_matrix_shape[:-2], b_matrix_shape[:-2])
    out = gemm(_batched(a_matrix, batch_shape), _batched(b_matrix, batch_shape),
               batch=math.prod(batch_shape))
    shape = batch_shape + (a_matrix_shape[-2], b_matrix_shape[-1])
    if len(a_shape) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(b_shape) == 1:
        shape = shape[:-1]
    return out.reshape(shape)


def linear(x, weight, bias, activation):
    """``x @ weight.T + bias`` for x (N, in) and weight (out, in), then ReLU if
    ``activation == "relu"`` - all inside one gemm launch."""
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"linear: expected x (N, in) and weight (out, in); got {tuple(x.shape)} and "
            f"{tuple(weight.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias shape {tuple(bias.shape)} does not match weight "
                         f"{tuple(weight.shape)}")
    out = gemm(x.reshape((1,) + tuple(x.shape)), weight.reshape((1,) + tuple(weight.shape)),
               transpose_b=True, bias=bias, relu=activation == "relu")
    return out.reshape((x.shape[0], weight.shape[0]))


def linear_backward(grad, x, weight, needs_input_grad):
    """Of ``grad @ weight``, ``grad.T @ x`` and ``grad.sum(0)`` for grad (N, out), the ones
    whose flag in ``needs_input_grad`` (x, weight, bias) is True, as a tuple in that order.
    ``grad.T`` is never formed: the weight's gradient is one gemm launch that reads grad
    transposed."""
    from minigrad.backend.cuda.reduction import reduce

    needs_x, needs_weight, needs_bias = needs_input_grad
    if grad.ndim != 2:
        raise ValueError(f"linear_backward: expected grad (N, out); got {tuple(grad.shape)}")
    rows, out_features = grad.shape
    grad_x = grad_weight = grad_bias = None
    grad_3d = grad.reshape((1, rows, out_features))
    if needs_x:
        if weight is None or weight.shape[0] != out_features:
            raise ValueError(f"linear_backward: grad {tuple(grad.shape)} needs weight (out, in)"
                             f" with out={out_features}")
        grad_x = gemm(grad_3d, weight.reshape((1,) + tuple(weight.shape)))
        grad_x = grad_x.reshape((rows, weight.shape[1]))
    if needs_weight:
        if x is None or x.ndim != 2 or x.shape[0] != rows:
            raise ValueError(f"linear_backward: grad {tuple(grad.shape)} needs x (N, in) with "
                             f"N={rows}")
        grad_weight = gemm(grad_3d, x.reshape((1,) + tuple(x.shape)), transpose_a=True)
        grad_weight = grad_weight.reshape((out_features, x.shape[1]))
    if needs_bias:
        grad_bias = reduce("sum", grad, (0,), False)
    # Only the requested gradients: a tuple without None entries, which the compile
    # recorder can treat like any other multi-output kernel.
    return tuple(gradient for gradient in (grad_x, grad_weight, grad_bias)
                 if gradient is not None)
