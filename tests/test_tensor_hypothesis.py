"""Ops against PyTorch over random shapes drawn by hypothesis: broadcasting, size-1 and
empty dimensions wherever PyTorch allows them, in float64 and float32."""

import numpy as np
import torch
from helpers import helper_test_op
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
broadcastable_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         min_side=0, max_side=3)
seeds = st.integers(0, 2**16)

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "maximum": lambda x, y: x.maximum(y),
    "minimum": lambda x, y: x.minimum(y),
    "lt": lambda x, y: x < y,
}

UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "abs": lambda x: x.abs(),
    "relu": lambda x: x.relu(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "clamp": lambda x: x.clamp(0.7, 1.6),
    "scalar_ops": lambda x: (2.0 - x) * 3.0 / (x + 1.0) + x**2,
}


@given(shapes=broadcastable_pairs, op=st.sampled_from(sorted(BINARY)), seed=seeds)
def test_binary_op_broadcasting(shapes, op, seed):
    # Inputs in [0.5, 2): positive for div and pow; ties are measure-zero for maximum.
    helper_test_op(shapes.input_shapes, BINARY[op], low=0.5, high=2.0, seed=seed,
                   forward_only=op == "lt")


@given(shape=shapes, op=st.sampled_from(sorted(UNARY)), seed=seeds)
def test_unary_op(shape, op, seed):
    helper_test_op([shape], UNARY[op], low=0.5, high=2.0, seed=seed)


@st.composite
def shape_and_dims(draw, shape_strategy):
    shape = draw(shape_strategy)
    dims = draw(st.lists(st.integers(0, max(len(shape) - 1, 0)), unique=True,
                         max_size=len(shape)))
    negative = draw(st.booleans())
    dims = tuple(d - len(shape) if negative else d for d in dims)
    return shape, dims, draw(st.booleans())


@given(case=shape_and_dims(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)),
       op=st.sampled_from(["sum", "mean"]), seed=seeds)
def test_sum_and_mean_over_random_dims(case, op, seed):
    shape, dims, keepdim = case
    if not dims:
        helper_test_op([shape], lambda x: getattr(x, op)(), seed=seed)
    else:
        helper_test_op([shape], lambda x: getattr(x, op)(dim=dims, keepdim=keepdim), seed=seed)


@given(case=shape_and_dims(nonempty_shapes), op=st.sampled_from(["max", "min"]), seed=seeds)
def test_max_and_min_over_one_dim(case, op, seed):
    shape, dims, keepdim = case
    if not dims:
        helper_test_op([shape], lambda x: getattr(x, op)(), seed=seed)
    else:
        helper_test_op([shape], lambda x: getattr(x, op)(dim=dims[0], keepdim=keepdim)[0],
                       seed=seed)
        helper_test_op([shape], lambda x: x.argmax(dim=dims[0], keepdim=keepdim), seed=seed,
                       forward_only=True)


@given(case=shape_and_dims(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4)),
       op=st.sampled_from(["var", "std"]), seed=seeds)
def test_var_and_std_over_random_dims(case, op, seed):
    shape, dims, keepdim = case
    if not dims:
        helper_test_op([shape], lambda x: getattr(x, op)(), seed=seed)
    else:
        helper_test_op([shape], lambda x: getattr(x, op)(dim=dims, keepdim=keepdim), seed=seed)


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=1,
                                                    max_side=3))
    left_batch, right_batch = batch.input_shapes
    left = draw(st.sampled_from([(k,), (*left_batch, m, k)]))
    right = draw(st.sampled_from([(k,), (*right_batch, k, n)]))
    return [left, right]


@given(pair=matmul_shapes(), seed=seeds)
def test_matmul_random_shapes(pair, seed):
    helper_test_op(pair, lambda x, y: x @ y, seed=seed)


@given(shape=nonempty_shapes, data=st.data(), seed=seeds)
def test_permute_transpose_and_reshape(shape, data, seed):
    order = data.draw(st.permutations(range(len(shape))))
    first, second = data.draw(st.integers(0, len(shape) - 1)), data.draw(
        st.integers(-len(shape), -1))
    helper_test_op([shape], lambda x: x.permute(*order), seed=seed)
    helper_test_op([shape], lambda x: x.transpose(first, second), seed=seed)
    helper_test_op([shape], lambda x: x.reshape(-1, shape[-1]).reshape(shape[::-1]), seed=seed)
    helper_test_op([shape], lambda x: x.unsqueeze(first).squeeze(first) * 2, seed=seed)


@given(shape=nonempty_shapes, data=st.data(), seed=seeds)
def test_cat_and_stack(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    parts = [tuple(size if axis == dim % len(shape) else side for axis, side in enumerate(shape))
             for size in sizes]
    helper_test_op(parts, lambda *xs: minigrad.cat(list(xs), dim=dim),
                   lambda *xs: torch.cat(list(xs), dim=dim), seed=seed)
    stack_dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    helper_test_op([shape] * len(sizes), lambda *xs: minigrad.stack(list(xs), dim=stack_dim),
                   lambda *xs: torch.stack(list(xs), dim=stack_dim), seed=seed)


@given(shape=nonempty_shapes, data=st.data(), seed=seeds)
def test_slicing_and_repeated_indices(shape, data, seed):
    index = tuple(
        slice(data.draw(st.integers(-side, side)), data.draw(st.integers(-side, side)),
              data.draw(st.integers(1, 2)))
        for side in shape
    )
    helper_test_op([shape], lambda x: x[index], seed=seed)
    rows = data.draw(st.lists(st.integers(0, shape[0] - 1), max_size=5))
    helper_test_op([shape], lambda x: x[minigrad.tensor(np.array(rows, dtype=np.int64))],
                   lambda x: x[torch.tensor(rows, dtype=torch.int64)], seed=seed)
