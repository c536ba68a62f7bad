"""The optimizer update replayed as kernels, with its Python numbers recomputed per call.

An optimizer step is a handful of elementwise kernels per parameter (``b = mu b + g``,
``p -= lr b``), driven by Python numbers that can change from one call to the next: the
learning rate (a scheduler sets it), Adam's bias corrections ``1 - beta^t`` (``t`` counts
steps). Running ``optimizer.step()`` in Python on every call would cost more than the
kernels; recording its kernels with the numbers of the traced call would freeze the
learning rate and the step count.

So the trace records the update's kernels, and the planner finds where each Python number
went: every float a recorded update kernel received (a float argument, or a 0-d constant
array made from one) is matched by value to one of the numbers the optimizer's rule below
computes from its hyperparameters and state. Each match becomes a ``ScalarRef``. On replay,
one small host function advances the Python state as ``step()`` would (``state["step"] +=
1``), recomputes the numbers with the same expressions as the optimizer, and the recorded
kernels run with them.

A number no rule explains means the update is not understood: that optimizer step then
runs in Python on every call, as before. Two names with the same value (``momentum`` and
``1 - dampening`` both 0.9) are checked on every call; if they ever part, the step runs in
Python for that call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minigrad.compile.recorder import HostCall, KernelCall, SlotRef


# --- each optimizer's numbers, computed exactly as its _update computes them -------------
def _sgd(group: dict, state: dict) -> dict:
    return {"-lr": -group["lr"], "momentum": group["momentum"],
            "1 - dampening": 1 - group["dampening"], "weight_decay": group["weight_decay"]}


def _adam(group: dict, state: dict, decoupled: bool) -> dict:
    beta1, beta2 = group["betas"]
    lr, weight_decay, step = group["lr"], group["weight_decay"], state["step"]
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    # lerp's second formula (weights 1 - beta1 of 0.5 and more) scales by 1 - weight, the
    # weight rounded to the parameter's dtype first (see adam_update)
    second_lerp = {f"1 - (1 - beta1) in {dtype.__name__}": float(1 - dtype(1 - beta1))
                   for dtype in (np.float32, np.float64)}
    numbers = {"1 - beta1": 1 - beta1, **second_lerp, "beta2": beta2, "1 - beta2": 1 - beta2,
               "sqrt(bias_correction2)": bias_correction2**0.5, "eps": group["eps"],
               "-lr / bias_correction1": -(lr / bias_correction1)}
    if decoupled:
        numbers["1 - lr * weight_decay"] = 1 - lr * weight_decay
    else:
        numbers["weight_decay"] = weight_decay
    return numbers


def _adagrad(group: dict, state: dict) -> dict:
    decayed_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
    return {"weight_decay": group["weight_decay"], "eps": group["eps"],
            "-decayed_lr": -decayed_lr, "one": 1.0}


def _rmsprop(group: dict, state: dict) -> dict:
    return {"alpha": group["alpha"], "1 - alpha": 1 - group["alpha"],
            "weight_decay": group["weight_decay"], "eps": group["eps"],
            "momentum": group["momentum"], "-lr": -group["lr"], "one": 1.0}


def _rules() -> dict:
    from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop

    return {SGD: (_sgd, False), Adam: (lambda g, s: _adam(g, s, False), True),
            AdamW: (lambda g, s: _adam(g, s, True), True), Adagrad: (_adagrad, True),
            RMSprop: (_rmsprop, True)}


def rule_for(optimizer):
    """``(numbers(group, state), counts_steps)`` for a known optimizer class, else None.
    The exact class: a subclass may compute its update differently."""
    return _rules().get(type(optimizer))


# --- matching ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalarRef:
    """A Python number of the optimizer step, recomputed on every replay.

    ``number`` is its position in the step's list of numbers, ``update`` the parameter
    (in the order the step visited them), ``names`` the rule's numbers it equals and
    ``dtype`` the dtype of the 0-d array it was made into (None: passed as a float)."""

    number: int
    update: int
    names: tuple[str, ...]
    dtype: object = None


def kernelize_optimizer_steps(events: list, constants: dict, escaping: dict) -> list:
    """Replace the Python numbers in recorded optimizer updates by ``ScalarRef``s.

    A host call whose update cannot be explained keeps running in Python: its recorded
    kernels are dropped and it is marked eager (``host.updates = None``). So does one that
    makes arrays that outlive it (the optimizer's state, created on its first call).
    Returns the new event list.
    """
    result = []
    index = 0
    while index < len(events):
        event = events[index]
        index += 1
        result.append(event)
        if not (isinstance(event, HostCall) and event.updates is not None):
            continue
        inner = []
        while index < len(events) and getattr(events[index], "host", None) is event:
            inner.append(events[index])
            index += 1
        numbers = event.numbers
        refs: list[ScalarRef] = []
        # An integer hyperparameter (lr=1) would reach the kernels as an int that could
        # also be an axis: such a step stays in Python.
        understood = all(isinstance(number, float) for mine in numbers
                         for number in mine.values())
        state = {id(value._data) for values in event.owner.state.values()
                 for value in values.values() if hasattr(value, "_data")}
        made = [slot for call in inner for slot in call.outputs if slot in escaping]
        makes_state = any(id(escaping[slot]) in state for slot in made)
        if not makes_state:
            for slot in made:  # a temporary of the update, not storage anyone reads
                del escaping[slot]
        rewritten = [] if understood and not makes_state else None
        for call in inner if rewritten is not None else ():
            args = _with_scalars(call.args, numbers[call.update], call.update, constants, refs)
            kwargs = _with_scalars(call.kwargs, numbers[call.update], call.update, constants,
                                   refs)
            if args is None or kwargs is None:
                rewritten = None
                break
            rewritten.append(KernelCall(call.device, call.method, args, kwargs, call.outputs,
                                        call.output_structure, call.writes, event,
                                        call.update))
        if rewritten is None:
            event.updates = None  # runs in Python; its kernels are not replayed
            event.scalars = []
        else:
            event.scalars = refs
            result.extend(rewritten)
    return result


def _with_scalars(value, numbers: dict, update: int, constants: dict, refs: list):
    """``value`` with every float replaced by a ScalarRef (None if one matches no name)."""
    if isinstance(value, dict):
        items = {key: _with_scalars(item, numbers, update, constants, refs)
                 for key, item in value.items()}
        return None if any(item is None for item in items.values()) else items
    if isinstance(value, tuple | list):
        items = [_with_scalars(item, numbers, update, constants, refs) for item in value]
        return None if any(item is None for item in items) else type(value)(items)
    if isinstance(value, float | np.floating):
        names = tuple(name for name, number in numbers.items() if number == value)
        dtype = None
    elif isinstance(value, SlotRef) and value.slot in constants:
        constant = np.asarray(constants[value.slot])
        if constant.ndim != 0 or constant.dtype.kind != "f":
            return value
        dtype = constant.dtype
        names = tuple(name for name, number in numbers.items()
                      if np.asarray(number, dtype=dtype) == constant)
    else:
        return value
    if not names:
        return None
    ref = ScalarRef(len(refs), update, names, dtype)
    refs.append(ref)
    return ref


def scalar_function(host: HostCall):
    """The host function run in place of ``optimizer.step()``: advances the step counts,
    recomputes the numbers and returns them in ScalarRef order (floats, or 0-d arrays of
    the traced dtype). Returns None, with the counts untouched, when two numbers that were
    equal in the trace now differ: the caller then runs ``step()`` itself."""
    optimizer = host.owner
    rule, counts_steps = rule_for(optimizer)
    updates = [(group, optimizer.state[param]) for param, group in host.updates]
    refs = host.scalars
    asarray = np.asarray
    # The numbers depend on a parameter's group and, for optimizers that count steps, on
    # its step count: computed once per distinct (group, step), not once per parameter.
    # When they are bit-for-bit those of the previous call (SGD at a fixed learning rate),
    # the previous values (and 0-d arrays) are handed out again. (float.hex tells 0.0 from
    # -0.0, which == does not.)
    previous: list = [None, None]  # [the numbers' hex digits, the values made from them]

    def recompute():
        if counts_steps:
            for _, state in updates:
                state["step"] += 1
        distinct: dict = {}  # key -> (numbers, their hex digits)
        numbers, digits = [], []
        for group, state in updates:
            key = (id(group), state["step"]) if counts_steps else id(group)
            known = distinct.get(key)
            if known is None:
                mine = rule(group, state)
                known = distinct[key] = mine, tuple(map(float.hex, mine.values()))
            numbers.append(known[0])
            digits.append(known[1])
        if digits == previous[0]:
            return previous[1]
        values = []
        for ref in refs:
            mine = numbers[ref.update]
            value = mine[ref.names[0]]
            if len(ref.names) > 1 and any(mine[name] != value for name in ref.names[1:]):
                if counts_steps:
                    for _, state in updates:
                        state["step"] -= 1
                return None
            values.append(value if ref.dtype is None else asarray(value, ref.dtype))
        previous[:] = digits, values
        return values

    return recompute
