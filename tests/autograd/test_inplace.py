"""In-place ops against PyTorch: values, gradients through recorded in-place ops and views,
``__setitem__``, PyTorch's errors, and the manual parameter update."""

import numpy as np
import pytest
import torch
from helpers import helper_test_op

import minigrad
from minigrad.testing import gradcheck

# Each op is applied to ``x * 1``, a non-leaf, so that the in-place op is recorded in the
# graph; gradients flow to both x and the other operand.
INPLACE_BINARY = {
    "add_": lambda x, y: (x * 1).add_(y),
    "add_alpha": lambda x, y: (x * 1).add_(y, alpha=-0.5),
    "sub_": lambda x, y: (x * 1).sub_(y, alpha=2.0),
    "mul_": lambda x, y: (x * 1).mul_(y),
    "div_": lambda x, y: (x * 1).div_(y),
    "iadd": lambda x, y: _iadd(x * 1, y),
    "isub": lambda x, y: _isub(x * 1, y),
    "imul": lambda x, y: _imul(x * 1, y),
    "itruediv": lambda x, y: _itruediv(x * 1, y),
    "copy_": lambda x, y: (x * 1).copy_(y),
    "lerp_": lambda x, y: (x * 1).lerp_(y, 0.3),
    "addcmul_": lambda x, y: (x * 1).addcmul_(y, y, value=0.5),
    "addcdiv_": lambda x, y: (x * 1).addcdiv_(y, y * y + 1, value=2.0),
}

INPLACE_UNARY = {
    "exp_": lambda x: (x * 1).exp_(),
    "log_": lambda x: (x * 1).abs_().log_(),
    "sqrt_": lambda x: (x * 1).abs_().add_(0.1).sqrt_(),
    "neg_": lambda x: (x * 2).neg_(),
    "abs_": lambda x: (x * 2).abs_(),
    "relu_": lambda x: (x * 2).relu_(),
    "sigmoid_": lambda x: (x * 2).sigmoid_(),
    "tanh_": lambda x: (x * 2).tanh_(),
    "pow_": lambda x: (x * 2).pow_(3),
    "ipow": lambda x: _ipow(x * 2, 2),
    "clamp_": lambda x: (x * 2).clamp_(-0.5, 1.0),
    "clip_": lambda x: (x * 2).clip_(min=0.2),
    "fill_": lambda x: (x * 2).fill_(3.0) * x,
    "zero_": lambda x: (x * 2).zero_() + x,
    "chain": lambda x: (x * 2).mul_(x).add_(1).tanh_() * x,
}


def _iadd(a, b):
    a += b
    return a


def _isub(a, b):
    a -= b
    return a


def _imul(a, b):
    a *= b
    return a


def _itruediv(a, b):
    a /= b
    return a


def _ipow(a, b):
    a **= b
    return a


@pytest.mark.parametrize("name", INPLACE_BINARY)
def test_binary_inplace_op_matches_torch(name):
    # (3, 4) written in place with a (4,) operand: the operand's gradient is summed back.
    helper_test_op([(3, 4), (4,)], INPLACE_BINARY[name], low=0.5, high=2.0)


@pytest.mark.parametrize("name", INPLACE_UNARY)
def test_unary_inplace_op_matches_torch(name):
    helper_test_op([(2, 3)], INPLACE_UNARY[name], low=-1.5, high=1.5)


@pytest.mark.parametrize("name", ["mul_", "div_", "lerp_", "addcdiv_", "copy_"])
def test_binary_inplace_op_gradcheck(name):
    rng = np.random.default_rng(1)
    inputs = (rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, (4,)))
    assert gradcheck(INPLACE_BINARY[name], inputs)


@pytest.mark.parametrize("name", ["chain", "sigmoid_", "clamp_", "fill_"])
def test_unary_inplace_op_gradcheck(name):
    rng = np.random.default_rng(2)
    assert gradcheck(INPLACE_UNARY[name], (rng.uniform(-1.3, 1.3, (2, 3)),))


