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

The input gradient works the other way round, one product per *input* row h: the
gradient of strip row h collects W_i.T @ G_y from every output row y = h - i that read
it, and with the G_y stacked in row order those are again one contiguous block,

    grad strips[h] = W_flipped[:, rows] @ G[y_first : y_last + 1]      (C*KW, N*OW)

where W_flipped (C*KW, KH*O) holds W_{KH-1}.T ... W_0.T side by side and ``rows`` picks the
taps i = h - y of the output rows y that exist (fewer near the top and bottom). The
strips' adjoint then adds each strip back onto the input row it was copied from.

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


@serial_or_parallel()
def _add_strips_back(grad_strips, kernel_w, stride_w, dil_w, out_w, grad_x_padded):
    """The adjoint of ``_fill_strips``: grad_x_padded[n, c, h, x*sw + j*dw] +=
    grad_strips[h, (c, j), (n, x)], on flattened arrays: grad_strips (Hp * C*KW, N*OW) and
    grad_x_padded (N, C, Hp*Wp).

    Parallel over (h, c): each task owns input row h of channel c in every sample; it
    clears the row and adds the KW strips copied from it, so overlapping windows need no
    atomics.
    """
    batch, channels, plane = grad_x_padded.shape
    rows = grad_strips.shape[0] // (channels * kernel_w)
    width = plane // rows
    step = uint64(stride_w)
    for task in prange(rows * channels):
        h = task // channels
        c = task % channels
        row_start = uint64(h * width)
        for n in range(batch):
            target = grad_x_padded[n, c]
            for x in range(uint64(width)):
                target[row_start + x] = 0
        for j in range(kernel_w):
            strip = grad_strips[task * kernel_w + j]  # row (h, c, j)
            first = row_start + uint64(j * dil_w)
            for n in range(batch):
                target, start = grad_x_padded[n, c], uint64(n * out_w)
                for x in range(uint64(out_w)):
                    target[first + x * step] += strip[start + x]


def _strips(x_padded, kernel_w, stride_w, dil_w, out_w):
    """The strips of x_padded (N, C, Hp, Wp) as an (Hp, C*KW, N*OW) array."""
    batch, channels, rows = x_padded.shape[:3]
    strips = np.empty((rows, channels * kernel_w, batch * out_w), dtype=x_padded.dtype)
    _fill_strips(strips.size, x_padded.reshape(batch, channels, -1), kernel_w, stride_w,
                 dil_w, out_w, strips.reshape(rows * channels * kernel_w, -1))
    return strips


def _gradient_rows(grad_out):
    """G_0, G_1, ..., G_{OH-1} stacked: grad_out (N, O, OH, OW) as an (OH*O, N*OW) array in
    which G_y (O, N*OW) is rows y*O ... y*O + O - 1."""
    batch, out_channels, out_h, out_w = grad_out.shape
    rows = np.ascontiguousarray(grad_out.transpose(2, 1, 0, 3))
    return rows.reshape(out_h * out_channels, batch * out_w)


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
    gradient_rows = _gradient_rows(grad_out).reshape(out_h, out_channels, batch * out_w)
    products = np.empty((out_h, out_channels, kernel_h * channels * kernel_w),
                        dtype=x_padded.dtype)
    for y in range(out_h):
        np.matmul(gradient_rows[y], _row_block(strips, y, kernel_h).T, out=products[y])
    # columns in (i, c, j) order, as in _weight_matrix
    grad_weight = products.sum(axis=0).reshape(out_channels, kernel_h, channels, kernel_w)
    return np.ascontiguousarray(grad_weight.transpose(0, 2, 1, 3))


def conv2d_backward_input(grad_out, weight, padded_shape, stride_w: int, dil_w: int):
    """The gradient of the zero-padded input (N, C, Hp, Wp): the gradient of every strip
    row h, W_flipped[:, rows] @ G[y_first : y_last + 1], added back onto the input."""
    batch, out_channels, out_h, out_w = grad_out.shape
    _, channels, kernel_h, kernel_w = weight.shape
    rows = padded_shape[2]
    gradient_rows = _gradient_rows(grad_out)  # G_0, G_1, ... stacked: (OH*O, N*OW)
    # W_flipped[(c, j), (m, o)] = weight[o, c, KH-1-m, j]: block m is W_{KH-1-m}.T
    flipped = np.ascontiguousarray(weight[:, :, ::-1, :].transpose(1, 3, 2, 0)).reshape(
        channels * kernel_w, kernel_h * out_channels)
    grad_strips = np.empty((rows, channels * kernel_w, batch * out_w), dtype=grad_out.dtype)
    for h in range(rows):
        # output rows y = h - i for the taps i = 0 .. KH-1, where 0 <= y < OH
        y_first, y_last = max(h - kernel_h + 1, 0), min(h, out_h - 1)
        if y_first > y_last:  # a padding row no window reads
            grad_strips[h] = 0
            continue
        # y ascending is i = h - y descending, block m = KH-1-i ascending
        m_first = kernel_h - 1 - h + y_first
        taps = y_last - y_first + 1
        np.matmul(flipped[:, m_first * out_channels:(m_first + taps) * out_channels],
                  gradient_rows[y_first * out_channels:(y_last + 1) * out_channels],
                  out=grad_strips[h])
    grad_x_padded = np.empty(padded_shape, dtype=grad_out.dtype)
    _add_strips_back(grad_x_padded.size, grad_strips.reshape(rows * channels * kernel_w, -1),
                     kernel_w, stride_w, dil_w, out_w,
                     grad_x_padded.reshape(batch, channels, -1))
    return grad_x_padded
