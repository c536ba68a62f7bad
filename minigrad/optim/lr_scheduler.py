"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch, after the optimizer's steps of that epoch::

    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(30):
        for xb, yb in loader:
            ...
            optimizer.step()
        scheduler.step()

Each scheduler computes the rate from the epoch counter in closed form (the formula in its
docstring), starting from each group's learning rate when the scheduler was made
(``base_lrs``). Setting ``group["lr"]`` by hand is overwritten at the next ``step()``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from minigrad.optim.optimizer import Optimizer


def _check_number(scheduler: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise TypeError(f"{scheduler}: {name} must be a number, got {value!r}")


def _check_positive_int(scheduler: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{scheduler}: {name} must be a positive integer, got {value!r}")


class LRScheduler:
    """Base class: keeps the epoch counter ``last_epoch`` and writes ``get_lr()`` into the
    optimizer's groups on every ``step()``. Subclasses implement ``get_lr``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: "
                            f"{type(self).__name__} needs a minigrad.optim optimizer")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or \
                last_epoch < -1:
            raise ValueError(f"{type(self).__name__}: last_epoch must be an integer >= -1 "
                             f"(-1 starts a new schedule), got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param group {number} has no 'initial_lr'; it is needed "
                                   "to resume a schedule (last_epoch != -1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        # Apply the rate of epoch 0 (PyTorch does the same initial step).
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of every group at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set each group's ``lr``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (save the optimizer's own state dict beside it)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict()``."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    $\eta_t = \eta_0\,\gamma^{\lfloor t / \text{step\_size} \rfloor}$."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_positive_int("StepLR", "step_size", step_size)
        _check_number("StepLR", "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch: $\eta_t = \eta_0\,\gamma^t$."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_number("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` epochs:

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})
            \left(1 + \cos\left(\pi\, t / T_{max}\right)\right)

    Past ``T_max`` the cosine continues, so the rate climbs back up (as in PyTorch).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        _check_number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * cosine / 2 for base_lr in self.base_lrs]
