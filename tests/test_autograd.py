"""The backward engine: accumulation, retained and freed graphs, no_grad, detach, hooks,
minigrad.grad with higher orders, custom Functions, deep graphs and clear errors."""

import math

import numpy as np
import pytest

import minigrad
from minigrad.testing import gradcheck, gradgradcheck


def leaf(values, dtype=minigrad.float64):
    return minigrad.tensor(values, dtype=dtype, requires_grad=True)


# --- the graph -------------------------------------------------------------------------------


def test_graph_records_op_names_and_ordered_inputs():
    x, w = leaf([[1.0, 2.0]]), leaf([[3.0], [4.0]])
    y = x @ w
    z = (y * 2.0 + y).sum()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf
    assert type(y.grad_fn).__name__ == "MatMul"
    assert y.grad_fn.inputs[0] is x and y.grad_fn.inputs[1] is w
    assert type(z.grad_fn).__name__ == "Sum"
    assert type(z.grad_fn.inputs[0].grad_fn).__name__ == "Add"


def test_results_of_tensors_without_grad_do_not_require_grad():
    x = minigrad.tensor([1.0, 2.0])
    y = (x * 3).exp()
    assert not y.requires_grad and y.grad_fn is None
    assert (y + leaf([1.0, 1.0], dtype=minigrad.float32)).requires_grad


def test_requires_grad_underscore_turns_a_leaf_on():
    x = minigrad.tensor([1.0, 2.0]).requires_grad_()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


# --- accumulation and retained graphs ----------------------------------------------------------


def test_gradient_of_a_reused_tensor_is_the_sum_of_its_uses():
    x = leaf([3.0])
    y = x * x + x  # dy/dx = 2x + 1 = 7: both uses of x contribute
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0])


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, -2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])
    x.grad.zero_()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0])


def test_diamond_graph_intermediate_gradient_is_not_doubled():
    # a feeds b and c, which both feed d: a's gradient must be pushed once, after both
    # b and c have contributed (topological order), not once per path.
    x = leaf([2.0])
    a = x * 3
    b, c = a.exp(), a * a
    (b + c).backward()
    expected = 3 * (math.exp(6.0) + 2 * 6.0)
    np.testing.assert_allclose(x.grad.numpy(), [expected])


def test_retain_graph_allows_a_second_backward():
    x = leaf([0.5, 1.5])
    z = x.exp().sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.5]))


def test_backward_through_a_freed_graph_raises():
    x = leaf([0.5, 1.5])
    z = x.exp().sum()
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        z.backward()


def test_backward_with_explicit_gradient_for_non_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    y.backward(gradient=minigrad.tensor([[1.0, 0.0], [0.5, 2.0]], dtype=minigrad.float64))
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 0.0], [3.0, 16.0]])


def test_backward_on_non_scalar_without_gradient_raises_naming_the_shape():
    x = leaf(np.ones((2, 3)))
    with pytest.raises((RuntimeError, ValueError), match=r"2, 3"):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_raises_naming_both_shapes():
    x = leaf(np.ones((2, 3)))
    with pytest.raises((RuntimeError, ValueError), match=r"(?s)(2, 3.*3, 2|3, 2.*2, 3)"):
        (x * 2).backward(gradient=minigrad.ones(3, 2, dtype=minigrad.float64))


def test_deep_chain_backpropagates_without_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**20_000], rtol=1e-9)


def test_deep_chain_of_mixed_ops():
    x = leaf([0.8])
    y = x
    for _ in range(5_000):  # 20,000 ops: mul, sub, exp, log
        y = (y * 1.0001 - 0.0001).exp().log()
    y.backward()
    value = 0.8
    for _ in range(5_000):
        value = math.log(math.exp(value * 1.0001 - 0.0001))
    # d log(exp(u)) / du = 1, so each step contributes only the factor 1.0001.
    np.testing.assert_allclose(y.numpy(), [value], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**5_000], rtol=1e-9)


# --- no_grad and detach ------------------------------------------------------------------------


