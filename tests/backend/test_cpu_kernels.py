"""Array-level tests of the CPU kernels against plain-numpy references."""

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.backend.cpu import conv, dense, loss, pool

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --- plain-numpy references ---------------------------------------------------------------
def window_view(padded, i, j, out_h, out_w, stride, dilation):
    """padded[..., y*s + i*d, x*s + j*d] for every output position (y, x)."""
    return padded[..., i * dilation[0]: i * dilation[0] + stride[0] * (out_h - 1) + 1: stride[0],
                  j * dilation[1]: j * dilation[1] + stride[1] * (out_w - 1) + 1: stride[1]]


def conv_geometry(x_shape, w_shape, stride, padding, dilation):
    out_h = conv.output_size(x_shape[2], w_shape[2], stride[0], padding[0], dilation[0])
    out_w = conv.output_size(x_shape[3], w_shape[3], stride[1], padding[1], dilation[1])
    return out_h, out_w


def pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))


def reference_conv2d(x, w, b, stride, padding, dilation, groups):
    out_h, out_w = conv_geometry(x.shape, w.shape, stride, padding, dilation)
    xp = pad(x.astype(np.float64), padding)
    out_ch, group_ch = w.shape[:2]
    per_group = out_ch // groups
    out = np.zeros((x.shape[0], out_ch, out_h, out_w))
    for g in range(groups):
        xs = xp[:, g * group_ch:(g + 1) * group_ch]
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                patch = window_view(xs, i, j, out_h, out_w, stride, dilation)
                out[:, g * per_group:(g + 1) * per_group] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * per_group:(g + 1) * per_group, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def reference_conv2d_backward(go, x, w, stride, padding, dilation, groups):
    out_h, out_w = go.shape[2:]
    xp = pad(x.astype(np.float64), padding)
    gxp = np.zeros_like(xp)
    gw = np.zeros(w.shape)
    out_ch, group_ch = w.shape[:2]
    per_group = out_ch // groups
    for g in range(groups):
        cs, os_ = slice(g * group_ch, (g + 1) * group_ch), slice(g * per_group, (g + 1) * per_group)
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                window_view(gxp[:, cs], i, j, out_h, out_w, stride, dilation)[...] += np.einsum(
                    "nohw,oc->nchw", go[:, os_], w[os_, :, i, j])
                gw[os_, :, i, j] = np.einsum(
                    "nohw,nchw->oc", go[:, os_],
                    window_view(xp[:, cs], i, j, out_h, out_w, stride, dilation))
    gx = gxp[:, :, padding[0]:padding[0] + x.shape[2], padding[1]:padding[1] + x.shape[3]]
    return gx, gw


def reference_pool(x, kernel, stride, padding, mode, count_include_pad=True):
    n, c, h, w = x.shape
    out_h = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    out_w = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, out_h, out_w))
    for oy in range(out_h):
        for ox in range(out_w):
            y0, x0 = oy * stride[0] - padding[0], ox * stride[1] - padding[1]
            ys, xs = slice(max(y0, 0), y0 + kernel[0]), slice(max(x0, 0), x0 + kernel[1])
            window = x[:, :, ys, xs]
            if mode == "max":
                out[:, :, oy, ox] = window.max(axis=(2, 3))
            else:
                count = kernel[0] * kernel[1] if count_include_pad else window[0, 0].size
                out[:, :, oy, ox] = window.sum(axis=(2, 3)) / count
    return out


# --- dense ---------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((5, 7), (7, 3)), ((7,), (7, 3)), ((5, 7), (7,)), ((7,), (7,)), ((1, 1), (1, 1)),
    ((2, 1, 5, 7), (3, 7, 4)), ((3, 5, 7), (7, 300)), ((130, 9), (9, 129)), ((4, 0), (0, 3)),
]


@pytest.mark.parametrize("kernel", dense.KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_matches_numpy(rng, kernel, dtype, shapes):
    a = rng.standard_normal(shapes[0]).astype(dtype)
    b = rng.standard_normal(shapes[1]).astype(dtype)
    out = dense.matmul(a, b, kernel=kernel)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    assert out.shape == expected.shape and out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("kernel", dense.KERNELS)
def test_matmul_non_contiguous(rng, kernel):
    a = rng.standard_normal((12, 10))[::2, ::-1]
    b = rng.standard_normal((10, 8)).T.copy().T
    np.testing.assert_allclose(dense.matmul(a, b, kernel=kernel), a @ b, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 70), k=st.integers(1, 40), n=st.integers(1, 140),
       batch=st.sampled_from([(), (1,), (3,), (2, 1)]), seed=st.integers(0, 2**16))
