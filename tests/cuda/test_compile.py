"""minigrad.compile on the "cuda" device: replayed steps equal eager steps."""

import os

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn


def dropout_batchnorm():
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.25),
                         nn.Linear(8, 3))


def lenet_like():
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 3 * 3, 3))


MODELS = {"mlp": (dropout_batchnorm, (4, 6)), "cnn": (lenet_like, (2, 1, 6, 6))}


def train(model_name, dtype, compiled, steps):
    build, shape = MODELS[model_name]
    minigrad.manual_seed(0)
    model = build().to(dtype=dtype)
    model.to("cuda")
    optimizer = minigrad.optim.Adam(model.parameters(), lr=0.01)

    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = minigrad.compile(train_step) if compiled else train_step
    rng = np.random.default_rng(1)
    minigrad.manual_seed(1)
    losses = []
    for _ in range(steps):
        x = minigrad.tensor(rng.standard_normal(shape), dtype=dtype, device="cuda")
        y = minigrad.tensor(rng.integers(0, 3, shape[0]), device="cuda")
        losses.append(step(x, y).item())
    return losses, [p.numpy() for p in model.parameters()], step


# The simulator runs kernels in Python, 4-6 s per step of these models: there a few steps;
# on a real GPU (MINIGRAD_CUDA_TESTS=gpu) the 100 of the CPU tests.
REAL_GPU = os.environ.get("MINIGRAD_CUDA_TESTS") == "gpu"


@pytest.mark.parametrize("model_name, dtype_name, rtol", [
    ("mlp", "float64", 1e-12), ("mlp", "float32", 1e-6), ("cnn", "float64", 1e-12)])
def test_compiled_steps_match_eager_on_cuda(model_name, dtype_name, rtol):
    dtype = getattr(minigrad, dtype_name)
    steps = 100 if REAL_GPU else 3 if model_name == "cnn" else 4
    eager_losses, eager_params, _ = train(model_name, dtype, False, steps)
    compiled_losses, compiled_params, step = train(model_name, dtype, True, steps)
    assert step.program is not None, step.eager_reason
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=rtol)
    for ours, reference in zip(compiled_params, eager_params, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=rtol, atol=rtol)
