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

import bisect
import math
import numbers
import types
from typing import Any

from minigrad.optim.optimizer import Optimizer


def _check_number(scheduler: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise TypeError(f"{scheduler}: {name} must be a number, got {value!r}")


def _check_positive_int(scheduler: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{scheduler}: {name} must be a positive integer, got {value!r}")


def _check_optimizer(scheduler: object, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: "
                        f"{type(scheduler).__name__} needs a minigrad.optim optimizer")


class _Saveable:
    """What every scheduler offers: ``get_last_lr`` and ``state_dict``/``load_state_dict``
    (every attribute but the optimizer)."""

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (save the optimizer's own state dict beside it)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict()``."""
        self.__dict__.update(state_dict)


class LRScheduler(_Saveable):
    """Base class: keeps the epoch counter ``last_epoch`` and writes ``get_lr()`` into the
    optimizer's groups on every ``step()``. Subclasses implement ``get_lr``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(self, optimizer)
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

    def step(self) -> None:
        """Advance one epoch and set each group's ``lr``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


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


class MultiStepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``:
    $\eta_t = \eta_0\,\gamma^{m(t)}$, where $m(t)$ counts the milestones $\le t$ (a
    milestone listed twice counts twice, as in PyTorch)."""

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for milestone in milestones:
            if isinstance(milestone, bool) or not isinstance(milestone, numbers.Integral):
                raise TypeError(f"MultiStepLR: milestones must be integers, got {milestone!r}")
        _check_number("MultiStepLR", "gamma", gamma)
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class LambdaLR(LRScheduler):
    r"""Set the learning rate to the base rate times a function of the epoch:
    $\eta_t = \eta_0\,\lambda(t)$. ``lr_lambda`` is one function, or one per parameter group.

    Warm-up, for example: ``LambdaLR(optimizer, lambda epoch: min(1.0, (epoch + 1) / 5))``.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1) -> None:
        _check_optimizer(self, optimizer)
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter "
                             f"group), got {len(lambdas)}")
        for function in lambdas:
            if not callable(function):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got {function!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * function(self.last_epoch)
                for base_lr, function in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, without the functions (a lambda cannot be saved); a callable
        object's attributes are kept, as PyTorch does."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(function, types.FunctionType)
                               else dict(vars(function)) for function in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for function, saved in zip(self.lr_lambdas, saved_lambdas, strict=True):
            if saved is not None:
                vars(function).update(saved)


class ReduceLROnPlateau(_Saveable):
    """Divide the learning rate when a metric stops improving: early stopping's gentler
    cousin. Call ``scheduler.step(validation_loss)`` once per epoch.

    A new value counts as better than the best so far when it beats it by ``threshold``
    (relative: ``best * (1 - threshold)`` for ``mode="min"``; absolute: ``best - threshold``).
    After more than ``patience`` epochs without a better value, every group's rate becomes
    ``max(lr * factor, min_lr)``, then ``cooldown`` epochs pass before bad epochs count
    again. Changes smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        _check_optimizer(self, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError("ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        for name, value in (("factor", factor), ("threshold", threshold), ("eps", eps)):
            _check_number("ReduceLROnPlateau", name, value)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be an integer >= 0, "
                                 f"got {value!r}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, list | tuple) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"ReduceLROnPlateau: expected {groups} min_lr values (one per "
                             f"parameter group), got {len(min_lrs)}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` beats ``best`` by more than the threshold."""
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else \
                best - self.threshold
            return value < bar
        bar = best * (1.0 + self.threshold) if self.threshold_mode == "rel" else \
            best + self.threshold
        return value > bar

    def step(self, metrics) -> None:
        """Record this epoch's metric (a number or a one-element tensor)."""
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                reduced = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - reduced > self.eps:
                    group["lr"] = reduced
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
