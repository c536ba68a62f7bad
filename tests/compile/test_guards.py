"""When replaying would be wrong, the compiled step says so and runs eagerly; when the model
changes, it traces again."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from compile_models import cross_entropy_step

import minigrad
import minigrad.nn.functional as F
from minigrad import nn


def make_step(model, optimizer, **compile_options):
    return minigrad.compile(cross_entropy_step(model, optimizer), **compile_options)


def data(batch=5, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return (minigrad.tensor(rng.standard_normal((batch, features)).astype(np.float32)),
            minigrad.tensor(rng.integers(0, classes, batch)))


def test_item_inside_the_step_falls_back_to_eager_with_one_warning():
    model = nn.Linear(4, 3)
    seen = []

    @minigrad.compile
    def step(x):
        out = model(x).sum()
        if out.item() > 0:  # Python branches on a value: replay cannot follow it
            seen.append(1)
        return out

    x = minigrad.randn(2, 4)
    with pytest.warns(RuntimeWarning, match=r"reads tensor values into Python .*test_guards"):
        step(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            step(x)
    assert len(seen) in (0, 4)  # the Python code ran on every call: eager
    assert step.program is None and "reads tensor values" in step.eager_reason


@pytest.mark.parametrize("read", [lambda t: bool(t.sum() > 0), lambda t: t.numpy(),
                                  lambda t: print(t)])
def test_other_reads_are_guarded(read, capsys):
    @minigrad.compile
    def step(x):
        y = x * 2
        read(y)
        return y

    with pytest.warns(RuntimeWarning, match="reads tensor values"):
        step(minigrad.ones(3))


def test_library_checks_of_the_targets_do_not_stop_compilation():
    minigrad.manual_seed(0)
    model = nn.Linear(4, 3)
    step = make_step(model, minigrad.optim.SGD(model.parameters(), lr=0.1))
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            step(x, y)
    assert step.program is not None


def test_out_of_range_targets_are_still_rejected_on_replay():
    model = nn.Linear(4, 3)
    step = make_step(model, minigrad.optim.SGD(model.parameters(), lr=0.1))
    x, y = data()
    for _ in range(3):
        step(x, y)
    assert step.program is not None
    with pytest.raises(ValueError, match="class indices outside 0..2"):
        step(x, minigrad.tensor([0, 1, 2, 3, 0]))


def test_a_python_number_that_changes_every_call_is_detected():
    weight = minigrad.ones(3)
    calls = [0]

    @minigrad.compile
    def step(x):
        calls[0] += 1
        return x * weight * calls[0]  # the constant differs on every call

    x = minigrad.ones(3)
    with pytest.warns(RuntimeWarning, match="different work on every call"):
        results = [step(x).numpy().copy() for _ in range(5)]
    np.testing.assert_array_equal(np.array(results)[:, 0], [1, 2, 3, 4, 5])


def test_replacing_a_parameter_invalidates_the_program():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)
    step = make_step(model, optimizer)
    x, y = data()
    for _ in range(3):
        step(x, y)
    first = step.program
    new_layer = nn.Linear(4, 3)
    model[0].weight = new_layer.weight
    optimizer.param_groups[0]["params"][0] = new_layer.weight
    before = new_layer.weight.numpy().copy()
    for _ in range(3):
        step(x, y)
    assert step.program is not None and step.program is not first
    assert not np.array_equal(new_layer.weight.numpy(), before)  # the new weight trains


def test_train_and_eval_are_different_programs():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.Linear(6, 3))

    @minigrad.compile
    def predict(x):
        return model(x)

    x = minigrad.randn(5, 4)
    model.eval()
    expected = model(x).numpy().copy()
    for _ in range(3):
        np.testing.assert_array_equal(predict(x).numpy(), expected)
    model.train()
    outputs = [predict(x).numpy().copy() for _ in range(4)]
    assert not np.array_equal(outputs[2], outputs[3])  # fresh dropout masks every call
    model.eval()
    np.testing.assert_array_equal(predict(x).numpy(), expected)


def test_new_shapes_trace_again_and_the_cache_is_bounded():
    @minigrad.compile(cache_size=2)
    def double(x):
        return x * 2

    for batch in (1, 2, 3, 1):
        for _ in range(3):
            out = double(minigrad.ones(batch, 2))
        np.testing.assert_array_equal(out.numpy(), np.full((batch, 2), 2.0))
    assert len(double._cache) == 2


def test_results_are_fresh_detached_tensors():
    model = nn.Linear(4, 3)
    step = make_step(model, minigrad.optim.SGD(model.parameters(), lr=0.1))
    x, y = data()
    losses = [step(x, y) for _ in range(5)]
    assert all(loss.grad_fn is None for loss in losses)
    values = [loss.item() for loss in losses]
    assert len(set(values)) == 5  # earlier results are not overwritten by later replays


def test_gradients_accumulate_without_zero_grad_as_in_eager():
    def run(compiled):
        minigrad.manual_seed(0)
        model = nn.Linear(4, 3).to(dtype=minigrad.float64)

        def accumulate(x, y):
            F.cross_entropy(model(x), y).backward()

        step = minigrad.compile(accumulate) if compiled else accumulate
        x, y = data()
        for _ in range(6):
            step(x.double(), y)
        return model.weight.grad.numpy().copy(), step

    eager, _ = run(False)
    compiled, step = run(True)
    assert step.program is not None
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)


def test_zero_grad_outside_the_step_gets_the_gradient_back():
    minigrad.manual_seed(0)
    model = nn.Linear(4, 3)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)

    @minigrad.compile
    def forward_backward(x, y):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    x, y = data()
    for _ in range(4):
        optimizer.zero_grad()
        forward_backward(x, y)
        assert model.weight.grad is not None
        optimizer.step()


def test_compile_rejects_non_callables():
    with pytest.raises(TypeError, match="expects a function"):
        minigrad.compile(3)


def _momentum_run(compiled: bool, change):
    """Eight SGD-with-momentum steps; ``change(model, optimizer)`` runs before the sixth
    (the third call makes the program, the fourth its guard)."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).to(
        dtype=minigrad.float64)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step = make_step(model, optimizer) if compiled else make_step(model, optimizer).fn
    x, y = data()
    x = x.double()
    for call in range(8):
        if call == 5:
            change(model, optimizer)
        step(x, y)
    buffers = [optimizer.state[p]["momentum_buffer"] for p in model.parameters()]
    return [t.numpy().copy() for t in (*model.parameters(), *buffers)], step


