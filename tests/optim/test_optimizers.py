"""Every optimizer follows torch.optim's trajectory step by step (float64, 25 steps).

The model is a tiny two-layer network written with raw Tensor ops, so these tests need only
the tensor core. One extra parameter never receives a gradient: optimizers must skip it.
"""

import numpy as np
import pytest
import torch

import minigrad
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop

STEPS = 25
TOLERANCE = 1e-8


def initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.standard_normal((3, 4)) * 0.5,
        "b1": rng.standard_normal(4) * 0.1,
        "w2": rng.standard_normal((4, 1)) * 0.5,
        "unused": rng.standard_normal(2),
    }


def batch(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 3))
    y = np.sin(x.sum(axis=1, keepdims=True))
    return x, y


def loss_of(params, x, y):
    hidden = (x @ params["w1"] + params["b1"]).tanh()
    return ((hidden @ params["w2"] - y) ** 2).mean()


def minigrad_params(values):
    return {name: minigrad.tensor(value, dtype=minigrad.float64, requires_grad=True)
            for name, value in values.items()}


def torch_params(values):
    return {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
            for name, value in values.items()}


def run_minigrad(optimizer_class, kwargs, values, groups=None, steps=STEPS):
    params = minigrad_params(values)
    x, y = (minigrad.tensor(a, dtype=minigrad.float64) for a in batch())
    optimizer = optimizer_class(groups(params) if groups else list(params.values()), **kwargs)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params, x, y).backward()
        optimizer.step()
        trajectory.append({name: p.numpy().copy() for name, p in params.items()})
    return trajectory


def run_torch(optimizer_class, kwargs, values, groups=None, steps=STEPS):
    params = torch_params(values)
    x, y = (torch.tensor(a, dtype=torch.float64) for a in batch())
    optimizer = optimizer_class(groups(params) if groups else list(params.values()),
                                foreach=False, **kwargs)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params, x, y).backward()
        optimizer.step()
        trajectory.append({name: p.detach().numpy().copy() for name, p in params.items()})
    return trajectory


def assert_same_trajectory(ours, theirs):
    for step, (mine, reference) in enumerate(zip(ours, theirs, strict=True), start=1):
        for name in reference:
            np.testing.assert_allclose(mine[name], reference[name], rtol=0, atol=TOLERANCE,
                                       err_msg=f"parameter {name} after step {step}")


CASES = [
    ("SGD", SGD, torch.optim.SGD, dict(lr=0.1)),
    ("SGD momentum", SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    ("SGD dampening", SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD nesterov", SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD weight decay", SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    ("SGD maximize", SGD, torch.optim.SGD, dict(lr=0.01, maximize=True)),
    ("Adagrad", Adagrad, torch.optim.Adagrad, dict()),
    ("Adagrad all options", Adagrad, torch.optim.Adagrad,
     dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6)),
    ("RMSprop", RMSprop, torch.optim.RMSprop, dict()),
    ("RMSprop centered", RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    ("RMSprop momentum", RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    ("Adagrad maximize", Adagrad, torch.optim.Adagrad, dict(lr=0.1, maximize=True)),
    ("RMSprop all options", RMSprop, torch.optim.RMSprop,
     dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.5, centered=True)),
    ("RMSprop maximize", RMSprop, torch.optim.RMSprop, dict(lr=0.01, maximize=True)),
    ("Adam", Adam, torch.optim.Adam, dict()),
    ("Adam lr betas", Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam weight decay", Adam, torch.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    ("Adam amsgrad", Adam, torch.optim.Adam, dict(lr=0.05, amsgrad=True)),
    ("Adam maximize", Adam, torch.optim.Adam, dict(lr=0.01, maximize=True)),
    ("AdamW", AdamW, torch.optim.AdamW, dict()),
    ("AdamW options", AdamW, torch.optim.AdamW,
     dict(lr=0.05, weight_decay=0.3, amsgrad=True, betas=(0.85, 0.98))),
]


@pytest.mark.parametrize("name, ours, theirs, kwargs", CASES, ids=[case[0] for case in CASES])
def test_trajectory_matches_torch(name, ours, theirs, kwargs):
    values = initial_values()
    assert_same_trajectory(run_minigrad(ours, kwargs, values),
                           run_torch(theirs, kwargs, values))


def test_trajectory_moves_parameters():
    # Guard against a vacuous comparison: the optimizers really change the weights.
    values = initial_values()
    trajectory = run_minigrad(Adam, dict(lr=0.05), values)
    assert np.abs(trajectory[-1]["w1"] - values["w1"]).max() > 0.05
    np.testing.assert_array_equal(trajectory[-1]["unused"], values["unused"])


@pytest.mark.parametrize("ours, theirs", [(SGD, torch.optim.SGD), (Adam, torch.optim.Adam),
                                          (RMSprop, torch.optim.RMSprop)])
def test_parameter_groups_use_their_own_hyperparameters(ours, theirs):
    def groups(params):
        return [{"params": [params["w1"], params["b1"]], "lr": 0.02},
                {"params": [params["w2"], params["unused"]], "weight_decay": 0.1}]

    kwargs = dict(lr=0.1, momentum=0.9) if ours is not Adam else dict(lr=0.01)
    values = initial_values(3)
    assert_same_trajectory(run_minigrad(ours, kwargs, values, groups),
                           run_torch(theirs, kwargs, values, groups))


@pytest.mark.parametrize("optimizer_class", [SGD, Adagrad, RMSprop, Adam, AdamW])
def test_defaults_match_torch(optimizer_class):
    reference = getattr(torch.optim, optimizer_class.__name__)
    p = minigrad.tensor([1.0], requires_grad=True)
    ours = optimizer_class([p]).defaults
    theirs = reference([torch.zeros(1, requires_grad=True)]).defaults
    for key, value in ours.items():
        assert theirs[key] == value, key


def test_float32_parameters_stay_float32():
    p = minigrad.tensor(np.ones(3, np.float32), requires_grad=True)
    optimizer = Adam([p], lr=0.1)
    (p * p).sum().backward()
    optimizer.step()
    assert p.dtype == minigrad.float32
    np.testing.assert_allclose(p.numpy(), np.full(3, 0.9, np.float32), rtol=1e-6)
