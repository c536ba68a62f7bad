"""Random programs of out-of-place ops, in-place ops, views and assignments, run on minigrad
and on PyTorch: the same values and gradients, or the same error from both."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad


def _iadd(h, w):
    h += w
    return h


def _imul(h, w):
    h *= 1.5
    return h


def _assign_row(h, w):
    h[0] = w[0] * 3
    return h


def _assign_mask(h, w):
    h[h > 0.5] = 0.25
    return h


def _edit_through_detach(h, w):
    h.detach().mul_(2)      # not recorded, but seen by the version check
    return h


def _saved_then_modified(h, w):
    y = h * w               # saves h (w's gradient reads it)...
    h.add_(1)               # ...so backward must refuse
    return y + h


def _used_then_modified(h, w):
    y = h + w               # saves nothing: changing h afterwards is fine
    h.mul_(w)
    return y * h


def _view_saved_then_base_modified(h, w):
    row = h[0]
    y = row * w[0]          # saves the view, which shares h's version counter
    h.mul_(2)
    return h + y.sum()


def _view_used_after_base_modified(h, w):
    row = h[0]
    h.add_(w)               # the view sees the new values and the new history
    return h * 0.5 + row


# Each step maps the program's current tensor h (and the leaf w, of h's shape) to the next h.
STEPS = {
    "mul": lambda h, w: h * w,
    "add": lambda h, w: h + w,
    "square": lambda h, w: h * h,
    "tanh": lambda h, w: h.tanh() + 0,
    "mul_": lambda h, w: h.mul_(w),
    "add_": lambda h, w: h.add_(w, alpha=0.5),
    "sub_scalar_": lambda h, w: h.sub_(0.25),
    "div_": lambda h, w: h.div_(w.abs() + 1),
    "iadd": _iadd,
    "imul": _imul,
    "row_mul_": lambda h, w: (h[0].mul_(2), h)[1],
    "transposed_add_": lambda h, w: (h.transpose(0, -1).add_(1), h)[1],
    "every_other_add_": lambda h, w: (h.view(-1)[::2].add_(w.reshape(-1)[::2]), h)[1],
    "assign_row": _assign_row,
    "assign_mask": _assign_mask,
    "edit_through_detach": _edit_through_detach,
    "saved_then_modified": _saved_then_modified,
    "used_then_modified": _used_then_modified,
    "view_saved_then_base_modified": _view_saved_then_base_modified,
    "view_used_after_base_modified": _view_used_after_base_modified,
}


def _run(backend, program, x_data, w_data):
    x = backend.tensor(x_data, dtype=backend.float64, requires_grad=True)
    w = backend.tensor(w_data, dtype=backend.float64, requires_grad=True)
    h = x * 1
    try:
        for name in program:
            h = STEPS[name](h, w)
        (h * backend.tensor(np.linspace(-1, 1, h.numel()).reshape(h.shape))).sum().backward()
    except RuntimeError as error:
        return str(error).split(":")[0]
    grads = [np.zeros(shape) if leaf.grad is None else leaf.grad.numpy().copy()
             for leaf, shape in ((x, x_data.shape), (w, w_data.shape))]
    return [h.detach().numpy().copy(), *grads]


@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    program=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_random_programs_match_torch(shape, program, seed):
    rng = np.random.default_rng(seed)
    x_data, w_data = rng.uniform(-1.5, 1.5, shape), rng.uniform(-1.5, 1.5, shape)
    got = _run(minigrad, program, x_data, w_data)
    expected = _run(torch, program, x_data, w_data)
    if isinstance(expected, str):
        assert got == expected, f"{program}: PyTorch raised '{expected}', minigrad gave {got}"
        return
    assert not isinstance(got, str), f"{program}: minigrad raised '{got}'"
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12, err_msg=str(program))
