"""2-D convolution kernels on the CPU: im2col + one matrix product per group.

Convolution (really cross-correlation, as in every deep-learning library) of x (N, C, H, W)
with weight (O, C/groups, KH, KW) is

    out[n, o, y, x] = sum_{c, i, j} weight[o, c, i, j]
                      * x_padded[n, g*C/groups + c, y*sh + i*dh, x*sw + j*dw]

where g is the group of output channel o. **im2col** copies each input value that window
position (y, x) of sample n sees into column (n, y, x) of a matrix ``cols`` with one row
per (c, i, j): C*KH*KW rows, N*OH*OW columns. The convolution of the whole batch is then
one matrix product per group,

    out_g (O/groups, N*OH*OW) = weight_g (O/groups, C/groups*KH*KW) @ cols_g,

whose (O, N, OH*OW) result is turned to the (N, O, OH*OW) = NCHW layout while the bias is
added. Both gradients are matrix products too, with grad_out laid out the same way as
``grad_rows`` (O, N*OH*OW):

    grad_cols_g = weight_g.T @ grad_rows_g    (then col2im adds it back onto the input)
    grad_weight_g = grad_rows_g @ cols_g.T

Why this layout and not seven nested direct loops: the products go to BLAS (the dense
path's default, see ``dense.py``), which runs near the machine's peak, while im2col and
col2im are simple streaming copies. Why one product for the batch rather than one per
sample: OpenBLAS runs a product as small as LeNet's conv2 per sample (16 x 150 x 100) on one
thread, and numpy's batched ``matmul`` with the transposed weight ran 3x slower than that
(conv2's input-gradient product took 2 ms instead of 0.6); one product of N*OH*OW columns uses all
cores, and only grad_out (small) and the output need transposing. The price of im2col is
the memory for ``cols`` (C*KH*KW x N*OH*OW values, 3.7 MiB for LeNet's conv2 at batch 64)
and the time to fill it, about as long as the product itself for conv2.

For stride 1, big windows and long output rows, where the im2col copy costs more than the
products, ``conv2d`` and ``conv2d_backward_weight`` instead run the direct kernels of
``conv_direct`` (see ``PATH`` and the size rule ``DIRECT_*`` below). ``PATH = "strips"``
runs the strips kernels of ``conv_strips`` instead of im2col where they apply (stride and
dilation 1 in height, one group): the same products, row by row, over a copy KH times
smaller. They are faster kernel by kernel but not the default: without im2col's large
buffer, an eager LeNet-5 step page-faults about 1,650 times per step (docs/kernels.md).

Inputs of any strides are accepted; they are copied to C-contiguous arrays first
(``np.ascontiguousarray``, a no-op when they already are), so the kernels always stream
through memory in order. float32 and float64 arrays work; both operands must match.
"""

from __future__ import annotations

import numpy as np
from numba import prange, uint64

from minigrad.backend.cpu import conv_direct, conv_strips, dense, workspace
from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN, serial_or_parallel

#: Which algorithm the kernels run: ``"auto"`` (the size rule of ``_use_direct``, else
#: im2col), ``"im2col"``, ``"direct"`` (where it applies, stride 1; the input
#: gradient then runs im2col) or ``"strips"`` (where it applies, stride and dilation 1 in
#: height, one group). Tests set it to check every path on every case.
PATH = "auto"

