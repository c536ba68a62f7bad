"""2-D convolution as im2col + the tiled gemm of ``dense.py``: forward, and both backward
passes, with stride, zero padding, dilation and groups.

Convolution is a matrix product in disguise. Unfold every receptive field of the input
into a column ("im2col"):

    cols[n, (c, kh, kw), (oh, ow)] = x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
                                      (0 where that position is in the padding)

so that, for group g with C_g = C/G input and O_g = O/G output channels,

    out[n, g]     = W[g]   @ cols[n, g]         (O_g, C_g*KH*KW) @ (C_g*KH*KW, OH*OW)
    dcols[n, g]   = W[g]^T @ dout[n, g]         gradient of the columns
    dW[g]         = sum_n dout[n, g] @ cols[n, g]^T

and the input gradient folds ``dcols`` back onto the image ("col2im"): every input pixel
sums the column entries it was copied into.

Thread mapping: im2col has one thread per column entry; col2im has one thread per input
pixel that *gathers* its (at most KH*KW) contributions, so no two threads write the same
address and no atomics are needed. The products run in the shared-memory tiled gemm; the
batch of the gemm is (n, g) with the weight shared across n (batch index modulo G).
"""

from __future__ import annotations

from numba import cuda

from minigrad.backend.cuda.dense import gemm
from minigrad.backend.cuda.elementwise import binary, empty, materialize
from minigrad.backend.cuda.layout import launch_1d, permuted_view, view_of


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output extent of a convolution along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@cuda.jit
def _im2col_kernel(x, cols, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                   dilation_h, dilation_w, out_w):
    # x: (N, C, H, W); cols: (N, C*KH*KW, OH*OW)
    n_rows = cols.shape[1]
    n_cols = cols.shape[2]
    size = cols.shape[0] * n_rows * n_cols
    height = x.shape[2]
    width = x.shape[3]
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        position = i % n_cols
        row = (i // n_cols) % n_rows
        n = i // (n_cols * n_rows)
        kw = row % kernel_w
        kh = (row // kernel_w) % kernel_h
        c = row // (kernel_w * kernel_h)
        h = (position // out_w) * stride_h - pad_h + kh * dilation_h
        w = (position % out_w) * stride_w - pad_w + kw * dilation_w
        if 0 <= h < height and 0 <= w < width:
            cols[n, row, position] = x[n, c, h, w]
        else:
            cols[n, row, position] = 0


@cuda.jit
def _col2im_kernel(cols, dx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                   dilation_h, dilation_w, out_h, out_w):
    # dx[n, c, h, w] = sum of cols[n, (c, kh, kw), (oh, ow)] over the (kh, kw) whose tap
    # lands on (h, w): h = oh*sh - ph + kh*dh  <=>  oh = (h + ph - kh*dh) / sh, if whole.
    channels = dx.shape[1]
    height = dx.shape[2]
    width = dx.shape[3]
    size = dx.shape[0] * channels * height * width
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        w = i % width
        h = (i // width) % height
        c = (i // (width * height)) % channels
        n = i // (width * height * channels)
        total = cols[n, 0, 0] * 0
        for kh in range(kernel_h):
            oh_scaled = h + pad_h - kh * dilation_h
            if oh_scaled < 0 or oh_scaled % stride_h != 0:
                continue
            oh = oh_scaled // stride_h
            if oh >= out_h:
                continue
            for kw in range(kernel_w):
                ow_scaled = w + pad_w - kw * dilation_w
                if ow_scaled < 0 or ow_scaled % stride_w != 0:
                    continue
                ow = ow_scaled // stride_w
                if ow >= out_w:
                    continue
                total += cols[n, (c * kernel_h + kh) * kernel_w + kw, oh * out_w + ow]
        dx[n, c, h, w] = total


def _geometry(input_shape, weight_shape, stride, padding, dilation, groups):
    n, c, h, w = input_shape
    o, c_per_group, kh, kw = weight_shape
    if c != c_per_group * groups or o % groups:
        raise ValueError(
            f"conv2d: input {tuple(input_shape)} and weight {tuple(weight_shape)} do not fit "
            f"groups={groups} (need C = weight.shape[1] * groups and O divisible by groups)"
        )
    out_h = output_size(h, kh, stride[0], padding[0], dilation[0])
    out_w = output_size(w, kw, stride[1], padding[1], dilation[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"conv2d: input {tuple(input_shape)} is smaller than the dilated "
                         f"kernel {(kh, kw)}")
    return out_h, out_w


def _window_args(weight_shape, stride, padding, dilation):
    return (weight_shape[2], weight_shape[3], stride[0], stride[1], padding[0], padding[1],
            dilation[0], dilation[1])


def _im2col(x, weight_shape, stride, padding, dilation, out_w, out_size):
    n, c = x.shape[0], x.shape[1]
    cols = empty((n, c * weight_shape[2] * weight_shape[3], out_size), x.dtype)
    if cols.size:
        blocks, threads = launch_1d(cols.size)
        _im2col_kernel[blocks, threads](x, cols, *_window_args(weight_shape, stride, padding,
                                                                dilation), out_w)
    return cols


def conv2d(x, weight, bias, stride, padding, dilation, groups):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/groups, KH, KW) plus bias."""
    input_shape, weight_shape = tuple(x.shape), tuple(weight.shape)
    out_h, out_w = _geometry(input_shape, weight_shape, stride, padding, dilation, groups)
    n, o = input_shape[0], weight_shape[0]
    cols = _im2col(x, weight_shape, stride, padding, dilation, out_w, out_h * out_w)
    patch = weight_shape[1] * weight_shape[2] * weight_shape[3]
    # (N, C*KH*KW, L) read as (N*G, C_g*KH*KW, L): channel c = g*C_g + c_g.
    cols = cols.reshape((n * groups, patch, out_h * out_w))
    kernels = weight.reshape((groups, o // groups, patch))
    out = gemm(kernels, cols, batch=n * groups).reshape((n, o, out_h, out_w))
    if bias is not None:
        out = binary("add", out, bias.reshape((1, o, 1, 1)))
    return out


def conv2d_backward_input(grad_out, weight, input_shape, stride, padding, dilation, groups):
    """dL/dx for conv2d: W^T @ dout per (n, g), then col2im."""
    input_shape, weight_shape = tuple(input_shape), tuple(weight.shape)
    out_h, out_w = _geometry(input_shape, weight_shape, stride, padding, dilation, groups)
    n, o = input_shape[0], weight_shape[0]
    patch = weight_shape[1] * weight_shape[2] * weight_shape[3]
    kernels = weight.reshape((groups, o // groups, patch))
    grad_rows = grad_out.reshape((n * groups, o // groups, out_h * out_w))
    grad_cols = gemm(kernels, grad_rows, transpose_a=True, batch=n * groups)
    grad_cols = grad_cols.reshape((n, input_shape[1] * weight_shape[2] * weight_shape[3],
                                   out_h * out_w))
    grad_x = empty(input_shape, grad_out.dtype)
    if grad_x.size:
        blocks, threads = launch_1d(grad_x.size)
        _col2im_kernel[blocks, threads](grad_cols, grad_x,
                                        *_window_args(weight_shape, stride, padding, dilation),
                                        out_h, out_w)
    return grad_x


def conv2d_backward_weight(grad_out, x, weight_shape, stride, padding, dilation, groups):
    """dL/dW for conv2d: dout @ cols^T per group, with the batch folded into the sum."""
    input_shape, weight_shape = tuple(x.shape), tuple(weight_shape)
    out_h, out_w = _geometry(input_shape, weight_shape, stride, padding, dilation, groups)
    n, o = input_shape[0], weight_shape[0]
    patch = weight_shape[1] * weight_shape[2] * weight_shape[3]
    length = out_h * out_w
    cols = _im2col(x, weight_shape, stride, padding, dilation, out_w, length)
    # Bring the batch next to the spatial positions so one product per group sums over
    # both: (N, G, rows, L) -> (G, rows, N, L) -> (G, rows, N*L).
    cols = materialize(permuted_view(view_of(cols.reshape((n, groups, patch, length))),
                                     (1, 2, 0, 3)), x.dtype)
    grad_rows = materialize(
        permuted_view(view_of(grad_out.reshape((n, groups, o // groups, length))),
                      (1, 2, 0, 3)), grad_out.dtype)
    grad_weight = gemm(grad_rows.reshape((groups, o // groups, n * length)),
                       cols.reshape((groups, patch, n * length)), transpose_b=True)
    return grad_weight.reshape(weight_shape)
