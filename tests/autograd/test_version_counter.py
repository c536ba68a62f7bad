"""Version counters: a tensor saved for backward and then changed in place makes backward
raise PyTorch's error instead of returning a silently wrong gradient. Every case runs on
minigrad and on PyTorch, which must agree (both raise, or both give the same gradient)."""

import numpy as np
import pytest
import torch

import minigrad

INPLACE_ERROR = ("one of the variables needed for gradient computation has been modified by "
                 "an inplace operation")


def _run(scenario):
    """Run ``scenario(backend)`` on both libraries: the error message, or the gradients."""
    outcomes = {}
    for backend in (torch, minigrad):
        try:
            outcomes[backend.__name__] = [g.numpy().copy() for g in scenario(backend)]
        except RuntimeError as error:
            outcomes[backend.__name__] = str(error)
    return outcomes["minigrad"], outcomes["torch"]


def _assert_both_raise(scenario, *fragments):
    got, expected = _run(scenario)
    assert isinstance(expected, str), "PyTorch should raise here"
    assert isinstance(got, str), f"minigrad returned gradients {got} instead of raising"
    assert INPLACE_ERROR in got
    for fragment in fragments:
        assert fragment in got and fragment.replace("minigrad", "torch") in expected


def _assert_same_gradients(scenario):
    got, expected = _run(scenario)
    assert not isinstance(expected, str), expected
    assert not isinstance(got, str), got
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4)  # float32 kernels differ slightly


# --- the cases of the bug report ---------------------------------------------------------------


def test_input_multiplied_in_place_after_forward():
    def scenario(backend):
        a = backend.tensor([1.0, 2.0])
        w = backend.tensor([3.0, 4.0], requires_grad=True)
        y = (a * w).sum()
        a.mul_(10)
        y.backward()
        return [w.grad]

    _assert_both_raise(scenario, "[minigrad.FloatTensor [2]] is at version 1; expected version 0")


def _two_layer_loss_updated_before_backward(backend, update):
    w1 = backend.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    w2 = backend.tensor([[0.3], [-0.7]], requires_grad=True)
    x = backend.tensor([[1.0, 2.0]])
    loss = ((x @ w1).tanh() @ w2).sum()
    with backend.no_grad():
        update(w1, w2)
    loss.backward()
    return [w1.grad, w2.grad]


def test_parameter_saved_for_backward_updated_between_forward_and_backward():
    # w2's backward reads w2 (to pass the gradient down to the hidden layer): refused.
    def scenario(backend):
        return _two_layer_loss_updated_before_backward(backend, lambda w1, w2: w2.sub_(0.1))

    _assert_both_raise(scenario, "[minigrad.FloatTensor [2, 1]] is at version 1")


def test_parameter_not_read_by_backward_may_change_as_in_pytorch():
    # The first layer's gradient reads only x, never w1, so PyTorch allows changing w1.
    def scenario(backend):
        return _two_layer_loss_updated_before_backward(backend, lambda w1, w2: w1.sub_(0.1))

    _assert_same_gradients(scenario)


def test_optimizer_step_between_forward_and_backward():
    def scenario(backend):
        w = backend.tensor([1.0, -2.0], requires_grad=True)
        optimizer = backend.optim.SGD([w], lr=0.1)
        w.grad = backend.ones(2)
        loss = (w * w).sum()
        optimizer.step()
        loss.backward()
        return [w.grad]

    _assert_both_raise(scenario, "is at version 1; expected version 0")


def test_intermediate_changed_in_place():
    def scenario(backend):
        w = backend.tensor([1.0, 2.0], requires_grad=True)
        h = w * 2
        y = (h * h).sum()
        h.add_(1)
        y.backward()
        return [w.grad]

    _assert_both_raise(scenario, "[minigrad.FloatTensor [2]], which is output 0 of")


def test_fill_under_no_grad_on_a_saved_input():
    def scenario(backend):
        x = backend.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        with backend.no_grad():
            x.fill_(5.0)
        y.backward()
        return [x.grad]

    _assert_both_raise(scenario, "is at version 1; expected version 0")


# --- every kind of in-place write is seen --------------------------------------------------------

