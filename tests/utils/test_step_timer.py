"""``StepTimer``: compiled (or eager) training steps that give the eager numbers and count
their calls."""

from __future__ import annotations

import numpy as np

import minigrad
from minigrad import nn
from minigrad.optim import SGD
from minigrad.utils import StepTimer


def train(eager: bool, steps: int = 6):
    """Losses and final weights of a small MLP trained through a StepTimer-wrapped step."""
    minigrad.manual_seed(0)
    model = nn.MLP(3, [5], 2)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def train_step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    timer = StepTimer(eager=eager)
    step = timer.wrap(train_step)
    rng = np.random.default_rng(1)
    x = minigrad.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 2, 8))
    losses = [step(x, y).item() for _ in range(steps)]
    return timer, losses, [p.numpy().copy() for p in model.parameters()]


def test_compiled_steps_give_the_eager_numbers():
    compiled_timer, compiled_losses, compiled_weights = train(eager=False)
    eager_timer, eager_losses, eager_weights = train(eager=True)
    assert compiled_losses == eager_losses
    for compiled, eager in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_array_equal(compiled, eager)
    assert eager_losses[-1] < eager_losses[0]


def test_summary_names_the_mode_and_counts_the_steps():
    compiled_timer, _, _ = train(eager=False, steps=5)
    eager_timer, _, _ = train(eager=True, steps=4)
    assert len(compiled_timer.seconds) == 5 and len(eager_timer.seconds) == 4
    assert compiled_timer.summary().startswith(
        "training step compiled with minigrad.compile: 5 steps in ")
    assert eager_timer.summary().startswith("training step eager (--eager): 4 steps in ")
    assert eager_timer.summary().endswith(" ms per step")
    assert StepTimer().summary() == "training step compiled with minigrad.compile: no steps ran"


def test_one_timer_covers_every_step_it_wraps():
    timer = StepTimer(eager=True)
    double, negate = timer.wrap(lambda x: x * 2), timer.wrap(lambda x: -x)
    assert double(minigrad.tensor(3.0)).item() == 6.0
    assert negate(minigrad.tensor(3.0)).item() == -3.0
    assert len(timer.seconds) == 2 and double.__name__ == "<lambda>"
