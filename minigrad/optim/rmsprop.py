"""RMSprop: divide each step by a moving root-mean-square of recent gradients."""

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

# The state buffers of a parameter, each only when its group uses it.
_BUFFERS = ("square_avg", "grad_avg", "momentum_buffer")


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``, same defaults).

    Unlike Adagrad's ever-growing sum, RMSprop keeps an exponential moving average $v$ of
    squared gradients, so old gradients are forgotten at rate $\alpha$.

    .. math::
        g &\leftarrow g + \lambda\,\theta \\
        v &\leftarrow \alpha\, v + (1 - \alpha)\, g^2 \\
        \bar g &\leftarrow \bar g + (1 - \alpha)(g - \bar g)
            \quad\text{and}\quad \tilde v = v - \bar g^2 \quad \text{(centered only)} \\
        d &= \sqrt{\tilde v} + \epsilon \qquad (\tilde v = v \text{ when not centered}) \\
        b &\leftarrow \mu\, b + g / d, \quad \theta \leftarrow \theta - \eta\, b
            \quad \text{(momentum } \mu > 0\text{)} \\
        \theta &\leftarrow \theta - \eta\, g / d \quad \text{(no momentum)}

    ``centered`` normalises by the variance of the gradient instead of its raw second
    moment.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        for label, value in (("learning rate", lr), ("alpha value", alpha),
                             ("epsilon value", eps), ("weight_decay value", weight_decay),
                             ("momentum value", momentum)):
            check_hyperparameter(label, value)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    @staticmethod
    def _start_state(param, state: dict, group: dict) -> None:
        """Zero buffers and step 0 for a parameter's first step (an empty ``state``)."""
        if not state:
            state["step"] = 0
            state["square_avg"] = minigrad.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = minigrad.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = minigrad.zeros_like(param)

    def _update_group(self, params, group) -> None:
        """All parameters of the group in one backend call (``rmsprop_update_``), unless
        they mix devices or dtypes (then one at a time, with ``_update``)."""
        if not fusable_group(params):
            super()._update_group(params, group)
            return
        states = advance_states(self, params, group, self._start_state)
        buffers = {name: [state[name] for state in states] for name in _BUFFERS
                   if name in states[0]}
        params[0].backend.rmsprop_update_(
            [param._data for param in params], [param.grad._data for param in params],
            *([buffer._data for buffer in buffers.get(name, ())] for name in _BUFFERS),
            group["lr"], group["alpha"], group["eps"], group["weight_decay"],
            group["momentum"], group["centered"], group["maximize"])
        mark_written(params, *buffers.values())

    def _update(self, param, grad, state, group) -> None:
        self._start_state(param, state, group)
        state["step"] += 1
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + param * group["weight_decay"]
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            # A linear interpolation toward g, written as PyTorch's lerp_ computes it.
            grad_avg.add_(grad - grad_avg, alpha=1 - alpha)
            # Var[g] = E[g^2] - E[g]^2.
            avg = (square_avg - grad_avg * grad_avg).sqrt()
        else:
            avg = square_avg.sqrt()
        avg.add_(group["eps"])
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer.mul_(group["momentum"]).addcdiv_(grad, avg)
            param.add_(buffer, alpha=-group["lr"])
        else:
            param.addcdiv_(grad, avg, value=-group["lr"])