def test_inplace_op_returns_the_same_object_and_bumps_the_version():
    for backend in (minigrad, torch):
        x = backend.zeros(3)
        assert x.add_(1) is x
        assert x.mul_(2) is x
        assert x._version == 2
        y = x
        y += 1
        assert y is x and x._version == 3
    np.testing.assert_array_equal(x.numpy(), [3.0, 3.0, 3.0])


# --- views ------------------------------------------------------------------------------

VIEW_INPLACE = {
    "row_mul_": lambda x, w: _then(x * 1, lambda h: h[1].mul_(w)),
    "column_add_": lambda x, w: _then(x * 1, lambda h: h[:, 2].add_(w[:2])),
    "view_mul_": lambda x, w: _then(x * 1, lambda h: h.view(-1).mul_(w.repeat_to(6))),
    "transpose_add_": lambda x, w: _then(x * 1, lambda h: h.t().add_(w[:2])),
    "slice_of_slice_": lambda x, w: _then(x * 1, lambda h: h[:, 1:][0].mul_(w[:2])),
    "item_assign_then_use": lambda x, w: _then(x * 1, lambda h: h[0, 0].mul_(w[0])) * x,
    "view_then_base_changed": lambda x, w: _view_used_after_base_change(x, w),
}


def _then(tensor, action):
    action(tensor)
    return tensor


def _view_used_after_base_change(x, w):
    h = x * 1
    row = h[0]            # a view made before the base changes...
    h.mul_(w[0])          # ...its base is changed in place...
    return row * 2 + h    # ...and the view must see the new values and the new history


@pytest.fixture(autouse=True)
def _repeat_to():
    """``w.repeat_to(n)``: w's values repeated to length n, by indexing (both libraries)."""
    def repeat_to(tensor, n):
        return tensor[[i % tensor.shape[0] for i in range(n)]]

    minigrad.Tensor.repeat_to = repeat_to
    torch.Tensor.repeat_to = repeat_to
    yield
    del minigrad.Tensor.repeat_to
    del torch.Tensor.repeat_to


@pytest.mark.parametrize("name", VIEW_INPLACE)
def test_inplace_op_on_a_view_matches_torch(name):
    helper_test_op([(2, 3), (3,)], VIEW_INPLACE[name], low=0.5, high=2.0)


def test_inplace_on_a_view_gradcheck():
    rng = np.random.default_rng(3)
    inputs = (rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(0.5, 2.0, (3,)))
    assert gradcheck(VIEW_INPLACE["column_add_"], inputs)
    assert gradcheck(VIEW_INPLACE["view_then_base_changed"], inputs)


def test_writing_into_a_view_writes_into_the_base():
    for backend in (minigrad, torch):
        x = backend.zeros(2, 3)
        x[0].add_(1)
        x[:, 1].mul_(5)
        x.view(-1)[5] = 7.0
        x[1][0] = 2.0
        assert x._version == 4
    np.testing.assert_array_equal(x.numpy(), [[1, 5, 1], [2, 0, 7]])


