"""Every Tensor op of the public API against PyTorch: forward values, shape, dtype and every
input gradient, in float64 (tight) and float32 (stated tolerance). One line per op."""

import numpy as np
import pytest
import torch
from helpers import helper_test_op

import minigrad

POSITIVE = {"low": 0.5, "high": 2.0}
AWAY_FROM_ZERO = {"vals": [np.array([[-1.5, -0.7, 0.3], [0.9, -0.2, 1.8]])]}


def case(name, shapes, minigrad_fn, torch_fn=None, **options):
    return pytest.param(shapes, minigrad_fn, torch_fn, options, id=name)


ARITHMETIC = [
    case("add", [(3, 4), (3, 4)], lambda x, y: x + y),
    case("add_broadcast_row", [(3, 4), (4,)], lambda x, y: x + y),
    case("add_broadcast_both", [(2, 1, 4), (3, 1)], lambda x, y: x + y),
    case("add_scalar_right", [(3, 4)], lambda x: x + 2.5),
    case("add_scalar_left", [(3, 4)], lambda x: 2.5 + x),
    case("add_int_scalar", [(3, 4)], lambda x: x + 2),
    case("sub", [(3, 4), (3, 4)], lambda x, y: x - y),
    case("sub_broadcast", [(3, 1), (1, 4)], lambda x, y: x - y),
    case("sub_scalar_right", [(3, 4)], lambda x: x - 1.5),
    case("sub_scalar_left", [(3, 4)], lambda x: 1.5 - x),
    case("mul", [(3, 4), (3, 4)], lambda x, y: x * y),
    case("mul_broadcast", [(2, 3, 4), (3, 1)], lambda x, y: x * y),
    case("mul_scalar_right", [(3, 4)], lambda x: x * -3.0),
    case("mul_scalar_left", [(3, 4)], lambda x: -3.0 * x),
    case("div", [(3, 4), (3, 4)], lambda x, y: x / y, **POSITIVE),
    case("div_broadcast", [(3, 4), (4,)], lambda x, y: x / y, **POSITIVE),
    case("div_scalar_right", [(3, 4)], lambda x: x / 4.0),
    case("div_scalar_left", [(3, 4)], lambda x: 4.0 / x, **POSITIVE),
    case("pow_scalar", [(3, 4)], lambda x: x**3),
    case("pow_fractional", [(3, 4)], lambda x: x**0.5, **POSITIVE),
    case("pow_negative", [(3, 4)], lambda x: x**-2, **POSITIVE),
    case("pow_scalar_base", [(3, 4)], lambda x: 2.0**x),
    case("pow_tensor", [(3, 4), (3, 4)], lambda x, y: x**y, **POSITIVE),
    case("pow_tensor_broadcast", [(3, 4), (4,)], lambda x, y: x**y, **POSITIVE),
    case("neg", [(3, 4)], lambda x: -x),
    case("chain", [(3, 4), (4,)], lambda x, y: (x * y - x / (1 + y * y)) * 2 + 1),
]

COMPARISONS = [
    case("lt", [(3, 4), (3, 4)], lambda x, y: x < y),
    case("le_scalar", [(3, 4)], lambda x: x <= 0.5),
    case("gt_broadcast", [(3, 4), (4,)], lambda x, y: x > y),
    case("ge", [(3, 4), (3, 4)], lambda x, y: x >= y),
    case("eq", None, lambda x, y: x == y,
         vals=[np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]),
    case("ne", None, lambda x, y: x != y,
         vals=[np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]),
]

ELEMENTWISE = [
    case("exp", [(3, 4)], lambda x: x.exp()),
    case("log", [(3, 4)], lambda x: x.log(), **POSITIVE),
    case("sqrt", [(3, 4)], lambda x: x.sqrt(), **POSITIVE),
    case("abs", None, lambda x: x.abs(), **AWAY_FROM_ZERO),
    case("relu", None, lambda x: x.relu(), **AWAY_FROM_ZERO),
    case("sigmoid", [(3, 4)], lambda x: x.sigmoid()),
    case("sigmoid_large", None, lambda x: x.sigmoid(),
         vals=[np.array([-800.0, -30.0, 0.0, 30.0, 800.0])]),
    case("tanh", [(3, 4)], lambda x: x.tanh()),
    case("clamp", [(3, 4)], lambda x: x.clamp(-0.5, 0.7)),
    case("clamp_min", [(3, 4)], lambda x: x.clamp(min=0.1)),
    case("clamp_max", [(3, 4)], lambda x: x.clamp(max=-0.1)),
    case("maximum", [(3, 4), (3, 4)], lambda x, y: x.maximum(y)),
    case("minimum_broadcast", [(3, 4), (4,)], lambda x, y: x.minimum(y)),
    case("maximum_function", [(3, 4), (3, 1)], lambda x, y: minigrad.maximum(x, y),
         lambda x, y: torch.maximum(x, y)),
    case("minimum_function", [(3, 4), (3, 4)], lambda x, y: minigrad.minimum(x, y),
         lambda x, y: torch.minimum(x, y)),
    case("where", [(3, 4), (3, 4)], lambda x, y: minigrad.where(x > y, x, y * 2),
         lambda x, y: torch.where(x > y, x, y * 2)),
    case("where_broadcast", [(3, 4), (4,)], lambda x, y: minigrad.where(y > 0, x, y),
         lambda x, y: torch.where(y > 0, x, y)),
]

