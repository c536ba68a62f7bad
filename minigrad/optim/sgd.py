"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

import minigrad
from minigrad.optim.optimizer import Optimizer, check_hyperparameter, fusable_group, mark_written


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``, same defaults).

    For each parameter $\theta$ with gradient $g$ (negated when ``maximize``):

    .. math::
        g &\leftarrow g + \lambda\,\theta                  && \text{weight\_decay } \lambda \\
        b &\leftarrow \mu\, b + (1 - \tau)\, g             && \text{momentum } \mu,
            \text{dampening } \tau \ (b = g \text{ on the first step}) \\
        g &\leftarrow g + \mu\, b \text{ if nesterov else } b \\
        \theta &\leftarrow \theta - \eta\, g               && \text{lr } \eta

    Without momentum it is the plain rule $\theta \leftarrow \theta - \eta\,g$.
    ``step`` applies it to a whole parameter group in one backend call (``sgd_update_``,
    one pass per parameter); ``_update`` is the same rule written with Tensor ops, used for
    groups that mix devices or dtypes.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        for label, value in (("learning rate", lr), ("momentum value", momentum),
                             ("weight_decay value", weight_decay)):
            check_hyperparameter(label, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update_group(self, params, group) -> None:
        """All parameters of the group in one backend call (``sgd_update_``), unless they
        mix devices or dtypes (then one at a time, with ``_update``)."""
        if not fusable_group(params):
            super()._update_group(params, group)
            return
        momentum = group["momentum"]
        velocities, new_velocities = [], []
        for param in params:
            state = self._state_of(param)
            if momentum != 0:
                velocity = state.get("momentum_buffer")
                new_velocities.append(velocity is None)
                if velocity is None:
                    velocity = state["momentum_buffer"] = minigrad.zeros_like(param)
                velocities.append(velocity)
        params[0].backend.sgd_update_(
            [param._data for param in params], [param.grad._data for param in params],
            [velocity._data for velocity in velocities], new_velocities, group["lr"],
            momentum, group["dampening"], group["weight_decay"], group["nesterov"],
            group["maximize"])
        mark_written(params, velocities)

    def _update(self, param, grad, state, group) -> None:
        if group["weight_decay"] != 0:
            # L2 regularisation: the gradient of (lambda / 2) * ||theta||^2 is lambda * theta.
            grad = grad + param * group["weight_decay"]
        momentum = group["momentum"]
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # The first step starts the velocity at the gradient itself (no dampening).
                buffer = state["momentum_buffer"] = minigrad.zeros_like(param)
                buffer.copy_(grad)
            else:
                buffer.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            if group["nesterov"]:
                # Look ahead: use the gradient plus the velocity it is about to add.
                grad = grad + buffer * momentum
            else:
                grad = buffer
        param.add_(grad, alpha=-group["lr"])
