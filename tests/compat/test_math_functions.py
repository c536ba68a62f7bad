"""The elementwise math family, linear algebra forms and PyTorch's keyword names, against
PyTorch (forward and gradients, float64 and float32) and by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad
from minigrad.ops.elementwise_math import FUNCTIONS
from minigrad.testing import gradcheck
from tests.helpers import helper_test_op

# name -> the interval inputs are drawn from (inside the function's domain, away from poles)
DOMAINS = {
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9), "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
    "asinh": (-3, 3), "acosh": (1.1, 3), "atanh": (-0.9, 0.9), "log2": (0.2, 3),
    "log10": (0.2, 3), "log1p": (-0.8, 3), "expm1": (-2, 2), "rsqrt": (0.2, 3),
    "reciprocal": (0.3, 3), "erf": (-2, 2), "square": (-2, 2), "frac": (-3, 3),
    "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3), "trunc": (-3, 3),
}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc"}
ROUNDING = {"floor", "ceil", "round", "trunc", "fix"}


def library(x):
    return torch if isinstance(x, torch.Tensor) else minigrad


def test_every_function_of_the_family_is_tested():
    assert set(FUNCTIONS) == set(DOMAINS) | set(ALIASES)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_method_and_function_match_torch(name):
    low, high = DOMAINS[ALIASES.get(name, name)]
    helper_test_op([(3, 4)], lambda x: getattr(x, name)(), low=low, high=high)
    helper_test_op([(5,)], lambda x: getattr(library(x), name)(x), low=low, high=high)


@pytest.mark.parametrize("name", sorted(set(DOMAINS) - ROUNDING - {"frac"}))
def test_gradients_by_finite_differences(name):
    low, high = DOMAINS[name]
    x = np.random.default_rng(1).uniform(low, high, size=(2, 3))
    gradcheck(lambda t: getattr(t, name)(), [x])


def test_rounding_follows_torch_on_halves_and_integers():
    values = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.7, 0.7]
    for name in ("round", "floor", "ceil", "trunc", "frac"):
        ours = getattr(minigrad.tensor(values), name)().numpy()
        np.testing.assert_array_equal(ours, getattr(torch.tensor(values), name)().numpy())
    integers = minigrad.tensor([1, -2])
    assert integers.floor().dtype is minigrad.int64 and integers.floor().tolist() == [1, -2]
    assert minigrad.tensor([1, 4]).sqrt().dtype is minigrad.float32


def test_out_of_domain_values_follow_ieee_like_torch():
    x = [-2.0, -1.0, 0.0, 1.0, 2.0, float("inf")]
    for name in ("asin", "acos", "acosh", "atanh", "log2", "log10", "log1p", "rsqrt",
                 "reciprocal", "sinh", "cosh", "expm1"):
        ours = getattr(minigrad.tensor(x, dtype=minigrad.float64), name)().numpy()
        theirs = getattr(torch.tensor(x, dtype=torch.float64), name)().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0)])
def test_softplus_matches_torch(beta, threshold):
    helper_test_op([(4, 5)], lambda x: library(x).nn.functional.softplus(x, beta, threshold),
                   low=-6, high=6)
    x = np.random.default_rng(2).uniform(-4, 4, size=(6,))
    gradcheck(lambda t: minigrad.nn.functional.softplus(t, beta, threshold), [x])


LINALG = {
    "mm": [(3, 4), (4, 2)], "mv": [(3, 4), (4,)], "bmm": [(2, 3, 4), (2, 4, 5)],
    "dot": [(4,), (4,)], "outer": [(3,), (4,)], "matmul": [(2, 3, 4), (4,)],
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_products_match_torch(name):
    shapes = LINALG[name]
    helper_test_op(shapes, lambda a, b: getattr(a, name)(b))
    helper_test_op(shapes, lambda a, b: getattr(library(a), name)(a, b))
    gradcheck(lambda a, b: getattr(minigrad, name)(a, b),
              [np.random.default_rng(3).normal(size=s) for s in shapes])


def test_products_reject_wrong_ranks_naming_shapes():
    a, v = minigrad.ones(2, 3), minigrad.ones(3)
    for call in (lambda: a.mm(v), lambda: a.mv(a), lambda: v.dot(a), lambda: a.bmm(a),
                 lambda: minigrad.outer(a, v)):
        with pytest.raises(ValueError, match=r"\(2, 3\)"):
            call()
    with pytest.raises(ValueError, match="batch"):
        minigrad.bmm(minigrad.ones(2, 3, 4), minigrad.ones(3, 4, 5))


@pytest.mark.parametrize("p,dim,keepdim", [
    ("fro", None, False), (2, 1, False), (1, 0, True), (3, (0, 1), False),
    (float("inf"), 1, False), (float("-inf"), None, False), (0.5, 1, True),
])
def test_norm_matches_torch(p, dim, keepdim):
    helper_test_op([(3, 4)], lambda x: x.norm(p=p, dim=dim, keepdim=keepdim), low=0.2)
    helper_test_op([(3, 4)], lambda x: library(x).norm(x, p, dim, keepdim), low=-2.0)


def test_norm_zero_count():
    x = [[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]]
    assert minigrad.tensor(x).norm(p=0).item() == torch.tensor(x).norm(p=0).item() == 3.0


def test_pytorch_keyword_names():
    a = np.random.default_rng(4).normal(size=(3, 4))
    b = np.random.default_rng(5).normal(size=(4, 2))
    for lib in (minigrad, torch):
        x, y = lib.tensor(a), lib.tensor(b)
        results = [lib.matmul(input=x, other=y), lib.sum(x, dim=1), lib.sum(input=x, dim=0),
                   lib.mean(x, dim=0, keepdim=True), lib.add(x, x, alpha=2),
                   lib.sub(input=x, other=x * 3, alpha=0.5), lib.mul(input=x, other=2.0),
                   lib.div(x, 0.3, rounding_mode="floor"), lib.div(x, 0.3, rounding_mode="trunc"),
                   lib.pow(x, exponent=2), lib.clamp(x, min=-0.5, max=0.5),
                   lib.maximum(x, other=x * 0), lib.transpose(x, 0, 1), lib.t(x),
                   lib.amax(x, dim=1), lib.softmax(x, dim=1), lib.log_softmax(x, dim=0),
                   lib.gt(x, 0).float(), lib.eq(input=x, other=x).float(), lib.neg(x)]
        if lib is minigrad:
            ours = [r.numpy() for r in results]
        else:
            theirs = [r.numpy() for r in results]
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape_a,shape_b", [((3,), (3,)), ((2, 3), ()), ((), (3,)),
                                             ((), ()), ((2, 1), (3,))])
def test_float32_with_float64_promotes_like_torch(shape_a, shape_b):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=shape_a).astype(np.float32), rng.normal(size=shape_b)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: y / x,
               lambda x, y: library(x).maximum(x, y)):
        results = {}
        for lib in (minigrad, torch):
            x = lib.tensor(a, requires_grad=True)
            y = lib.tensor(b, requires_grad=True)
            out = op(x, y)
            out.sum().backward()
            results[lib.__name__] = (str(out.dtype).split(".")[-1], out.detach().numpy(),
                                     x.grad.numpy(), y.grad.numpy())
        ours, theirs = results["minigrad"], results["torch"]
        assert ours[0] == theirs[0]
        for mine, reference in zip(ours[1:], theirs[1:], strict=True):
            assert mine.dtype == reference.dtype
            np.testing.assert_allclose(mine, reference, rtol=1e-6)


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape,diagonal", [((4, 4), 0), ((3, 5), 1), ((2, 4, 3), -1)])
def test_triangles_match_torch(name, shape, diagonal):
    helper_test_op([shape], lambda x: getattr(x, name)(diagonal))
    helper_test_op([shape], lambda x: getattr(library(x), name)(x, diagonal=diagonal))
    integers = [[1, 2], [3, 4]]
    assert getattr(minigrad.tensor(integers), name)().tolist() == getattr(
        torch.tensor(integers), name)().tolist()
