"""2-D max and average pooling kernels on the CPU.

Pooling has no reuse to exploit (each input value is read by at most a few windows and there
is nothing to multiply), so these are direct loop nests: ``prange`` over the N*C independent
(H, W) planes (memory-bound, so on one thread below ``ELEMENTWISE_GRAIN`` window reads, see
``threads.py``), and inside a plane the windows in row-major order, reading the input row by
row. Every plane is written by exactly one thread, so the backward passes can add into
overlapping windows without atomics.

Windows follow PyTorch with ``ceil_mode=False``: output size floor((H + 2p - k) / s) + 1;
max pooling treats the padding as -inf, average pooling as zeros.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minigrad.backend.cpu.threads import ELEMENTWISE_GRAIN, serial_or_parallel


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _geometry(input_shape, kernel_size, stride, padding, what):
    """Validate the window arguments and return (OH, OW)."""
    if len(input_shape) != 4:
        raise ValueError(f"{what} needs input (N, C, H, W); got shape {tuple(input_shape)}")
    if min(kernel_size) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(
            f"{what}: kernel_size {kernel_size} and stride {stride} must be >= 1, padding "
            f"{padding} >= 0"
        )
    if padding[0] * 2 > kernel_size[0] or padding[1] * 2 > kernel_size[1]:
        raise ValueError(
            f"{what}: padding {padding} must be at most half of kernel_size {kernel_size}"
        )
    height, width = input_shape[2:]
    if height < 1 or width < 1:
        raise ValueError(f"{what}: input {tuple(input_shape)} has an empty (H, W) plane")
    out_h = _output_size(height, kernel_size[0], stride[0], padding[0])
    out_w = _output_size(width, kernel_size[1], stride[1], padding[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{what}: kernel_size {kernel_size} is larger than the padded input "
            f"{(height + 2 * padding[0], width + 2 * padding[1])}"
        )
    return out_h, out_w


def _check_float(x, what):
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{what} needs a float32 or float64 array; got {x.dtype}")


@njit(cache=True)
def _has_nan(image):
    """Whether a (H, W) plane holds a NaN: one pass a compiler vectorises, no branch."""
    values = image.ravel()
    found = False
    for k in range(values.size):
        found |= values[k] != values[k]
    return found


@njit(cache=True)
def _first_nan(image, y_start, y_stop, x_start, x_stop, best, best_index):
    """(value, flat index) of the first NaN of a window in row-major order, or
    ``(best, best_index)`` unchanged when the window holds none."""
    width = image.shape[1]
    for iy in range(y_start, y_stop):
        for ix in range(x_start, x_stop):
            if image[iy, ix] != image[iy, ix]:
                return image[iy, ix], iy * width + ix
    return best, best_index


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _max_pool_kernel(x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, out, argmax):
    """out = max of every window of x, argmax = flat index iy * W + ix of the winner.

    The scan of a window has no branch: ``larger = value > best`` picks the new value and
    its index with two selects (conditional moves). On real data the winner's position is
    random, so an ``if`` here would be mispredicted about every other element, and each
    miss costs more than the whole comparison. Ties keep the first maximum in row-major
    order.

    ``>`` is False for a NaN, and testing for NaNs in the scan too made it 2.5x slower, so
    NaNs are looked for once per plane (``_has_nan``, a fast vectorised pass); only in a
    plane that holds one is every window scanned again for its first NaN, which then wins:
    NaNs propagate as in PyTorch.
    """
    batch, channels, height, width = x.shape
    _, _, out_h, out_w = out.shape
    for plane in prange(batch * channels):
        n = plane // channels
        c = plane % channels
        image = x[n, c]
        has_nan = _has_nan(image)
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            y_start, y_stop = max(y0, 0), min(y0 + kernel_h, height)
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                x_start, x_stop = max(x0, 0), min(x0 + kernel_w, width)
                best = image[y_start, x_start]
                best_index = y_start * width + x_start
                for iy in range(y_start, y_stop):
                    for ix in range(x_start, x_stop):
                        value = image[iy, ix]
                        larger = value > best
                        best = value if larger else best
                        best_index = iy * width + ix if larger else best_index
                if has_nan:
                    best, best_index = _first_nan(image, y_start, y_stop, x_start, x_stop,
                                                  best, best_index)
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = best_index


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _max_pool_2x2_kernel(x, out, argmax):
    """``_max_pool_kernel`` for the most common pooling, 2x2 windows with stride 2 and no
    padding (LeNet, VGG, ...), written out: the four comparisons are straight-line code.

    The general kernel's window loops run to bounds known only at run time (the window
    size and stride are arguments), which keeps LLVM from unrolling and vectorising them;
    with the window written out this kernel measured about 5x faster (LeNet's first pool,
    64x6x28x28, the kernel alone on one thread: 0.25 against 1.3 ms of CPU time on a busy
    machine). Same rules for ties and NaNs.
    """
    batch, channels, height, width = x.shape
    _, _, out_h, out_w = out.shape
    for plane in prange(batch * channels):
        n = plane // channels
        c = plane % channels
        image = x[n, c]
        has_nan = _has_nan(image)
        for oy in range(out_h):
            top = 2 * oy
            for ox in range(out_w):
                left = 2 * ox
                best = image[top, left]
                best_index = top * width + left
                value = image[top, left + 1]
                larger = value > best
                best = value if larger else best
                best_index = best_index + 1 if larger else best_index
                value = image[top + 1, left]
                larger = value > best
                best = value if larger else best
                best_index = (top + 1) * width + left if larger else best_index
                value = image[top + 1, left + 1]
                larger = value > best
                best = value if larger else best
                best_index = (top + 1) * width + left + 1 if larger else best_index
                if has_nan:
                    best, best_index = _first_nan(image, top, top + 2, left, left + 2, best,
                                                  best_index)
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = best_index


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _max_pool_backward_kernel(grad_out, argmax, grad_x):
    """grad_x[plane] = 0, then grad_x[plane, argmax[plane, k]] += grad_out[plane, k], on
    flattened (N*C) planes.

    Each task clears its own plane right before scattering into it, while the plane is in
    cache: one pass over memory instead of a separate ``np.zeros`` of the whole gradient
    (which, for a freshly allocated array, also pays the page faults). With the planes flat,
    the winner's flat index addresses grad_x directly: no division back into (row,
    column), which cost more than the addition itself. A scatter moves a few bytes per
    element for one addition, so it runs in parallel only from ``ELEMENTWISE_GRAIN``
    elements on (see ``threads.py``).
    """
    for plane in prange(grad_x.shape[0]):
        gradient, winners, grad = grad_x[plane], argmax[plane], grad_out[plane]
        gradient[:] = 0
        for k in range(grad.shape[0]):
            gradient[winners[k]] += grad[k]


@njit(cache=True)
def _divisor(y0, x0, kernel_h, kernel_w, height, width, count_include_pad):
    # With count_include_pad the window size is fixed (padding <= k/2 and floor mode keep
    # every window inside the padded input); otherwise count only real input values.
    if count_include_pad:
        return kernel_h * kernel_w
    rows = min(y0 + kernel_h, height) - max(y0, 0)
    cols = min(x0 + kernel_w, width) - max(x0, 0)
    return rows * cols


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _avg_pool_kernel(x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                     count_include_pad, out):
    batch, channels, height, width = x.shape
    _, _, out_h, out_w = out.shape
    for plane in prange(batch * channels):
        n = plane // channels
        c = plane % channels
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                total = 0.0  # summed in float64, rounded once by the store
                for iy in range(max(y0, 0), min(y0 + kernel_h, height)):
                    for ix in range(max(x0, 0), min(x0 + kernel_w, width)):
                        total += x[n, c, iy, ix]
                out[n, c, oy, ox] = total / _divisor(y0, x0, kernel_h, kernel_w, height,
                                                     width, count_include_pad)


@serial_or_parallel(grain=ELEMENTWISE_GRAIN)
def _avg_pool_backward_kernel(grad_out, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                              count_include_pad, grad_x):
    batch, channels, height, width = grad_x.shape
    _, _, out_h, out_w = grad_out.shape
    for plane in prange(batch * channels):
        n = plane // channels
        c = plane % channels
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                share = grad_out[n, c, oy, ox] / _divisor(y0, x0, kernel_h, kernel_w, height,
                                                          width, count_include_pad)
                for iy in range(max(y0, 0), min(y0 + kernel_h, height)):
                    for ix in range(max(x0, 0), min(x0 + kernel_w, width)):
                        grad_x[n, c, iy, ix] += share


def max_pool2d(x, kernel_size, stride, padding):
    """Max over each window of x (N, C, H, W). Returns ``(out, argmax)``.

    ``argmax`` (int64, the shape of ``out``) holds, for every output, the flat index
    ``iy * W + ix`` of the winning input element inside its (H, W) plane; ties go to the
    first element in row-major order.
    """
    _check_float(x, "max_pool2d")
    out_h, out_w = _geometry(x.shape, kernel_size, stride, padding, "max_pool2d")
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], x.shape[1], out_h, out_w), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int64)
    work = out.size * kernel_size[0] * kernel_size[1]
    if tuple(kernel_size) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0):
        _max_pool_2x2_kernel(work, x, out, argmax)
    else:
        _max_pool_kernel(work, x, kernel_size[0], kernel_size[1], stride[0], stride[1],
                         padding[0], padding[1], out, argmax)
    return out, argmax


def max_pool2d_backward(grad_out, argmax, input_shape):
    """Scatter-add each output gradient onto the input element that won its window."""
    _check_float(grad_out, "max_pool2d_backward")
    if grad_out.shape != argmax.shape or len(input_shape) != 4 or \
            tuple(grad_out.shape[:2]) != tuple(input_shape[:2]):
        raise ValueError(
            f"max_pool2d_backward: grad_out {grad_out.shape}, argmax {argmax.shape} and "
            f"input shape {tuple(input_shape)} do not fit together"
        )
    plane_size = input_shape[2] * input_shape[3]
    if argmax.size and (argmax.min() < 0 or argmax.max() >= plane_size):
        raise ValueError(f"max_pool2d_backward: argmax holds indices outside 0..{plane_size - 1}")
    planes, windows = input_shape[0] * input_shape[1], grad_out.shape[2] * grad_out.shape[3]
    grad_x = np.empty((planes, plane_size), dtype=grad_out.dtype)
    _max_pool_backward_kernel(grad_x.size, np.ascontiguousarray(grad_out).reshape(planes, windows),
                              np.ascontiguousarray(argmax).reshape(planes, windows), grad_x)
    return grad_x.reshape(tuple(input_shape))


def avg_pool2d(x, kernel_size, stride, padding, count_include_pad: bool):
    """Mean over each window of x (N, C, H, W), the padding counted as zeros when
    ``count_include_pad`` (PyTorch's default) and left out of the divisor otherwise."""
    _check_float(x, "avg_pool2d")
    out_h, out_w = _geometry(x.shape, kernel_size, stride, padding, "avg_pool2d")
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], x.shape[1], out_h, out_w), dtype=x.dtype)
    _avg_pool_kernel(out.size * kernel_size[0] * kernel_size[1], x, kernel_size[0],
                     kernel_size[1], stride[0], stride[1], padding[0], padding[1],
                     bool(count_include_pad), out)
    return out


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding,
                        count_include_pad: bool):
    """Spread each output gradient evenly (divided by the same divisor) over its window."""
    _check_float(grad_out, "avg_pool2d_backward")
    out_h, out_w = _geometry(input_shape, kernel_size, stride, padding, "avg_pool2d_backward")
    expected = (input_shape[0], input_shape[1], out_h, out_w)
    if tuple(grad_out.shape) != expected:
        raise ValueError(
            f"avg_pool2d_backward: grad_out has shape {grad_out.shape}, expected {expected}"
        )
    grad_x = np.zeros(tuple(input_shape), dtype=grad_out.dtype)
    _avg_pool_backward_kernel(grad_out.size * kernel_size[0] * kernel_size[1],
                              np.ascontiguousarray(grad_out), kernel_size[0], kernel_size[1],
                              stride[0], stride[1], padding[0], padding[1],
                              bool(count_include_pad), grad_x)
    return grad_x
