"""Learning-rate schedules give PyTorch's learning rates epoch by epoch."""

import pytest
import torch

import minigrad
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

SCHEDULES = [
    (StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=4, gamma=0.5)),
    (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, dict(gamma=0.9)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=10)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
     dict(T_max=7, eta_min=0.01)),
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