def test_no_grad_builds_no_graph_and_restores_afterwards():
    x = leaf([1.0, 2.0])
    with minigrad.no_grad():
        y = x * 2
        with minigrad.no_grad():
            pass
        w = y + x  # still inside the outer no_grad after the inner one exits
    assert not y.requires_grad and y.grad_fn is None
    assert not w.requires_grad
    assert (x * 2).requires_grad


def test_no_grad_restores_grad_mode_after_an_exception():
    x = leaf([1.0])
    with pytest.raises(ZeroDivisionError), minigrad.no_grad():
        raise ZeroDivisionError
    assert (x * 2).requires_grad


def test_detach_shares_values_and_stops_gradient():
    x = leaf([1.0, 3.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), x.numpy())
    (x * x.detach()).sum().backward()  # x.detach() is a constant: d/dx = x, not 2x
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 3.0])


def test_in_place_update_under_no_grad_keeps_the_leaf():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    with minigrad.no_grad():
        x.sub_(x.grad * 0.25)
    np.testing.assert_allclose(x.numpy(), [0.5, 1.0])
    assert x.is_leaf and x.requires_grad


def test_assigning_data_replaces_values_without_graph():
    x = leaf([1.0, 2.0])
    x.data = minigrad.tensor([5.0, 6.0], dtype=minigrad.float64)
    np.testing.assert_array_equal(x.numpy(), [5.0, 6.0])
    assert x.is_leaf and x.requires_grad


# --- hooks ---------------------------------------------------------------------------------


def test_hook_on_intermediate_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda grad: grad * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_hook_on_leaf_sees_the_gradient_and_none_leaves_it_unchanged():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda grad: seen.append(grad.numpy().copy()))
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_hook_on_leaf_used_twice_transforms_the_total_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda grad: grad.clamp(max=1.5))
    (x * x).sum().backward()  # total gradient 2x = [2, 4], clamped to [1.5, 1.5]
    np.testing.assert_allclose(x.grad.numpy(), [1.5, 1.5])


# --- minigrad.grad ---------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gy = minigrad.grad((x * y).sum(), [x, y])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, 2.0])
    assert x.grad is None and y.grad is None


def test_grad_with_grad_outputs_for_non_scalar_output():
    x = leaf([1.0, 2.0])
    (gx,) = minigrad.grad(x * x, x, grad_outputs=minigrad.tensor([1.0, -1.0],
                                                                   dtype=minigrad.float64))
    np.testing.assert_allclose(gx.numpy(), [2.0, -4.0])


def test_grad_with_respect_to_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = minigrad.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])  # 2h
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])  # 2h * 3


def test_create_graph_gives_second_and_third_derivatives():
    x = leaf([0.5, 2.0])
    y = (x**3).sum()
    (first,) = minigrad.grad(y, x, create_graph=True)
    np.testing.assert_allclose(first.numpy(), 3 * np.array([0.5, 2.0]) ** 2)
    assert first.requires_grad
    (second,) = minigrad.grad(first.sum(), x, create_graph=True)
    np.testing.assert_allclose(second.numpy(), 6 * np.array([0.5, 2.0]))
    (third,) = minigrad.grad(second.sum(), x)
    np.testing.assert_allclose(third.numpy(), [6.0, 6.0])


def test_create_graph_through_non_leaf_input():
    x = leaf([1.5])
    h = x.tanh()
    y = h**3
    (gh,) = minigrad.grad(y, h, create_graph=True)  # 3h^2, still a function of x
    gh.backward()
    expected = 6 * math.tanh(1.5) * (1 - math.tanh(1.5) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), [expected])


def test_backward_with_create_graph_makes_grad_differentiable():
    x = leaf([2.0])
    (x**4).backward(create_graph=True)
    assert x.grad.requires_grad
    (second,) = minigrad.grad(x.grad, x)
    np.testing.assert_allclose(second.numpy(), [12 * 4.0])


