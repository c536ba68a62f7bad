"""``inplace=True`` on activations and dropout: the same numbers and gradients as PyTorch,
the input overwritten, and autograd's in-place rules enforced."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.nn.nn_reference import assert_close, mg, th

ACTIVATIONS = [
    (lambda x: F.relu(x, inplace=True), lambda x: torch.nn.functional.relu(x, inplace=True)),
    (F.relu_, torch.nn.functional.relu_),
    (lambda x: F.leaky_relu(x, 0.2, inplace=True),
     lambda x: torch.nn.functional.leaky_relu(x, 0.2, inplace=True)),
    (lambda x: F.leaky_relu_(x, 0.3), lambda x: torch.nn.functional.leaky_relu_(x, 0.3)),
    (lambda x: F.elu(x, 0.7, inplace=True), lambda x: torch.nn.functional.elu(x, 0.7, True)),
    (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
    (nn.LeakyReLU(0.1, inplace=True), torch.nn.LeakyReLU(0.1, inplace=True)),
    (nn.ELU(inplace=True), torch.nn.ELU(inplace=True)),
]


@pytest.mark.parametrize("ours, theirs", ACTIVATIONS)
def test_in_place_activation_matches_torch(ours, theirs):
    rng = np.random.default_rng(0)
    value, upstream = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    a, b = mg(value, requires_grad=True), th(value, requires_grad=True)
    hidden_a, hidden_b = a * 1.5, b * 1.5
    out_a, out_b = ours(hidden_a), theirs(hidden_b)
    assert out_a is hidden_a, "inplace=True must return the input tensor itself"
    assert_close(out_a, out_b, what="forward")
    assert_close(hidden_a, hidden_b, what="the overwritten input")
    out_a.backward(mg(upstream))
    out_b.backward(th(upstream))
    assert_close(a.grad, b.grad, what="gradient")


def test_in_place_activation_on_a_leaf_that_requires_grad_raises():
    leaf = minigrad.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(leaf, inplace=True)


def test_in_place_activation_of_a_saved_tensor_is_caught():
    x = minigrad.randn(3, requires_grad=True)
    hidden = x * 2.0
    product = hidden * hidden  # saves hidden for its backward
    F.leaky_relu(hidden, 0.1, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        product.sum().backward()


@pytest.mark.parametrize("p", [0.0, 0.4, 1.0])
def test_in_place_dropout_equals_out_of_place(p):
    rng = np.random.default_rng(1)
    value, upstream = rng.standard_normal((6, 7)), rng.standard_normal((6, 7))
    results = []
    for inplace in (False, True):
        minigrad.manual_seed(3)
        x = mg(value, requires_grad=True)
        hidden = x + 0.0
        out = nn.Dropout(p, inplace=inplace)(hidden)
        assert (out is hidden) == (inplace or p == 0.0)
        out.backward(mg(upstream))
        results.append((out.numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    if 0.0 < p < 1.0:
        kept = results[1][0] != 0
        np.testing.assert_allclose(results[1][1][kept], upstream[kept] / (1 - p))


def test_eval_mode_in_place_dropout_is_the_identity():
    layer = nn.Dropout(0.5, inplace=True).eval()
    x = minigrad.randn(4)
    assert layer(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(True)


def test_in_place_activations_pass_gradcheck():
    from minigrad.testing import gradcheck

    values = (np.array([[-0.9, -0.4, 0.35], [0.8, -0.15, 0.6]]),)
    assert gradcheck(lambda x: F.leaky_relu(x * 1.0, 0.2, inplace=True), values)
    assert gradcheck(lambda x: F.elu(x * 1.0, 0.5, inplace=True), values)
    assert gradcheck(lambda x: F.relu(x * 1.0, inplace=True), values)
