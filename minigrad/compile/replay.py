"""Stage 4, **replay**: run a planned program on new inputs.

A program is a flat list of steps, each a small closure made once at plan time:

- a **kernel step** calls one backend method (or one generated fused kernel) on the arrays
  in the environment (a list indexed by slot) and stores the results;
- a **random step** draws fresh numbers from minigrad's generator, as eager code would;
- a **write-back step** copies results that escape the step (gradients) into the user's
  storage, before Python code (a host step) or the caller looks at them;
- a **host step** runs an optimizer's or scheduler's ``step()`` for real.

No Tensor and no graph node is made while the steps run: the graph was needed once, to find
out which kernels backward calls, and the trace remembers the answer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minigrad import random as minigrad_random
from minigrad.backend import get_backend
from minigrad.compile.planner import Plan
from minigrad.compile.recorder import HostCall, KernelCall, SlotRef


def _getter(value) -> Callable:
    """A function of the environment that rebuilds one argument."""
    if isinstance(value, SlotRef):
        slot = value.slot
        return lambda env: env[slot]
    if isinstance(value, tuple | list) and any(True for _ in _refs(value)):
        parts = [_getter(item) for item in value]
        kind = type(value)
        return lambda env: kind(part(env) for part in parts)
    return lambda env: value


def _refs(value):
    if isinstance(value, SlotRef):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _refs(item)


def _check_class_indices(logits, target) -> None:
    """The fused cross-entropy kernel indexes with the targets: on replay the loss's own
    Python check does not run, so the program checks the range itself (an index out of
    range would read outside the array)."""
    values = get_backend("cpu").to_numpy(target) if isinstance(target, np.ndarray) else \
        target.copy_to_host()
    classes = logits.shape[1]
    if values.size and (values.min() < 0 or values.max() >= classes):
        raise ValueError(
            f"softmax_cross_entropy: target holds class indices outside 0..{classes - 1} (min "
            f"{values.min()}, max {values.max()})"
        )


_INDEX_CHECKS = {"softmax_cross_entropy": _check_class_indices}


def kernel_step(call: KernelCall, releases: list[int], function: Callable | None = None):
    """The step for one recorded backend call (``function`` overrides the method, for fused
    kernels)."""
    if function is None:
        backend = get_backend(call.device)
        function = getattr(type(backend), call.method).__get__(backend)
    getters = [_getter(argument) for argument in call.args]
    keyword_getters = {key: _getter(value) for key, value in call.kwargs.items()}
    outputs, structure = call.outputs, call.output_structure
    check = _INDEX_CHECKS.get(call.method)

    def run(env: list) -> None:
        args = [get(env) for get in getters]
        if check is not None:
            check(*args)
        if keyword_getters:
            result = function(*args, **{k: get(env) for k, get in keyword_getters.items()})
        else:
            result = function(*args)
        if structure == "array":
            env[outputs[0]] = result
        elif structure == "tuple":
            for slot, array in zip(outputs, result, strict=True):
                env[slot] = array
        for slot in releases:
            env[slot] = None

    return run


def random_step(call: KernelCall, releases: list[int]):
    draw, dtype = call.args
    backend = get_backend(call.device)
    (slot,) = call.outputs

    def run(env: list) -> None:
        generator = minigrad_random.generator()
        values = getattr(generator, draw.method)(*draw.args, **draw.kwargs)
        env[slot] = backend.from_numpy(np.asarray(values).astype(dtype))
        for released in releases:
            env[released] = None

    return run


def write_back_step(targets: list[tuple[int, object, str]], grad_bindings: list):
    """Copy escaping results into the user's arrays; re-attach gradients that eager code
    (``zero_grad()``) detached from their parameters."""

    def run(env: list) -> None:
        for slot, target, device in targets:
            result = env[slot]
            if result is not target:
                get_backend(device).assign(target, result)
                env[slot] = target
        for parameter, gradient in grad_bindings:
            if parameter.grad is not gradient:
                parameter.grad = gradient

    return run


def copy_into_step(call: KernelCall, target, releases: list[int]):
    """``copy(source)`` whose result escapes: written into ``target`` without a temporary."""
    (source,) = call.args
    (slot,) = call.outputs
    assign = get_backend(call.device).assign

    def run(env: list) -> None:
        assign(target, env[source.slot])
        env[slot] = target
        for released in releases:
            env[released] = None

    return run


def host_step(event: HostCall):
    method = getattr(event.owner, event.method)
    return lambda env: method()


class Program:
    """A plan made executable: ``run(input_arrays)`` returns the environment."""

    def __init__(self, plan: Plan, grad_bindings: list, fused_steps: dict | None = None):
        self.plan = plan
        self.grad_bindings = grad_bindings
        # A loop-carried value (a gradient accumulated over calls) is read from where this
        # program writes it back, which is the storage the user's tensor holds now.
        bound = {slot: plan.escaping.get(plan.carried.get(slot), array)
                 for slot, array in plan.bound.items()}
        self.preset = [*bound.items(), *plan.constants.items()]
        self.steps: list[Callable] = []
        fused_steps = fused_steps or {}
        pending: list[tuple[int, object, str]] = []  # escaping results not yet written back
        skip = {index for group in fused_steps.values() for index in group[1]}
        for index, event in enumerate(plan.events):
            if isinstance(event, HostCall):
                self.steps.append(write_back_step(pending, grad_bindings))
                pending = []
                self.steps.append(host_step(event))
                continue
            if event.method == "copy" and event.outputs[0] in plan.escaping:
                # A gradient stored with .clone(): copy straight into the user's array.
                self.steps.append(copy_into_step(event, plan.escaping[event.outputs[0]],
                                                 plan.release_after[index]))
                continue
            for slot in event.outputs:
                if slot in plan.escaping:
                    pending.append((slot, plan.escaping[slot], event.device))
            if index in fused_steps:
                self.steps.append(fused_steps[index][0])
            elif index in skip:
                continue
            elif event.method == "random":
                self.steps.append(random_step(event, plan.release_after[index]))
            else:
                self.steps.append(kernel_step(event, plan.release_after[index]))
        self.steps.append(write_back_step(pending, grad_bindings))

    def run(self, input_arrays: list) -> list:
        env: list = [None] * len(self.plan.slots)
        for slot, array in self.preset:
            env[slot] = array
        for position, slot in self.plan.input_slots:
            env[slot] = input_arrays[position]
        for step in self.steps:
            step(env)
        return env
