"""Optimizer bookkeeping: zero_grad, state_dict round trips, argument checks."""

import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop


def quadratic_params(seed=0):
    rng = np.random.default_rng(seed)
    return [minigrad.tensor(rng.standard_normal(shape), dtype=minigrad.float64,
                            requires_grad=True) for shape in [(3, 2), (2,)]]


def train(params, optimizer, steps):
    # f(a, b) = sum((a - 1)^2) + sum(a @ b): gradients that change from step to step.
    for _ in range(steps):
        optimizer.zero_grad()
        a, b = params
        (((a - 1.0) ** 2).sum() + (a @ b).sum()).backward()
        optimizer.step()


OPTIMIZERS = [
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (Adagrad, dict(lr=0.1)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (Adam, dict(lr=0.05, amsgrad=True)),
    (AdamW, dict(lr=0.05)),
]


@pytest.mark.parametrize("optimizer_class, kwargs", OPTIMIZERS,
                         ids=[case[0].__name__ for case in OPTIMIZERS])
def test_state_dict_round_trip_resumes_exactly(optimizer_class, kwargs):
    straight = quadratic_params()
    train(straight, optimizer_class(straight, **kwargs), 20)

    first = quadratic_params()
    optimizer = optimizer_class(first, **kwargs)
    train(first, optimizer, 8)
    saved = optimizer.state_dict()
    train(first, optimizer, 3)  # training on must not change the saved copy

    resumed = [minigrad.tensor(p.numpy(), dtype=minigrad.float64, requires_grad=True)
               for p in quadratic_params()]
    warmup = optimizer_class(resumed, **kwargs)
    train(resumed, warmup, 8)
    fresh = optimizer_class(resumed, **{**kwargs, "lr": 123.0})
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    train(resumed, fresh, 12)
    for mine, reference in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_state_dict_layout():
    params = quadratic_params()
    optimizer = Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}])
    train(params, optimizer, 2)
    state = optimizer.state_dict()
    assert [group["params"] for group in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.5
    assert state["state"][0]["step"] == 2
    assert state["state"][0]["exp_avg"].shape == (3, 2)
    assert optimizer.state[params[1]]["exp_avg_sq"].shape == (2,)


def test_load_state_dict_checks_shapes_and_groups():
    params = quadratic_params()
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    train(params, optimizer, 1)
    saved = optimizer.state_dict()
    other = [minigrad.tensor(np.zeros((2, 3)), requires_grad=True),
             minigrad.tensor(np.zeros(2), requires_grad=True)]
    with pytest.raises(ValueError, match=r"shape \(3, 2\) does not match.*\(2, 3\)"):
        SGD(other, lr=0.1, momentum=0.9).load_state_dict(saved)
    with pytest.raises(ValueError, match="2 parameters.*1"):
        SGD(params[:1], lr=0.1).load_state_dict(saved)


def test_zero_grad_sets_to_none_or_zero():
    params = quadratic_params()
    optimizer = SGD(params, lr=0.1)
    train(params, optimizer, 1)
    (params[0].sum() + params[1].sum()).backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_returns_closure_loss():
    params = quadratic_params()
    optimizer = SGD(params, lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (params[0] ** 2).sum()
        loss.backward()
        return loss

    before = params[0].numpy().copy()
    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx((before**2).sum())
    np.testing.assert_allclose(params[0].numpy(), before * 0.8)


def test_bad_arguments_raise_clear_errors():
    params = quadratic_params()
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(params[0], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a list"):
        SGD([params[0], [1.0]], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        Adam(params, lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than once"):
        SGD([{"params": params}, {"params": params[:1]}], lr=0.1)
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        SGD([{"params": params, "betas": (0.9, 0.9)}], lr=0.1)
