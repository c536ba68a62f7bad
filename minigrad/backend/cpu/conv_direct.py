"""Direct stride-1 convolution kernels: no im2col matrix, long contiguous inner loops.

For stride 1 the convolution

    out[n, o, y, x] = sum_{c, i, j} w[o, c, i, j] * xp[n, c, y + i*dh, x + j*dw]

(``xp`` the zero-padded input, H x W after padding) can be computed on **wide rows**: view
each input plane as one flat vector of H*W values and each output plane as OH rows of
length W (not OW). Output position (y, x) gets flat index ``p = y*W + x``, and the input
value that tap (i, j) needs sits at flat index ``p + offset(i, j)`` with
``offset(i, j) = i*dh*W + j*dw``. So one tap, over the whole output plane, is a single loop

    acc[p] += w[o, c, i, j] * xp_flat[p + offset(i, j)]      for p in 0 .. L-1,

reading both arrays in order: the compiler turns it into SIMD multiply-adds. The price is
the W - OW "wrap-around" columns x >= OW of every wide row (row y's tail reads the start of
input row y+1), computed and thrown away: for LeNet's conv2 14 columns instead of 10.
``L = (OH-1)*W + OW`` stops the last row at OW, so every read stays inside the plane.

The weight gradient is the same walk with the roles turned round: a dot product of the
output gradient (laid out on wide rows, zero in the wrap-around columns so they add nothing)
with the shifted input plane,

    grad_w[o, c, i, j] = sum_n sum_p g_wide[n, o, p] * xp_flat[n, c, p + offset(i, j)].

Both kernels handle **four taps per pass** over p. A pass with one tap does one multiply-add
per element loaded from ``acc`` (forward) or per two loads (gradient); with four taps the
forward loads and stores ``acc[p]`` once for four multiply-adds, and the gradient's four
running sums stay in SIMD registers while one load of ``g[p]`` serves all four. Memory
traffic, not arithmetic, limits these loops, so that is what makes them fast.

Compared with im2col + BLAS this does more arithmetic (the wrap-around columns, (KW-1)/OW
of the work), at a lower rate than BLAS, but never writes the C*KH*KW x N*OH*OW matrix.
That pays for big windows on long output rows, where the waste is small (LeNet's conv1,
OW 28); on short rows (conv2, OW 10) im2col + BLAS wins. ``conv.py`` decides which path
runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minigrad.backend.cpu.threads import serial_or_parallel

#: Reassociation lets LLVM vectorise the dot-product reductions (partial sums in several
#: SIMD lanes, added up at the end) and sum four taps in one expression; "contract" allows
#: fused multiply-adds. No flag that assumes the absence of NaN or infinity, so those still
#: propagate as in exact arithmetic.
_FASTMATH = {"reassoc", "contract"}

#: Taps handled per pass over an output plane (see the module docstring).
TAPS_PER_PASS = 4


def tap_offsets(kernel_h: int, kernel_w: int, dil_h: int, dil_w: int, width: int):
    """Flat offsets i*dh*W + j*dw of the KH*KW taps, in (i, j) order (an int64 array)."""
    rows = np.arange(kernel_h, dtype=np.int64)[:, None] * (dil_h * width)
    return (rows + np.arange(kernel_w, dtype=np.int64)[None, :] * dil_w).ravel()


@njit(fastmath=_FASTMATH, cache=True)
def _window_axpy(acc, plane, weights, offsets, length):
    """acc[p] += sum_t weights[t] * plane[offsets[t] + p] for p < length, four taps a pass."""
    taps = offsets.shape[0]
    t = 0
    while t + 4 <= taps:
        s0 = plane[offsets[t]:offsets[t] + length]
        s1 = plane[offsets[t + 1]:offsets[t + 1] + length]
        s2 = plane[offsets[t + 2]:offsets[t + 2] + length]
        s3 = plane[offsets[t + 3]:offsets[t + 3] + length]
        w0, w1, w2, w3 = weights[t], weights[t + 1], weights[t + 2], weights[t + 3]
        for p in range(length):  # contiguous: SIMD, one load/store of acc per 4 taps
            acc[p] += w0 * s0[p] + w1 * s1[p] + w2 * s2[p] + w3 * s3[p]
        t += 4
    while t < taps:  # the last KH*KW % 4 taps
        s0 = plane[offsets[t]:offsets[t] + length]
        w0 = weights[t]
        for p in range(length):
            acc[p] += w0 * s0[p]
        t += 1


@njit(fastmath=_FASTMATH, cache=True)
def _window_dots(g, plane, offsets, length, sums):
    """sums[t] += sum_p g[p] * plane[offsets[t] + p] for p < length, four taps a pass."""
    taps = offsets.shape[0]
    t = 0
    while t + 4 <= taps:
        s0 = plane[offsets[t]:offsets[t] + length]
        s1 = plane[offsets[t + 1]:offsets[t + 1] + length]
        s2 = plane[offsets[t + 2]:offsets[t + 2] + length]
        s3 = plane[offsets[t + 3]:offsets[t + 3] + length]
        # start from the stored sums: scalars of the array's dtype, so float32 stays float32
        a0, a1, a2, a3 = sums[t], sums[t + 1], sums[t + 2], sums[t + 3]
        for p in range(length):  # four running sums in registers, one load of g[p]
            gp = g[p]
            a0 += gp * s0[p]
            a1 += gp * s1[p]
            a2 += gp * s2[p]
            a3 += gp * s3[p]
        sums[t], sums[t + 1], sums[t + 2], sums[t + 3] = a0, a1, a2, a3
        t += 4
    while t < taps:
        s0 = plane[offsets[t]:offsets[t] + length]
        a0 = sums[t]
        for p in range(length):
            a0 += g[p] * s0[p]
        sums[t] = a0
        t += 1


@serial_or_parallel()
def direct_conv(x_flat, weight, bias, offsets, width, groups, out):
    """out (N, O, OH, OW) = bias + conv of x_flat (N, C, H*W) with weight (O, C/groups, KH, KW).

    ``x_flat`` is the padded input with each plane flattened (row length ``width``),
    ``offsets`` the tap offsets (``tap_offsets``), ``bias`` has O entries (zeros for none).
    A loop over (sample, output channel) pairs, parallel from ``PARALLEL_GRAIN``
    multiply-adds (see ``threads.py``). Each task accumulates its wide plane of
    L = (OH-1)*W + OW values in a private buffer (a few hundred values: it stays in L1
    cache), starting from the bias, over input channels and taps; then it copies the valid
    OW columns of each wide row out.
    """
    batch = x_flat.shape[0]
    out_channels, group_channels = weight.shape[:2]
    out_h, out_w = out.shape[2], out.shape[3]
    length = (out_h - 1) * width + out_w
    per_group = out_channels // groups
    for task in prange(batch * out_channels):
        n = task // out_channels
        o = task % out_channels
        first = (o // per_group) * group_channels
        acc = np.full(length, bias[o], dtype=out.dtype)
        for c in range(group_channels):
            _window_axpy(acc, x_flat[n, first + c], weight[o, c].ravel(), offsets, length)
        for y in range(out_h):
            out[n, o, y, :] = acc[y * width:y * width + out_w]


@serial_or_parallel()
def direct_weight_grad(grad_wide, x_flat, offsets, length, groups, grad_weight):
    """grad_weight (O, C/groups, KH, KW) from grad_wide (N, O, OH*W) and x_flat (N, C, H*W).

    ``grad_wide[n, o]`` is the output gradient on wide rows, zero in the wrap-around columns.
    A loop over (output channel, input channel) pairs (parallel from ``PARALLEL_GRAIN``
    multiply-adds); each task sums, over the batch, the dot products of its KH*KW taps.
    """
    batch = x_flat.shape[0]
    out_channels, group_channels = grad_weight.shape[:2]
    per_group = out_channels // groups
    for task in prange(out_channels * group_channels):
        o = task // group_channels
        c = task % group_channels
        channel = (o // per_group) * group_channels + c
        sums = grad_weight[o, c].ravel()  # a view: grad_weight is C-contiguous
        sums[:] = 0
        for n in range(batch):
            _window_dots(grad_wide[n, o], x_flat[n, channel], offsets, length, sums)