def test_inplace_on_expanded_tensor_is_refused():
    x = minigrad.zeros(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        x.add_(1)


# --- __setitem__ ---------------------------------------------------------------------------

SETITEM = {
    "int": lambda x, v: _assign(x * 1, 1, v[0]),
    "slice": lambda x, v: _assign(x * 1, (slice(None), slice(1, 3)), v[:, :2]),
    "broadcast_row": lambda x, v: _assign(x * 1, slice(0, 2), v[0]),
    "number": lambda x, v: _assign(x * 1, (0, 1), 5.0) * v,
    "index_list": lambda x, v: _assign(x * 1, [2, 0], v[:2]),
    "bool_mask": lambda x, v: _assign(x * 1, x > 1.2, v[x > 1.2]),
    "assign_into_constant": lambda x, v: _assign(x.detach() * 0, (1, slice(None)), v[1]) * x,
    "add_through_index": lambda x, v: _iadd_at(x * 1, (slice(None), 0), v[:, 1]),
}


def _assign(tensor, index, value):
    tensor[index] = value
    return tensor


def _iadd_at(tensor, index, value):
    tensor[index] += value   # getitem, in-place add on the view, setitem
    return tensor


@pytest.mark.parametrize("name", SETITEM)
def test_setitem_matches_torch(name):
    helper_test_op([(3, 4), (3, 4)], SETITEM[name], low=0.5, high=2.0)


@pytest.mark.parametrize("name", ["slice", "index_list", "bool_mask", "add_through_index"])
def test_setitem_gradcheck(name):
    rng = np.random.default_rng(4)
    inputs = (rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, (3, 4)))
    assert gradcheck(SETITEM[name], inputs)


def test_setitem_with_index_tensor_and_dtype_conversion():
    for backend in (minigrad, torch):
        x = backend.zeros(2, 3, dtype=backend.int64)
        x[backend.tensor([1, 0]), backend.tensor([2, 1])] = backend.tensor([7, 8])
        x[x == 0] = -1
        x[0, :2] = backend.tensor([2.7, 3.2])  # a float tensor is converted, as by copy_
    np.testing.assert_array_equal(x.numpy(), [[2, 3, -1], [-1, -1, 7]])


def test_setitem_out_of_bounds_names_the_shapes():
    x = minigrad.zeros(2, 3)
    with pytest.raises(IndexError, match=r"out of bounds"):
        x[5] = 1.0
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        x[:, :2] = minigrad.ones(3)


# --- PyTorch's rules -------------------------------------------------------------------------


def _both_raise(action, match):
    """``action(backend)`` raises RuntimeError matching ``match`` for torch and minigrad."""
    for backend in (torch, minigrad):
        with pytest.raises(RuntimeError, match=match):
            action(backend)


LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation"


@pytest.mark.parametrize("write", [
    lambda w: w.add_(1),
    lambda w: w.mul_(2),
    lambda w: w.zero_(),
    lambda w: w.fill_(1.0),
    lambda w: w.copy_(w.detach() * 2),
    lambda w: w.clamp_(0, 1),
    lambda w: w.exp_(),
    lambda w: w.uniform_(),
    lambda w: _iadd(w, 1),
    lambda w: _isub(w, 1),
    lambda w: _assign(w, 0, 1.0),
])
def test_inplace_on_leaf_requiring_grad_raises_pytorchs_error(write):
    _both_raise(lambda backend: write(backend.ones(3, requires_grad=True)), LEAF_ERROR)


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    _both_raise(lambda backend: backend.ones(3, requires_grad=True)[0].add_(1),
                "a view of a leaf Variable that requires grad")


def test_leaf_updates_in_place_under_no_grad():
    w = minigrad.ones(3, requires_grad=True)
    with minigrad.no_grad():
        w.mul_(3)
        w[0] = -1.0
        w -= 1
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_array_equal(w.numpy(), [-2.0, 2.0, 2.0])


def test_float_result_into_integer_tensor_is_refused():
    for backend in (torch, minigrad):
        x = backend.ones(3, dtype=backend.int64)
        with pytest.raises(RuntimeError, match="can't be cast"):
            x.div_(2)
        with pytest.raises(RuntimeError, match="can't be cast"):
            x += 0.5


def test_inplace_cannot_grow_a_tensor():
    for backend in (torch, minigrad):
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            backend.zeros(3).add_(backend.ones(2, 3))
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            backend.zeros(3).mul_(backend.ones(2, 3))