WRITES = {
    "setitem": lambda t: t.__setitem__(0, 7.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "imul": lambda t: t.__imul__(2.0),
    "zero_": lambda t: t.zero_(),
    "copy_": lambda t: t.copy_(t * 3),
    "clamp_": lambda t: t.clamp_(0.0, 1.5),
    "through_a_slice": lambda t: t[1:].mul_(2.0),
    "through_a_view": lambda t: t.view(2, 1).add_(1.0),
    "through_a_transpose_of_a_view": lambda t: t.view(1, 2).t()[0].add_(1.0),
    "through_detach": lambda t: t.detach().add_(1.0),
}


@pytest.mark.parametrize("name", WRITES)
def test_any_inplace_write_to_a_saved_tensor_is_detected(name):
    def scenario(backend):
        w = backend.tensor([1.0, 2.0], requires_grad=True)
        a = backend.tensor([3.0, 4.0])
        y = (a * w).sum()
        with backend.no_grad():
            WRITES[name](a)
        y.backward()
        return [w.grad]

    _assert_both_raise(scenario, "is at version")


def test_write_through_data_is_not_seen_as_in_pytorch():
    # PyTorch does not track writes through .data (that is what .data is for); follow it.
    def scenario(backend):
        w = backend.tensor([1.0, 2.0], requires_grad=True)
        a = backend.tensor([3.0, 4.0])
        y = (a * w).sum()
        a.data.mul_(10)
        y.backward()
        return [w.grad]

    _assert_same_gradients(scenario)


def test_changed_index_tensor_is_detected():
    def scenario(backend):
        x = backend.tensor([1.0, 2.0, 3.0], requires_grad=True)
        index = backend.tensor([0, 1])
        y = (x[index] * backend.tensor([1.0, 10.0])).sum()
        index[1] = 2
        y.backward()
        return [x.grad]

    _assert_both_raise(scenario, "[minigrad.LongTensor [2]] is at version 1")


def test_custom_function_saved_tensor_is_checked():
    class Cube(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1
    y = Cube.apply(h).sum()
    h.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[2\]\], which is output 0 of .*version 1"):
        y.backward()


# --- what stays allowed ----------------------------------------------------------------------


def test_change_after_backward_is_fine_and_retain_graph_sees_it():
    def scenario(backend):
        w = backend.tensor([1.0, 2.0], requires_grad=True)
        a = backend.tensor([3.0, 4.0])
        y = (a * w).sum()
        y.backward(retain_graph=True)
        first = w.grad.clone()
        a.add_(1)
        try:
            y.backward()
        except RuntimeError:
            return [first]
        raise AssertionError("the second backward should see the change")

    _assert_same_gradients(scenario)


def test_changing_an_unsaved_tensor_is_allowed():
    def scenario(backend):
        w = backend.tensor([1.0, 2.0], requires_grad=True)
        a = backend.tensor([3.0, 4.0])
        y = (a + w).sum() + (w * backend.tensor([2.0, 2.0])).sum()
        a.mul_(7)                  # Add saved nothing
        y.backward()
        return [w.grad]

    _assert_same_gradients(scenario)


def test_inplace_on_the_output_of_an_op_that_does_not_save_it():
    def scenario(backend):
        x = backend.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = backend.tensor([2.0, 3.0, 4.0], requires_grad=True)
        h = x * w
        h.add_(1).mul_(w)          # mul_ by w: its backward needs h's old value
        (h * h).sum().backward()
        return [x.grad, w.grad]

    _assert_same_gradients(scenario)


def test_version_is_shared_by_views_and_detach_but_not_data():
    for backend in (torch, minigrad):
        x = backend.zeros(2, 3)
        row, flat, detached, data = x[0], x.view(-1), x.detach(), x.data
        row.add_(1)
        flat[0] = 2.0
        detached.mul_(2)
        assert x._version == row._version == flat._version == detached._version == 3
        data.add_(1)
        assert x._version == 3
    np.testing.assert_array_equal(x.numpy(), [[5, 3, 3], [1, 1, 1]])


def test_copy_from_reshape_of_a_permuted_tensor_is_not_a_view():
    # numpy copies when reshaping a non-contiguous array; the copy has its own version.
    x = minigrad.zeros(2, 3)
    flat = x.t().reshape(-1)
    flat.add_(1)
    assert x._version == 0 and x.t()._version == 0
    assert x.numpy().sum() == 0


def test_class_indices_changed_before_cross_entropy_backward():
    def scenario(backend):
        logits = backend.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]], requires_grad=True)
        target = backend.tensor([1, 2])
        loss = backend.nn.functional.cross_entropy(logits, target)
        target[0] = 0
        loss.backward()
        return [logits.grad]

    got, expected = _run(scenario)
    assert isinstance(expected, str) and INPLACE_ERROR in expected
    assert isinstance(got, str) and INPLACE_ERROR in got


def test_save_for_backward_refuses_what_is_not_a_tensor():
    class Scale(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.save_for_backward(x, factor)
            return x * factor

    with pytest.raises(TypeError, match="argument 1 is of type float"):
        Scale.apply(minigrad.ones(2, requires_grad=True), 2.0)
