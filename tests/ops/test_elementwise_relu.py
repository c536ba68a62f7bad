"""ReLU's backward (``ReluBackward``, one backend call) against PyTorch: the first gradient,
its edge cases (nan inputs, inf gradients) and the second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.testing import gradcheck, gradgradcheck
from tests.helpers import helper_test_op

# Values at least this far from 0: finite differences never straddle ReLU's kink.
KINK_GAP = 1e-2


def away_from_kink(shape, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    magnitudes = rng.uniform(KINK_GAP, 2.0, size=shape)
    return magnitudes * rng.choice([-1.0, 1.0], size=shape)


@settings(max_examples=8, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple),
       column=st.booleans())
def test_relu_gradient_matches_torch_on_random_shapes(shape, column):
    # ``relu(x) * w``: the gradient reaching ReLU's backward is w broadcast to x's shape (a
    # column when ``column``), so it is not always a contiguous array of x's shape.
    weight_shape = (*shape[:-1], 1) if column and shape else shape
    helper_test_op([shape, weight_shape], lambda x, w: x.relu() * w, seed=len(shape))


def test_relu_gradient_through_a_broadcast_sum():
    # x.relu().sum() sends a broadcast (stride 0) gradient of ones into the backward.
    helper_test_op([(3, 4)], lambda x: x.relu().sum())


def test_nan_input_passes_the_gradient_and_zeroed_places_ignore_inf_gradients():
    # PyTorch's threshold_backward: 0 where a <= 0 (whatever the gradient is there), the
    # gradient elsewhere, also where a is nan.
    values = [np.nan, -1.0, 0.0, -0.0, 2.0, 3.0, -5.0]
    upstream = [1.0, np.inf, np.nan, -np.inf, 4.0, np.nan, 7.0]
    for dtype, torch_dtype in ((minigrad.float32, torch.float32),
                               (minigrad.float64, torch.float64)):
        x = minigrad.tensor(values, dtype=dtype, requires_grad=True)
        x.relu().backward(minigrad.tensor(upstream, dtype=dtype))
        x_torch = torch.tensor(values, dtype=torch_dtype, requires_grad=True)
        x_torch.relu().backward(torch.tensor(upstream, dtype=torch_dtype))
        np.testing.assert_array_equal(x.grad.numpy(), x_torch.grad.numpy())
        assert x.grad.dtype == dtype


def test_first_and_second_derivatives_pass_gradcheck():
    x = minigrad.tensor(away_from_kink((3, 4), 0), dtype=minigrad.float64,
                        requires_grad=True)
    w = minigrad.tensor(away_from_kink((3, 4), 1), dtype=minigrad.float64,
                        requires_grad=True)
    assert gradcheck(lambda x, w: x.relu() * w, (x, w))
    # The gradient g * mask(x) is linear in the cotangent g and flat in x: gradgradcheck
    # differentiates it with respect to both (ReluBackward's own backward).
    assert gradgradcheck(lambda x, w: x.relu() * w, (x, w))


def test_double_backward_matches_torch():
    x_values, w_values = away_from_kink((4, 3), 2), away_from_kink((4, 3), 3)

    def second_derivatives(library, x_values, w_values):
        x = library.tensor(x_values, dtype=library.float64, requires_grad=True)
        w = library.tensor(w_values, dtype=library.float64, requires_grad=True)
        (grad_x,) = library.autograd.grad((x.relu() * w).sum(), x, create_graph=True)
        # d/dw sum(g_x^2) = 2 g_x mask(x): through ReluBackward's gradient for its input g
        grad_w, grad_x_again = library.autograd.grad((grad_x * grad_x).sum(), (w, x))
        return grad_x, grad_w, grad_x_again

    ours = second_derivatives(minigrad, x_values, w_values)
    theirs = second_derivatives(torch, x_values, w_values)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(),
                                   rtol=1e-12, atol=0)
    assert ours[0].requires_grad  # the first gradient is part of a graph, as in PyTorch


def test_gradient_of_the_mask_with_respect_to_the_input_is_zero():
    # As in PyTorch: relu's gradient, differentiated with respect to x, gives zeros (not
    # "unused"): the mask is a step function of x.
    x = minigrad.tensor([1.0, -2.0, 3.0], dtype=minigrad.float64, requires_grad=True)
    (grad_x,) = minigrad.grad(x.relu().sum(), x, create_graph=True)
    assert grad_x.requires_grad
    (second,) = minigrad.grad(grad_x.sum(), x)
    np.testing.assert_array_equal(second.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_module_backward_matches_torch(inplace):
    rng = np.random.default_rng(4)
    values = rng.standard_normal((5, 6))
    x = minigrad.tensor(values, requires_grad=True)
    hidden = x * 2  # ReLU(inplace=True) needs a non-leaf input
    minigrad.nn.ReLU(inplace=inplace)(hidden).sum().backward()
    x_torch = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    torch.nn.ReLU(inplace=inplace)(x_torch * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x_torch.grad.numpy())
