"""prod, cumsum, sort, argsort, topk, unique, diag and einsum against PyTorch (values,
indices, dtypes and gradients, float64 and float32, over random shapes) and by finite
differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.testing import gradcheck
from tests.helpers import helper_test_op

FEW = settings(max_examples=8, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**16)


def library(x):
    return torch if isinstance(x, torch.Tensor) else minigrad


def distinct_values(shape, seed):
    """Random values without ties (the order of ties is PyTorch's to choose)."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.3).astype(np.float64)


@FEW
@given(shape=shapes, seed=seeds, keepdim=st.booleans(), data=st.data())
def test_prod_matches_torch(shape, seed, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    helper_test_op([shape], lambda x: x.prod(), seed=seed, low=0.5, high=1.5)
    helper_test_op([shape], lambda x: library(x).prod(x, dim, keepdim=keepdim), seed=seed)


def test_prod_gradient_with_zeros_matches_torch():
    # one zero in a line: only the zero gets a gradient (the product of the others);
    # two zeros: no element does
    values = [[2.0, 0.0, 3.0], [0.0, 4.0, 0.0], [1.5, -2.0, 0.5]]
    helper_test_op(None, lambda x: x.prod(1), vals=[values])
    helper_test_op(None, lambda x: x.prod(), vals=[values])
    helper_test_op(None, lambda x: x.prod(0, keepdim=True), vals=[values])


def test_prod_of_integers_and_bools_is_int64():
    assert minigrad.tensor([[1, 2], [3, 4]]).prod(1).tolist() == [2, 12]
    assert minigrad.tensor([True, False]).prod().dtype is minigrad.int64
    assert minigrad.prod(minigrad.tensor([2, 3]), dtype=minigrad.float64).dtype is minigrad.float64
    assert minigrad.ones(2, 0).prod(1).tolist() == [1.0, 1.0]


def test_prod_second_derivative():
    x = np.random.default_rng(3).uniform(0.5, 2.0, size=(2, 3))
    minigrad.testing.gradgradcheck(lambda t: t.prod(1), [x])


def test_prod_second_derivative_through_zeros_says_it_is_not_implemented():
    x = minigrad.tensor([0.0, 2.0, 3.0], dtype=minigrad.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="second derivative"):
        minigrad.grad(x.prod(), x, create_graph=True)


def test_prod_rejects_a_tuple_of_dims_like_torch():
    with pytest.raises(TypeError, match="one dimension"):
        minigrad.ones(2, 3).prod((0, 1))


@FEW
@given(shape=shapes, seed=seeds, data=st.data())
def test_cumsum_matches_torch(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    helper_test_op([shape], lambda x: x.cumsum(dim), seed=seed)
    helper_test_op([shape], lambda x: library(x).cumsum(x, dim=dim) ** 2, seed=seed)


def test_cumsum_of_integers_bools_and_numbers():
    assert minigrad.tensor([1, 2, 3]).cumsum(0).tolist() == [1, 3, 6]
    assert minigrad.tensor([True, True, False]).cumsum(0).dtype is minigrad.int64
    assert minigrad.tensor(2.5).cumsum(0).item() == 2.5
    assert minigrad.cumsum(minigrad.tensor([1, 2]), 0, dtype=minigrad.float32).dtype is \
        minigrad.float32
    with pytest.raises(IndexError, match="Dimension out of range"):
        minigrad.ones(2, 3).cumsum(2)


def test_cumsum_second_derivative():
    x = np.random.default_rng(4).normal(size=(3, 4))
    minigrad.testing.gradgradcheck(lambda t: t.cumsum(1) ** 2, [x])


@FEW
@given(shape=shapes, seed=seeds, descending=st.booleans(), data=st.data())
def test_sort_and_argsort_match_torch(shape, seed, descending, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values = distinct_values(shape, seed)
    helper_test_op(None, lambda x: x.sort(dim=dim, descending=descending), vals=[values])
    helper_test_op(None, lambda x: library(x).sort(x, dim, descending).values.exp(),
                   vals=[values])
    helper_test_op(None, lambda x: library(x).argsort(x, dim=dim, descending=descending),
                   vals=[values], forward_only=True)


def test_sort_is_stable_and_puts_nan_where_torch_does():
    values = [2.0, float("nan"), 1.0, 2.0, -1.0, 1.0, float("nan")]
    for descending in (False, True):
        ours = minigrad.tensor(values).sort(descending=descending, stable=True)
        theirs = torch.tensor(values).sort(descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()


@FEW
@given(shape=shapes, seed=seeds, largest=st.booleans(), data=st.data())
def test_topk_matches_torch(shape, seed, largest, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    values = distinct_values(shape, seed)
    helper_test_op(None, lambda x: x.topk(k, dim=dim, largest=largest), vals=[values])
    helper_test_op(None, lambda x: library(x).topk(x, k, dim, largest).values * 3,
                   vals=[values])


def test_topk_k_out_of_range():
    with pytest.raises(RuntimeError, match="k=4 is out of range for dimension -1 of size 3"):
        minigrad.ones(2, 3).topk(4)


def test_sorting_gradients_by_finite_differences():
    x = distinct_values((3, 4), 5)
    gradcheck(lambda t: t.sort(dim=0, descending=True).values * minigrad.arange(4.0), [x])
    gradcheck(lambda t: t.topk(2, dim=1).values ** 2, [x])
    gradcheck(lambda t: t.cumsum(0) * t, [x])
    gradcheck(lambda t: t.prod(1), [x])


@pytest.mark.parametrize("values", [[3, 1, 3, 2, 1, 1], [[1.5, -2.0], [1.5, 0.0]], [True, False]])
def test_unique_matches_torch(values):
    for return_inverse in (False, True):
        for return_counts in (False, True):
            ours = minigrad.unique(minigrad.tensor(values), return_inverse=return_inverse,
                                   return_counts=return_counts)
            theirs = torch.unique(torch.tensor(values), return_inverse=return_inverse,
                                  return_counts=return_counts)
            ours = ours if isinstance(ours, tuple) else (ours,)
            theirs = theirs if isinstance(theirs, tuple) else (theirs,)
            for mine, reference in zip(ours, theirs, strict=True):
                assert mine.dtype.name == str(reference.dtype).removeprefix("torch.")
                assert mine.tolist() == reference.tolist()


def test_unique_along_a_dim_matches_torch():
    rows = [[1, 2], [0, 5], [1, 2]]
    ours, inverse = minigrad.tensor(rows).unique(dim=0, return_inverse=True)
    theirs, their_inverse = torch.tensor(rows).unique(dim=0, return_inverse=True)
    assert ours.tolist() == theirs.tolist() and inverse.tolist() == their_inverse.tolist()


@pytest.mark.parametrize("diagonal", [0, 1, -2, 4])
def test_diag_matches_torch(diagonal):
    helper_test_op([(4,)], lambda x: library(x).diag(x, diagonal) * 2)
    helper_test_op([(3, 5)], lambda x: library(x).diag(x, diagonal) ** 2)
    helper_test_op([(4, 2)], lambda x: x.diag(diagonal).exp())


def test_diag_gradients_by_finite_differences_and_errors():
    rng = np.random.default_rng(6)
    gradcheck(lambda t: minigrad.diag(t, -1) ** 2, [rng.normal(size=(3,))])
    gradcheck(lambda t: minigrad.diag(t, 1).exp(), [rng.normal(size=(3, 4))])
    with pytest.raises(ValueError, match=r"1-D or 2-D tensor, got shape \(2, 2, 2\)"):
        minigrad.diag(minigrad.ones(2, 2, 2))


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij,kj", [(2, 3), (4, 3)]),
    ("ijk->", [(2, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 4)]),
    ("bi,i->b", [(4, 1), (3,)]),
]


@pytest.mark.parametrize("equation, operand_shapes", EINSUM_CASES)
def test_einsum_matches_torch(equation, operand_shapes):
    helper_test_op(operand_shapes, lambda *xs: library(xs[0]).einsum(equation, *xs))


def test_einsum_takes_a_list_and_checks_its_equation():
    a, b = minigrad.ones(2, 3), minigrad.ones(3, 4)
    assert minigrad.einsum("ij,jk->ik", [a, b]).tolist() == [[3.0] * 4] * 2
    with pytest.raises(ValueError, match="sizes 3 and 2"):
        minigrad.einsum("ij,jk->ik", a, minigrad.ones(2, 4))
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        minigrad.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="ellipsis"):
        minigrad.einsum("...ij->...ji", a)


def test_einsum_gradients_by_finite_differences():
    rng = np.random.default_rng(7)
    gradcheck(lambda a, b: minigrad.einsum("bij,bjk->bik", a, b),
              [rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 3, 2))])
    gradcheck(lambda a: minigrad.einsum("ii->", a), [rng.normal(size=(3, 3))])


def test_new_nodes_carry_pytorch_names():
    x = minigrad.ones(3, 3, requires_grad=True)
    names = {"prod": x.prod(), "dim prod": x.prod(0), "cumsum": x.cumsum(0),
             "sort": x.sort().values, "topk": x.topk(1).values, "diagonal": x.diag(),
             "diag embed": minigrad.diag(x[0])}
    reference = torch.ones(3, 3, requires_grad=True)
    expected = {"prod": reference.prod(), "dim prod": reference.prod(0),
                "cumsum": reference.cumsum(0), "sort": reference.sort().values,
                "topk": reference.topk(1).values, "diagonal": reference.diag(),
                "diag embed": torch.diag(reference[0])}
    for key, result in names.items():
        assert result.grad_fn.pytorch_name == type(expected[key].grad_fn).__name__.removesuffix(
            "_copy"), key