REDUCTIONS = [
    case("sum", [(3, 4)], lambda x: x.sum()),
    case("sum_dim", [(3, 4)], lambda x: x.sum(dim=1)),
    case("sum_negative_dim", [(2, 3, 4)], lambda x: x.sum(dim=-2)),
    case("sum_tuple_keepdim", [(2, 3, 4)], lambda x: x.sum(dim=(0, 2), keepdim=True)),
    case("sum_positional_dim", [(2, 3, 4)], lambda x: x.sum(1)),
    case("mean", [(3, 4)], lambda x: x.mean()),
    case("mean_dim", [(2, 3, 4)], lambda x: x.mean(dim=0)),
    case("mean_tuple_keepdim", [(2, 3, 4)], lambda x: x.mean(dim=(1, 2), keepdim=True)),
    case("max", [(3, 4)], lambda x: x.max()),
    case("max_dim", [(3, 4)], lambda x: x.max(dim=1)[0]),
    case("max_dim_indices", [(3, 4)], lambda x: x.max(dim=0)[1], forward_only=True),
    case("max_dim_keepdim", [(2, 3, 4)], lambda x: x.max(dim=-1, keepdim=True)[0]),
    case("min", [(3, 4)], lambda x: x.min()),
    case("min_dim", [(3, 4)], lambda x: x.min(dim=0)[0]),
    case("min_dim_keepdim", [(2, 3, 4)], lambda x: x.min(dim=1, keepdim=True)[0]),
    case("var", [(3, 4)], lambda x: x.var()),
    case("var_dim", [(3, 4)], lambda x: x.var(dim=1)),
    case("var_tuple_keepdim", [(2, 3, 4)], lambda x: x.var(dim=(0, 2), keepdim=True)),
    case("std", [(3, 4)], lambda x: x.std()),
    case("std_dim_keepdim", [(3, 4)], lambda x: x.std(dim=0, keepdim=True)),
    case("argmax", [(3, 4)], lambda x: x.argmax(), forward_only=True),
    case("argmax_dim", [(3, 4)], lambda x: x.argmax(dim=1), forward_only=True),
    case("argmax_keepdim", [(2, 3, 4)], lambda x: x.argmax(dim=-1, keepdim=True),
         forward_only=True),
]

SHAPE = [
    case("reshape", [(3, 4)], lambda x: x.reshape(2, 6)),
    case("reshape_tuple_infer", [(3, 4)], lambda x: x.reshape((4, -1))),
    case("view", [(2, 3, 4)], lambda x: x.view(6, 4)),
    case("view_infer", [(2, 3, 4)], lambda x: x.view(-1)),
    case("flatten", [(2, 3, 4)], lambda x: x.flatten()),
    case("flatten_start", [(2, 3, 4)], lambda x: x.flatten(1)),
    case("transpose", [(2, 3, 4)], lambda x: x.transpose(0, 2)),
    case("transpose_negative", [(2, 3, 4)], lambda x: x.transpose(-1, -2)),
    case("permute", [(2, 3, 4)], lambda x: x.permute(2, 0, 1)),
    case("T", [(3, 4)], lambda x: x.T),
    case("squeeze", [(1, 3, 1, 4)], lambda x: x.squeeze()),
    case("squeeze_dim", [(1, 3, 1, 4)], lambda x: x.squeeze(2)),
    case("unsqueeze", [(3, 4)], lambda x: x.unsqueeze(0)),
    case("unsqueeze_negative", [(3, 4)], lambda x: x.unsqueeze(-1)),
    case("expand", [(1, 4)], lambda x: x.expand(3, 4)),
    case("expand_new_dims", [(3, 1)], lambda x: x.expand(2, 3, 4)),
    case("expand_keep", [(3, 1)], lambda x: x.expand(-1, 5)),
    case("cat", [(2, 3), (4, 3)], lambda x, y: minigrad.cat([x, y]),
         lambda x, y: torch.cat([x, y])),
    case("cat_dim", [(2, 3), (2, 1), (2, 2)], lambda x, y, z: minigrad.cat((x, y, z), dim=1),
         lambda x, y, z: torch.cat((x, y, z), dim=1)),
    case("cat_negative_dim", [(2, 3), (2, 2)], lambda x, y: minigrad.cat([x, y], dim=-1),
         lambda x, y: torch.cat([x, y], dim=-1)),
    case("stack", [(2, 3), (2, 3)], lambda x, y: minigrad.stack([x, y]),
         lambda x, y: torch.stack([x, y])),
    case("stack_dim", [(2, 3), (2, 3), (2, 3)], lambda x, y, z: minigrad.stack([x, y, z], dim=2),
         lambda x, y, z: torch.stack([x, y, z], dim=2)),
    case("stack_negative_dim", [(2, 3), (2, 3)], lambda x, y: minigrad.stack([x, y], dim=-2),
         lambda x, y: torch.stack([x, y], dim=-2)),
]