def test_numba_matmul_hypothesis(m, k, n, batch, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*batch, m, k))
    b = rng.standard_normal((k, n)) if seed % 2 else rng.standard_normal((*batch, k, n))
    np.testing.assert_allclose(dense.matmul(a, b, kernel="numba"), a @ b, rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("kernel", dense.KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_numpy(rng, kernel, dtype, activation, with_bias):
    x = rng.standard_normal((37, 20)).astype(dtype)
    w = rng.standard_normal((131, 20)).astype(dtype)
    b = rng.standard_normal(131).astype(dtype) if with_bias else None
    expected = x.astype(np.float64) @ w.T.astype(np.float64) + (0 if b is None else b)
    if activation == "relu":
        expected = np.maximum(expected, 0)
    out = dense.linear(x, w, b, activation, kernel=kernel)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


def test_dense_bad_input(rng):
    a = rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\)"):
        dense.matmul(a, rng.standard_normal((5, 2)))
    with pytest.raises(TypeError, match="float32"):
        dense.matmul(a, a.T.astype(np.float32))
    with pytest.raises(ValueError, match="unknown dense kernel"):
        dense.matmul(a, a.T, kernel="fortran")
    with pytest.raises(ValueError, match=r"weight \(2, 5\)"):
        dense.linear(a, rng.standard_normal((2, 5)), None, None)
    with pytest.raises(ValueError, match="activation"):
        dense.linear(a, rng.standard_normal((2, 4)), None, "gelu")


# --- convolution ---------------------------------------------------------------------------
CONV_CASES = [
    # x shape, w shape, stride, padding, dilation, groups
    ((1, 1, 5, 5), (1, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 0), (1, 1), 1),
    ((3, 2, 9, 8), (5, 2, 3, 3), (1, 2), (2, 1), (2, 1), 1),
    ((2, 4, 6, 7), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    ((1, 4, 8, 5), (4, 1, 2, 3), (3, 2), (0, 2), (1, 2), 4),
    ((2, 1, 4, 4), (3, 1, 4, 4), (1, 1), (0, 0), (1, 1), 1),
    ((2, 2, 1, 9), (3, 2, 1, 3), (1, 2), (0, 1), (1, 3), 1),
    ((2, 6, 9, 9), (4, 6, 5, 5), (1, 1), (2, 2), (1, 1), 1),  # LeNet-like: 25 taps
    ((2, 4, 9, 8), (6, 2, 3, 3), (1, 1), (1, 2), (2, 1), 2),  # stride 1 + dilation + groups
]

#: conv.PATH values: "auto" (the size rule), and each path forced (stride-1 cases run the
#: direct kernels under "direct"; other strides fall back to im2col).
CONV_PATHS = ["auto", "im2col", "direct", "strips"]


@contextmanager
def conv_path(path):
    """Run the block with conv.PATH = path (restored afterwards)."""
    previous, conv.PATH = conv.PATH, path
    try:
        yield
    finally:
        conv.PATH = previous


def test_conv_size_rule():
    # 5x5 windows on long output rows run direct (LeNet conv1: OW 28, any channel count);
    # short rows (LeNet conv2: OW 10), 3x3 windows and strides > 1 run im2col
    with conv_path("auto"):
        assert conv._use_direct((1, 1), (6, 1, 5, 5), 28)
        assert conv._use_direct((1, 1), (16, 16, 5, 5), 28)
        assert not conv._use_direct((1, 1), (16, 6, 5, 5), 10)
        assert not conv._use_direct((1, 1), (16, 1, 5, 5), 10)
        assert not conv._use_direct((1, 1), (16, 1, 3, 3), 30)
        assert not conv._use_direct((2, 1), (6, 1, 5, 5), 28)
    with conv_path("direct"):
        assert conv._use_direct((1, 1), (16, 16, 3, 3), 30)
        assert not conv._use_direct((1, 2), (16, 16, 3, 3), 30)
    with conv_path("im2col"):
        assert not conv._use_direct((1, 1), (6, 1, 5, 5), 28)


@pytest.mark.parametrize("path", CONV_PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_forward_and_backward(rng, dtype, case, path):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    with conv_path(path):
        out = conv.conv2d(x, w, b, stride, padding, dilation, groups)
        out_no_bias = conv.conv2d(x, w, None, stride, padding, dilation, groups)
    expected = reference_conv2d(x, w, b, stride, padding, dilation, groups)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])
    np.testing.assert_allclose(out_no_bias, expected - b.reshape(-1, 1, 1), **TOLERANCE[dtype])

    go = rng.standard_normal(out.shape).astype(dtype)
    with conv_path(path):
        gx = conv.conv2d_backward_input(go, w, x.shape, stride, padding, dilation, groups)
        gw = conv.conv2d_backward_weight(go, x, w.shape, stride, padding, dilation, groups)
    gx_ref, gw_ref = reference_conv2d_backward(go, x, w, stride, padding, dilation, groups)
    assert gx.dtype == dtype and gw.dtype == dtype
    np.testing.assert_allclose(gx, gx_ref, **TOLERANCE[dtype])
    np.testing.assert_allclose(gw, gw_ref, **TOLERANCE[dtype])


@pytest.mark.parametrize("path", CONV_PATHS)
def test_conv2d_non_contiguous_inputs(rng, path):
    x = rng.standard_normal((2, 3, 12, 9))[:, ::-1, ::2]
    w = rng.standard_normal((3, 3, 2, 4)).transpose(0, 1, 3, 2)
    args = ((1, 1), (1, 0), (1, 1), 1)
    with conv_path(path):
        _check_non_contiguous(rng, x, w, args)


def _check_non_contiguous(rng, x, w, args):
    np.testing.assert_allclose(conv.conv2d(x, w, None, *args),
                               reference_conv2d(x, w, None, *args), rtol=1e-10, atol=1e-10)
    go = rng.standard_normal((2, 3, 5, 8))[..., ::-1]
    gx_ref, gw_ref = reference_conv2d_backward(go, x, w, *args)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *args), gx_ref,
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *args), gw_ref,
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), groups=st.integers(1, 3), cin=st.integers(1, 2),
       cout=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 3),
       kw=st.integers(1, 3), s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)), seed=st.integers(0, 2**16),
       path=st.sampled_from(CONV_PATHS))
