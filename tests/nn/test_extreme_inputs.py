"""Losses and activations where naive formulas go wrong, against PyTorch: -inf masked logits
with class weights and ignore_index, sigmoid / log-sigmoid / BCE at extreme logits
(float32 and float64), empty class dimensions, zero-sized convolution kernels."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import helper_test_op
from nn_reference import compare_with_torch

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.testing import gradcheck

INF = float("inf")
# Rows with masked (-inf) logits, as attention masks and constrained decoding make them; no
# target points at a masked class, so PyTorch's loss is finite.
MASKED_LOGITS = np.array([[0.0, -INF, 1.0, 0.5],
                          [2.0, 1.0, -INF, -INF],
                          [-INF, 0.3, -0.2, 1.5]])
MASKED_TARGET = np.array([0, 1, 3])
CLASS_WEIGHT = np.array([1.0, 2.0, 3.0, 0.5])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [
    {},  # the fused softmax-cross-entropy kernel
    {"weight": True},
    {"ignore_index": 1},
    {"weight": True, "ignore_index": 3},
])
def test_cross_entropy_with_masked_logits_is_finite_like_torch(reduction, options):
    def run(module, logits, target, weight):
        kwargs = {"reduction": reduction}
        if options.get("weight"):
            kwargs["weight"] = weight
        if "ignore_index" in options:
            kwargs["ignore_index"] = options["ignore_index"]
        return module.cross_entropy(logits, target, **kwargs)

    mg_out, _ = compare_with_torch(lambda z, t, w: run(F, z, t, w),
                                   lambda z, t, w: run(TF, z, t, w),
                                   MASKED_LOGITS, MASKED_TARGET, CLASS_WEIGHT, differentiate=[0])
    assert np.isfinite(mg_out.numpy()).all()


@pytest.mark.parametrize("options", [{"weight": True}, {"ignore_index": 0}])
def test_nll_loss_of_log_softmax_with_masked_logits_matches_torch(options):
    def run(module, logits, target, weight):
        log_p = module.log_softmax(logits, dim=1)
        if options.get("weight"):
            return module.nll_loss(log_p, target, weight=weight)
        return module.nll_loss(log_p, target, ignore_index=options["ignore_index"])

    compare_with_torch(lambda z, t, w: run(F, z, t, w), lambda z, t, w: run(TF, z, t, w),
                       MASKED_LOGITS, MASKED_TARGET, CLASS_WEIGHT, differentiate=[0])


def test_cross_entropy_with_masked_logits_on_float32_gives_finite_gradients():
    logits = minigrad.tensor(MASKED_LOGITS, dtype=minigrad.float32, requires_grad=True)
    loss = F.cross_entropy(logits, minigrad.tensor(MASKED_TARGET),
                           weight=minigrad.tensor(CLASS_WEIGHT, dtype=minigrad.float32))
    loss.backward()
    torch_logits = torch.tensor(MASKED_LOGITS, dtype=torch.float32, requires_grad=True)
    expected = TF.cross_entropy(torch_logits, torch.tensor(MASKED_TARGET),
                                weight=torch.tensor(CLASS_WEIGHT, dtype=torch.float32))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(logits.grad.numpy(), torch_logits.grad.numpy(), atol=1e-6)


def test_label_smoothing_over_masked_logits_is_infinite_like_torch():
    # Smoothing puts weight on every class, including the masked ones: PyTorch gives inf,
    # not NaN, and so must we.
    logits = minigrad.tensor(MASKED_LOGITS, dtype=minigrad.float64)
    loss = F.cross_entropy(logits, minigrad.tensor(MASKED_TARGET), label_smoothing=0.1,
                           weight=minigrad.tensor(CLASS_WEIGHT, dtype=minigrad.float64))
    expected = TF.cross_entropy(torch.tensor(MASKED_LOGITS), torch.tensor(MASKED_TARGET),
                                label_smoothing=0.1, weight=torch.tensor(CLASS_WEIGHT))
    assert loss.item() == expected.item() == INF


# --- sigmoid, log-sigmoid and BCE at extreme logits --------------------------------------
EXTREME_LOGITS = [-1e30, -1e4, -100.0, -40.0, -20.0, -17.5, -1.0, 0.0, 1.0, 17.5, 20.0, 40.0,
                  100.0, 1e4, 1e30]
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _forward_and_grad(module, function, values, dtype):
    """f(x) and d sum(f(x)) / dx in minigrad or torch, as float64 numpy arrays."""
    if module is torch:
        x = torch.tensor(values, dtype=TORCH_DTYPES[dtype], requires_grad=True)
        out = function(x)
        out.sum().backward()
        return out.detach().double().numpy(), x.grad.double().numpy()
    x = minigrad.tensor(values, dtype=getattr(minigrad, dtype), requires_grad=True)
    out = function(x)
    assert out.dtype is x.dtype
    out.sum().backward()
    return out.numpy().astype(np.float64), x.grad.numpy().astype(np.float64)


def _assert_matches_torch(minigrad_fn, torch_fn, values, dtype):
    out, grad = _forward_and_grad(minigrad, minigrad_fn, values, dtype)
    expected_out, expected_grad = _forward_and_grad(torch, torch_fn, values, dtype)
    # Relative tolerance: the tiny tail values (2e-9, 4e-44 in float64) are compared as
    # numbers, not absorbed by an absolute tolerance. float32 0 vs 3.8e-44 (a subnormal
    # that PyTorch's formula flushes to 0) is the only absolute slack.
    rtol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, expected_out, rtol=rtol, atol=1e-40)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=1e-30)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_tails_like_torch(dtype):
    _assert_matches_torch(lambda x: x.sigmoid(), torch.sigmoid, EXTREME_LOGITS, dtype)
    small = minigrad.tensor([-20.0], dtype=getattr(minigrad, dtype)).sigmoid().item()
    np.testing.assert_allclose(small, 2.0611536e-9, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsigmoid_matches_torch_at_extreme_logits(dtype):
    _assert_matches_torch(F.logsigmoid, TF.logsigmoid, EXTREME_LOGITS, dtype)
    _assert_matches_torch(nn.LogSigmoid(), torch.nn.LogSigmoid(), EXTREME_LOGITS, dtype)


def test_logsigmoid_matches_torch_and_finite_differences_on_random_inputs():
    helper_test_op([(3, 4)], F.logsigmoid, TF.logsigmoid, low=-30, high=30)
    x = minigrad.randn(2, 5, dtype=minigrad.float64, requires_grad=True) * 10
    gradcheck(F.logsigmoid, x.detach().requires_grad_())


def test_logsigmoid_and_sigmoid_propagate_nan():
    x = minigrad.tensor([float("nan"), 0.0])
    assert np.isnan(F.logsigmoid(x).numpy()[0]) and np.isnan(x.sigmoid().numpy()[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_binary_cross_entropy_of_sigmoid_matches_torch_at_extreme_logits(dtype, label):
    # At x = -20 and y = 1 the loss is 20 (PyTorch); a sigmoid that rounds to 0 hits the
    # -100 clamp and gives 100.
    def loss(module, functional):
        def run(x):
            target = module.full(tuple(x.shape), label, dtype=x.dtype)
            return functional.binary_cross_entropy(x.sigmoid(), target, reduction="none")
        return run

    _assert_matches_torch(loss(minigrad, F), loss(torch, TF), EXTREME_LOGITS, dtype)
    at_minus_20 = F.binary_cross_entropy(
        minigrad.tensor([-20.0], dtype=getattr(minigrad, dtype)).sigmoid(),
        minigrad.tensor([1.0], dtype=getattr(minigrad, dtype)))
    if label == 1.0:
        np.testing.assert_allclose(at_minus_20.item(), 20.0, rtol=1e-6)


# --- empty dimensions and zero-sized kernels: clear messages -----------------------------
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_dim_returns_an_empty_result_like_torch(function):
    x = minigrad.zeros(2, 0, requires_grad=True)
    out = getattr(F, function)(x, dim=1)
    expected = getattr(TF, function)(torch.zeros(2, 0), dim=1)
    assert out.shape == tuple(expected.shape) == (2, 0)
    out.sum().backward()
    assert x.grad.shape == (2, 0)


def test_softmax_accepts_numpy_integer_dims():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=minigrad.float64)
    expected = TF.log_softmax(torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=torch.float64), 1)
    np.testing.assert_allclose(F.log_softmax(x, dim=np.int64(1)).numpy(), expected.numpy())


def test_softmax_rejects_a_dim_out_of_range_with_the_shape():
    with pytest.raises(IndexError, match=r"dim 2 is out of range .*\(2, 0\)"):
        F.log_softmax(minigrad.zeros(2, 0), dim=2)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape, target_shape", [((2, 0), (2,)), ((0,), ()),
                                                 ((2, 0, 3), (2, 3))])
def test_zero_classes_raise_a_clear_error(loss, shape, target_shape):
    target = minigrad.zeros(target_shape, dtype=minigrad.int64)
    with pytest.raises(ValueError, match="zero classes"):
        getattr(F, loss)(minigrad.zeros(shape), target)


@pytest.mark.parametrize("weight_shape, message", [
    ((1, 1, 0, 0), r"kernel size must be at least 1 .*\(0, 0\)"),
    ((1, 1, 3, 0), r"kernel size must be at least 1 .*\(3, 0\)"),
    ((0, 1, 3, 3), r"zero output channels"),
])
def test_conv2d_rejects_empty_kernels(weight_shape, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(minigrad.zeros(1, 1, 4, 4), minigrad.zeros(weight_shape))


def test_conv1d_rejects_an_empty_kernel():
    with pytest.raises(ValueError, match="kernel size must be at least 1"):
        F.conv1d(minigrad.zeros(1, 1, 4), minigrad.zeros(1, 1, 0))


@pytest.mark.parametrize("arguments, message", [
    ((1, 1, 0), r"kernel_size must be at least 1 .*\(0, 0\)"),
    ((1, 1, (3, 0)), r"kernel_size must be at least 1 .*\(3, 0\)"),
    ((1, 0, 3), "out_channels must be a positive int, got 0"),
    ((0, 1, 3), "in_channels must be a positive int, got 0"),
    ((1, 1, 3, 0), r"stride must be at least 1, got \(0, 0\)"),
])
def test_conv2d_module_rejects_empty_sizes(arguments, message):
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(*arguments)


def test_conv1d_module_rejects_a_kernel_of_size_zero():
    with pytest.raises(ValueError, match=r"kernel_size must be at least 1 .*\(0,\)"):
        nn.Conv1d(2, 3, 0)
