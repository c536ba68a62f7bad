"""Backend calls replayed by numpy writing into the arena (minigrad/compile/into_arena.py)."""

from __future__ import annotations

import numpy as np
from compile_models import cross_entropy_step

import minigrad
from minigrad import nn
from minigrad.backend import get_backend


def _train(compiled: bool, steps: int = 6):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    train_step = cross_entropy_step(model, optimizer)
    step = minigrad.compile(train_step) if compiled else train_step
    rng = np.random.default_rng(1)
    x = minigrad.tensor(rng.standard_normal((6, 5)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 3, 6))
    losses = [step(x, y).numpy().copy() for _ in range(steps)]
    return losses, [p.numpy().copy() for p in model.parameters()], step


def test_dense_layers_write_into_the_arena_with_the_eager_numbers():
    eager_losses, eager_params, _ = _train(False)
    losses, params, step = _train(True)
    plan = step.program.plan
    replaced = sorted(plan.events[index].method for index in plan.arena_calls)
    assert replaced.count("linear") == 2 and replaced.count("linear_backward") == 2
    assert "linear_into(" in step.program.source
    for index, (_, views) in plan.arena_calls.items():
        for slot, view in views.items():  # each result has its place in the arena
            assert view.shape == plan.slots[slot].shape
            assert plan.arena_offsets[slot] + view.nbytes <= plan.arena_bytes
    np.testing.assert_array_equal(losses, eager_losses)
    for got, expected in zip(params, eager_params, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_backend_kernel_that_rounds_differently_is_kept(monkeypatch):
    """The replacement is used only where it gives the backend's bytes: a backend whose
    linear accumulates in float64 keeps its own kernel, and the numbers stay eager's."""
    backend_class = type(get_backend("cpu"))
    original = backend_class.linear

    def linear_in_float64(self, x, weight, bias, activation, kernel=None):
        wide = original(self, x.astype(np.float64), weight.astype(np.float64),
                        None if bias is None else bias.astype(np.float64), activation)
        return wide.astype(x.dtype)

    monkeypatch.setattr(backend_class, "linear", linear_in_float64)
    eager_losses, eager_params, _ = _train(False)
    losses, params, step = _train(True)
    plan = step.program.plan
    assert not any(plan.events[index].method == "linear" for index in plan.arena_calls)
    assert any(plan.events[index].method == "linear_backward" for index in plan.arena_calls)
    np.testing.assert_array_equal(losses, eager_losses)
    for got, expected in zip(params, eager_params, strict=True):
        np.testing.assert_array_equal(got, expected)