def test_conv2d_hypothesis(n, groups, cin, cout, h, w, kh, kw, s, p, d, seed, path):
    with conv_path(path):
        _check_hypothesis_case(n, groups, cin, cout, h, w, kh, kw, s, p, d, seed)


def _check_hypothesis_case(n, groups, cin, cout, h, w, kh, kw, s, p, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin * groups, h, w))
    weight = rng.standard_normal((cout * groups, cin, kh, kw))
    out_h, out_w = conv_geometry(x.shape, weight.shape, s, p, d)
    if out_h < 1 or out_w < 1:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv.conv2d(x, weight, None, s, p, d, groups)
        return
    out = conv.conv2d(x, weight, None, s, p, d, groups)
    np.testing.assert_allclose(out, reference_conv2d(x, weight, None, s, p, d, groups),
                               rtol=1e-10, atol=1e-10)
    go = rng.standard_normal(out.shape)
    gx_ref, gw_ref = reference_conv2d_backward(go, x, weight, s, p, d, groups)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, weight, x.shape, s, p, d, groups),
                               gx_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, weight.shape, s, p, d, groups),
                               gw_ref, rtol=1e-10, atol=1e-10)


def test_conv2d_bad_input(rng):
    x = rng.standard_normal((2, 4, 5, 5))
    args = ((1, 1), (0, 0), (1, 1))
    with pytest.raises(ValueError, match=r"\(2, 4, 5, 5\) has 4 channels"):
        conv.conv2d(x, rng.standard_normal((3, 3, 3, 3)), None, *args, 1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv.conv2d(x, rng.standard_normal((3, 4, 6, 3)), None, *args, 1)
    with pytest.raises(ValueError, match="groups=3"):
        conv.conv2d(x, rng.standard_normal((3, 4, 3, 3)), None, *args, 3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        conv.conv2d(x[0], rng.standard_normal((3, 4, 3, 3)), None, *args, 1)
    with pytest.raises(ValueError, match="stride"):
        conv.conv2d(x, rng.standard_normal((3, 4, 3, 3)), None, (0, 1), (0, 0), (1, 1), 1)
    with pytest.raises(TypeError, match="float32"):
        conv.conv2d(x, rng.standard_normal((3, 4, 3, 3)).astype(np.float32), None, *args, 1)
    with pytest.raises(ValueError, match="grad_out has shape"):
        conv.conv2d_backward_input(np.zeros((2, 3, 2, 2)), np.zeros((3, 4, 3, 3)), x.shape,
                                   *args, 1)


# --- pooling -------------------------------------------------------------------------------
POOL_CASES = [
    ((1, 1, 4, 4), (2, 2), (2, 2), (0, 0)),
    ((2, 3, 7, 5), (3, 2), (2, 1), (1, 1)),
    ((3, 2, 6, 9), (3, 3), (1, 2), (1, 0)),
    ((2, 1, 5, 5), (5, 5), (1, 1), (2, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d(rng, dtype, case):
    x_shape, kernel, stride, padding = case
    x = rng.standard_normal(x_shape).astype(dtype)
    out, argmax = pool.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out, reference_pool(x, kernel, stride, padding, "max"))
    assert argmax.dtype == np.int64 and out.dtype == dtype
    planes = x.reshape(x_shape[0], x_shape[1], -1)
    np.testing.assert_array_equal(
        np.take_along_axis(planes, argmax.reshape(*argmax.shape[:2], -1), axis=2).reshape(
            out.shape), out)
    go = rng.standard_normal(out.shape).astype(dtype)
    gx = pool.max_pool2d_backward(go, argmax, x.shape)
    expected = np.zeros(planes.shape)
    for n in range(x_shape[0]):
        for c in range(x_shape[1]):
            np.add.at(expected[n, c], argmax[n, c].ravel(), go[n, c].ravel())
    np.testing.assert_allclose(gx, expected.reshape(x.shape), **TOLERANCE[dtype])


def test_max_pool2d_ties_and_nan():
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    out, argmax = pool.max_pool2d(x, (2, 2), (2, 2), (0, 0))
    assert out[0, 0, 0, 0] == 1.0 and argmax[0, 0, 0, 0] == 0
    x[0, 0, 1, 0] = np.nan
    out, argmax = pool.max_pool2d(x, (2, 2), (2, 2), (0, 0))
    assert np.isnan(out[0, 0, 0, 0]) and argmax[0, 0, 0, 0] == 2
    x = np.array([[[[np.nan, 5.0], [np.nan, 7.0]]]])  # the first NaN wins for good
    out, argmax = pool.max_pool2d(x, (2, 2), (2, 2), (0, 0))
    assert np.isnan(out[0, 0, 0, 0]) and argmax[0, 0, 0, 0] == 0


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_CASES)
def test_avg_pool2d(rng, dtype, case, count_include_pad):
    x_shape, kernel, stride, padding = case
    x = rng.standard_normal(x_shape).astype(dtype)
    out = pool.avg_pool2d(x, kernel, stride, padding, count_include_pad)
    expected = reference_pool(x, kernel, stride, padding, "avg", count_include_pad)
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])
    # The backward pass is the adjoint: <avg_pool(x), g> == <x, avg_pool_backward(g)>.
    go = rng.standard_normal(out.shape).astype(dtype)
    gx = pool.avg_pool2d_backward(go, x.shape, kernel, stride, padding, count_include_pad)
    probe = rng.standard_normal(x.shape)
    lhs = np.sum(reference_pool(probe, kernel, stride, padding, "avg", count_include_pad) * go)
    np.testing.assert_allclose(lhs, np.sum(probe * gx), **TOLERANCE[dtype])


def test_pool_bad_input(rng):
    x = rng.standard_normal((1, 1, 4, 4))
    with pytest.raises(ValueError, match="at most half"):
        pool.max_pool2d(x, (2, 2), (1, 1), (2, 0))
    with pytest.raises(ValueError, match="larger than the padded input"):
        pool.avg_pool2d(x, (5, 5), (1, 1), (0, 0), True)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        pool.max_pool2d(x[0], (2, 2), (1, 1), (0, 0))
    with pytest.raises(ValueError, match="stride"):
        pool.max_pool2d(x, (2, 2), (0, 1), (0, 0))


# --- softmax cross-entropy -----------------------------------------------------------------
def reference_softmax_cross_entropy(logits, target):
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probabilities[np.arange(len(target)), target], np.exp(log_probabilities)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_cross_entropy(rng, dtype, scale):
    logits = (rng.standard_normal((9, 6)) * scale).astype(dtype)
    target = rng.integers(0, 6, size=9)
    out, probabilities = loss.softmax_cross_entropy(logits, target)
    expected, expected_probabilities = reference_softmax_cross_entropy(logits, target)
    assert np.all(np.isfinite(out)) and out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probabilities, expected_probabilities, rtol=1e-5, atol=1e-6)
    grad_loss = rng.standard_normal(9).astype(dtype)
    grad = loss.softmax_cross_entropy_backward(probabilities, target, grad_loss)
    one_hot = np.eye(6)[target]
    np.testing.assert_allclose(grad, (expected_probabilities - one_hot) * grad_loss[:, None],
                               rtol=1e-5, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 20), classes=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_softmax_cross_entropy_hypothesis(rows, classes, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((rows, classes)) * 10
    target = rng.integers(0, classes, size=rows)
    out, probabilities = loss.softmax_cross_entropy(logits, target)
    expected, expected_probabilities = reference_softmax_cross_entropy(logits, target)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(probabilities, expected_probabilities, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_reduced_in_the_kernel_matches_torch(rng, dtype, reduction):
    import torch
    import torch.nn.functional as F

    logits = (rng.standard_normal((13, 5)) * 8).astype(dtype)
    target = rng.integers(0, 5, size=13)
    grad_loss = np.array(rng.standard_normal(), dtype=dtype)
    torch_logits = torch.from_numpy(logits).requires_grad_()
    expected = F.cross_entropy(torch_logits, torch.from_numpy(target), reduction=reduction)
    expected.backward(torch.from_numpy(grad_loss))
    out, probabilities = loss.softmax_cross_entropy(logits, target, reduction)
    assert out.shape == () and out.dtype == dtype
    tolerance = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, expected.item(), **tolerance)
    grad = loss.softmax_cross_entropy_backward(probabilities, target, grad_loss, reduction)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, torch_logits.grad.numpy(), **tolerance)


