"""A leaf's ``.grad`` is its own tensor: the engine hands over a gradient that a minigrad
backward formula has just made (no copy), and copies every other one, so that an in-place
change of one ``.grad`` (an optimizer step, ``zero_()``, ``+=``) never changes another
tensor, and no other tensor's change reaches a ``.grad``."""

import numpy as np
import pytest
import torch

import minigrad
from minigrad.autograd import Function, engine
from minigrad.backend import get_backend


@pytest.fixture
def copies(monkeypatch):
    """Counts the backend's array copies (the engine's copy of a leaf gradient is one)."""
    backend = get_backend("cpu")
    calls = []
    original = type(backend).copy

    def counting_copy(array):
        calls.append(array.shape)
        return original(backend, array)

    monkeypatch.setattr(backend, "copy", counting_copy, raising=False)
    return calls


def _leaves(values_a, values_b):
    a = minigrad.tensor(values_a, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor(values_b, dtype=minigrad.float64, requires_grad=True)
    return a, b


def test_fresh_gradients_are_handed_over_without_a_copy(copies):
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3))
    weight = minigrad.tensor(np.ones((4, 3)), requires_grad=True)
    bias = minigrad.tensor(np.zeros(4), requires_grad=True)
    minigrad.nn.functional.linear(x, weight, bias).tanh().sum().backward()
    assert copies == []
    torch_weight = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    torch_bias = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.linear(torch.arange(6.0, dtype=torch.float64).reshape(2, 3),
                               torch_weight, torch_bias).tanh().sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), torch_weight.grad.numpy())
    np.testing.assert_allclose(bias.grad.numpy(), torch_bias.grad.numpy())


def test_one_gradient_sent_to_two_leaves_gives_each_its_own_grad():
    # Add sends the very same gradient tensor to both of its inputs
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    ((a + b) * 3).sum().backward()
    a.grad.add_(1)
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0])
    b.grad.zero_()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])


def test_the_users_seed_gradient_is_copied():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    seed = minigrad.tensor([1.0, -1.0], dtype=minigrad.float64)
    (a + b).backward(seed)
    a.grad.mul_(10)
    np.testing.assert_array_equal(seed.numpy(), [1.0, -1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, -1.0])
    a.backward(seed)  # a leaf as the output: its seed too
    a.grad.zero_()
    np.testing.assert_array_equal(seed.numpy(), [1.0, -1.0])


def test_a_gradient_kept_by_a_hook_is_not_changed_by_updates_of_grad():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    kept = []
    a.register_hook(lambda gradient: kept.append(gradient))
    (a * b).sum().backward()
    a.grad.add_(100)
    np.testing.assert_array_equal(kept[0].numpy(), [3.0, 4.0])


def test_a_gradient_a_hook_returns_is_copied():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    replacement = minigrad.tensor([7.0, 7.0], dtype=minigrad.float64)
    a.register_hook(lambda gradient: replacement)
    (a * b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(replacement.numpy(), [7.0, 7.0])


def test_retained_gradient_and_leaf_gradient_are_separate():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    hidden = a * b
    hidden.retain_grad()
    total = hidden + a
    total.retain_grad()
    (total * 2).sum().backward()
    a.grad.add_(1)  # a got hidden's gradient (2, 2) through Add and b * (2, 2)
    np.testing.assert_array_equal(total.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(hidden.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(a.grad.numpy(), [9.0, 11.0])


def test_saved_tensors_and_inputs_stay_unchanged_by_grad_updates_with_retain_graph():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    loss = (a * b).sum()
    loss.backward(retain_graph=True)
    a.grad.zero_()
    b.grad.zero_()
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(b.numpy(), [3.0, 4.0])
    loss.backward()  # the saved a and b are intact
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_accumulation_into_an_existing_grad_makes_a_new_sum():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    (a * b).sum().backward()
    first = a.grad
    (a * b).sum().backward()
    assert a.grad is not first
    first.zero_()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 8.0])


def test_a_leaf_used_twice_gets_a_sum_of_its_own():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    ((a * b) + (a * 2)).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def test_create_graph_gradients_still_differentiate():
    results = {}
    for library in (minigrad, torch):
        x = library.tensor([1.5, -0.5], dtype=library.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad.detach().clone().numpy()
        x.grad.sum().backward()  # adds d(sum 3x^2)/dx = 6x to the first gradient
        results[library.__name__] = first, x.grad.detach().numpy()
    for mine, theirs in zip(results["minigrad"], results["torch"], strict=True):
        np.testing.assert_allclose(mine, theirs)


def test_grad_with_inputs_returns_separate_results_and_stores_nothing():
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    grad_a, grad_b = minigrad.grad(((a + b) * 2).sum(), [a, b])
    assert a.grad is None and b.grad is None
    np.testing.assert_array_equal(grad_a.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(grad_b.numpy(), [2.0, 2.0])


def test_optimizer_steps_change_only_their_own_parameters():
    minigrad.manual_seed(0)
    layer = minigrad.nn.Linear(3, 2)
    other = minigrad.nn.Linear(3, 2)
    other_before = [p.detach().clone().numpy() for p in other.parameters()]
    optimizer = minigrad.optim.SGD(layer.parameters(), lr=0.5, momentum=0.9)
    x = minigrad.randn(4, 3)
    for _ in range(3):
        optimizer.zero_grad()
        (layer(x) + other(x)).pow(2).sum().backward()
        optimizer.step()
    for parameter, before in zip(other.parameters(), other_before, strict=True):
        np.testing.assert_array_equal(parameter.detach().numpy(), before)


class _ReturnsAKeptTensor(Function):
    """A user's Function whose backward returns a tensor it keeps elsewhere."""

    kept = None

    @staticmethod
    def forward(ctx, x):
        return x._wrap(x._data * 2)

    @staticmethod
    def backward(ctx, grad):
        return _ReturnsAKeptTensor.kept


def test_a_users_function_result_is_copied():
    _ReturnsAKeptTensor.kept = minigrad.tensor([5.0, 5.0], dtype=minigrad.float64)
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    _ReturnsAKeptTensor.apply(x).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(_ReturnsAKeptTensor.kept.numpy(), [5.0, 5.0])


def test_no_handing_over_while_switched_off(copies, monkeypatch):
    monkeypatch.setattr(engine, "hand_over_fresh_gradients", False)
    a, b = _leaves([1.0, 2.0], [3.0, 4.0])
    (a * b).sum().backward()
    assert len(copies) == 2
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