#: The size rule (stride 1 only), measured at batch 64 on 1 thread (fp32, CPU time, 12
#: alternating runs per path). The direct kernels compute every output row at the padded
#: width W = OW + (KW-1)*dw and throw the extra KW-1 columns away, a waste of (KW-1)/OW of
#: the work: 40% for LeNet's conv2 (OW 10), 14% for conv1 (OW 28). They win where that waste
#: is small and the window big (5x5: a pass of four taps covers most of the work; with 3x3
#: im2col + BLAS was 1.5-2x faster everywhere we measured), whatever the channel count:
#: conv1 forward 0.58 against 1.17 ms and weight gradient 0.76 against 1.63 ms; 16
#: channels at OW 28 9.7 against 12.3 ms; a tie at OW 16; im2col ahead at OW 10 for 2 to 12
#: channels (conv2 forward 1.71 against 2.39 ms, weight gradient 2.02 against 2.28 ms).
DIRECT_MIN_TAPS = 25
DIRECT_MIN_OUT_W = 16


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis: floor((size + 2p - d*(k-1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _im2col(x_flat, width, kernel_h, kernel_w, stride_h, stride_w, dil_h, dil_w, out_h,
            out_w, cols):
    """Fill cols (C*KH*KW, N, OH*OW) from the zero-padded input, planes flattened:
    x_flat (N, C, Hp*Wp) with rows of ``width`` = Wp values.

    A copy, memory-bound: parallel (over (row of cols, sample) pairs, one (channel, i, j)
    and one n each) only for large ``cols`` (see ``threads.py``). Every task writes one
    contiguous run of OH*OW values and reads the image row by row. Because the input was
    padded beforehand, every index is in range and the copy loop has no branch. The
    indices are unsigned (``uint64``) on purpose: Numba lets a signed index be negative
    (``a[-1]``, counted from the end) and tests its sign on every access, and that test
    keeps LLVM from turning these short row copies (10 values for LeNet's conv2) into vector
    moves; with unsigned indices the copy measured 1.5x faster.
    """
    batch, channels = x_flat.shape[:2]
    window = kernel_h * kernel_w
    row_step, step, length = uint64(stride_h * width), uint64(stride_w), uint64(out_w)
    for task in prange(channels * window * batch):
        row = task // batch
        n = task % batch
        c = row // window
        i = (row // kernel_w) % kernel_h
        j = row % kernel_w
        image, column = x_flat[n, c], cols[row, n]
        first = uint64(i * dil_h * width + j * dil_w)  # where tap (i, j) of window (0, 0) reads
        for oy in range(uint64(out_h)):
            start, base = first + oy * row_step, oy * length
            for ox in range(length):
                column[base + ox] = image[start + ox * step]


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _col2im(grad_cols, width, kernel_h, kernel_w, stride_h, stride_w, dil_h, dil_w, out_h,
            out_w, grad_x_flat):
    """The adjoint of im2col: add every entry of grad_cols (C*KH*KW, N, OH*OW) back onto the
    (padded, flattened) input value it came from, in grad_x_flat (N, C, Hp*Wp).

    A loop over (n, c) planes (parallel for large ``grad_cols``): all rows of ``grad_cols``
    that touch one plane are handled by one thread, so overlapping windows add up without
    races or atomics. Unsigned indices as in ``_im2col``.
    """
    batch, channels = grad_x_flat.shape[:2]
    window = kernel_h * kernel_w
    row_step, step, length = uint64(stride_h * width), uint64(stride_w), uint64(out_w)
    for plane in prange(batch * channels):
        n = plane // channels
        c = plane % channels
        image = grad_x_flat[n, c]
        for i in range(kernel_h):
            for j in range(kernel_w):
                column = grad_cols[c * window + i * kernel_w + j, n]
                first = uint64(i * dil_h * width + j * dil_w)
                for oy in range(uint64(out_h)):
                    start, base = first + oy * row_step, oy * length
                    for ox in range(length):
                        image[start + ox * step] += column[base + ox]


def _check_arrays(x, weight, what: str) -> None:
    if x.dtype != weight.dtype or x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{what} needs float32 or float64 arrays of one dtype; got {x.dtype} and "
            f"{weight.dtype}"
        )


def _geometry(input_shape, weight_shape, stride, padding, dilation, groups, what):
    """Validate shapes and return (OH, OW); raises ValueError instead of indexing wrongly."""
    if len(input_shape) != 4 or len(weight_shape) != 4:
        raise ValueError(
            f"{what} needs input (N, C, H, W) and weight (O, C/groups, KH, KW); got "
            f"{tuple(input_shape)} and {tuple(weight_shape)}"
        )
    batch, channels, height, width = input_shape
    out_channels, group_channels, kernel_h, kernel_w = weight_shape
    if groups < 1 or channels % groups or out_channels % groups:
        raise ValueError(
            f"{what}: groups={groups} must divide input channels {channels} and output "
            f"channels {out_channels}"
        )
    if group_channels * groups != channels:
        raise ValueError(
            f"{what}: input {tuple(input_shape)} has {channels} channels but weight "
            f"{tuple(weight_shape)} expects {group_channels} * groups={groups}"
        )
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"{what}: stride {stride} and dilation {dilation} must be >= 1, padding {padding} "
            ">= 0"
        )
    out_h = output_size(height, kernel_h, stride[0], padding[0], dilation[0])
    out_w = output_size(width, kernel_w, stride[1], padding[1], dilation[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{what}: kernel {(kernel_h, kernel_w)} with dilation {dilation} is larger than "
            f"the padded input {(height + 2 * padding[0], width + 2 * padding[1])}"
        )
    return out_h, out_w


def _pad(x, padding):
    """x (N, C, H, W) inside a zero border of ``padding`` (a copy; x itself when no padding)."""
    pad_h, pad_w = padding
    if pad_h == 0 and pad_w == 0:
        return np.ascontiguousarray(x)
    batch, channels, height, width = x.shape
    padded = np.zeros((batch, channels, height + 2 * pad_h, width + 2 * pad_w), dtype=x.dtype)
    padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width] = x
    return padded


def _columns(x, weight_shape, stride, padding, dilation, out_h, out_w):
    """im2col of x: the (C*KH*KW, N*OH*OW) matrix whose column (n, y, x) is window (y, x)
    of sample n (returned as (C*KH*KW, N, OH*OW)), in this thread's scratch memory (valid
    until the caller returns, see ``workspace.py``)."""
    batch, channels = x.shape[:2]
    kernel_h, kernel_w = weight_shape[2:]
    x_padded = _pad(x, padding)
    cols = workspace.scratch((channels * kernel_h * kernel_w, batch, out_h * out_w), x.dtype)
    _im2col(cols.size, _flat_planes(x_padded), x_padded.shape[3], kernel_h, kernel_w,
            stride[0], stride[1], dilation[0], dilation[1], out_h, out_w, cols)
    return cols


def _group_slices(size: int, groups: int):
    step = size // groups
    return [slice(g * step, (g + 1) * step) for g in range(groups)]


def _use_direct(stride, weight_shape, out_w: int) -> bool:
    """Whether to run the direct kernels (stride 1 only) rather than im2col + BLAS.

    ``PATH`` forces a path; ``"auto"`` applies the size rule above to the window of the
    weight (O, C/groups, KH, KW) and the output width.
    """
    if PATH in ("im2col", "strips") or tuple(stride) != (1, 1):
        return False
    if PATH == "direct":
        return True
    kernel_h, kernel_w = weight_shape[2:]
    return kernel_h * kernel_w >= DIRECT_MIN_TAPS and out_w >= DIRECT_MIN_OUT_W


def _use_strips(stride, dilation, groups: int) -> bool:
    """Whether to run the strips kernels (``conv_strips``: stride and dilation 1 in height,
    one group) rather than im2col: only when ``PATH`` asks for them."""
    return PATH == "strips" and stride[0] == 1 and dilation[0] == 1 and groups == 1


def _flat_planes(x_padded):
    """(N, C, H, W) -> (N, C, H*W), a view of the C-contiguous padded input."""
    batch, channels, height, width = x_padded.shape
    return x_padded.reshape(batch, channels, height * width)


def _conv2d_direct(x, weight, bias, padding, dilation, groups, out_h, out_w):
    """conv2d through ``conv_direct.direct_conv`` (wide rows, see that module)."""
    x_padded = _pad(x, padding)
    batch, width = x.shape[0], x_padded.shape[3]
    out_channels, group_channels, kernel_h, kernel_w = weight.shape
    offsets = conv_direct.tap_offsets(kernel_h, kernel_w, dilation[0], dilation[1], width)
    bias = (np.zeros(out_channels, dtype=x.dtype) if bias is None
            else np.ascontiguousarray(bias, dtype=x.dtype))
    out = np.empty((batch, out_channels, out_h, out_w), dtype=x.dtype)
    work = batch * out_channels * out_h * width * group_channels * kernel_h * kernel_w
    conv_direct.direct_conv(work, _flat_planes(x_padded), np.ascontiguousarray(weight), bias,
                            offsets, width, groups, out)
    return out


def _grad_rows(grad_out, out_channels):
    """grad_out (N, O, OH, OW) as the (O, N*OH*OW) matrix that matches im2col's columns."""
    batch, _, out_h, out_w = grad_out.shape
    by_sample = grad_out.reshape(batch, out_channels, out_h * out_w)
    return np.ascontiguousarray(by_sample.transpose(1, 0, 2)).reshape(out_channels, -1)


def conv2d(x, weight, bias, stride, padding, dilation, groups: int):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/groups, KH, KW) plus bias (O,).

    Returns (N, O, OH, OW): one im2col, then per group one product
    weight_g (O/groups, C/groups*KH*KW) @ cols_g (C/groups*KH*KW, N*OH*OW), whose
    (O, N, OH*OW) result is turned to NCHW order while the bias is added.
    """
    _check_arrays(x, weight, "conv2d")
    out_h, out_w = _geometry(x.shape, weight.shape, stride, padding, dilation, groups, "conv2d")
    if _use_direct(stride, weight.shape, out_w):
        return _conv2d_direct(x, weight, bias, padding, dilation, groups, out_h, out_w)
    if _use_strips(stride, dilation, groups):
        return conv_strips.conv2d(_pad(x, padding), weight, bias, stride[1], dilation[1], out_h,
                                  out_w)
    batch, out_channels = x.shape[0], weight.shape[0]
    cols = _columns(x, weight.shape, stride, padding, dilation, out_h, out_w)
    cols_matrix = cols.reshape(cols.shape[0], -1)
    weight_matrix = np.ascontiguousarray(weight).reshape(out_channels, -1)
    if groups == 1:
        out_rows = dense.matmul(weight_matrix, cols_matrix)
    else:
        out_rows = np.empty((out_channels, cols_matrix.shape[1]), dtype=x.dtype)
        for rows, channels in zip(_group_slices(cols.shape[0], groups),
                                  _group_slices(out_channels, groups), strict=True):
            out_rows[channels] = dense.matmul(weight_matrix[channels], cols_matrix[rows])
    by_channel = out_rows.reshape(out_channels, batch, out_h * out_w).transpose(1, 0, 2)
    out = np.empty((batch, out_channels, out_h * out_w), dtype=x.dtype)
    if bias is None:
        out[...] = by_channel
    else:
        np.add(by_channel, bias.reshape(out_channels, 1), out=out)
    return out.reshape(batch, out_channels, out_h, out_w)


def _check_grad_out(grad_out, expected_shape, what):
    if tuple(grad_out.shape) != tuple(expected_shape):
        raise ValueError(f"{what}: grad_out has shape {grad_out.shape}, expected {expected_shape}")


def conv2d_backward_input(grad_out, weight, input_shape, stride, padding, dilation,
                          groups: int):
    """Gradient with respect to the input: col2im(weight_g.T @ grad_out[n]_g) per group.

    $\\partial L / \\partial x$ sums, for every input pixel, the weights that multiplied it
    times the output gradients of the windows it fell in; col2im does that adding.
    """
    _check_arrays(grad_out, weight, "conv2d_backward_input")
    out_h, out_w = _geometry(input_shape, weight.shape, stride, padding, dilation, groups,
                             "conv2d_backward_input")
    batch, out_channels = input_shape[0], weight.shape[0]
    _check_grad_out(grad_out, (batch, out_channels, out_h, out_w), "conv2d_backward_input")
    batch, channels, height, width = input_shape
    pad_h, pad_w = padding
    padded_shape = (batch, channels, height + 2 * pad_h, width + 2 * pad_w)
    if _use_strips(stride, dilation, groups):
        grad_x_padded = conv_strips.conv2d_backward_input(grad_out, weight, padded_shape,
                                                          stride[1], dilation[1])
        return _crop(grad_x_padded, padding)
    weight_matrix = np.ascontiguousarray(weight).reshape(out_channels, -1)
    grad_rows = _grad_rows(grad_out, out_channels)
    grad_cols = workspace.scratch((weight_matrix.shape[1] * groups, grad_rows.shape[1]),
                                  grad_out.dtype)
    for rows, channels in zip(_group_slices(grad_cols.shape[0], groups),
                              _group_slices(out_channels, groups), strict=True):
        dense.matmul(weight_matrix[channels].T, grad_rows[channels], out=grad_cols[rows])
    grad_x_padded = np.zeros(padded_shape, dtype=grad_out.dtype)
    _col2im(grad_cols.size, grad_cols.reshape(grad_cols.shape[0], batch, out_h * out_w),
            grad_x_padded.shape[3], weight.shape[2], weight.shape[3], stride[0], stride[1],
            dilation[0], dilation[1], out_h, out_w, _flat_planes(grad_x_padded))
    return _crop(grad_x_padded, padding)


def _crop(grad_x_padded, padding):
    """The gradient of the input from that of the zero-padded input: the border dropped."""
    pad_h, pad_w = padding
    if pad_h == 0 and pad_w == 0:
        return grad_x_padded
    height, width = grad_x_padded.shape[2] - 2 * pad_h, grad_x_padded.shape[3] - 2 * pad_w
    return np.ascontiguousarray(grad_x_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width])


def conv2d_backward_weight(grad_out, x, weight_shape, stride, padding, dilation,
                           groups: int):
    """Gradient with respect to the weight: sum_n grad_out[n]_g @ cols[n]_g.T per group.

    $\\partial L / \\partial w_{o,c,i,j} = \\sum_{n,y,x} g_{n,o,y,x}\\, x_{n,c,y s+i d, x s+j d}$:
    each weight collects output gradient times the input value it multiplied, over every
    window position of every sample - a row of grad_out[n] dotted with a row of cols[n],
    summed over the batch.
    """
    _check_arrays(grad_out, x, "conv2d_backward_weight")
    weight_shape = tuple(weight_shape)
    out_h, out_w = _geometry(x.shape, weight_shape, stride, padding, dilation, groups,
                             "conv2d_backward_weight")
    batch, out_channels = x.shape[0], weight_shape[0]
    _check_grad_out(grad_out, (batch, out_channels, out_h, out_w), "conv2d_backward_weight")
    if _use_direct(stride, weight_shape, out_w):
        x_padded = _pad(x, padding)
        width = x_padded.shape[3]
        # the output gradient on wide rows of the padded width, zero in the extra columns
        grad_wide = np.zeros((batch, out_channels, out_h, width), dtype=x.dtype)
        grad_wide[:, :, :, :out_w] = grad_out
        kernel_h, kernel_w = weight_shape[2:]
        offsets = conv_direct.tap_offsets(kernel_h, kernel_w, dilation[0], dilation[1], width)
        grad_weight = np.empty(weight_shape, dtype=x.dtype)
        conv_direct.direct_weight_grad(
            grad_wide.size * weight_shape[1] * kernel_h * kernel_w,
            grad_wide.reshape(batch, out_channels, out_h * width), _flat_planes(x_padded),
            offsets, (out_h - 1) * width + out_w, groups, grad_weight)
        return grad_weight
    if _use_strips(stride, dilation, groups):
        return conv_strips.conv2d_backward_weight(grad_out, _pad(x, padding), weight_shape,
                                                  stride[1], dilation[1])
    cols = _columns(x, weight_shape, stride, padding, dilation, out_h, out_w)
    cols_matrix = cols.reshape(cols.shape[0], -1)
    grad_rows = _grad_rows(grad_out, out_channels)
    grad_weight = np.empty((out_channels, cols.shape[0] // groups), dtype=x.dtype)
    for rows, channels in zip(_group_slices(cols.shape[0], groups),
                              _group_slices(out_channels, groups), strict=True):
        grad_weight[channels] = dense.matmul(grad_rows[channels], cols_matrix[rows].T)
    return grad_weight.reshape(weight_shape)