def test_softmax_cross_entropy_reduction_of_no_samples():
    logits, target = np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    mean, probabilities = loss.softmax_cross_entropy(logits, target, "mean")
    total, _ = loss.softmax_cross_entropy(logits, target, "sum")
    assert np.isnan(mean) and total == 0  # PyTorch: nan and 0
    grad = loss.softmax_cross_entropy_backward(probabilities, target, np.array(1.0), "mean")
    assert grad.shape == (0, 4)


def test_softmax_cross_entropy_bad_reduction(rng):
    logits, target = rng.standard_normal((3, 4)), np.array([0, 1, 2])
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss.softmax_cross_entropy(logits, target, "average")
    _, probabilities = loss.softmax_cross_entropy(logits, target)
    with pytest.raises(ValueError, match=r"reduction='mean' need grad_loss of shape \(\)"):
        loss.softmax_cross_entropy_backward(probabilities, target, np.ones(3), "mean")
    with pytest.raises(ValueError, match=r"need grad_loss of shape \(3,\)"):
        loss.softmax_cross_entropy_backward(probabilities, target, np.array(1.0))


def test_softmax_cross_entropy_bad_input(rng):
    logits = rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match="outside 0..3"):
        loss.softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        loss.softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        loss.softmax_cross_entropy(logits[0], np.array([0]))


