"""The lean dispatch path keeps PyTorch's behaviour: ops that save their result (tanh,
sigmoid, exp) refuse a result changed in place and differentiate twice, a constant operand
gets no gradient, a leaf's gradient is its own copy, and save_for_backward refuses
non-tensors with a clear message; the engine sums broadcast gradients back to each input's
shape, as PyTorch's does."""

import numpy as np
import pytest
import torch

import minigrad
from minigrad.autograd import Function

RESULT_SAVING_OPS = ["tanh", "sigmoid", "exp"]


@pytest.mark.parametrize("op", RESULT_SAVING_OPS)
def test_result_changed_in_place_before_backward_raises_as_in_pytorch(op):
    errors = {}
    for library in (torch, minigrad):
        x = library.tensor([0.5, -1.0, 2.0], dtype=library.float64, requires_grad=True)
        y = getattr(x, op)()
        y.mul_(2)  # the tensor backward would read
        with pytest.raises(RuntimeError) as caught:
            y.sum().backward()
        errors[library.__name__] = str(caught.value)
    assert "modified by an inplace operation" in errors["torch"]
    assert "modified by an inplace operation" in errors["minigrad"]
    assert "is at version 1; expected version 0" in errors["minigrad"]


@pytest.mark.parametrize("op", RESULT_SAVING_OPS)
def test_second_derivative_through_saved_result_matches_pytorch(op):
    values = np.random.default_rng(1).uniform(-1.5, 1.5, size=(3, 4))
    grads = {}
    for library in (torch, minigrad):
        x = library.tensor(values, dtype=library.float64, requires_grad=True)
        (first,) = library.autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
        (second,) = library.autograd.grad((first * first).sum(), x)
        grads[library.__name__] = (first.detach().numpy(), second.numpy())
    for mine, theirs in zip(grads["minigrad"], grads["torch"], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_constant_operand_of_add_and_sub_has_no_edge_and_no_gradient():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    constant = minigrad.tensor([[3.0, 4.0], [5.0, 6.0]])  # broadcast against x
    y = (x + constant) - constant
    assert [edge for edge, _ in y.grad_fn.next_functions][1] is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert constant.grad is None


def test_leaves_that_receive_the_same_gradient_get_separate_copies():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add sends one gradient tensor to both leaves
    a.grad.mul_(10)
    np.testing.assert_array_equal(a.grad.numpy(), [10.0, 10.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_save_for_backward_refuses_a_non_tensor_naming_its_position():
    class SavesANumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 2.5)
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="argument 1 is of type float"):
        SavesANumber.apply(x)


def _custom_functions(library):
    """A Function whose backward returns a broadcast gradient (the engine sums it back to
    the input's shape) and one whose gradient has an impossible shape."""

    class Broadcasting(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            weights = library.tensor([[1.0], [2.0]], dtype=grad.dtype)
            return grad.expand(2, *grad.shape) * weights  # shape (2, 3) for an input (3,)

    class WrongShape(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return library.ones(4, dtype=grad.dtype)

    return Broadcasting, WrongShape


def test_engine_sums_a_broadcast_gradient_to_the_input_shape_as_pytorch_does():
    grads = {}
    for library in (torch, minigrad):
        broadcasting, _ = _custom_functions(library)
        x = library.tensor([0.5, 1.0, 2.0], dtype=library.float64, requires_grad=True)
        (broadcasting.apply(x) * x).sum().backward()
        grads[library.__name__] = x.grad.numpy()
    np.testing.assert_array_equal(grads["minigrad"], grads["torch"])
    np.testing.assert_array_equal(grads["minigrad"], [2.0, 4.0, 8.0])  # 3x from it, x from * x


def test_gradient_of_an_impossible_shape_names_the_node_and_both_shapes():
    _, wrong_shape = _custom_functions(minigrad)
    x = minigrad.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned an invalid gradient "
                                           r"at index 0: got shape .*4.* but expected shape "
                                           r"compatible with .*3"):
        wrong_shape.apply(x).sum().backward()


def test_broadcast_binary_ops_reduce_each_gradient_in_the_engine_and_twice_differentiate():
    rng = np.random.default_rng(3)
    a_values, b_values = rng.uniform(0.5, 2.0, (2, 1, 3)), rng.uniform(0.5, 2.0, (4, 1))
    grads = {}
    for library in (torch, minigrad):
        a = library.tensor(a_values, requires_grad=True)
        b = library.tensor(b_values, requires_grad=True)
        y = ((a * b) / (a + b) - b).sum()
        grad_a, grad_b = library.autograd.grad(y, (a, b), create_graph=True)
        assert tuple(grad_a.shape) == (2, 1, 3) and tuple(grad_b.shape) == (4, 1)
        (grad_a * grad_b.sum()).sum().backward()
        grads[library.__name__] = [t.detach().numpy() for t in (grad_a, grad_b, a.grad, b.grad)]
    for mine, theirs in zip(grads["minigrad"], grads["torch"], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


# --- 0-d results, saved versions, the engine's checks, grad mode per thread ---------------------


@pytest.mark.parametrize("numpy_returns_arrays", [True, False])
def test_zero_dimensional_results_are_arrays_that_numpy_and_in_place_ops_share(
        monkeypatch, numpy_returns_arrays):
    # With numpy >= 2.3 the backend asks ufuncs for arrays (out=...); with an older numpy
    # they return scalars (np.float32) and the tensor wraps them. Both must give arrays.
    if not numpy_returns_arrays:
        monkeypatch.setattr("minigrad.backend.cpu._ARRAY_RESULT", None)
    x = minigrad.tensor(1.5, requires_grad=True)
    scale = minigrad.tensor(2.0)
    for y in (x * scale, x + scale, x - scale, x / scale, x ** scale,
              minigrad.maximum(x, scale), minigrad.minimum(x, scale)):
        assert type(y._data) is np.ndarray and y._data.shape == () and y.dtype is minigrad.float32
    y = (x * scale).detach()
    y.numpy()[...] = 7.0  # numpy() shares the tensor's array, as in PyTorch
    assert y.item() == 7.0
    y.add_(1.0)
    assert y.item() == 8.0


def test_second_saved_tensor_changed_in_place_is_caught_with_its_own_version():
    class MulSavingBoth(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * a

    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0, 4.0])
    b.mul_(1.0)  # version 1 when saved: the check must compare with 1, not 0
    y = MulSavingBoth.apply(a, b).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    b.add_(1.0)  # now version 2
    with pytest.raises(RuntimeError, match="is at version 2; expected version 1"):
        y.backward()


def test_same_tensor_saved_twice_and_changed_in_place_is_caught():
    class SquareSavingTwice(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            first, second = ctx.saved_tensors
            return grad * (first + second)

    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = SquareSavingTwice.apply(x * 1.0)
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    x.grad = None
    z = x * 1.0
    w = SquareSavingTwice.apply(z)
    z.mul_(3.0)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        w.sum().backward()


def test_backward_returning_too_few_gradients_names_the_node():
    class DropsAGradient(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad  # two inputs want gradients, one is returned

    a = minigrad.tensor([1.0], requires_grad=True)
    b = minigrad.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="DropsAGradient.backward returned 1 gradients but "
                                           "forward took at least 2 inputs"):
        DropsAGradient.apply(a, b).sum().backward()


def test_second_backward_through_freed_buffers_names_the_node():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(minigrad.ones(2))
    with pytest.raises(RuntimeError, match="the Mul node's buffers were freed.*retain_graph=True"):
        y.backward(minigrad.ones(2))


def test_each_thread_starts_recording_whatever_another_thread_switched():
    import threading

    from minigrad.autograd.grad_mode import _GradMode

    results = {}

    def worker():
        # a fresh thread: recording on, no modules being called, its own switch
        results["enabled"] = minigrad.is_grad_enabled()
        results["stack"] = _GradMode.state.module_stack
        results["requires_grad"] = (minigrad.tensor([1.0], requires_grad=True) * 2).requires_grad
        with minigrad.no_grad():
            results["inner"] = minigrad.is_grad_enabled()

    with minigrad.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not minigrad.is_grad_enabled()  # the worker's no_grad exit did not touch ours
    assert results == {"enabled": True, "stack": (), "requires_grad": True, "inner": False}
    assert minigrad.is_grad_enabled()


# The arithmetic operators record their node through ``apply_binary``, a two-tensor form of
# ``Function.apply``; it must make the same node and rely only on what these ops guarantee.
BINARY_OPS = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow"}


@pytest.mark.parametrize("op", sorted(BINARY_OPS))
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True), (False, False)])
def test_operator_records_the_node_that_function_apply_records(op, needs):
    from minigrad.autograd.function import module_scope
    from minigrad.ops import elementwise

    function = getattr(elementwise, BINARY_OPS[op])
    rng = np.random.default_rng(5)
    a = minigrad.tensor(rng.uniform(0.5, 2.0, (2, 3)), dtype=minigrad.float64,
                        requires_grad=needs[0])
    b = minigrad.tensor(rng.uniform(0.5, 2.0, (2, 3)), dtype=minigrad.float64,
                        requires_grad=needs[1])
    a = a * 1.0 if needs[0] else a  # an input made by a node: its route leads to that node
    module = object()
    with module_scope(module):
        by_operator = getattr(elementwise, op)(a, b)
        by_apply = function.apply(a, b)
    np.testing.assert_array_equal(by_operator.numpy(), by_apply.numpy())
    assert by_operator.requires_grad == by_apply.requires_grad == any(needs)
    if not any(needs):
        assert by_operator.grad_fn is None and by_apply.grad_fn is None
        return
    node, reference = by_operator.grad_fn, by_apply.grad_fn
    assert type(node) is function
    assert node.needs_input_grad is reference.needs_input_grad  # the shared tuple
    assert [route[0] for route in node._routes] == [route[0] for route in reference._routes]
    assert all(x is y for route, other in zip(node._routes, reference._routes, strict=True)
               for x, y in zip(route[1:], other[1:], strict=True))
    assert node._arguments == reference._arguments == (a, b)
    assert node.module_stack == reference.module_stack == (module,)
    assert [t is None for t in node.saved_tensors] == [
        t is None for t in reference.saved_tensors]