def _new_storage(model, optimizer):
    model[0].weight.data = model[0].weight.data * 0.5


def _new_optimizer_state(model, optimizer):
    optimizer.load_state_dict(optimizer.state_dict())


def _eval_then_train(model, optimizer):
    model.eval()
    model.train()


@pytest.mark.parametrize("change", [_new_storage, _new_optimizer_state, _eval_then_train])
def test_changes_between_replays_give_the_eager_numbers(change):
    """After the program is made, the fast check (guard.py) notices what the full cache key
    would: new storage, a reloaded optimizer state (whose new buffers must be the ones
    updated); and a change undone is not a change."""
    eager, _ = _momentum_run(False, change)
    compiled, step = _momentum_run(True, change)
    assert step.program is not None
    for got, expected in zip(compiled, eager, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_the_guard_fails_exactly_when_the_model_changes():
    model = nn.Sequential(nn.Linear(4, 3))
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step = make_step(model, optimizer)
    x, y = data()
    for _ in range(4):
        step(x, y)
    guard = step._fast[2]
    assert guard()
    model.eval()
    assert not guard()
    model.train()
    assert guard()
    model[0].bias = nn.Linear(4, 3).bias
    assert not guard()


@pytest.mark.parametrize("kind", ["minigrad", "numpy"])
def test_draws_from_a_user_generator_are_replayed_from_that_generator(kind):
    """``randn(..., generator=g)`` inside the step draws from ``g`` on every replay, as eager
    code does (and a ``manual_seed`` between calls restarts it); minigrad's own stream is
    left alone."""
    def run(compiled: bool):
        generator = (minigrad.Generator().manual_seed(7) if kind == "minigrad"
                     else np.random.default_rng(7))
        minigrad.manual_seed(0)

        def noisy(x):
            return x * minigrad.randn(2, 3, generator=generator) + minigrad.rand(2, 3)

        step = minigrad.compile(noisy) if compiled else noisy
        x = minigrad.ones(2, 3)
        results = []
        for call in range(6):
            if call == 4 and kind == "minigrad":
                generator.manual_seed(7)
            results.append(step(x).numpy().copy())
        return np.array(results), step

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to eager
        compiled, step = run(True)
    eager, _ = run(False)
    assert step.program is not None
    np.testing.assert_array_equal(compiled, eager)
    assert not np.array_equal(compiled[2], compiled[3])
