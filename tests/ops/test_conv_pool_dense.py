"""linear, conv1d/conv2d, pooling and softmax cross-entropy against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigrad
from minigrad.backend.cpu import conv as cpu_conv
from minigrad.ops.conv import conv1d, conv2d
from minigrad.ops.dense import linear
from minigrad.ops.loss import softmax_cross_entropy
from minigrad.ops.pooling import avg_pool2d, max_pool2d

# float64 must agree to rounding; float32 within the tolerance below (sums of up to a few
# hundred products, accumulated in a different order than PyTorch's kernels).
TOLERANCE = {"float64": dict(rtol=1e-9, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-4)}


@pytest.fixture(autouse=True)
def seed():
    np.random.seed(0)
    torch.manual_seed(0)


def compare(minigrad_fn, torch_fn, shapes, dtype="float64", grads=None, low=-1.0, high=1.0):
    """Run both functions on the same random inputs; compare outputs and input gradients.

    ``shapes`` lists the input shapes (None for a missing optional input); ``grads`` says
    which inputs need gradients (default: all).
    """
    arrays = [None if s is None else np.random.uniform(low, high, s).astype(dtype)
              for s in shapes]
    grads = grads or [a is not None for a in arrays]
    ours = [None if a is None else minigrad.tensor(a, requires_grad=g)
            for a, g in zip(arrays, grads)]
    theirs = [None if a is None else torch.tensor(a, requires_grad=g)
              for a, g in zip(arrays, grads)]
    out = minigrad_fn(*ours)
    expected = torch_fn(*theirs)
    assert out.shape == tuple(expected.shape)
    assert out.dtype.name == dtype
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **TOLERANCE[dtype])
    upstream = np.random.uniform(-1, 1, out.shape).astype(dtype)
    out.backward(minigrad.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for mine, reference in zip(ours, theirs):
        if mine is not None and mine.requires_grad:
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(),
                                       **TOLERANCE[dtype])


# --- linear ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape", [(1, 5), (7, 5), (2, 3, 5), (5,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear(dtype, x_shape, with_bias):
    compare(linear, TF.linear, [x_shape, (4, 5), (4,) if with_bias else None], dtype)


def test_linear_second_derivative():
    x = minigrad.tensor(np.random.randn(3, 4), requires_grad=True)
    w = minigrad.tensor(np.random.randn(2, 4), requires_grad=True)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tw = torch.tensor(w.numpy(), requires_grad=True)
    (gx,) = minigrad.grad((linear(x, w) ** 2).sum(), [x], create_graph=True)
    (gx.sum()).backward()
    (tgx,) = torch.autograd.grad((TF.linear(tx, tw) ** 2).sum(), [tx], create_graph=True)
    tgx.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


# --- conv ------------------------------------------------------------------------------------
CONV2D_CASES = [
    # input shape, weight shape, stride, padding, dilation, groups
    ((1, 1, 5, 5), (2, 1, 3, 3), 1, 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 0), 1, 1),
    ((3, 2, 9, 8), (5, 2, 3, 3), 1, 2, (2, 1), 1),
    ((2, 4, 6, 7), (6, 2, 3, 3), 1, 1, 1, 2),
    ((1, 4, 8, 5), (4, 1, 2, 3), (3, 2), (0, 2), (1, 2), 4),
    ((2, 1, 4, 4), (3, 1, 4, 4), 1, 0, 1, 1),
    ((2, 3, 5, 5), (2, 3, 1, 1), 2, 0, 1, 1),
]


@pytest.mark.parametrize("path", ["im2col", "direct", "strips"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d(dtype, case, path, monkeypatch):
    # both CPU algorithms (cpu_conv.PATH; "direct" applies to the stride-1 cases)
    monkeypatch.setattr(cpu_conv, "PATH", path)
    x_shape, w_shape, stride, padding, dilation, groups = case

    def ours(x, w, b):
        return conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def theirs(x, w, b):
        return TF.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                         groups=groups)

    compare(ours, theirs, [x_shape, w_shape, (w_shape[0],)], dtype)


def test_conv2d_only_weight_needs_grad():
    compare(lambda x, w: conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
            [(2, 2, 5, 5), (3, 2, 3, 3)], grads=[False, True])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", [
    ((1, 1, 7), (2, 1, 3), 1, 0, 1, 1),
    ((2, 4, 9), (6, 2, 3), 2, 1, 2, 2),
    ((3, 2, 5), (1, 2, 5), 1, 2, 1, 1),
])
def test_conv1d(dtype, case):
    x_shape, w_shape, stride, padding, dilation, groups = case
    compare(lambda x, w, b: conv1d(x, w, b, stride, padding, dilation, groups),
            lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups),
            [x_shape, w_shape, (w_shape[0],)], dtype)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_second_derivatives(groups):
    """d/d(x, w) of sum(dL/dx * v) + sum(dL/dw * u) for L = sum(conv2d(x, w)^2), vs PyTorch."""
    x_np = np.random.randn(2, 4, 6, 5)
    w_np = np.random.randn(4, 4 // groups, 3, 2)
    v_np, u_np = np.random.randn(*x_np.shape), np.random.randn(*w_np.shape)
    results = []
    for lib, make, fn in ((minigrad, minigrad.tensor, conv2d), (torch, torch.tensor, TF.conv2d)):
        x, w = make(x_np, requires_grad=True), make(w_np, requires_grad=True)
        loss = (fn(x, w, None, 2, 1, 1, groups) ** 2).sum()
        gx, gw = lib.autograd.grad(loss, [x, w], create_graph=True) if lib is torch else \
            lib.grad(loss, [x, w], create_graph=True)
        ((gx * make(v_np)).sum() + (gw * make(u_np)).sum()).backward()
        results.append((x.grad.numpy(), w.grad.numpy()))
    for mine, reference in zip(results[0], results[1]):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-9)


# --- pooling ---------------------------------------------------------------------------------
POOL_CASES = [
    ((1, 1, 4, 4), 2, None, 0),
    ((2, 3, 7, 5), (3, 2), (2, 1), 1),
    ((3, 2, 6, 9), 3, (1, 2), (1, 0)),
    ((2, 1, 5, 5), 5, 1, 2),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d(dtype, case):
    x_shape, kernel, stride, padding = case
    compare(lambda x: max_pool2d(x, kernel, stride, padding),
            lambda x: TF.max_pool2d(x, kernel, stride, padding), [x_shape], dtype)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_avg_pool2d(dtype, case, count_include_pad):
    x_shape, kernel, stride, padding = case
    compare(lambda x: avg_pool2d(x, kernel, stride, padding, count_include_pad),
            lambda x: TF.avg_pool2d(x, kernel, stride, padding,
                                    count_include_pad=count_include_pad),
            [x_shape], dtype)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pool_second_derivative(pool):
    x_np, v_np = np.random.randn(2, 2, 6, 6), np.random.randn(2, 2, 6, 6)
    ours_fn = max_pool2d if pool == "max" else avg_pool2d
    theirs_fn = TF.max_pool2d if pool == "max" else TF.avg_pool2d
    x = minigrad.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    (gx,) = minigrad.grad((ours_fn(x, 3, 2, 1) ** 2).sum(), [x], create_graph=True)
    (gx * minigrad.tensor(v_np)).sum().backward()
    (tgx,) = torch.autograd.grad((theirs_fn(tx, 3, 2, 1) ** 2).sum(), [tx], create_graph=True)
    (tgx * torch.tensor(v_np)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- softmax cross-entropy -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,scale", [((1, 3), 1.0), ((8, 10), 1.0), ((5, 4), 1e4)])
def test_softmax_cross_entropy(dtype, shape, scale):
    target = np.random.randint(0, shape[1], size=shape[0])
    compare(lambda z: softmax_cross_entropy(z, minigrad.tensor(target)),
            lambda z: TF.cross_entropy(z, torch.tensor(target), reduction="none"),
            [shape], dtype, low=-scale, high=scale)


def test_softmax_cross_entropy_second_derivative():
    z_np, v_np = np.random.randn(4, 5), np.random.randn(4, 5)
    target = np.array([0, 4, 2, 2])
    z = minigrad.tensor(z_np, requires_grad=True)
    tz = torch.tensor(z_np, requires_grad=True)
    (gz,) = minigrad.grad(softmax_cross_entropy(z, minigrad.tensor(target)).sum(), [z],
                          create_graph=True)
    (gz * minigrad.tensor(v_np)).sum().backward()
    (tgz,) = torch.autograd.grad(TF.cross_entropy(tz, torch.tensor(target), reduction="sum"),
                                 [tz], create_graph=True)
    (tgz * torch.tensor(v_np)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), tz.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- bad input -------------------------------------------------------------------------------
def t(*shape, dtype=minigrad.float32):
    return minigrad.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call,message", [
    (lambda: conv2d(t(1, 3, 5), t(2, 3, 3, 3)), r"must be \(N, C, H, W\); got shape \(1, 3, 5\)"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3)), r"weight must be .*\(2, 3, 3\)"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 2, 3, 3)), r"\(1, 3, 5, 5\) has 3 channels"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 6, 3)), "larger than the padded input"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 6, 3), padding=1), None),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), stride=0), "stride must be positive"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), dilation=(1, -1)), "dilation"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), padding=-1), "padding must be non-negative"),
    (lambda: conv2d(t(1, 4, 5, 5), t(3, 2, 3, 3), groups=2), "groups=2 must divide"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), t(3)), r"bias must have shape \(2,\)"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3, dtype=minigrad.float64)), "float32 but weight"),
    (lambda: conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), stride=(1, 2, 3)), "tuple of 2 ints"),
    (lambda: conv1d(t(1, 3, 5, 5), t(2, 3, 3)), r"\(N, C, L\)"),
    (lambda: conv1d(t(1, 3, 2), t(2, 3, 3)), "larger than the padded input"),
    (lambda: linear(t(4, 3), t(2, 5)), r"input \(4, 3\) must end in in_features=5"),
    (lambda: linear(t(4, 3), t(2, 3), t(3)), r"bias must have shape \(2,\)"),
    (lambda: max_pool2d(t(1, 1, 4, 4), 2, padding=2), "at most half|half of kernel_size"),
    (lambda: max_pool2d(t(1, 4, 4), 2), r"\(N, C, H, W\)"),
    (lambda: avg_pool2d(t(1, 1, 4, 4), 5), "larger than the padded input"),
    (lambda: avg_pool2d(t(1, 1, 4, 4), 2, stride=0), "must be positive"),
    (lambda: softmax_cross_entropy(t(3, 4), minigrad.tensor([0, 1, 4])), r"outside 0..3"),
    (lambda: softmax_cross_entropy(t(3, 4), minigrad.tensor([0, 1])), r"shape \(3,\)"),
    (lambda: softmax_cross_entropy(t(3, 4), t(3)), "int64"),
    (lambda: softmax_cross_entropy(t(3), minigrad.tensor([0, 1, 2])), r"\(N, C\)"),
])
def test_bad_input(call, message):
    if message is None:  # the padded input is large enough: no error
        call()
        return
    with pytest.raises(ValueError, match=message):
        call()