def test_nodes_made_before_an_inplace_op_keep_their_history():
    # y used h before h.add_(w): y's gradient must go to the old h, not through the add_.
    results = {}
    for backend in (torch, minigrad):
        x = backend.tensor([1.0, 2.0], requires_grad=True)
        w = backend.tensor([3.0, 5.0], requires_grad=True)
        constant = backend.tensor([2.0, 2.0])
        y = constant + x          # Add saves nothing, so changing `constant` is allowed
        constant.mul_(w)          # constant now has a history through w
        (y.sum() + constant.sum() * 10).backward()
        results[backend.__name__] = (x.grad.numpy().copy(), w.grad.numpy().copy())
    for got, expected in zip(results["minigrad"], results["torch"], strict=True):
        np.testing.assert_allclose(got, expected)


# --- the manual update loop ------------------------------------------------------------------


def test_manual_sgd_update_with_isub_trains_exactly_like_torch():
    rng = np.random.default_rng(5)
    x_data = rng.normal(size=(16, 3))
    y_data = rng.normal(size=(16, 1))
    w1, b1 = rng.normal(size=(3, 8)) * 0.5, np.zeros(8)
    w2, b2 = rng.normal(size=(8, 1)) * 0.5, np.zeros(1)
    losses = {}
    final = {}
    for backend in (torch, minigrad):
        params = [backend.tensor(a.copy(), dtype=backend.float64, requires_grad=True)
                  for a in (w1, b1, w2, b2)]
        x = backend.tensor(x_data, dtype=backend.float64)
        y = backend.tensor(y_data, dtype=backend.float64)
        history = []
        for _ in range(20):
            hidden = (x @ params[0] + params[1]).tanh()
            loss = ((hidden @ params[2] + params[3] - y) ** 2).mean()
            for param in params:
                param.grad = None
            loss.backward()
            with backend.no_grad():
                for param in params:
                    param -= 0.1 * param.grad
            history.append(loss.item())
        losses[backend.__name__] = history
        final[backend.__name__] = [p.detach().numpy().copy() for p in params]
    assert losses["minigrad"][-1] < losses["minigrad"][0] * 0.9  # it really trains
    np.testing.assert_allclose(losses["minigrad"], losses["torch"], rtol=1e-12)
    for got, expected in zip(final["minigrad"], final["torch"], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_manual_update_on_nn_module_parameters_matches_torch():
    torch_model = torch.nn.Linear(3, 2).double()
    model = minigrad.nn.Linear(3, 2)
    model.weight.data = minigrad.tensor(torch_model.weight.detach().numpy().copy())
    model.bias.data = minigrad.tensor(torch_model.bias.detach().numpy().copy())
    x = np.random.default_rng(6).normal(size=(5, 3))
    for backend, net in ((torch, torch_model), (minigrad, model)):
        inputs = backend.tensor(x, dtype=backend.float64)
        for _ in range(5):
            net.zero_grad()
            (net(inputs) ** 2).sum().backward()
            with backend.no_grad():
                for param in net.parameters():
                    param -= 0.05 * param.grad
    np.testing.assert_allclose(model.weight.numpy(), torch_model.weight.detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(model.bias.numpy(), torch_model.bias.detach().numpy(), rtol=1e-12)


def test_writes_into_views_of_a_constant_make_it_part_of_the_graph():
    outcomes = []
    for backend in (minigrad, torch):
        w = backend.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = backend.zeros(2, 4)
        x[1, 1:].copy_(w)
        x[0][2] = w[0] * 5          # assignment into a view (x[0])
        x.view(-1)[0:2].mul_(w[1:])
        assert x.requires_grad and not x.is_leaf
        (x * backend.arange(8).reshape(2, 4).float()).sum().backward()
        outcomes.append((x.detach().numpy().copy(), w.grad.numpy().copy()))
    for got, expected in zip(*outcomes, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_backward_from_a_view_whose_base_changed_uses_the_new_history():
    grads = []
    for backend in (minigrad, torch):
        x = backend.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 1
        head = h[:2]
        h.mul_(x)                         # head's values and history change with h
        head.backward(backend.tensor([1.0, 1.0]))
        grads.append(x.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], [2.0, 4.0, 0.0])
