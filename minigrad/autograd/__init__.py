"""Automatic differentiation: graph nodes (``Function``), the backward engine, grad modes."""

from __future__ import annotations

from minigrad.autograd.engine import run_backward, seed_gradient
from minigrad.autograd.function import Function, module_scope
from minigrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.autograd.variable import Variable
from minigrad.unsupported import AUTOGRAD as _UNSUPPORTED
from minigrad.unsupported import module_getattr

__getattr__ = module_getattr("minigrad.autograd", _UNSUPPORTED)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than stored.

    ``inputs`` may be leaves or intermediate tensors. With ``create_graph=True`` the
    returned gradients are themselves differentiable, which gives second derivatives::

        x = minigrad.tensor(3.0, requires_grad=True)
        (dy,) = minigrad.grad(x**3, x, create_graph=True)   # 3x^2 = 27
        (d2y,) = minigrad.grad(dy, x)                        # 6x = 18
    """
    from minigrad.tensor import Tensor

    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad(): got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs"
        )
    seeds = []
    for output, seed in zip(outputs, grad_outputs, strict=True):
        if not output.requires_grad:
            raise RuntimeError(
                f"grad(): an output of shape {output.shape} does not require grad and has no "
                "grad_fn"
            )
        if seed is None:
            if output.numel() != 1:
                raise RuntimeError(
                    f"grad(): grad can be implicitly created only for outputs with one element; "
                    f"pass grad_outputs for the output of shape {output.shape}"
                )
            seed = output.ones_like()
        else:
            seed = seed_gradient(output, seed, "grad()")
        seeds.append(seed)
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"grad(): input {i} is a {type(tensor).__name__}, not a Tensor")
        if not tensor.requires_grad:
            raise RuntimeError(f"grad(): input {i} (shape {tensor.shape}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    gradients = run_backward(outputs, seeds, retain_graph, create_graph, inputs=inputs)
    if not allow_unused:
        for i, gradient in enumerate(gradients):
            if gradient is None:
                raise RuntimeError(
                    f"grad(): input {i} (shape {inputs[i].shape}) is not part of the graph that "
                    "computed the outputs; pass allow_unused=True to get None for it"
                )
    return gradients


def gradcheck(*args, **kwargs):
    """``torch.autograd.gradcheck``: :func:`minigrad.testing.gradcheck` (the testing layer
    sits above autograd, hence the late import)."""
    from minigrad.testing import gradcheck as check

    return check(*args, **kwargs)


def gradgradcheck(*args, **kwargs):
    """``torch.autograd.gradgradcheck``: :func:`minigrad.testing.gradgradcheck`."""
    from minigrad.testing import gradgradcheck as check

    return check(*args, **kwargs)


__all__ = [
    "Function",
    "Variable",
    "gradcheck",
    "gradgradcheck",
    "grad",
    "module_scope",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "run_backward",
]