def test_grad_of_an_input_not_in_the_graph_raises():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises((RuntimeError, ValueError)):
        minigrad.grad((x * 2).sum(), [x, unused])


def test_grad_of_output_that_does_not_require_grad_raises():
    x = minigrad.tensor([1.0])
    with pytest.raises((RuntimeError, ValueError)):
        minigrad.grad((x * 2).sum(), x)


# --- custom Functions ------------------------------------------------------------------------


class Cube(minigrad.autograd.Function):
    """x^3, with d/dx = 3x^2 written in Tensor ops so it is differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x * x


class ScaledSoftplus(minigrad.autograd.Function):
    """scale * log(1 + e^x), with a plain Python argument that gets no gradient."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        result = (x.exp() + 1).log() * scale
        ctx.save_for_backward(x)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid() * ctx.scale, None


def test_custom_function_forward_backward_and_graph():
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    assert type(y.grad_fn).__name__ == "Cube"
    np.testing.assert_allclose(y.numpy(), [1.0, -8.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_custom_function_passes_gradcheck_and_second_order():
    x = leaf(np.linspace(-1.0, 1.0, 5))
    assert gradcheck(Cube.apply, x)
    assert gradgradcheck(Cube.apply, x)


def test_custom_function_with_python_argument():
    x = leaf([0.3, -1.2, 2.0])
    assert gradcheck(lambda x: ScaledSoftplus.apply(x, 2.5), x)
    assert gradgradcheck(lambda x: ScaledSoftplus.apply(x, 2.5), x)


def test_custom_function_needs_input_grad():
    recorded = []

    class Record(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad_output):
            recorded.append(tuple(ctx.needs_input_grad))
            return None, grad_output

    a, b = minigrad.tensor([1.0]), leaf([2.0], dtype=minigrad.float32)
    Record.apply(a, b).sum().backward()
    assert recorded == [(False, True)]
    np.testing.assert_allclose(b.grad.numpy(), [1.0])


def test_custom_function_output_under_no_grad_has_no_graph():
    x = leaf([1.0])
    with minigrad.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None


# --- bad input -------------------------------------------------------------------------------


def test_mixing_float_dtypes_promotes_like_pytorch_except_in_matmul():
    a = minigrad.ones(2, dtype=minigrad.float32)
    b = minigrad.ones(2, dtype=minigrad.float64)
    assert (a + b).dtype is minigrad.float64
    assert (a * minigrad.tensor(2.0, dtype=minigrad.float64)).dtype is minigrad.float32
    with pytest.raises(TypeError, match=r"(?s)(float32.*float64|float64.*float32)"):
        minigrad.ones(2, 2, dtype=minigrad.float32) @ minigrad.ones(2, 2, dtype=minigrad.float64)


def test_python_scalars_keep_the_tensor_dtype():
    x = minigrad.ones(3, dtype=minigrad.float32)
    assert (x * 2.5).dtype == minigrad.float32
    assert (1 - x).dtype == minigrad.float32
    assert (x**2).dtype == minigrad.float32


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"(?s)\(2, 3\).*\(4, 5\)"):
        minigrad.ones(2, 3) @ minigrad.ones(4, 5)


def test_batched_matmul_batch_mismatch_names_the_batch_shapes():
    with pytest.raises(ValueError, match=r"(?s)matmul.*\(2,\).*\(3,\)"):
        minigrad.ones(2, 3, 4) @ minigrad.ones(3, 4, 5)


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"(?s)\(2, 3\).*\(4,\)"):
        minigrad.ones(2, 3) + minigrad.ones(4)


def test_cat_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"(?s)(\(2, 3\).*\(2, 4\)|\(2, 4\).*\(2, 3\))"):
        minigrad.cat([minigrad.ones(2, 3), minigrad.ones(2, 4)], dim=0)


def test_integer_tensor_cannot_require_grad():
    with pytest.raises((TypeError, RuntimeError, ValueError), match="int64"):
        minigrad.tensor([1, 2], requires_grad=True)
