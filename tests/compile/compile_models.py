"""Builders shared by the compile tests: small models, their data, and one training step."""

from __future__ import annotations

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn


def cross_entropy_step(model, optimizer, scheduler=None):
    """The training step every compile test traces: zero the gradients, cross-entropy of
    the model's output, backward, one optimizer (and scheduler) step; returns the loss."""

    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return loss

    return train_step


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 12), nn.Tanh(),
                         nn.Linear(12, 4))


def lenet5() -> nn.Module:
    """LeNet-5's layer sequence on 1x28x28 images (the first convolution pads by 2)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def dropout_batchnorm() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(16, 4))


MODELS = {"mlp": (mlp, (6, 8), 4), "lenet5": (lenet5, (2, 1, 28, 28), 10),
          "dropout_batchnorm": (dropout_batchnorm, (6, 8), 4)}


def batches(input_shape, classes: int, dtype, count: int, seed: int = 1):
    """``count`` (x, y) pairs of random inputs and class labels."""
    rng = np.random.default_rng(seed)
    return [(minigrad.tensor(rng.standard_normal(input_shape), dtype=dtype),
             minigrad.tensor(rng.integers(0, classes, input_shape[0])))
            for _ in range(count)]


def train(model_name: str, dtype, steps: int, compiled: bool, make_optimizer=None,
          make_scheduler=None):
    """Train a fresh, identically initialised model; returns its parameters, buffers and the
    losses. Everything random is seeded the same way for the eager and compiled runs."""
    build, input_shape, classes = MODELS[model_name]
    minigrad.manual_seed(0)
    model = build().to(dtype=dtype)
    optimizer = (make_optimizer or (lambda p: minigrad.optim.SGD(p, lr=0.05, momentum=0.9)))(
        list(model.parameters()))
    scheduler = None if make_scheduler is None else make_scheduler(optimizer)

    train_step = cross_entropy_step(model, optimizer, scheduler)
    step = minigrad.compile(train_step) if compiled else train_step
    minigrad.manual_seed(1)
    losses = [float(step(x, y).item())
              for x, y in batches(input_shape, classes, dtype, steps)]
    state = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    return state, np.array(losses), step
