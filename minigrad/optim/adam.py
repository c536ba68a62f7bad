"""Adam and AdamW: momentum plus RMSprop-style scaling, with bias correction."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import minigrad
from minigrad.optim.optimizer import (
    Optimizer,
    advance_states,
    check_hyperparameter,
    fusable_group,
    mark_written,
)


def check_betas(betas: tuple[float, float]) -> None:
    """Raise a ValueError unless both betas lie in [0, 1)."""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for index, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
            raise TypeError(f"Invalid beta parameter at index {index}: {beta!r} (expected "
                            f"a number, got {type(beta).__name__})")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def start_state(param, state: dict, group: dict) -> None:
    """Zero moments and step 0 for a parameter's first step (an empty ``state``)."""
    if not state:
        state["step"] = 0
        state["exp_avg"] = minigrad.zeros_like(param)
        state["exp_avg_sq"] = minigrad.zeros_like(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = minigrad.zeros_like(param)


def adam_update(param, grad, state, group, decoupled_weight_decay: bool) -> None:
    r"""One Adam step for one parameter, in PyTorch's order of floating-point operations.

    .. math::
        m &\leftarrow m + (1 - \beta_1)(g - m)            && \text{first moment (mean)} \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2       && \text{second moment} \\
        \hat v &\leftarrow \max(\hat v, v)                  && \text{amsgrad only} \\
        \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^t}\;
            \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon}

    The two ``1 - beta^t`` factors undo the bias of ``m`` and ``v`` toward their zero
    start in the first steps. This is the one-parameter-at-a-time form, written with Tensor
    ops; ``Adam.step`` normally updates a whole group with the backend's ``adam_update_``
    kernel, which makes the same operations in one pass.
    """
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    start_state(param, state, group)
    state["step"] += 1
    step = state["step"]
    if weight_decay != 0:
        if decoupled_weight_decay:
            # AdamW: shrink the weights directly, outside the adaptive scaling.
            param.mul_(1 - lr * weight_decay)
        else:
            # Adam: L2 penalty added to the gradient, then scaled like any gradient.
            grad = grad + param * weight_decay
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    # PyTorch's exp_avg.lerp_(grad, 1 - beta1), equal to beta1 m + (1 - beta1) g: the weight
    # rounded to the dtype, then one of lerp's two formulas (each exact at its end).
    # (alpha=1 - beta1 is rounded to the dtype by add_ itself; minigrad.compile matches the
    # Python number against the optimizer's, see compile/optimizer_scalars.py)
    weight = param.dtype.numpy.type(1 - beta1)
    if weight < 0.5:
        exp_avg.add_(grad - exp_avg, alpha=1 - beta1)
    else:  # 1 - weight is exact here (Sterbenz), so the factor is the kernel's
        exp_avg.copy_(grad - (grad - exp_avg) * float(1 - weight))
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if group["amsgrad"]:
        max_exp_avg_sq = state["max_exp_avg_sq"]
        max_exp_avg_sq.copy_(minigrad.maximum(max_exp_avg_sq, exp_avg_sq))
        denominator = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
    else:
        denominator = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
    param.addcdiv_(exp_avg, denominator, value=-step_size)


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``, same defaults).

    ``weight_decay`` adds $\lambda\theta$ to the gradient (L2 regularisation), which the
    adaptive scaling then weakens for coordinates with large gradients; ``AdamW`` decays the
    weights directly instead. ``amsgrad`` divides by the largest second moment seen so far.
    See :func:`adam_update` for the update formula.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        for label, value in (("learning rate", lr), ("epsilon value", eps),
                             ("weight_decay value", weight_decay)):
            check_hyperparameter(label, value)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    #: AdamW sets this: decay the weights directly instead of adding to the gradient.
    decoupled_weight_decay = False

    def _update_group(self, params, group) -> None:
        """All parameters of the group in one backend call (``adam_update_``), unless they
        mix devices or dtypes (then one at a time, with ``_update``)."""
        if not fusable_group(params):
            super()._update_group(params, group)
            return
        states = advance_states(self, params, group, start_state)
        amsgrad = group["amsgrad"]
        buffers = {name: [state[name] for state in states]
                   for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                   if name != "max_exp_avg_sq" or amsgrad}
        beta1, beta2 = group["betas"]
        params[0].backend.adam_update_(
            [param._data for param in params], [param.grad._data for param in params],
            *([buffer._data for buffer in buffers.get(name, ())]
              for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")),
            [state["step"] for state in states], group["lr"], beta1, beta2, group["eps"],
            group["weight_decay"], amsgrad, group["maximize"], self.decoupled_weight_decay)
        mark_written(params, *buffers.values())

    def _update(self, param, grad, state, group) -> None:
        adam_update(param, grad, state, group, self.decoupled_weight_decay)
