"""Convolution with stride 1 in height as one matrix product per output row, over *strips*.

im2col (``conv.py``) copies each input value once per tap of the window, KH*KW times, into
a (C*KH*KW, N*OH*OW) matrix, and for short output rows filling it costs as much as the
matrix product (LeNet's conv2: 0.76 ms to fill 960,000 values, 0.56 ms for the product).
Only the KW column shifts of the window need a copy; the KH row shifts come for free
from the layout. A **strip** holds, for one input row h, one input channel c and one
column tap j, the values that the output positions of that row read, for the whole batch:

    strips[h, (c, j), n, x] = x_padded[n, c, h, x*sw + j*dw]       (x < OW)

(Hp x C*KW x N x OW values: KH times fewer than im2col's columns). With stride 1 in
height, output row y reads the input rows h = y ... y + KH - 1, and because h is the
*first* axis those rows are one contiguous block of the strips:

    B_y = strips[y : y + KH]     seen as a (KH*C*KW, N*OW) matrix, no copy,

whose row (i, c, j) holds what tap (i, j) of channel c sees at every (n, x) of output row
y: exactly im2col's columns for that row. So with the weight as the (O, KH*C*KW) matrix W
(columns in (i, c, j) order) and the output gradient of row y as G_y (O, N*OW),

    out[:, :, y]   = W @ B_y + bias           (one product per output row)
    grad W         = sum_y G_y @ B_y.T

The products come out in (OH, O, N, OW) order; the forward turns them to NCHW while adding
the bias (one pass), and the weight gradient adds up OH small (O, KH*C*KW) results. The
rows overlap (B_y and B_{y+1} share KH - 1 input rows), so consecutive products read
mostly what the previous one left in the cache.

Dilation in height would make B_y's rows h = y + i*dh, which are no longer one block, so
these kernels need dilation 1 in height as well as stride 1 (``conv.py`` checks).
"""

from __future__ import annotations

import numpy as np
from numba import prange, uint64

from minigrad.backend.cpu.threads import serial_or_parallel


@serial_or_parallel()
def _fill_strips(x_padded, kernel_w, stride_w, dil_w, out_w, strips):
    """strips[h, (c, j), n, x] = x_padded[n, c, h, x*sw + j*dw] (see the module docstring),
    on flattened arrays: x_padded (N, C, Hp*Wp) and strips (Hp * C*KW, N*OW).

    Parallel over (h, c, j): each task writes one contiguous (N, OW) block. The indices are
    computed by hand and unsigned: a view per row (``x_padded[n, c, h]``) costs more than
    the ten values it copies, and Numba checks a signed index for being negative (counting
    from the end) on every access, which keeps LLVM from vectorising the copies.
    """
    batch, channels, plane = x_padded.shape
    taps = channels * kernel_w  # rows of the strips matrix per input row
    rows = strips.shape[0] // taps
    width = plane // rows
    step = uint64(stride_w)
    for task in prange(rows * taps):
        h = task // taps
        tap = task % taps  # (c, j)
        source_planes = x_padded[:, tap // kernel_w]
        strip = strips[task]
        first = uint64(h * width + (tap % kernel_w) * dil_w)
        for n in range(batch):
            source, start = source_planes[n], uint64(n * out_w)
            for x in range(uint64(out_w)):
                strip[start + x] = source[first + x * step]


@serial_or_parallel()
def _rows_to_nchw(products, bias, out):
    """out[n, o, y, :] = products[y, o, (n, :)] + bias[o]: the per-row products, in (OH, O,
    N*OW) order, turned to NCHW while the bias is added. Parallel over (o, y); flat
    indices as in ``_fill_strips``."""
    batch, out_channels, out_h, out_w = out.shape
    flat_out = out.reshape(batch, out_channels * out_h * out_w)
    for task in prange(out_channels * out_h):
        o = task // out_h
        y = task % out_h
        product = products[y, o]
        start = uint64(task * out_w)  # (o, y, 0) in one sample's output
        for n in range(batch):
            target, first = flat_out[n], uint64(n * out_w)
            for x in range(uint64(out_w)):
                target[start + x] = product[first + x] + bias[o]


def _strips(x_padded, kernel_w, stride_w, dil_w, out_w):
    """The strips of x_padded (N, C, Hp, Wp) as an (Hp, C*KW, N*OW) array."""
    batch, channels, rows = x_padded.shape[:3]
    strips = np.empty((rows, channels * kernel_w, batch * out_w), dtype=x_padded.dtype)
    _fill_strips(strips.size, x_padded.reshape(batch, channels, -1), kernel_w, stride_w,
                 dil_w, out_w, strips.reshape(rows * channels * kernel_w, -1))
    return strips


def _row_block(strips, y, kernel_h):
    """B_y: the (KH*C*KW, N*OW) matrix of output row y, a view of the strips."""
    return strips[y:y + kernel_h].reshape(-1, strips.shape[2])


def _weight_matrix(weight):
    """W: weight (O, C, KH, KW) as the (O, KH*C*KW) matrix with columns in (i, c, j) order."""
    return np.ascontiguousarray(weight.transpose(0, 2, 1, 3)).reshape(weight.shape[0], -1)


def conv2d(x_padded, weight, bias, stride_w: int, dil_w: int, out_h: int, out_w: int):
    """out (N, O, OH, OW) = W @ B_y + bias for every output row y, from the zero-padded
    input (N, C, Hp, Wp)."""
    batch = x_padded.shape[0]
    out_channels, _, kernel_h, kernel_w = weight.shape
    strips = _strips(x_padded, kernel_w, stride_w, dil_w, out_w)
    weight_matrix = _weight_matrix(weight)
    products = np.empty((out_h, out_channels, batch * out_w), dtype=x_padded.dtype)
    for y in range(out_h):
        np.matmul(weight_matrix, _row_block(strips, y, kernel_h), out=products[y])
    bias = (np.zeros(out_channels, dtype=x_padded.dtype) if bias is None
            else np.ascontiguousarray(bias, dtype=x_padded.dtype))
    out = np.empty((batch, out_channels, out_h, out_w), dtype=x_padded.dtype)
    _rows_to_nchw(out.size, products, bias, out)
    return out


def conv2d_backward_weight(grad_out, x_padded, weight_shape, stride_w: int, dil_w: int):
    """grad_weight = sum_y G_y @ B_y.T, with G_y = grad_out[:, :, y, :] as (O, N*OW)."""
    out_channels, channels, kernel_h, kernel_w = weight_shape
    batch, _, out_h, out_w = grad_out.shape
    strips = _strips(x_padded, kernel_w, stride_w, dil_w, out_w)
    # (OH, O, N*OW): G_y for every row y, each a contiguous matrix
    gradient_rows = np.ascontiguousarray(grad_out.transpose(2, 1, 0, 3)).reshape(
        out_h, out_channels, batch * out_w)
    products = np.empty((out_h, out_channels, kernel_h * channels * kernel_w),
                        dtype=x_padded.dtype)
    for y in range(out_h):
        np.matmul(gradient_rows[y], _row_block(strips, y, kernel_h).T, out=products[y])
    # columns in (i, c, j) order, as in _weight_matrix
    grad_weight = products.sum(axis=0).reshape(out_channels, kernel_h, channels, kernel_w)
    return np.ascontiguousarray(grad_weight.transpose(0, 2, 1, 3))
