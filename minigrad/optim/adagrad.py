"""Adagrad: per-coordinate learning rates shrinking with the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable

import minigrad
from minigrad.optim.optimizer import (
    Optimizer,
    advance_states,
    check_hyperparameter,
    fusable_group,
    mark_written,
)


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's ``torch.optim.Adagrad``, same defaults).

    Each coordinate keeps the running sum of its squared gradients $s$ and divides its
    step by $\sqrt{s}$: coordinates that saw large gradients take smaller steps.

    .. math::
        g &\leftarrow g + \lambda\,\theta \\
        \tilde\eta &= \eta / (1 + (t - 1)\,\text{lr\_decay}) \\
        s &\leftarrow s + g^2 \qquad (s_0 = \text{initial\_accumulator\_value}) \\
        \theta &\leftarrow \theta - \tilde\eta\, g / (\sqrt{s} + \epsilon)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        for label, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                             ("weight_decay value", weight_decay),
                             ("initial_accumulator_value value", initial_accumulator_value),
                             ("epsilon value", eps)):
            check_hyperparameter(label, value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    @staticmethod
    def _start_state(param, state: dict, group: dict) -> None:
        """The sum at ``initial_accumulator_value`` and step 0 for a parameter's first step."""
        if not state:
            state["step"] = 0
            state["sum"] = minigrad.zeros_like(param)
            state["sum"].fill_(group["initial_accumulator_value"])

    def _update_group(self, params, group) -> None:
        """All parameters of the group in one backend call (``adagrad_update_``), unless
        they mix devices or dtypes (then one at a time, with ``_update``)."""
        if not fusable_group(params):
            super()._update_group(params, group)
            return
        states = advance_states(self, params, group, self._start_state)
        sums = [state["sum"] for state in states]
        params[0].backend.adagrad_update_(
            [param._data for param in params], [param.grad._data for param in params],
            [total._data for total in sums], [state["step"] for state in states],
            group["lr"], group["lr_decay"], group["eps"], group["weight_decay"],
            group["maximize"])
        mark_written(params, sums)

    def _update(self, param, grad, state, group) -> None:
        self._start_state(param, state, group)
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + param * group["weight_decay"]
        decayed_lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad, value=1)
        std = state["sum"].sqrt().add_(group["eps"])
        param.addcdiv_(grad, std, value=-decayed_lr)
