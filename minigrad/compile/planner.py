"""Stage 2, **plan**: turn a trace into a program that can run again without Python objects.

The planner answers, for every traced array, "where does it live when the step replays?"

- **inputs** are bound to the new call's arguments;
- **bound** arrays (the trace read them, and they outlived the call: parameters, optimizer
  state, BatchNorm statistics) are the user's own storage, used in place;
- **constants** (the trace read them, and they died with the call: the ``2`` of ``x * 2``)
  keep the value they had;
- **escaping** results (computed by the step and still alive afterwards: the ``.grad`` of
  every parameter) are computed afresh and written back into the user's storage, so the
  objects eager code sees stay the same and hold the new values;
- everything else is a **temporary**: it lives from the call that makes it to its last
  reader. The planner lays the temporaries minigrad allocates itself (the results of fused
  kernels) out in one arena by those lifetimes: two buffers share bytes when their
  lifetimes do not overlap.

Calls whose results nothing reads are dropped, calls that read only constants are run once
now (folded), and the Python numbers of optimizer steps become scalar arguments
(optimizer_scalars.py).

Whether an array outlived the call is asked of Python itself: the planner keeps only weak
references to the traced arrays, lets the eager run's graph be freed, and sees which ones are
still alive.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.compile.recorder import HostCall, KernelCall, RandomDraw, SlotInfo, SlotRef, Trace


@dataclass
class Plan:
    """A trace with a home for every array (see the module docstring)."""

    events: list
    slots: list[SlotInfo]
    input_slots: list[tuple[int, int]]  # (argument position, slot)
    bound: dict[int, Any]  # slot -> the user's live array
    constants: dict[int, Any]  # slot -> value
    escaping: dict[int, Any]  # slot -> the user's array to write the new value into
    carried: dict[int, int]  # bound slot -> the previous run's escaping slot it holds
    outputs: Any  # the step's return value with tensors replaced by ("tensor", slot, device)
    release_after: list[list[int]]  # per event: temporaries whose last reader it is
    arena_offsets: dict[int, int] = field(default_factory=dict)
    arena_bytes: int = 0
    temporary_bytes: int = 0
    fused_groups: list = field(default_factory=list)  # set by the fusion stage
    # calls replayed by numpy writing into the arena (into_arena.py): index -> (function,
    # the arena views of its results); set by the fusion stage
    arena_calls: dict[int, tuple] = field(default_factory=dict)
    dropped_calls: int = 0  # recorded calls whose results nothing reads
    folded_calls: int = 0  # calls of constants only, computed once at plan time
    # copy events (gradients into p.grad) done by a fused update: copy index -> group start
    deferred_copies: dict[int, int] = field(default_factory=dict)
    problem: str | None = None  # why the plan cannot be replayed, if it cannot

    def key(self) -> tuple:
        """Two runs of a step did the same work exactly when their keys are equal."""
        parts = []
        for event in self.events:
            if isinstance(event, HostCall):
                updates = None if event.updates is None else tuple(
                    (id(param), id(group)) for param, group in event.updates)
                parts.append(("host", id(event.owner), event.method, updates))
            else:
                parts.append((event.method, _args_key(event.args, self),
                              _args_key(tuple(sorted(event.kwargs.items())), self),
                              event.outputs))
        return (tuple(parts), tuple(sorted(self.escaping)), _args_key(self.outputs, self),
                tuple(self.input_slots))

    def slot_role(self, slot: int) -> str:
        origin = self.slots[slot].origin
        if origin != "external":
            return origin
        if slot in self.carried:
            return "carried"
        return "bound" if slot in self.bound else "constant"


def _args_key(value, plan: Plan):
    """A hashable description of call arguments; constants are compared by value and bound
    arrays by identity (the same parameter, not merely an equal one)."""
    if isinstance(value, SlotRef):
        slot = value.slot
        role = plan.slot_role(slot)
        if role == "constant":
            array = plan.constants[slot]
            return ("constant", str(array.dtype), array.shape, np.asarray(array).tobytes())
        if role == "bound":
            return ("bound", id(plan.bound[slot]))
        if role == "carried":
            # Which result of the previous run it holds is numbered in that run's slots; two
            # runs with equal keys number their slots alike, so the role alone is compared.
            return ("carried",)
        return (role, slot)
    if isinstance(value, RandomDraw):
        return ("draw", value.method, _args_key(value.args, plan), _args_key(value.kwargs, plan),
                id(value.source))
    if isinstance(value, tuple | list):
        return tuple(_args_key(item, plan) for item in value)
    if isinstance(value, dict):
        return tuple((key, _args_key(item, plan)) for key, item in sorted(value.items()))
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


def make_plan(trace: Trace, outputs, previous_escaping: dict[int, Any]) -> Plan:
    """Classify the traced arrays and lay out the temporaries.

    ``outputs`` is the step's return value with tensors already replaced by
    ``("tensor", slot, device)``; ``previous_escaping`` holds the escaping arrays of the run
    before (an array the step read that the previous run produced is loop-carried state,
    such as a gradient accumulated without ``zero_grad``).
    """
    references = []
    for array in trace.arrays:
        try:
            references.append(weakref.ref(array))
        except TypeError:  # a numpy scalar: an immutable value, not storage anyone shares
            references.append(lambda: None)
    trace.arrays = []
    gc.collect()
    alive = [reference() for reference in references]

    output_slots = set(_output_slots(outputs))
    bound, constants, escaping, carried = {}, {}, {}, {}
    previous_ids = {id(array): slot for slot, array in previous_escaping.items()}
    for slot, info in enumerate(trace.slots):
        array = alive[slot]
        if info.origin == "external":
            if array is None:
                constants[slot] = info.snapshot
            else:
                bound[slot] = array
                if id(array) in previous_ids:
                    carried[slot] = previous_ids[id(array)]
        elif (info.origin == "produced" and array is not None and slot not in output_slots
              and not (isinstance(array, np.ndarray) and array.base is not None)):
            # A view (base set) is updated through the array it views; only arrays that own
            # their memory are written back.
            escaping[slot] = array
        info.snapshot = None
    del alive

    input_slots = [(info.detail, slot) for slot, info in enumerate(trace.slots)
                   if info.origin == "input"]
    recorded = len(trace.events)
    trace.events, problem = _with_update_kernels(trace.events, constants, escaping)
    trace.events = _without_dead_calls(trace.events, set(escaping) | output_slots)
    unfolded = len(trace.events)
    trace.events = _fold_constants(trace.events, trace.slots, constants,
                                   set(escaping) | output_slots)
    plan = Plan(trace.events, trace.slots, input_slots, bound, constants, escaping, carried,
                outputs, _release_lists(trace, set(escaping) | output_slots))
    plan.dropped_calls = recorded - unfolded
    plan.folded_calls = unfolded - len(plan.events)
    plan.problem = problem
    return plan


def _with_update_kernels(events: list, constants: dict, escaping: dict):
    """Optimizer steps replayed as kernels with their numbers recomputed (see
    optimizer_scalars.py). The kernels of a step that stays in Python are dropped; what
    they made must then stay inside it: returns (events, why it cannot be replayed)."""
    from minigrad.compile.optimizer_scalars import kernelize_optimizer_steps

    kept = kernelize_optimizer_steps(events, constants, escaping)
    dropped = [event for event in events if isinstance(event, KernelCall)
               and event.host is not None and event.host.updates is None]
    made_inside = {slot for event in dropped for slot in event.outputs}
    for slot in made_inside:
        escaping.pop(slot, None)  # the optimizer's own state, kept by its own step()
    read_outside = made_inside & set(slots_read([(event.args, event.kwargs) for event in kept
                                                 if isinstance(event, KernelCall)]))
    problem = None
    if read_outside:
        problem = ("the step reads arrays that its optimizer step made, and that step runs "
                   "in Python on every call")
    return kept, problem


def _without_dead_calls(events: list, kept: set[int]) -> list:
    """Drop calls whose results nothing reads: the ``target.min().item()`` a loss uses to
    check its targets is only read by Python, which replay does not run. Calls that write
    in place, random draws (the generator must advance as in eager code) and host calls
    stay."""
    needed = set(kept)
    survivors = []
    for event in reversed(events):
        if isinstance(event, KernelCall) and event.method != "random" and not event.writes:
            arguments = set(slots_read((event.args, event.kwargs)))
            new_results = [slot for slot in event.outputs if slot not in arguments]
            if not any(slot in needed for slot in new_results):
                continue  # nothing reads what it makes (or it hands back its argument)
        if isinstance(event, KernelCall):
            needed.update(slots_read((event.args, event.kwargs)))
        survivors.append(event)
    survivors.reverse()
    return survivors


def _fold_constants(events: list, slots: list[SlotInfo], constants: dict,
                    kept: set[int]) -> list:
    """Run the calls that read only constants once, now: their results become constants.

    The backward pass of a mean starts from ``full((), 1) / N`` broadcast to the batch:
    four kernels whose answer never changes. A result is folded only if nothing writes into
    it (or into a view of it) later, and it does not leave the step."""
    written = {slot for event in events if isinstance(event, KernelCall)
               for slot in event.writes}
    for event in reversed(events):  # a view of a buffer written later is written too
        if isinstance(event, KernelCall) and event.method in _VIEWS and event.outputs and \
                event.outputs[0] in written:
            written.update(slots_read(event.args))
    survivors = []
    for event in events:
        if (isinstance(event, KernelCall) and event.device == "cpu" and event.method != "random"
                and not event.writes and event.host is None and event.outputs
                and all(slot in constants for slot in slots_read((event.args, event.kwargs)))
                and not any(slot in written or slot in kept for slot in event.outputs)
                and not any(isinstance(item, RandomDraw) for item in event.args)):
            results = _run_now(event, constants)
            if results is not None:
                for slot, value in zip(event.outputs, results, strict=True):
                    constants[slot] = value
                    slots[slot].origin = "external"  # a constant, compared by value
                continue
        survivors.append(event)
    return survivors


def _run_now(event: KernelCall, constants: dict):
    from minigrad.backend import get_backend

    def value(argument):
        if isinstance(argument, SlotRef):
            return constants[argument.slot]
        if isinstance(argument, tuple | list):
            return type(argument)(value(item) for item in argument)
        return argument

    backend = get_backend(event.device)
    result = getattr(type(backend), event.method)(
        backend, *value(event.args), **{key: value(item) for key, item in event.kwargs.items()})
    results = result if isinstance(result, tuple) else (result,)
    if any(not isinstance(item, np.ndarray | np.generic) for item in results):
        return None
    return [np.asarray(item) for item in results]


def _output_slots(outputs):
    if isinstance(outputs, tuple) and outputs and outputs[0] == "tensor":
        yield outputs[1]
    elif isinstance(outputs, tuple | list):
        for item in outputs:
            yield from _output_slots(item)
    elif isinstance(outputs, dict):
        for item in outputs.values():
            yield from _output_slots(item)


def slots_read(value):
    """Every slot referenced in a (nested) argument structure."""
    if isinstance(value, SlotRef):
        yield value.slot
    elif isinstance(value, tuple | list):
        for item in value:
            yield from slots_read(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from slots_read(item)


# Methods whose result may share memory with their first array argument.
_VIEWS = frozenset({"reshape", "permute", "broadcast_to", "getitem", "to_numpy", "from_numpy"})


def _release_lists(trace: Trace, kept: set[int]) -> list[list[int]]:
    """For each event, the temporaries it reads for the last time (replay drops them).

    A buffer lives as long as any view of it: ``reshape(a)`` read later keeps ``a``'s bytes
    in use, so the arena must not give them to another buffer before that."""
    last_use: dict[int, int] = {}
    for index, event in enumerate(trace.events):
        if isinstance(event, KernelCall):
            for slot in (*slots_read(event.args), *slots_read(event.kwargs), *event.outputs):
                last_use[slot] = index
    for event in reversed(trace.events):
        if isinstance(event, KernelCall) and event.method in _VIEWS and event.outputs:
            source = next(slots_read(event.args), None)
            if source is not None:
                last_use[source] = max(last_use[source], last_use[event.outputs[0]])
                if event.outputs[0] in kept:
                    kept = kept | {source}
    releases: list[list[int]] = [[] for _ in trace.events]
    for slot, index in last_use.items():
        if trace.slots[slot].origin in ("produced", "random") and slot not in kept:
            releases[index].append(slot)
    return releases


def lifetimes(plan: Plan) -> dict[int, tuple[int, int]]:
    """(first event, last event) of every temporary: made by the first, last read by the
    second."""
    made_by: dict[int, int] = {}
    for index, event in enumerate(plan.events):
        if isinstance(event, KernelCall):
            for slot in event.outputs:
                made_by.setdefault(slot, index)
    return {slot: (made_by[slot], index)
            for index, releases in enumerate(plan.release_after) for slot in releases}


def lay_out_arena(plan: Plan, starts: dict[int, int],
                  read_later: dict[int, int] | None = None) -> None:
    """First-fit placement of temporaries in one arena: a buffer takes the lowest offset
    whose bytes no buffer with an overlapping lifetime uses. Offsets are 64-byte aligned.

    ``starts`` maps each slot to place to the event that first writes it (a fused kernel
    writes all its results when the group starts); ``read_later`` the slots a step reads
    later than the trace did to that step."""
    read_later = read_later or {}
    placed: list[tuple[int, int, int, int]] = []  # (offset, size, first, last)
    total = 0
    spans = {slot: (starts[slot], max(last, read_later.get(slot, last)))
             for slot, (_, last) in lifetimes(plan).items() if slot in starts}
    for slot, (first, last) in sorted(spans.items(), key=lambda item: item[1]):
        info = plan.slots[slot]
        size = int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize
        total += size
        size = -(-size // 64) * 64
        busy = sorted((offset, offset + length) for offset, length, start, end in placed
                      if start <= last and first <= end)
        offset = 0
        for start, end in busy:
            if offset + size <= start:
                break
            offset = max(offset, end)
        placed.append((offset, size, first, last))
        plan.arena_offsets[slot] = offset
        plan.arena_bytes = max(plan.arena_bytes, offset + size)
    plan.temporary_bytes = total
