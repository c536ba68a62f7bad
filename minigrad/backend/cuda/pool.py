"""Max and average pooling over 2-D windows, forward and backward.

Thread mapping: forward passes use one thread per output element, which scans its
KH x KW window. The average-pool backward uses one thread per *input* element, which
gathers the gradient from every output window that contains it - windows overlap when the
stride is smaller than the kernel, and gathering (instead of each window scattering into
its inputs) means no two threads write the same address, so no atomics are needed. The
max-pool backward scatters each output gradient to its recorded winner with an atomic add
(it is only given the winners, not the window geometry).

The windows covering input row ``h`` are those with ``oh*sh - ph <= h <= oh*sh - ph + KH - 1``,
i.e. ``ceil((h + ph - KH + 1)/sh) <= oh <= floor((h + ph)/sh)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minigrad.backend.cuda.elementwise import empty, full
from minigrad.backend.cuda.layout import launch_1d


def _output_shape(input_shape, kernel_size, stride, padding):
    n, c, h, w = input_shape
    out_h = (h + 2 * padding[0] - kernel_size[0]) // stride[0] + 1
    out_w = (w + 2 * padding[1] - kernel_size[1]) // stride[1] + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"pool2d: input {tuple(input_shape)} is smaller than the window "
                         f"{tuple(kernel_size)}")
    return (n, c, out_h, out_w)


@cuda.jit(device=True)
def _window_range(position, pad, kernel, stride, out_extent):
    """The output positions whose window covers input ``position`` along one axis."""
    first = position + pad - kernel + 1
    low = (first + stride - 1) // stride if first > 0 else 0
    high = min(out_extent - 1, (position + pad) // stride)
    return low, high


@cuda.jit
def _max_pool_kernel(x, out, argmax, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w):
    channels, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    height, width = x.shape[2], x.shape[3]
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        ow = i % out_w
        oh = (i // out_w) % out_h
        c = (i // (out_w * out_h)) % channels
        n = i // (out_w * out_h * channels)
        best = -math.inf
        best_index = -1
        for kh in range(kernel_h):
            h = oh * stride_h - pad_h + kh
            if h < 0 or h >= height:
                continue
            for kw in range(kernel_w):
                w = ow * stride_w - pad_w + kw
                if w < 0 or w >= width:
                    continue
                value = x[n, c, h, w]
                # The first maximum wins; a nan wins over numbers (max propagates nan).
                if best_index < 0 or value > best or (value != value and best == best):
                    best = value
                    best_index = h * width + w
        out[n, c, oh, ow] = best
        argmax[n, c, oh, ow] = best_index


@cuda.jit
def _max_pool_backward_kernel(grad_out, argmax, grad_x):
    # The backward interface gets no window geometry, only the winners' positions, so
    # here each output element scatters into its winner. Overlapping windows can share a
    # winner, hence the atomic add (grad_x starts at zero).
    channels, out_h, out_w = grad_out.shape[1], grad_out.shape[2], grad_out.shape[3]
    width = grad_x.shape[3]
    for i in range(cuda.grid(1), grad_out.size, cuda.gridsize(1)):
        ow = i % out_w
        oh = (i // out_w) % out_h
        c = (i // (out_w * out_h)) % channels
        n = i // (out_w * out_h * channels)
        winner = argmax[n, c, oh, ow]
        cuda.atomic.add(grad_x, (n, c, winner // width, winner % width),
                        grad_out[n, c, oh, ow])


@cuda.jit(device=True)
def _divisor(oh, ow, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, height, width,
             count_include_pad):
    """Number of elements averaged by window (oh, ow): the whole window, or only the part
    inside the image."""
    if count_include_pad:
        return kernel_h * kernel_w
    h0 = oh * stride_h - pad_h
    w0 = ow * stride_w - pad_w
    rows = min(h0 + kernel_h, height) - max(h0, 0)
    cols = min(w0 + kernel_w, width) - max(w0, 0)
    return rows * cols


@cuda.jit
def _avg_pool_kernel(x, out, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                     count_include_pad):
    channels, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    height, width = x.shape[2], x.shape[3]
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        ow = i % out_w
        oh = (i // out_w) % out_h
        c = (i // (out_w * out_h)) % channels
        n = i // (out_w * out_h * channels)
        total = x[n, c, 0, 0] * 0
        for kh in range(kernel_h):
            h = oh * stride_h - pad_h + kh
            if h < 0 or h >= height:
                continue
            for kw in range(kernel_w):
                w = ow * stride_w - pad_w + kw
                if 0 <= w < width:
                    total += x[n, c, h, w]
        out[n, c, oh, ow] = total / _divisor(oh, ow, kernel_h, kernel_w, stride_h, stride_w,
                                             pad_h, pad_w, height, width, count_include_pad)


@cuda.jit
def _avg_pool_backward_kernel(grad_out, grad_x, kernel_h, kernel_w, stride_h, stride_w,
                              pad_h, pad_w, count_include_pad):
    channels, height, width = grad_x.shape[1], grad_x.shape[2], grad_x.shape[3]
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    for i in range(cuda.grid(1), grad_x.size, cuda.gridsize(1)):
        w = i % width
        h = (i // width) % height
        c = (i // (width * height)) % channels
        n = i // (width * height * channels)
        oh_low, oh_high = _window_range(h, pad_h, kernel_h, stride_h, out_h)
        ow_low, ow_high = _window_range(w, pad_w, kernel_w, stride_w, out_w)
        total = grad_out[n, c, 0, 0] * 0
        for oh in range(oh_low, oh_high + 1):
            for ow in range(ow_low, ow_high + 1):
                total += grad_out[n, c, oh, ow] / _divisor(
                    oh, ow, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, height,
                    width, count_include_pad)
        grad_x[n, c, h, w] = total


def _window(kernel_size, stride, padding):
    return (kernel_size[0], kernel_size[1], stride[0], stride[1], padding[0], padding[1])


def max_pool2d(x, kernel_size, stride, padding):
    """Max over windows; returns (out, argmax) with argmax the flat (h*W + w) index of the
    winner in its (H, W) plane."""
    shape = _output_shape(tuple(x.shape), kernel_size, stride, padding)
    out = empty(shape, x.dtype)
    argmax = empty(shape, np.int64)
    if out.size:
        blocks, threads = launch_1d(out.size)
        _max_pool_kernel[blocks, threads](x, out, argmax, *_window(kernel_size, stride, padding))
    return out, argmax


def max_pool2d_backward(grad_out, argmax, input_shape):
    """Each input element receives the gradients of the windows it won."""
    grad_x = full(tuple(input_shape), 0, grad_out.dtype)
    if grad_out.size:
        blocks, threads = launch_1d(grad_out.size)
        _max_pool_backward_kernel[blocks, threads](grad_out, argmax, grad_x)
    return grad_x


def avg_pool2d(x, kernel_size, stride, padding, count_include_pad):
    shape = _output_shape(tuple(x.shape), kernel_size, stride, padding)
    out = empty(shape, x.dtype)
    if out.size:
        blocks, threads = launch_1d(out.size)
        _avg_pool_kernel[blocks, threads](x, out, *_window(kernel_size, stride, padding),
                                          count_include_pad)
    return out


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding,
                        count_include_pad):
    grad_x = empty(tuple(input_shape), grad_out.dtype)
    if grad_x.size:
        blocks, threads = launch_1d(grad_x.size)
        _avg_pool_backward_kernel[blocks, threads](grad_out, grad_x,
                                                   *_window(kernel_size, stride, padding),
                                                   count_include_pad)
    return grad_x
