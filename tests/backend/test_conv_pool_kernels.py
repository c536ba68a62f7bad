"""The CPU conv and max-pool kernels at LeNet-5's shapes, against PyTorch, and their edge cases.

The size rule sends LeNet's conv1 (output rows of 28) to the direct kernels and conv2 (rows
of 10) to the strips kernels (its input gradient to im2col); these tests run each layer's
exact geometry (at a small batch) so that every path is checked at the sizes the
benchmarks time.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from minigrad.backend.cpu import conv, conv_direct, pool

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (input shape, weight shape, padding, expected path under the size rule)
LENET_LAYERS = [
    ((3, 1, 28, 28), (6, 1, 5, 5), (2, 2), "direct"),
    ((3, 6, 14, 14), (16, 6, 5, 5), (0, 0), "im2col"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", LENET_LAYERS)
def test_lenet_convolutions_match_torch(dtype, layer):
    x_shape, w_shape, padding, path = layer
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal(w_shape).astype(dtype)
    bias = rng.standard_normal(w_shape[0]).astype(dtype)
    geometry = ((1, 1), padding, (1, 1), 1)
    out = conv.conv2d(x, weight, bias, *geometry)
    assert conv._use_direct((1, 1), w_shape, out.shape[3]) == (path == "direct")
    assert not conv._use_strips((1, 1), (1, 1), 1)  # only when conv.PATH asks for them

    x_t, w_t = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out_t = TF.conv2d(x_t, w_t, torch.tensor(bias), padding=padding)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOLERANCE[dtype])
    grad_out = rng.standard_normal(out.shape).astype(dtype)
    out_t.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(conv.conv2d_backward_input(grad_out, weight, x_shape, *geometry),
                               x_t.grad.numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(conv.conv2d_backward_weight(grad_out, x, w_shape, *geometry),
                               w_t.grad.numpy(), **TOLERANCE[dtype])


def test_im2col_layout():
    # cols[(c, i, j), n, y * OW + x] = x_padded[n, c, y * sh + i * dh, x * sw + j * dw]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 11))
    stride, padding, dilation = (2, 1), (1, 2), (2, 3)
    out_h = conv.output_size(9, 2, stride[0], padding[0], dilation[0])
    out_w = conv.output_size(11, 3, stride[1], padding[1], dilation[1])
    cols = conv._columns(x, (4, 3, 2, 3), stride, padding, dilation, out_h, out_w)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)))
    assert cols.shape == (3 * 2 * 3, 2, out_h * out_w)
    for c in range(3):
        for i in range(2):
            for j in range(3):
                window = padded[:, c, i * 2::2, j * 3::1][:, :out_h, :out_w]
                np.testing.assert_array_equal(cols[(c * 2 + i) * 3 + j],
                                              window.reshape(2, out_h * out_w))


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), g> == <x, col2im(g)> for every x and g, with stride and dilation
    rng = np.random.default_rng(2)
    x, weight = rng.standard_normal((2, 3, 8, 10)), rng.standard_normal((4, 3, 3, 2))
    geometry = ((2, 1), (1, 1), (1, 2), 1)
    out = conv.conv2d(x, weight, None, *geometry)
    grad_out = rng.standard_normal(out.shape)
    grad_x = conv.conv2d_backward_input(grad_out, weight, x.shape, *geometry)
    np.testing.assert_allclose(np.sum(out * grad_out), np.sum(x * grad_x), rtol=1e-12)


def _conv_results(x, weight, bias, geometry):
    out = conv.conv2d(x, weight, bias, *geometry)
    grad_out = np.linspace(-1, 1, out.size).reshape(out.shape).astype(x.dtype)
    return (out, conv.conv2d_backward_input(grad_out, weight, x.shape, *geometry),
            conv.conv2d_backward_weight(grad_out, x, weight.shape, *geometry))


@pytest.mark.parametrize("layer", LENET_LAYERS)
def test_parallel_conv_kernels_give_the_serial_bits(layer, monkeypatch):
    # Small work runs the serial twins; with a grain of 0 every call runs the parallel one,
    # and each task's arithmetic is the same, so the results must agree bit for bit.
    x_shape, w_shape, padding, _ = layer
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(np.float32)
    weight = rng.standard_normal(w_shape).astype(np.float32)
    bias = rng.standard_normal(w_shape[0]).astype(np.float32)
    geometry = ((1, 1), padding, (1, 1), 1)
    serial = _conv_results(x, weight, bias, geometry)
    kernels = [conv._im2col, conv._col2im, conv_direct.direct_conv,
               conv_direct.direct_weight_grad]
    for kernel in kernels:
        monkeypatch.setattr(kernel, "grain", 0)
    for serial_result, parallel_result in zip(serial, _conv_results(x, weight, bias, geometry),
                                              strict=True):
        np.testing.assert_array_equal(parallel_result, serial_result)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lenet_max_pools_match_torch(dtype):
    rng = np.random.default_rng(3)
    for shape in ((3, 6, 28, 28), (3, 16, 10, 10)):
        x = rng.standard_normal(shape).astype(dtype)
        out, argmax = pool.max_pool2d(x, (2, 2), (2, 2), (0, 0))
        out_t, argmax_t = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(out, out_t.numpy())
        np.testing.assert_array_equal(argmax, argmax_t.numpy())
        grad_out = rng.standard_normal(out.shape).astype(dtype)
        expected = torch.ops.aten.max_pool2d_with_indices_backward(
            torch.tensor(grad_out), torch.tensor(x), [2, 2], [2, 2], [0, 0], [1, 1], False,
            argmax_t)
        np.testing.assert_array_equal(pool.max_pool2d_backward(grad_out, argmax, shape),
                                      expected.numpy())


def test_max_pool_nan_inf_and_padding():
    # 3x3 windows, stride 2, padding 1: windows overlap and reach into the -inf border
    x = np.array([[[[-np.inf, -np.inf, 2.0, 1.0],
                    [-np.inf, -np.inf, np.nan, 5.0],
                    [0.0, np.inf, 3.0, np.nan],
                    [4.0, 1.0, 7.0, 6.0]]]])
    out, argmax = pool.max_pool2d(x, (3, 3), (2, 2), (1, 1))
    # window (0, 0) covers rows 0-1, cols 0-1: all -inf, so the first element wins
    assert out[0, 0, 0, 0] == -np.inf and argmax[0, 0, 0, 0] == 0
    # window (0, 1) covers rows 0-1, cols 1-3: holds the NaN at (1, 2)
    assert np.isnan(out[0, 0, 0, 1]) and argmax[0, 0, 0, 1] == 6
    # window (1, 0) covers rows 1-3, cols 0-1: +inf at (2, 1) beats everything
    assert out[0, 0, 1, 0] == np.inf and argmax[0, 0, 1, 0] == 9
    # window (1, 1) covers rows 1-3, cols 1-3: NaNs at (1, 2) and (2, 3), the first wins
    assert np.isnan(out[0, 0, 1, 1]) and argmax[0, 0, 1, 1] == 6
    np.testing.assert_array_equal(out, TF.max_pool2d(torch.tensor(x), 3, 2, 1).numpy())


def test_max_pool_2x2_nan_inf_and_ties():
    # the written-out 2x2 kernel: a window of -inf, ties, a NaN, two NaNs, an odd last
    # row and column that no window reads
    x = np.array([[[[-np.inf, -np.inf, 3.0, 3.0, 0.0],
                    [-np.inf, -np.inf, 1.0, 3.0, 9.0],
                    [2.0, np.nan, np.nan, 1.0, 9.0],
                    [np.nan, 5.0, 2.0, np.nan, 9.0],
                    [9.0, 9.0, 9.0, 9.0, 9.0]]]])
    out, argmax = pool.max_pool2d(x, (2, 2), (2, 2), (0, 0))
    assert out[0, 0, 0, 0] == -np.inf and argmax[0, 0, 0, 0] == 0  # all -inf: the first
    assert out[0, 0, 0, 1] == 3.0 and argmax[0, 0, 0, 1] == 2  # a tie: the first maximum
    assert np.isnan(out[0, 0, 1, 0]) and argmax[0, 0, 1, 0] == 11  # NaNs: the first wins
    assert np.isnan(out[0, 0, 1, 1]) and argmax[0, 0, 1, 1] == 12
    np.testing.assert_array_equal(out, TF.max_pool2d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_kernel_agrees_with_the_general_kernel(dtype):
    # small integers make ties common; a few NaNs and infinities in some planes
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, (3, 4, 9, 8)).astype(dtype)
    x[0, 1, 2, 3] = x[1, 2, 5, 5] = x[1, 2, 4, 4] = np.nan
    x[2, 0, 0, 0], x[2, 3, 7, 6] = np.inf, -np.inf
    out, argmax = np.empty((3, 4, 4, 4), dtype), np.empty((3, 4, 4, 4), np.int64)
    pool._max_pool_2x2_kernel.serial(x, out, argmax)
    general_out, general_argmax = np.empty_like(out), np.empty_like(argmax)
    pool._max_pool_kernel.serial(x, 2, 2, 2, 2, 0, 0, general_out, general_argmax)
    np.testing.assert_array_equal(out, general_out)
    np.testing.assert_array_equal(argmax, general_argmax)
    parallel_out, parallel_argmax = np.empty_like(out), np.empty_like(argmax)
    pool._max_pool_2x2_kernel.parallel(x, parallel_out, parallel_argmax)
    np.testing.assert_array_equal(parallel_out, out)
    np.testing.assert_array_equal(parallel_argmax, argmax)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_strips_match_im2col(dtype, monkeypatch):
    # LeNet's conv2 geometry plus width stride, width dilation and padding: the strips
    # kernels (stride and dilation 1 in height) against im2col, all three rules
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 11, 13)).astype(dtype)
    weight = rng.standard_normal((4, 3, 3, 4)).astype(dtype)
    bias = rng.standard_normal(4).astype(dtype)
    geometry = ((1, 2), (2, 1), (1, 2), 1)
    results = {}
    for path in ("strips", "im2col"):
        monkeypatch.setattr(conv, "PATH", path)
        out = conv.conv2d(x, weight, bias, *geometry)
        grad_out = np.random.default_rng(6).standard_normal(out.shape).astype(dtype)
        results[path] = (out, conv.conv2d_backward_input(grad_out, weight, x.shape, *geometry),
                         conv.conv2d_backward_weight(grad_out, x, weight.shape, *geometry))
    for strips, im2col in zip(results["strips"], results["im2col"], strict=True):
        assert strips.dtype == dtype and strips.flags.c_contiguous
        np.testing.assert_allclose(strips, im2col, **TOLERANCE[dtype])