@pytest.mark.parametrize("op", sorted(BINARY_OPS))
def test_operator_on_a_view_of_a_base_changed_in_place_matches_pytorch(op):
    """An operand that is a view sees its base's in-place history: the gradient reaches the
    tensor written into the base after the view was taken."""
    grads = {}
    for library in (torch, minigrad):
        weight = library.tensor([0.5, 1.5, 2.5], dtype=library.float64, requires_grad=True)
        other = library.tensor([1.25, 0.75], dtype=library.float64, requires_grad=True)
        base = library.ones(3, dtype=library.float64)
        view = base[1:]
        base.mul_(weight)  # the view now depends on weight
        result = getattr(library, op)(view, other)
        result.sum().backward()
        grads[library.__name__] = (result.detach().numpy(), weight.grad.numpy(),
                                   other.grad.numpy())
    for mine, theirs in zip(grads["minigrad"], grads["torch"], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


# ... and the elementwise functions through ``apply_unary``, its one-tensor form.
UNARY_OPS = {"neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs",
             "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _unary_function(op):
    from minigrad.ops import elementwise

    return getattr(elementwise, UNARY_OPS[op])


@pytest.mark.parametrize("op", sorted(UNARY_OPS))
@pytest.mark.parametrize("needs", [True, False])
def test_elementwise_function_records_the_node_that_function_apply_records(op, needs):
    from minigrad.autograd.function import module_scope

    function = _unary_function(op)
    a = minigrad.tensor(np.random.default_rng(6).uniform(0.5, 2.0, (2, 3)),
                        dtype=minigrad.float64, requires_grad=needs)
    a = a * 1.0 if needs else a
    module = object()
    with module_scope(module):
        by_method = getattr(a, op)()
        by_apply = function.apply(a)
    np.testing.assert_array_equal(by_method.numpy(), by_apply.numpy())
    assert by_method.requires_grad == by_apply.requires_grad == needs
    if not needs:
        assert by_method.grad_fn is None and by_apply.grad_fn is None
        return
    node, reference = by_method.grad_fn, by_apply.grad_fn
    assert type(node) is function
    assert node.needs_input_grad is reference.needs_input_grad == (True,)
    assert len(node._routes) == 1 and node._routes[0][0] == 0
    assert node._routes[0][1] is a and node._routes[0][2] is a.grad_fn
    assert node._arguments == reference._arguments == (a,)
    assert node.module_stack == reference.module_stack == (module,)


@pytest.mark.parametrize("name", sorted({*BINARY_OPS.values(), *UNARY_OPS.values(),
                                          "LogSigmoid"}))
def test_forward_records_nothing_and_returns_a_new_tensor(name):
    """What ``apply_binary`` and ``apply_unary`` rely on: these forwards only call the
    backend, so nothing inside them is recorded even with recording on, and the result is
    a new tensor that shares no memory with an input."""
    from minigrad.ops import elementwise

    function = getattr(elementwise, name)
    a = minigrad.tensor([[1.5, 2.0]], dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor([[0.5], [3.0]], dtype=minigrad.float64, requires_grad=True)
    inputs = (a, b) if name in BINARY_OPS.values() else (a,)
    ctx = function()
    ctx.needs_input_grad = (True,) * len(inputs)
    output = function.forward(ctx, *inputs)
    assert minigrad.is_grad_enabled()
    assert output.grad_fn is None and not output.requires_grad
    assert all(output is not tensor for tensor in inputs) and output._view is None
    for tensor in inputs:
        assert not np.shares_memory(output.numpy(), tensor.numpy())
    assert output.dtype is minigrad.float64


@pytest.mark.parametrize("op", sorted(UNARY_OPS))
def test_elementwise_function_of_a_view_of_a_base_changed_in_place_matches_pytorch(op):
    grads = {}
    for library in (torch, minigrad):
        weight = library.tensor([0.5, 1.5, 2.5], dtype=library.float64, requires_grad=True)
        base = library.ones(3, dtype=library.float64)
        view = base[1:]
        base.mul_(weight)
        result = getattr(view, op)()
        result.sum().backward()
        grads[library.__name__] = (result.detach().numpy(), weight.grad.numpy())
    for mine, theirs in zip(grads["minigrad"], grads["torch"], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
