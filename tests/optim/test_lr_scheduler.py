"""Learning-rate schedules give PyTorch's learning rates epoch by epoch."""

import pickle

import pytest
import torch

import minigrad
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)

SCHEDULES = [
    (StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=4, gamma=0.5)),
    (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, dict(gamma=0.9)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=10)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
     dict(T_max=7, eta_min=0.01)),
    (MultiStepLR, torch.optim.lr_scheduler.MultiStepLR, dict(milestones=[9, 3, 12, 12],
                                                             gamma=0.5)),
    (LambdaLR, torch.optim.lr_scheduler.LambdaLR,
     dict(lr_lambda=lambda epoch: min(1.0, (epoch + 1) / 5) * 0.95**epoch)),
    (LambdaLR, torch.optim.lr_scheduler.LambdaLR,
     dict(lr_lambda=[lambda epoch: 1 / (epoch + 1), lambda epoch: 0.9**epoch])),
]


def make_minigrad_optimizer():
    return SGD([{"params": [minigrad.tensor([1.0], requires_grad=True)]},
                {"params": [minigrad.tensor([2.0], requires_grad=True)], "lr": 0.3}], lr=0.1)


def make_torch_optimizer():
    return torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.3}], lr=0.1)


@pytest.mark.parametrize("ours, theirs, kwargs", SCHEDULES)
def test_learning_rates_match_torch(ours, theirs, kwargs):
    optimizer, torch_optimizer = make_minigrad_optimizer(), make_torch_optimizer()
    scheduler, torch_scheduler = ours(optimizer, **kwargs), theirs(torch_optimizer, **kwargs)
    for epoch in range(25):
        mine, reference = scheduler.get_last_lr(), torch_scheduler.get_last_lr()
        assert mine == pytest.approx(reference, rel=1e-12, abs=1e-15), f"epoch {epoch}"
        assert [group["lr"] for group in optimizer.param_groups] == mine
        torch_optimizer.step()
        torch_scheduler.step()
        scheduler.step()


def test_step_lr_values():
    optimizer = SGD([minigrad.tensor([1.0], requires_grad=True)], lr=1.0)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.1)
    rates = []
    for _ in range(5):
        rates.append(scheduler.get_last_lr()[0])
        scheduler.step()
    assert rates == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


def test_scheduler_state_dict_resumes():
    optimizer = make_minigrad_optimizer()
    scheduler = CosineAnnealingLR(optimizer, T_max=10)
    for _ in range(4):
        scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved
    other_optimizer = make_minigrad_optimizer()
    other = CosineAnnealingLR(other_optimizer, T_max=10)
    other.load_state_dict(saved)
    scheduler.step()
    other.step()
    assert other.get_last_lr() == scheduler.get_last_lr()
    assert other_optimizer.param_groups[1]["lr"] == optimizer.param_groups[1]["lr"]


def test_scheduler_argument_checks():
    with pytest.raises(TypeError, match="optimizer"):
        StepLR("not an optimizer", step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(make_minigrad_optimizer(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(make_minigrad_optimizer(), T_max=0)


# A validation loss that improves, stalls, wobbles inside the threshold and improves again.
PLATEAU_METRICS = [1.0, 0.8, 0.8, 0.79995, 0.81, 0.8, 0.8, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6,
                   0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2, min_lr=[0.02, 0.0]),
    dict(mode="max", patience=0, factor=0.3, threshold=0.1, threshold_mode="abs"),
    dict(mode="min", patience=1, threshold=0.01, threshold_mode="abs", min_lr=0.05),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    optimizer, torch_optimizer = make_minigrad_optimizer(), make_torch_optimizer()
    scheduler = ReduceLROnPlateau(optimizer, **kwargs)
    torch_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **kwargs)
    for epoch, metric in enumerate(PLATEAU_METRICS):
        scheduler.step(minigrad.tensor(metric) if epoch % 2 else metric)
        torch_scheduler.step(metric)
        mine, reference = scheduler.get_last_lr(), torch_scheduler.get_last_lr()
        assert mine == pytest.approx(reference, rel=1e-12, abs=1e-15), f"epoch {epoch}"
        assert [group["lr"] for group in optimizer.param_groups] == mine
    assert scheduler.get_last_lr() != [0.1, 0.3], "the schedule never reduced the rate"


def test_reduce_lr_on_plateau_state_dict_and_checks():
    scheduler = ReduceLROnPlateau(make_minigrad_optimizer(), patience=1)
    for metric in (1.0, 1.0, 1.0):
        scheduler.step(metric)
    other = ReduceLROnPlateau(make_minigrad_optimizer(), patience=1)
    other.load_state_dict(pickle.loads(pickle.dumps(scheduler.state_dict())))
    assert (other.best, other.num_bad_epochs, other.last_epoch) == (1.0, 0, 3)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(make_minigrad_optimizer(), factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        ReduceLROnPlateau(make_minigrad_optimizer(), mode="lowest")
    with pytest.raises(ValueError, match="min_lr"):
        ReduceLROnPlateau(make_minigrad_optimizer(), min_lr=[0.1])


def test_multistep_and_lambda_checks_and_state():
    with pytest.raises(TypeError, match="milestones"):
        MultiStepLR(make_minigrad_optimizer(), milestones=[1.5])
    with pytest.raises(ValueError, match="2 lr_lambdas"):
        LambdaLR(make_minigrad_optimizer(), lr_lambda=[lambda epoch: 1.0])
    with pytest.raises(TypeError, match="callable"):
        LambdaLR(make_minigrad_optimizer(), lr_lambda=0.5)
    scheduler = LambdaLR(make_minigrad_optimizer(), lr_lambda=lambda epoch: 0.5**epoch)
    scheduler.step()
    saved = pickle.loads(pickle.dumps(scheduler.state_dict()))
    other = LambdaLR(make_minigrad_optimizer(), lr_lambda=lambda epoch: 0.5**epoch)
    other.load_state_dict(saved)
    other.step()
    scheduler.step()
    assert other.get_last_lr() == scheduler.get_last_lr() == pytest.approx([0.025, 0.075])
