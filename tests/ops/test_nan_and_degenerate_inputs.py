"""Reductions and elementwise ops on inputs where a naive formula gives a wrong number:
the standard deviation of a constant, NaN in maximum/minimum, empty argmax; against
PyTorch."""

import numpy as np
import pytest
import torch

import minigrad
from minigrad.testing import gradcheck

NAN = float("nan")


@pytest.mark.parametrize("values, dim", [
    ([1.5, 1.5, 1.5], None),
    ([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], 1),
    ([[2.0, 1.0], [2.0, 3.0], [2.0, 5.0]], 0),
])
@pytest.mark.parametrize("correction", [0, 1])
def test_std_of_a_constant_has_gradient_zero_like_torch(values, dim, correction):
    x = minigrad.tensor(values, dtype=minigrad.float64, requires_grad=True)
    out = x.std(dim=dim, correction=correction)
    out.sum().backward()
    torch_x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    torch_x.std(dim=dim, correction=correction).sum().backward()
    np.testing.assert_allclose(out.numpy(), torch_x.std(dim=dim, correction=correction)
                               .detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isfinite(x.grad.numpy()).all()


def test_std_gradient_still_matches_finite_differences_away_from_zero():
    x = minigrad.randn(3, 4, dtype=minigrad.float64, requires_grad=True)
    gradcheck(lambda t: t.std(dim=1), x)
    gradcheck(lambda t: t.std(), x)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_propagate_nan_with_torch_gradients(name):
    a_values = [NAN, 1.0, NAN, 2.0, 3.0, -1.0]
    b_values = [1.0, NAN, NAN, 2.0, 1.0, 0.0]
    a = minigrad.tensor(a_values, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor(b_values, dtype=minigrad.float64, requires_grad=True)
    out = getattr(minigrad, name)(a, b)
    out.sum().backward()
    torch_a = torch.tensor(a_values, dtype=torch.float64, requires_grad=True)
    torch_b = torch.tensor(b_values, dtype=torch.float64, requires_grad=True)
    expected = getattr(torch, name)(torch_a, torch_b)
    expected.sum().backward()
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), torch_a.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), torch_b.grad.numpy())


def test_maximum_with_nan_broadcasts_and_reduces_the_gradient():
    a = minigrad.tensor([[NAN], [1.0]], dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor([0.0, 2.0, 1.0], dtype=minigrad.float64, requires_grad=True)
    out = minigrad.maximum(a, b)
    out.sum().backward()
    torch_a = torch.tensor([[NAN], [1.0]], dtype=torch.float64, requires_grad=True)
    torch_b = torch.tensor([0.0, 2.0, 1.0], dtype=torch.float64, requires_grad=True)
    torch.maximum(torch_a, torch_b).sum().backward()
    np.testing.assert_array_equal(out.numpy(), torch.maximum(torch_a, torch_b).detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), torch_a.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), torch_b.grad.numpy())


def test_maximum_second_derivative_matches_finite_differences():
    a = minigrad.randn(2, 3, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    gradcheck(lambda x, y: minigrad.maximum(x * x, y) * x, (a, b))
    gradcheck(lambda x, y: minigrad.minimum(x, y * 2), (a, b))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim, message", [
    ((0,), None, r"cannot reduce the empty tensor of shape \(0,\)"),
    ((2, 0), None, r"cannot reduce the empty tensor of shape \(2, 0\)"),
    ((2, 0), 1, r"dim 1 of the tensor of shape \(2, 0\) is empty"),
])
def test_arg_reductions_over_nothing_raise_like_torch(name, shape, dim, message):
    with pytest.raises(IndexError, match=message):
        getattr(minigrad.zeros(shape), name)(dim=dim)
    with pytest.raises(IndexError):
        getattr(torch.zeros(shape), name)(dim=dim)


def test_argmax_over_a_non_empty_dim_of_an_empty_tensor_is_empty_like_torch():
    result = minigrad.zeros(0, 3).argmax(dim=1)
    assert result.shape == tuple(torch.zeros(0, 3).argmax(dim=1).shape) == (0,)
    assert result.dtype is minigrad.int64
