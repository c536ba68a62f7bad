"""Dense kernels: matrix multiplication and the fused ``linear`` layer on the CPU.

Two implementations of the same product live here:

- ``"numba"``: a blocked, packed matrix multiply written in plain Numba (``_matmul_kernel``).
  It is the one to read: it shows the two ideas every fast GEMM uses (pack the right-hand
  operand into contiguous panels; keep a small block of the output in fast memory while the
  whole inner dimension streams through it) and it is the kernel the CUDA backend mirrors
  with shared-memory tiles.
- ``"blas"``: numpy's ``np.dot`` / ``np.matmul``, i.e. the OpenBLAS (or MKL) GEMM numpy was
  built with. Its hand-written assembly micro-kernels keep a whole tile of C in vector
  registers, which a compiler cannot be talked into from Python-level loops, so it runs
  about 3x faster than the Numba kernel on this machine (see docs/performance_kernels.md).

``DEFAULT_KERNEL`` picks the one that ships; it is ``"blas"`` because that was measured
faster at every size we benchmark. Every public function also takes ``kernel="numba"`` or
``kernel="blas"`` to choose explicitly (the tests run both). Whatever the kernel, bias and
ReLU of ``linear`` are applied in one extra pass over the output (or, for the Numba kernel,
while each output tile is still in cache).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minigrad.backend.cpu.threads import serial_or_parallel

#: Which implementation ``matmul`` and ``linear`` use when ``kernel`` is not given.
DEFAULT_KERNEL = "blas"
KERNELS = ("numba", "blas")

# Tile sizes of the Numba kernel. A panel of B is PANEL_WIDTH columns wide and K rows deep;
# ROWS_PER_TILE rows of A are multiplied with it at a time into an accumulator of
# ROWS_PER_TILE x PANEL_WIDTH values (4 x 128 floats = 2 KiB, comfortably inside L1).
# ROWS_PER_BLOCK rows form one unit of parallel work.
ROWS_PER_TILE = 4
PANEL_WIDTH = 128
ROWS_PER_BLOCK = 32


@serial_or_parallel()
def _pack_panels(b, panel_width):
    """Copy B (K, N) into panels (n_panels, K, panel_width), zero-padding the last one.

    Any strides are fine for ``b`` (a transposed weight, for example): this is the only place
    it is read, and afterwards the kernel streams through each panel row by row, contiguously.
    """
    depth, width = b.shape
    n_panels = (width + panel_width - 1) // panel_width
    packed = np.zeros((n_panels, depth, panel_width), dtype=b.dtype)
    for panel in prange(n_panels):
        col0 = panel * panel_width
        cols = min(panel_width, width - col0)
        for k in range(depth):
            for jj in range(cols):
                packed[panel, k, jj] = b[k, col0 + jj]
    return packed


@serial_or_parallel(fastmath={"contract"})
def _matmul_kernel(a, packed, bias, relu, out):
    """out = a @ B (+ bias, then ReLU if ``relu``), with B given as packed panels.

    Loop order (outer to inner): row block (parallel) -> B panel -> 4-row tile -> k -> column.

    - ``prange`` over blocks of ROWS_PER_BLOCK rows: each thread owns whole output rows, so
      no two threads write the same element and no locking is needed.
    - For one 4-row tile and one panel, the k loop streams the panel (contiguous rows of
      PANEL_WIDTH values) and four scalars of A per step, and does 4 * PANEL_WIDTH
      multiply-adds into the accumulator. The innermost column loop has no branches, calls or
      allocations and touches consecutive addresses, so LLVM turns it into SIMD fused
      multiply-adds (``fastmath={"contract"}`` only allows a*b+c to become one FMA; it never
      reorders sums, so the result is the plain k-ordered sum up to FMA rounding).
    - The accumulator is a private buffer, not ``out``: the compiler can prove it does not
      alias the panel, which is what lets it vectorise (writing into ``out`` directly runs
      about 8x slower).
    - Bias and ReLU are applied when the tile is stored, while it is still in L1.
    """
    rows, depth = a.shape
    cols = out.shape[1]
    n_panels, _, panel_width = packed.shape
    has_bias = bias.shape[0] > 0
    n_blocks = (rows + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK
    for block in prange(n_blocks):
        accumulator = np.empty((ROWS_PER_TILE, panel_width), dtype=out.dtype)
        block_end = min((block + 1) * ROWS_PER_BLOCK, rows)
        for panel in range(n_panels):
            col0 = panel * panel_width
            width = min(panel_width, cols - col0)
            for row0 in range(block * ROWS_PER_BLOCK, block_end, ROWS_PER_TILE):
                tile_rows = min(ROWS_PER_TILE, block_end - row0)
                accumulator[:] = 0
                if tile_rows == ROWS_PER_TILE:
                    for k in range(depth):
                        a0 = a[row0, k]
                        a1 = a[row0 + 1, k]
                        a2 = a[row0 + 2, k]
                        a3 = a[row0 + 3, k]
                        for jj in range(panel_width):
                            b_kj = packed[panel, k, jj]
                            accumulator[0, jj] += a0 * b_kj
                            accumulator[1, jj] += a1 * b_kj
                            accumulator[2, jj] += a2 * b_kj
                            accumulator[3, jj] += a3 * b_kj
                else:  # the last few rows of the matrix
                    for r in range(tile_rows):
                        for k in range(depth):
                            a_rk = a[row0 + r, k]
                            for jj in range(panel_width):
                                accumulator[r, jj] += a_rk * packed[panel, k, jj]
                for r in range(tile_rows):
                    for jj in range(width):
                        value = accumulator[r, jj]
                        if has_bias:
                            value += bias[col0 + jj]
                        if relu and value < 0:
                            value = 0
                        out[row0 + r, col0 + jj] = value


@njit(cache=True)
def _bias_activation_inplace(out, bias, relu):
    """out[i, j] = act(out[i, j] + bias[j]) in one pass (the BLAS path's epilogue).

    Serial on purpose: it is memory-bound, so a second thread gains little, and handing work
    from OpenBLAS's threads to Numba's right after the product costs more than it saves.
    """
    rows, cols = out.shape
    has_bias = bias.shape[0] > 0
    for i in range(rows):
        for j in range(cols):
            value = out[i, j]
            if has_bias:
                value += bias[j]
            if relu and value < 0:
                value = 0
            out[i, j] = value


def _check_kernel(kernel: str | None) -> str:
    kernel = DEFAULT_KERNEL if kernel is None else kernel
    if kernel not in KERNELS:
        raise ValueError(f"unknown dense kernel {kernel!r}; expected one of {KERNELS}")
    return kernel


def _check_float_pair(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{what} needs two float32 or two float64 arrays; got {a.dtype} and {b.dtype}"
        )


def _numba_matmul_2d(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None,
                     relu: bool = False) -> np.ndarray:
    """a (M, K) @ b (K, N) with the Numba kernel; ``b`` may have any strides."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    bias_array = np.zeros(0, dtype=a.dtype) if bias is None else np.ascontiguousarray(bias)
    packed = _pack_panels(b.size, b, PANEL_WIDTH)
    _matmul_kernel(out.size * a.shape[1], np.ascontiguousarray(a), packed, bias_array, relu,
                   out)
    return out


def _matmul_2d(a: np.ndarray, b: np.ndarray, kernel: str) -> np.ndarray:
    """a (M, K) @ b (K, N) for arrays already checked, with ``kernel``.

    BLAS through ``np.dot``, not ``np.matmul``: for K = 1 (an outer product, such as the
    weight gradient of a batch of one sample, g.T @ x) numpy's matmul skips BLAS and loops
    itself. (128, 1) @ (1, 784) took 148 us against 22 us alone, and 198 against 38 us
    inside a step of the MLP benchmark at batch 1 (2-vCPU machine of docs/performance.md),
    whose step went from 0.71 to 0.52 ms. At batches 64 and 256 the two took the same time.
    """
    return np.dot(a, b) if kernel == "blas" else _numba_matmul_2d(a, b)


def matmul(a: np.ndarray, b: np.ndarray, kernel: str | None = None,
           out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` with numpy's semantics for float32/float64 arrays, written into ``out`` when
    given (an array of the result's shape and dtype), as ``np.matmul(a, b, out=out)``.

    1-D operands are promoted (a vector on the left is a row, on the right a column) and the
    added dimension is removed again; leading batch dimensions broadcast. With the Numba
    kernel, a 2-D ``b`` shared by every batch entry is handled as one tall product
    (batch * M, K) @ (K, N); otherwise each batch entry is one kernel call.
    """
    kernel = _check_kernel(kernel)
    _check_float_pair(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs arrays with at least 1 dimension; got shapes {a.shape} and {b.shape}"
        )
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ValueError(
            f"matmul shapes {a.shape} and {b.shape} do not match: the last dimension of the "
            "first must equal the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} dimension of the second"
        )
    if kernel == "blas":
        if a.ndim == 2 and b.ndim == 2 and out is None:
            return _matmul_2d(a, b, kernel)  # np.dot: see there
        return np.matmul(a, b, out=out)

    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    rows, depth, cols = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    if b2.ndim == 2:
        tall = a2.reshape(int(np.prod(a2.shape[:-1])), depth)
        result = _numba_matmul_2d(tall, b2).reshape(*batch, rows, cols)
    else:
        a_batched = np.broadcast_to(a2, (*batch, rows, depth)).reshape(-1, rows, depth)
        b_batched = np.broadcast_to(b2, (*batch, depth, cols)).reshape(-1, depth, cols)
        result = np.empty((a_batched.shape[0], rows, cols), dtype=a.dtype)
        for index in range(a_batched.shape[0]):
            result[index] = _numba_matmul_2d(a_batched[index], b_batched[index])
        result = result.reshape(*batch, rows, cols)
    if a.ndim == 1:
        result = result[..., 0, :]
    if b.ndim == 1:
        result = result[..., 0]
    if out is None:
        return result
    out[...] = result
    return out


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
           activation: str | None, kernel: str | None = None) -> np.ndarray:
    """``activation(x @ weight.T + bias)`` for x (N, in), weight (out, in), bias (out,) or None.

    ``activation`` is None or ``"relu"``. ``weight.T`` is never copied: BLAS reads it with
    its transpose flag, and the Numba kernel reads it once while packing its panels.
    """
    kernel = _check_kernel(kernel)
    _check_float_pair(x, weight, "linear")
    if activation not in (None, "relu"):
        raise ValueError(f"linear supports activation None or 'relu'; got {activation!r}")
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"linear needs x (N, in) and weight (out, in); got x {x.shape}, weight {weight.shape}"
        )
    if bias is not None and (bias.shape != (weight.shape[0],) or bias.dtype != x.dtype):
        raise ValueError(
            f"linear bias must be ({weight.shape[0]},) of dtype {x.dtype}; "
            f"got {bias.shape} of {bias.dtype}"
        )
    relu = activation == "relu"
    if kernel == "numba":
        return _numba_matmul_2d(x, weight.T, bias, relu)
    out = np.dot(x, weight.T)
    if bias is not None or relu:
        bias_array = np.zeros(0, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
        _bias_activation_inplace(out, bias_array, relu)
    return out


def linear_backward(grad: np.ndarray, x: np.ndarray | None, weight: np.ndarray | None,
                    needs_input_grad: tuple[bool, bool, bool], kernel: str | None = None):
    """The gradients of ``y = x @ weight.T + bias`` for the upstream gradient ``grad``
    (N, out): of ``grad @ weight``, ``grad.T @ x`` and ``grad.sum(0)`` (for x, weight and
    bias) the ones whose flag in ``needs_input_grad`` is True, as a tuple in that order.

    One call for the whole backward of a layer. ``x`` is needed only for the weight's
    gradient and ``weight`` only for the input's, so either may be None when not needed.
    ``grad.T`` is a view: BLAS reads it with its transpose flag.
    """
    kernel = _check_kernel(kernel)
    needs_x, needs_weight, needs_bias = needs_input_grad
    if grad.ndim != 2:
        raise ValueError(f"linear_backward needs grad (N, out); got shape {grad.shape}")
    grad_x = grad_weight = grad_bias = None
    # Each product is checked here, once, and then handed to the kernel directly rather
    # than through matmul(), which would check the same shapes and dtypes again.
    if needs_x:
        if weight is None or weight.ndim != 2 or weight.shape[0] != grad.shape[1]:
            raise ValueError(f"linear_backward: grad {grad.shape} needs weight (out, in) with "
                             f"out={grad.shape[1]}; got {None if weight is None else weight.shape}")
        _check_float_pair(grad, weight, "linear_backward")
        grad_x = _matmul_2d(grad, weight, kernel)
    if needs_weight:
        if x is None or x.ndim != 2 or x.shape[0] != grad.shape[0]:
            raise ValueError(f"linear_backward: grad {grad.shape} needs x (N, in) with "
                             f"N={grad.shape[0]}; got {None if x is None else x.shape}")
        _check_float_pair(grad, x, "linear_backward")
        grad_weight = _matmul_2d(grad.T, x, kernel)
    if needs_bias:
        grad_bias = np.add.reduce(grad, axis=0)
    # Only the requested gradients: a tuple without None entries, which the compile
    # recorder can treat like any other multi-output kernel.
    return tuple(gradient for gradient in (grad_x, grad_weight, grad_bias)
                 if gradient is not None)
