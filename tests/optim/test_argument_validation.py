"""Optimizers and learning-rate schedulers refuse bad arguments up front, with PyTorch's
messages where PyTorch has one (checked against the installed torch)."""

import math

import pytest
import torch

import minigrad
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minigrad.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

OPTIMIZERS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "Adagrad": Adagrad,
              "RMSprop": RMSprop}


def _torch_error(torch_class, **kwargs):
    with pytest.raises(Exception) as error:
        torch_class([torch.zeros(2, requires_grad=True)], **kwargs)
    return str(error.value)


@pytest.fixture
def weight():
    return minigrad.zeros(2, requires_grad=True)


# The hyperparameters each optimizer checks, as PyTorch's do.
CHECKED = {
    "SGD": ["lr", "momentum", "weight_decay"],
    "Adam": ["lr", "eps", "weight_decay"],
    "AdamW": ["lr", "eps", "weight_decay"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"],
}


@pytest.mark.parametrize("name, keyword", [(name, keyword) for name, keywords in CHECKED.items()
                                           for keyword in keywords])
@pytest.mark.parametrize("value", [-1, -0.5])
def test_negative_hyperparameters_raise_torchs_message(name, keyword, value, weight):
    expected = _torch_error(getattr(torch.optim, name), **{keyword: value})
    with pytest.raises(ValueError) as error:
        OPTIMIZERS[name]([weight], **{keyword: value})
    assert str(error.value) == expected


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("lr", ["fast", None, [0.1], True])
def test_a_learning_rate_that_is_not_a_number_is_a_type_error(name, lr, weight):
    with pytest.raises(TypeError, match=r"Invalid learning rate: .* \(expected a number"):
        OPTIMIZERS[name]([weight], lr=lr)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_nan_learning_rate_is_refused(name, weight):
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        OPTIMIZERS[name]([weight], lr=math.nan)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_non_leaf_tensors_cannot_be_optimized(name, weight):
    with pytest.raises(ValueError) as torch_error:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True) * 2], lr=0.1)
    with pytest.raises(ValueError, match=r"can't optimize a non-leaf Tensor .*parameter 1, "
                                         r"shape \(2,\)") as error:
        OPTIMIZERS[name]([weight, weight * 2], lr=0.1)
    assert str(error.value).startswith(str(torch_error.value))


def test_a_parameter_group_with_a_bad_learning_rate_is_refused(weight):
    other = minigrad.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        SGD([{"params": [weight]}, {"params": [other], "lr": -0.1}], lr=0.1)
    optimizer = SGD([weight], lr=0.1)
    with pytest.raises(TypeError, match="Invalid learning rate: 'slow'"):
        optimizer.add_param_group({"params": [other], "lr": "slow"})
    assert len(optimizer.param_groups) == 1


@pytest.mark.parametrize("betas", [(1.0, 0.9), (0.9, -0.1), (0.9, 1.0)])
def test_adam_betas_use_torchs_message(betas, weight):
    expected = _torch_error(torch.optim.Adam, betas=betas)
    with pytest.raises(ValueError) as error:
        Adam([weight], betas=betas)
    assert str(error.value) == expected


def test_adam_betas_that_are_not_numbers_are_a_type_error(weight):
    with pytest.raises(TypeError, match="Invalid beta parameter at index 0: 'a'"):
        Adam([weight], betas=("a", 0.9))


def test_nesterov_uses_torchs_message(weight):
    expected = _torch_error(torch.optim.SGD, lr=0.1, nesterov=True)
    with pytest.raises(ValueError) as error:
        SGD([weight], lr=0.1, nesterov=True)
    assert str(error.value) == expected


# --- learning-rate schedulers -------------------------------------------------------------
@pytest.fixture
def optimizer(weight):
    return SGD([weight], lr=0.1)


@pytest.mark.parametrize("make, error, message", [
    (lambda o: StepLR(o, step_size=0), ValueError, "StepLR: step_size must be a positive"),
    (lambda o: StepLR(o, step_size=1.5), ValueError, "step_size must be a positive integer"),
    (lambda o: StepLR(o, step_size=True), ValueError, "step_size must be a positive integer"),
    (lambda o: StepLR(o, step_size=2, gamma="half"), TypeError, "gamma must be a number"),
    (lambda o: ExponentialLR(o, gamma=None), TypeError, "gamma must be a number, got None"),
    (lambda o: ExponentialLR(o, gamma=math.nan), TypeError, "gamma must be a number"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive integer"),
    (lambda o: CosineAnnealingLR(o, T_max="10"), ValueError, "T_max must be a positive"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min="0"), TypeError, "eta_min must be a"),
    (lambda o: StepLR(o, step_size=2, last_epoch=-2), ValueError, "last_epoch must be an"),
    (lambda o: StepLR("sgd", step_size=2), TypeError, "str is not an Optimizer"),
])
def test_scheduler_arguments_are_checked(optimizer, make, error, message):
    with pytest.raises(error, match=message):
        make(optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.1
