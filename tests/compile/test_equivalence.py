"""100 compiled steps give the same model as 100 eager steps."""

from __future__ import annotations

import numpy as np
import pytest
from compile_models import train

import minigrad
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minigrad.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

TOLERANCES = {"float64": 1e-12, "float32": 1e-6}


def assert_same_training(eager, compiled, dtype_name: str) -> None:
    eager_state, eager_losses, _ = eager
    compiled_state, compiled_losses, step = compiled
    rtol = TOLERANCES[dtype_name]
    assert step.program is not None, step.eager_reason  # it really replayed
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=rtol, atol=0)
    assert compiled_state.keys() == eager_state.keys()
    for name in eager_state:
        np.testing.assert_allclose(compiled_state[name], eager_state[name], rtol=rtol,
                                   atol=rtol * np.abs(eager_state[name]).max(), err_msg=name)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("model_name", ["mlp", "lenet5", "dropout_batchnorm"])
def test_hundred_steps_match_eager(model_name, dtype_name):
    dtype = getattr(minigrad, dtype_name)
    eager = train(model_name, dtype, 100, compiled=False)
    compiled = train(model_name, dtype, 100, compiled=True)
    assert_same_training(eager, compiled, dtype_name)


OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd_nesterov_decay": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                        weight_decay=1e-3),
    "adagrad": lambda p: Adagrad(p, lr=0.1),
    "rmsprop": lambda p: RMSprop(p, lr=0.01, momentum=0.5),
    "adam": lambda p: Adam(p, lr=0.01),
    "adam_amsgrad": lambda p: Adam(p, lr=0.01, amsgrad=True, weight_decay=1e-2),
    "adamw": lambda p: AdamW(p, lr=0.01),
}

SCHEDULERS = {
    "none": None,
    "step": lambda o: StepLR(o, step_size=7, gamma=0.5),
    "exponential": lambda o: ExponentialLR(o, gamma=0.95),
    "cosine": lambda o: CosineAnnealingLR(o, T_max=10),
}


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_every_optimizer(optimizer_name):
    make = OPTIMIZERS[optimizer_name]
    eager = train("dropout_batchnorm", minigrad.float64, 40, False, make)
    compiled = train("dropout_batchnorm", minigrad.float64, 40, True, make)
    assert_same_training(eager, compiled, "float64")


@pytest.mark.parametrize("scheduler_name", sorted(SCHEDULERS))
def test_every_scheduler_inside_the_step(scheduler_name):
    make = SCHEDULERS[scheduler_name]
    eager = train("mlp", minigrad.float64, 40, False, OPTIMIZERS["adam"], make)
    compiled = train("mlp", minigrad.float64, 40, True, OPTIMIZERS["adam"], make)
    assert_same_training(eager, compiled, "float64")