# --- the parallel twins, on several threads ------------------------------------------------
@pytest.fixture
def parallel_kernels(monkeypatch):
    """Every ``serial_or_parallel`` kernel of the CPU backend runs its parallel twin, at any
    size (the grains keep test-sized work on one thread otherwise)."""
    from minigrad.backend.cpu import activation, conv_direct, optim
    from minigrad.backend.cpu.threads import SerialOrParallelKernel

    kernels = [kernel for module in (activation, conv, conv_direct, dense, loss, optim, pool)
               for kernel in vars(module).values() if isinstance(kernel, SerialOrParallelKernel)]
    assert len(kernels) >= 12
    for kernel in kernels:
        monkeypatch.setattr(kernel, "grain", 0)


def test_parallel_kernels(rng, parallel_kernels):
    a, b = rng.standard_normal((150, 70)), rng.standard_normal((70, 260))
    np.testing.assert_allclose(dense.matmul(a, b, kernel="numba"), a @ b, rtol=1e-10)

    x, w = rng.standard_normal((8, 3, 30, 31)), rng.standard_normal((16, 3, 3, 3))
    args = ((2, 1), (1, 2), (1, 2), 1)
    out = conv.conv2d(x, w, None, *args)
    np.testing.assert_allclose(out, reference_conv2d(x, w, None, *args), rtol=1e-10, atol=1e-10)
    go = rng.standard_normal(out.shape)
    gx_ref, gw_ref = reference_conv2d_backward(go, x, w, *args)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *args), gx_ref,
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *args), gw_ref,
                               rtol=1e-10, atol=1e-10)

    pooled, argmax = pool.max_pool2d(x, (3, 3), (1, 1), (1, 1))
    np.testing.assert_array_equal(pooled, reference_pool(x, (3, 3), (1, 1), (1, 1), "max"))
    averaged = pool.avg_pool2d(x, (3, 3), (1, 1), (1, 1), False)
    np.testing.assert_allclose(averaged,
                               reference_pool(x, (3, 3), (1, 1), (1, 1), "avg", False),
                               rtol=1e-12)

    logits = rng.standard_normal((4000, 10))
    target = rng.integers(0, 10, size=4000)
    expected, _ = reference_softmax_cross_entropy(logits, target)
    np.testing.assert_allclose(loss.softmax_cross_entropy(logits, target)[0], expected,
                               rtol=1e-12)