INDEXING = [
    case("int", [(3, 4)], lambda x: x[1]),
    case("negative_int", [(3, 4)], lambda x: x[-1]),
    case("two_ints", [(3, 4)], lambda x: x[1, 2]),
    case("slice", [(5, 4)], lambda x: x[1:4]),
    case("slice_step", [(6, 4)], lambda x: x[::2, 1:]),
    case("slice_negative", [(5, 4)], lambda x: x[-3:, :-1]),
    case("ellipsis", [(2, 3, 4)], lambda x: x[..., 0]),
    case("none", [(3, 4)], lambda x: x[None, :, None]),
    case("list_repeated", [(4, 3)], lambda x: x[[0, 2, 0, 0]]),
    case("tensor_repeated", [(4, 3)], lambda x: x[minigrad.tensor([3, 1, 3])],
         lambda x: x[torch.tensor([3, 1, 3])]),
    case("tensor_2d_repeated", [(4, 3)], lambda x: x[minigrad.tensor([[0, 1], [1, 1]])],
         lambda x: x[torch.tensor([[0, 1], [1, 1]])]),
    case("two_lists", [(4, 3)], lambda x: x[[0, 2, 0], [1, 1, 1]]),
    case("slice_and_list", [(4, 3)], lambda x: x[1:, [2, 0, 2]]),
    case("bool_mask", [(3, 4)], lambda x: x[x > 0]),
]

MATMUL = [
    case("matmul", [(3, 4), (4, 5)], lambda x, y: x @ y),
    case("matmul_method", [(3, 4), (4, 2)], lambda x, y: x.matmul(y)),
    case("matmul_function", [(3, 4), (4, 2)], lambda x, y: minigrad.matmul(x, y),
         lambda x, y: torch.matmul(x, y)),
    case("batched", [(2, 3, 4), (2, 4, 5)], lambda x, y: x @ y),
    case("batched_broadcast_right", [(2, 3, 4), (4, 5)], lambda x, y: x @ y),
    case("batched_broadcast_left", [(3, 4), (2, 4, 5)], lambda x, y: x @ y),
    case("batched_broadcast_batch", [(2, 1, 3, 4), (3, 4, 2)], lambda x, y: x @ y),
    case("vector_vector", [(4,), (4,)], lambda x, y: x @ y),
    case("vector_matrix", [(4,), (4, 5)], lambda x, y: x @ y),
    case("matrix_vector", [(3, 4), (4,)], lambda x, y: x @ y),
    case("batched_vector", [(2, 3, 4), (4,)], lambda x, y: x @ y),
    case("vector_batched", [(4,), (2, 4, 3)], lambda x, y: x @ y),
    case("linear_layer", [(5, 4), (3, 4), (3,)], lambda x, w, b: (x @ w.T + b).relu().sum(1)),
]


@pytest.mark.parametrize("shapes, minigrad_fn, torch_fn, options",
                         ARITHMETIC + COMPARISONS + ELEMENTWISE)
def test_elementwise(shapes, minigrad_fn, torch_fn, options):
    helper_test_op(shapes, minigrad_fn, torch_fn, **options)


@pytest.mark.parametrize("shapes, minigrad_fn, torch_fn, options", REDUCTIONS)
def test_reduction(shapes, minigrad_fn, torch_fn, options):
    helper_test_op(shapes, minigrad_fn, torch_fn, **options)


@pytest.mark.parametrize("shapes, minigrad_fn, torch_fn, options", SHAPE)
def test_shape(shapes, minigrad_fn, torch_fn, options):
    helper_test_op(shapes, minigrad_fn, torch_fn, **options)


@pytest.mark.parametrize("shapes, minigrad_fn, torch_fn, options", INDEXING)
def test_indexing(shapes, minigrad_fn, torch_fn, options):
    helper_test_op(shapes, minigrad_fn, torch_fn, **options)


@pytest.mark.parametrize("shapes, minigrad_fn, torch_fn, options", MATMUL)
def test_matmul(shapes, minigrad_fn, torch_fn, options):
    helper_test_op(shapes, minigrad_fn, torch_fn, **options)


def test_repeated_index_gradient_adds_up():
    # x[[0, 0, 0]] uses row 0 three times, so d sum / d x[0] = 3 (a scatter-add), not 1.
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x[[0, 0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 3.0], [0.0, 0.0]])


def test_comparisons_return_bool_tensors_without_grad():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    result = x > 1.5
    assert result.dtype == minigrad.bool_
    assert not result.requires_grad
    assert result.tolist() == [False, True, True]


def test_argmax_returns_int64_first_maximum():
    x = minigrad.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    indices = x.argmax(dim=1)
    assert indices.dtype == minigrad.int64
    assert indices.tolist() == [1, 0]
