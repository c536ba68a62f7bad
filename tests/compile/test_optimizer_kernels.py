"""Optimizer steps replay as recorded kernels, with their Python numbers recomputed on every
call; the numbers come out bit for bit as in eager code."""

from __future__ import annotations

import numpy as np
import pytest
from compile_models import cross_entropy_step, train

import minigrad
from minigrad import nn
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minigrad.optim.lr_scheduler import StepLR

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd_momentum_decay": lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.2,
                                        weight_decay=1e-3),
    "sgd_nesterov_maximize": lambda p: SGD(p, lr=0.05, momentum=0.5, nesterov=True,
                                           maximize=True),
    "adagrad": lambda p: Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=1e-3),
    "rmsprop_centered": lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True,
                                          weight_decay=1e-3),
    "rmsprop": lambda p: RMSprop(p, lr=0.01),
    "adam": lambda p: Adam(p, lr=0.01),
    "adam_amsgrad": lambda p: Adam(p, lr=0.01, amsgrad=True, weight_decay=1e-2),
    "adamw": lambda p: AdamW(p, lr=0.01),
    "adamw_small_beta1": lambda p: AdamW(p, lr=0.01, betas=(0.3, 0.99)),  # lerp's 2nd formula
}


def assert_identical(eager, compiled) -> None:
    eager_state, eager_losses, _ = eager
    compiled_state, compiled_losses, _ = compiled
    np.testing.assert_array_equal(compiled_losses, eager_losses)
    for name in eager_state:
        np.testing.assert_array_equal(compiled_state[name], eager_state[name], err_msg=name)


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_update_runs_as_kernels_and_matches_eager_bit_for_bit(optimizer_name, dtype_name):
    make, dtype = OPTIMIZERS[optimizer_name], getattr(minigrad, dtype_name)
    eager = train("mlp", dtype, 12, False, make)
    compiled = train("mlp", dtype, 12, True, make)
    program = compiled[2].program
    name = type(make([minigrad.zeros(1, requires_grad=True)])).__name__
    assert program.python_calls == [f"{name}.numbers"]  # not step(): that runs as kernels
    assert "fused" in program.source  # the update of each parameter is one fused kernel
    assert_identical(eager, compiled)


def test_a_scheduler_changes_the_learning_rate_the_kernels_use():
    make_scheduler = lambda optimizer: StepLR(optimizer, step_size=3, gamma=0.5)  # noqa: E731
    eager = train("mlp", minigrad.float32, 12, False, OPTIMIZERS["adam"], make_scheduler)
    compiled = train("mlp", minigrad.float32, 12, True, OPTIMIZERS["adam"], make_scheduler)
    assert compiled[2].program.python_calls == ["Adam.numbers", "StepLR.step()"]
    assert_identical(eager, compiled)


def _step_and_model(optimizer_factory):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = optimizer_factory(model.parameters())

    return model, optimizer, cross_entropy_step(model, optimizer)


def _run_both(optimizer_factory, steps: int, between=None):
    """Eager and compiled training from the same start; ``between(optimizer, step_number)``
    may change hyperparameters along the way."""
    results = []
    for compiled in (False, True):
        model, optimizer, train_step = _step_and_model(optimizer_factory)
        step = minigrad.compile(train_step) if compiled else train_step
        rng = np.random.default_rng(3)
        for number in range(steps):
            if between is not None:
                between(optimizer, number)
            x = minigrad.tensor(rng.standard_normal((5, 3)), dtype=minigrad.float32)
            y = minigrad.tensor(rng.integers(0, 2, 5))
            step(x, y)
        # the parameters, and the gradients the fused update wrote into p.grad
        values = [p.numpy().copy() for p in model.parameters()]
        values += [p.grad.numpy().copy() for p in model.parameters()]
        results.append((values, step))
    for eager_value, compiled_value in zip(results[0][0], results[1][0], strict=True):
        np.testing.assert_array_equal(compiled_value, eager_value)
    return results[1][1]


def test_gradients_reach_p_grad_whether_or_not_the_update_runs_as_kernels():
    step = _run_both(lambda p: Adam(p, lr=0.01), 5)
    assert "assign" not in step.program.source.split("else:")[1]  # written by the update
    _run_both(lambda p: SGD(p, lr=1, momentum=0.5), 5)  # a step in Python reads p.grad


def test_hyperparameters_changed_between_calls_are_used():
    # momentum and 1 - dampening are both 0.5 while tracing: which one a kernel reads cannot
    # be told from the values, so the program checks they still agree on every call and
    # runs step() in Python when they do not.
    def change(optimizer, number):
        group = optimizer.param_groups[0]
        if number == 6:
            group["dampening"] = 0.25
        if number == 8:
            group["lr"] = 0.02
            group["momentum"] = 0.75

    step = _run_both(lambda p: SGD(p, lr=0.1, momentum=0.5, dampening=0.5), 12, change)
    assert step.program.python_calls == ["SGD.numbers"]


def test_an_integer_learning_rate_keeps_the_step_in_python():
    step = _run_both(lambda p: SGD(p, lr=1, momentum=0.5), 6)
    assert step.program.python_calls == ["SGD.step()"]


def test_an_optimizer_subclass_keeps_its_step_in_python():
    class Halving(SGD):
        def _update(self, param, grad, state, group):
            param.add_(grad, alpha=-group["lr"] / 2)

    step = _run_both(lambda p: Halving(p, lr=0.1), 6)
    assert step.program.python_calls == ["Halving.step()"]


def test_loading_an_optimizer_state_traces_again():
    model, optimizer, train_step = _step_and_model(lambda p: Adam(p, lr=0.01))
    step = minigrad.compile(train_step)
    x, y = minigrad.randn(5, 3), minigrad.tensor([0, 1, 1, 0, 1])
    for _ in range(3):
        step(x, y)
    saved = optimizer.state_dict()
    weights = [p.detach().clone() for p in model.parameters()]
    for _ in range(2):
        step(x, y)
    for param, weight in zip(model.parameters(), weights, strict=True):
        param.detach().copy_(weight)
    optimizer.load_state_dict(saved)  # new state tensors: the program must follow them
    after_compiled = [step(x, y).item() for _ in range(3)]
    optimizer.load_state_dict(saved)
    for param, weight in zip(model.parameters(), weights, strict=True):
        param.detach().copy_(weight)
    after_eager = [train_step(x, y).item() for _ in range(3)]
    assert after_compiled == after_eager


def test_unfused_programs_replay_the_update_as_plain_kernels():
    for fuse in (False, True):
        model, optimizer, train_step = _step_and_model(lambda p: Adam(p, lr=0.01))
        step = minigrad.compile(train_step, fuse=fuse)
        x, y = minigrad.randn(5, 3), minigrad.tensor([0, 1, 1, 0, 1])
        losses = [step(x, y).item() for _ in range(6)]
        assert step.program.python_calls == ["Adam.numbers"]
        if not fuse:
            assert "fused" not in step.program.source
            unfused = losses
    assert losses == unfused
