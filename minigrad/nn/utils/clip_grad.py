r"""Gradient clipping: keep one bad batch from throwing the parameters far away.

When gradients explode (deep or recurrent nets, a learning rate near the edge), a single
step ``p -= lr * p.grad`` can undo all training so far. Clipping bounds the step:

- ``clip_grad_norm_`` rescales *all* gradients together so that their joint norm
  $\lVert (g_1, \dots, g_n) \rVert_p$ is at most ``max_norm``; the direction of the step is
  kept, only its length shrinks.
- ``clip_grad_value_`` clamps every gradient element to ``[-clip_value, clip_value]``;
  simpler, but it changes the direction.

Call either between ``loss.backward()`` and ``optimizer.step()``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import minigrad
from minigrad.tensor import Tensor


def _gradients(parameters: Tensor | Iterable[Tensor], function: str) -> list[Tensor]:
    """The ``.grad`` of every parameter that has one (a single tensor is allowed)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    gradients = []
    for parameter in parameters:
        if not isinstance(parameter, Tensor):
            raise TypeError(f"{function}: parameters must be tensors, "
                            f"got {type(parameter).__name__}")
        if parameter.grad is not None:
            gradients.append(parameter.grad)
    return gradients


def _check_norm_type(norm_type, function: str) -> float:
    is_inf_string = isinstance(norm_type, str) and norm_type.lower() in ("inf", "infinity")
    if isinstance(norm_type, bool) or not (isinstance(norm_type, numbers.Real) or is_inf_string):
        raise TypeError(f"{function}: norm_type must be a number or 'inf', got {norm_type!r}")
    norm_type = float(norm_type)
    if math.isnan(norm_type) or norm_type <= 0:
        raise ValueError(f"{function}: norm_type must be positive or inf, got {norm_type}")
    return norm_type


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    r"""The p-norm of all ``tensors`` together, as if they were one long vector:
    $\lVert (\lVert t_1 \rVert_p, \dots, \lVert t_n \rVert_p) \rVert_p$.

    ``foreach`` is accepted for PyTorch compatibility; minigrad has one implementation.
    """
    norm_type = _check_norm_type(norm_type, "get_total_norm")
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return minigrad.tensor(0.0)
    device = tensors[0].device
    with minigrad.no_grad():
        norms = [tensor.detach().norm(norm_type).to(device) for tensor in tensors]
        total = minigrad.stack(norms).norm(norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                           f"{total.item()}, so they cannot be clipped; pass "
                           "error_if_nonfinite=False to clip anyway")
    return total


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    r"""Scale the gradients of ``parameters`` in place so that their total norm (see
    ``get_total_norm``) is at most ``max_norm``, and return the total norm *before* clipping.

    Every gradient is multiplied by $\min(1, \text{max\_norm} / (\lVert g \rVert + 10^{-6}))$;
    the small constant keeps the division finite when all gradients are zero.
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"clip_grad_norm_: max_norm must be a number, got {max_norm!r}")
    gradients = _gradients(parameters, "clip_grad_norm_")
    total = get_total_norm(gradients, norm_type, error_if_nonfinite, foreach)
    if not gradients:
        return total
    with minigrad.no_grad():
        scale = (float(max_norm) / (total + 1e-6)).clamp(max=1.0)
        for gradient in gradients:
            gradient.mul_(scale.to(gradient.device))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]`` in
    place. ``foreach`` is accepted for PyTorch compatibility."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real):
        raise TypeError(f"clip_grad_value_: clip_value must be a number, got {clip_value!r}")
    clip_value = float(clip_value)
    with minigrad.no_grad():
        for gradient in _gradients(parameters, "clip_grad_value_"):
            gradient.clamp_(min=-clip_value, max=clip_value)
