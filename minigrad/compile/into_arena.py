"""Backend calls replayed as numpy/BLAS calls that write into the arena (``out=``).

A backend kernel allocates its result on every call and checks its arguments' shapes and
dtypes first; both are fixed by the input signature once a program is planned. For the
dense layers, where most of an MLP's temporaries come from, the replay calls numpy itself
with ``out=`` views of the arena instead (``matmul_into(a, b, t7)`` for
``t7 = matmul(a, b)``), so a replayed step allocates no activations or local gradients.

Each replacement must give the backend's numbers bit for bit. That is checked, not assumed:
before a call is replaced, the backend method and its replacement run on random arrays of
the traced shapes and dtypes, and the call keeps its backend kernel unless every byte of
every result agrees (a backend that sums in another order, or uses its own matmul kernel,
keeps its own kernel).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad.backend import get_backend
from minigrad.backend.cpu import _kernels as cpu_kernels
from minigrad.compile.planner import Plan
from minigrad.compile.recorder import KernelCall, SlotRef


def linear_into(x, weight, bias, activation, out) -> None:
    """``out = activation(x @ weight.T + bias)``: BLAS reads ``weight.T`` with its
    transpose flag; bias and ReLU are applied in place, the same roundings as one pass."""
    np.dot(x, weight.T, out=out)
    if bias is not None:
        np.add(out, bias, out=out)
    if activation == "relu":
        np.maximum(out, 0, out=out)


def linear_backward_into(grad, x, weight, needs_input_grad, *outs) -> None:
    """The requested gradients of ``x @ weight.T + bias`` (``grad @ weight``,
    ``grad.T @ x``, ``grad.sum(0)``), each into the next of ``outs``."""
    needs_x, needs_weight, needs_bias = needs_input_grad
    outs = iter(outs)
    if needs_x:  # np.dot, as the backend: see backend/cpu/dense.py's _matmul_2d
        np.dot(grad, weight, out=next(outs))
    if needs_weight:
        np.dot(grad.T, x, out=next(outs))
    if needs_bias:  # np.sum's own reduction, without np.sum's Python wrapper
        np.add.reduce(grad, axis=0, out=next(outs))


def matmul_into(a, b, out) -> None:
    if a.ndim == 2 and b.ndim == 2:  # as the backend's matmul
        np.dot(a, b, out=out)
    else:
        np.matmul(a, b, out=out)


def relu_into(op, a, out) -> None:
    """``unary("relu", a)``: the backend's own ReLU kernel, writing into ``out`` (only ReLU:
    exp, log, ... keep their backend kernel, which silences numpy's overflow warnings)."""
    cpu_kernels("activation").relu(a, out)


def add_into(a, b, out) -> None:
    np.add(a, b, out=out)


def sub_into(a, b, out) -> None:
    np.subtract(a, b, out=out)


def mul_into(a, b, out) -> None:
    np.multiply(a, b, out=out)


def sum_into(a, axes, keepdims, out) -> None:
    np.add.reduce(a, axis=axes, keepdims=keepdims, out=out)


# backend method -> its replacement, called as replacement(*args, *outputs)
REPLACEMENTS: dict[str, Callable] = {
    "linear": linear_into,
    "linear_backward": linear_backward_into,
    "matmul": matmul_into,
    "unary": relu_into,
    "add": add_into,
    "sub": sub_into,
    "mul": mul_into,
    "sum": sum_into,
}


def arena_calls(plan: Plan, skipped: set[int], kept: set[int]) -> dict[int, Callable]:
    """``{event index: replacement}`` for the CPU calls outside ``skipped`` (fused ones)
    whose results are all temporaries (none in ``kept``) and whose replacement matched
    the backend on random arrays of the traced shapes."""
    calls = {}
    rng = np.random.default_rng(0)
    for index, event in enumerate(plan.events):
        # (not inside an optimizer step: its numbers change from call to call)
        if (not isinstance(event, KernelCall) or index in skipped or event.device != "cpu"
                or event.host is not None
                or event.method not in REPLACEMENTS or event.kwargs
                or (event.method == "unary" and event.args[0] != "relu")
                or any(slot in kept or plan.slot_role(slot) != "produced"
                       for slot in event.outputs)):
            continue
        replacement = REPLACEMENTS[event.method]
        if _agrees(plan, event, replacement, rng):
            calls[index] = replacement
    return calls


def _agrees(plan: Plan, event: KernelCall, replacement: Callable, rng) -> bool:
    def sample(value):
        if isinstance(value, SlotRef):
            info = plan.slots[value.slot]
            return rng.standard_normal(info.shape).astype(info.dtype)
        if isinstance(value, tuple | list):
            return type(value)(sample(item) for item in value)
        return value

    arguments = [sample(argument) for argument in event.args]
    expected = getattr(type(get_backend("cpu")), event.method)(get_backend("cpu"), *arguments)
    expected = expected if isinstance(expected, tuple) else (expected,)
    outs = [np.empty(plan.slots[slot].shape, plan.slots[slot].dtype) for slot in event.outputs]
    try:
        replacement(*arguments, *outs)
    except (TypeError, ValueError):
        return False
    return len(outs) == len(expected) and all(
        np.asarray(e).dtype == o.dtype and np.asarray(e).shape == o.shape
        and np.asarray(e).tobytes() == o.tobytes() for e, o in zip(expected, outs, strict=True))
