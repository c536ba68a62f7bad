"""minigrad.nn.utils against torch.nn.utils: gradient clipping and parameter vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minigrad
from minigrad.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from tests.nn.nn_reference import assert_close, mg, th

SHAPES = [(3, 4), (4,), (2, 2, 3), ()]


def _parameters_with_grads(scale: float, seed: int = 0, skip: int | None = None):
    """The same parameters and gradients in both libraries; parameter ``skip`` gets no grad."""
    rng = np.random.default_rng(seed)
    minigrad_parameters, torch_parameters = [], []
    for index, shape in enumerate(SHAPES):
        value, grad = rng.standard_normal(shape), scale * rng.standard_normal(shape)
        a, b = mg(value, requires_grad=True), th(value, requires_grad=True)
        if index != skip:
            a.grad, b.grad = mg(grad), th(grad)
        minigrad_parameters.append(a)
        torch_parameters.append(b)
    return minigrad_parameters, torch_parameters


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    ours, theirs = _parameters_with_grads(scale, skip=1)
    total = clip_grad_norm_(ours, max_norm=1.5, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.5, norm_type=norm_type)
    assert_close(total, expected, what="total norm")
    assert ours[1].grad is None
    for a, b in zip(ours, theirs, strict=True):
        if b.grad is not None:
            assert_close(a.grad, b.grad, what="clipped gradient")


def test_clipping_bounds_the_norm_and_keeps_the_direction():
    ours, _ = _parameters_with_grads(10.0)
    before = [p.grad.numpy().copy() for p in ours]
    total = clip_grad_norm_(ours, max_norm=1.0).item()
    assert total > 1.0
    assert get_total_norm([p.grad for p in ours]).item() == pytest.approx(1.0, rel=1e-5)
    for parameter, old in zip(ours, before, strict=True):
        np.testing.assert_allclose(parameter.grad.numpy() * total, old, rtol=1e-5)


def test_clip_grad_norm_single_tensor_and_no_gradients():
    parameter = minigrad.tensor([3.0, 4.0], requires_grad=True)
    assert clip_grad_norm_(parameter, 1.0).item() == 0.0
    parameter.grad = minigrad.tensor([3.0, 4.0])
    assert clip_grad_norm_(parameter, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(parameter.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_nonfinite():
    parameter = minigrad.tensor([1.0, 2.0], requires_grad=True)
    parameter.grad = minigrad.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="inf"):
        clip_grad_norm_(parameter, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # the scale is 1 / inf = 0, and inf * 0 is NaN
        assert math.isinf(clip_grad_norm_(parameter, 1.0).item())
    np.testing.assert_array_equal(parameter.grad.numpy(), [np.nan, 0.0])  # PyTorch's too


@pytest.mark.parametrize("bad, error", [("two", TypeError), (-1.0, ValueError),
                                        (float("nan"), ValueError), (True, TypeError)])
def test_clip_grad_norm_rejects_bad_norm_type(bad, error):
    parameter = minigrad.tensor([1.0], requires_grad=True)
    parameter.grad = minigrad.tensor([1.0])
    with pytest.raises(error, match="norm_type"):
        clip_grad_norm_(parameter, 1.0, norm_type=bad)


def test_clip_grad_value_matches_torch():
    ours, theirs = _parameters_with_grads(2.0, skip=0)
    assert clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        assert_close(a.grad, b.grad, what="clamped gradient")
    with pytest.raises(TypeError, match="clip_value"):
        clip_grad_value_(ours, "big")


def test_parameter_vector_round_trip_matches_torch():
    ours, theirs = _parameters_with_grads(1.0)
    vector = parameters_to_vector(ours)
    assert_close(vector, torch.nn.utils.parameters_to_vector(theirs), what="vector")
    for parameter in ours:
        parameter.grad = None
    vector.sum().backward()
    np.testing.assert_array_equal(ours[0].grad.numpy(), np.ones(SHAPES[0]))
    new = np.arange(vector.numel(), dtype=np.float64)
    vector_to_parameters(mg(new), ours)
    torch.nn.utils.vector_to_parameters(th(new), theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert_close(a, b, what="parameter")
    with pytest.raises(ValueError, match="20 elements"):
        vector_to_parameters(mg(np.zeros(20)), ours)
    with pytest.raises(ValueError, match="1-D"):
        vector_to_parameters(mg(np.zeros((2, 2))), ours)


def test_clipping_inside_a_training_loop():
    model = minigrad.nn.Linear(3, 1)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)
    x = minigrad.randn(8, 3) * 100
    loss = model(x).pow(2).mean()
    loss.backward()
    norm = minigrad.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    assert norm.item() > 0.5
    before = [p.detach().clone() for p in model.parameters()]
    optimizer.step()
    moved = sum(((p.detach() - b) ** 2).sum().item() for p, b in zip(model.parameters(), before))
    assert math.sqrt(moved) == pytest.approx(0.1 * 0.5, rel=1e-4)
