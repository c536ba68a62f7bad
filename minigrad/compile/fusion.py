"""Stage 3, **fuse**: a run of elementwise kernels becomes one generated Numba kernel.

Eager code computes ``(x - mean) * scale`` as two passes over memory (subtract, multiply)
with a temporary array between them. A fused kernel makes one pass and keeps the
intermediate value in registers::

    for i, j in output:                      # one loop, written for this group
        t0 = x[i, j] - mean[0, j]
        out[i, j] = t0 * scale[j]

A **group** is a run of consecutive recorded calls that are all elementwise, all on one
device, all produce the same shape, and whose inputs broadcast to that shape. On the CPU the
in-place updates of an optimizer step (``assign``, ``add_scaled_``) count as elementwise: a
group may update its inputs in place, and the optimizer's numbers are arguments of the
kernel (``s0``, ...), so one kernel per parameter does the whole update with the numbers of
each call. On the CUDA device the groups are found the same way, without the in-place
updates and the optimizer's numbers, and ``cuda_fusion.py`` writes each as one
``@cuda.jit`` kernel instead of the Numba CPU loop below.

Only results that something after the group reads (or that escape the step) are written to
memory; they are placed in the program's static arena, at the offsets the planner chose by
lifetime.

Only operations that IEEE 754 rounds exactly (``+ - * /``, ``sqrt``, comparisons, max/min,
``where``, conversions, ReLU and its backward) are fused, so a fused program gives
bit-for-bit the numbers of the eager one. ``exp``, ``log``, ``tanh`` and ``pow`` stay with
numpy, whose implementations can differ from LLVM's in the last bit.

The kernel source is written to a file in minigrad's cache directory and imported from
there, so Numba's ``cache=True`` can keep the compiled machine code between runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from collections.abc import Callable

import numpy as np

from minigrad.compile.into_arena import arena_calls
from minigrad.compile.optimizer_scalars import ScalarRef
from minigrad.compile.planner import _VIEWS, Plan, lay_out_arena, slots_read
from minigrad.compile.recorder import KernelCall, SlotRef

_BINARY = {"add": "({0} + {1})", "sub": "({0} - {1})", "mul": "({0} * {1})",
           "div": "({0} / {1})", "maximum": "_maximum({0}, {1})",
           "minimum": "_minimum({0}, {1})"}
# {1} is the dtype's name: relu is numpy's maximum(x, 0) with a zero of the right type.
_UNARY = {"neg": "(-{0})", "abs": "abs({0})", "sqrt": "np.sqrt({0})",
          "relu": "_maximum({0}, np.{1}(0))"}
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

_HELPERS = '''
@njit(inline="always")
def _maximum(a, b):
    # numpy's maximum: NaN wins.
    return a if (a >= b or a != a) else b


@njit(inline="always")
def _minimum(a, b):
    return a if (a <= b or a != a) else b
'''

# A group smaller than this is not worth a kernel call.
MIN_GROUP = 2


def _expression(call: KernelCall, names: dict[int, str], dtype: np.dtype) -> str | None:
    """The Numba expression computing ``call``'s output element, or None if not fusable."""
    method, args = call.method, call.args

    def name(argument):
        if isinstance(argument, ScalarRef):
            return names.get(("scalar", argument.number))
        return names[argument.slot] if isinstance(argument, SlotRef) else None

    if method in _BINARY and len(args) == 2:
        a, b = name(args[0]), name(args[1])
        return None if a is None or b is None else _BINARY[method].format(a, b)
    if method == "unary" and args[0] in _UNARY:
        a = name(args[1])
        return None if a is None else _UNARY[args[0]].format(a, np.dtype(dtype).name)
    if method == "compare" and args[0] in _COMPARE:
        a, b = name(args[1]), name(args[2])
        return None if a is None or b is None else f"({a} {_COMPARE[args[0]]} {b})"
    if method == "where":
        condition, a, b = (name(argument) for argument in args)
        if None in (condition, a, b):
            return None
        return f"({a} if {condition} else {b})"
    if method == "relu_backward":
        # PyTorch's threshold_backward: a selection (0 where a <= 0, also for an inf or nan
        # gradient there), not grad * mask.
        grad, a = name(args[0]), name(args[1])
        if grad is None or a is None:
            return None
        return f"(np.{np.dtype(dtype).name}(0) if {a} <= 0 else {grad})"
    if method == "astype" and isinstance(args[0], SlotRef):
        return f"np.{np.dtype(args[1]).name}({name(args[0])})"
    return None


# In-place updates (the optimizer's): the slot they write, given the call's arguments.
_WRITES = {"assign": 0, "add_scaled_": 0}


def _result_slot(call: KernelCall) -> int:
    """The slot a fusable call makes (or, for an in-place update, writes)."""
    return call.outputs[0] if call.outputs else call.writes[0]


def _fusable(call, plan: Plan, shape: tuple | None, device: str = "cpu") -> bool:
    if not isinstance(call, KernelCall) or call.device != device or call.kwargs:
        return False
    if device != "cpu" and (call.method in _WRITES or any(_scalars(call.args))):
        # The CUDA generator writes only new results: the optimizer's in-place updates
        # and its per-call numbers stay with the backend's kernels there.
        return False
    if call.method in _WRITES:
        if call.outputs or call.writes != (call.args[0].slot,):
            return False
        if call.method == "add_scaled_" and not (
                (isinstance(call.args[2], ScalarRef) and call.args[2].dtype is None
                 or type(call.args[2]) in (int, float))
                and _dtype(call.args[1], plan) == plan.slots[call.args[0].slot].dtype):
            return False
    elif len(call.outputs) != 1 or call.writes:
        return False
    output = plan.slots[_result_slot(call)]
    if output.dtype.kind not in "fb" or output.shape == () or (
            shape is not None and output.shape != shape):
        return False
    for slot in slots_read(call.args):
        info = plan.slots[slot]
        if info.dtype.kind not in "fb" or not _broadcasts_to(info.shape, output.shape):
            return False
    if call.method in _WRITES:
        return True
    names = {slot: "x" for slot in slots_read(call.args)}
    names.update({("scalar", ref.number): "s" for ref in _scalars(call.args)})
    return _expression(call, names, output.dtype) is not None


def _dtype(argument, plan: Plan):
    if isinstance(argument, ScalarRef):
        return argument.dtype
    return plan.slots[argument.slot].dtype if isinstance(argument, SlotRef) else None


def _operand(argument, names: dict) -> str:
    if isinstance(argument, ScalarRef):
        return names[("scalar", argument.number)]
    return names[argument.slot]


def _scalars(value):
    """The optimizer numbers (ScalarRefs) among a call's arguments."""
    if isinstance(value, ScalarRef):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _scalars(item)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(size in (1, full) for size, full in zip(shape[::-1], target[::-1], strict=False))


def find_groups(plan: Plan, device: str = "cpu") -> list[list[int]]:
    """Runs of consecutive fusable calls on ``device`` with one output shape (event
    indices)."""
    groups, current, shape = [], [], None
    for index, event in enumerate(plan.events):
        if current and _fusable(event, plan, shape, device) and \
                event.host is plan.events[current[0]].host:  # not across an optimizer step
            current.append(index)
            continue
        if len(current) >= MIN_GROUP:
            groups.append(current)
        current, shape = [], None
        if _fusable(event, plan, None, device):
            current, shape = [index], plan.slots[_result_slot(event)].shape
    if len(current) >= MIN_GROUP:
        groups.append(current)
    return groups


def _last_reads(plan: Plan) -> dict[int, int]:
    last: dict[int, int] = {}
    for index, event in enumerate(plan.events):
        if isinstance(event, KernelCall):
            for slot in (*slots_read(event.args), *slots_read(event.kwargs)):
                last[slot] = index
    return last


class FusedGroup:
    """One generated kernel: which calls it replaces, what it reads and writes.

    ``inputs`` are the slots it reads (``written``: those of them it also updates in place,
    an optimizer's parameters and state), ``scalars`` the optimizer numbers it is passed
    on every call, ``outputs`` the results that something after it reads."""

    kernel_name = "fused"  # how explain() and the drawings call it

    def __init__(self, plan: Plan, indices: list[int], last_reads: dict[int, int],
                 kept: set[int], copies: dict[int, int] | None = None) -> None:
        self.indices = indices
        calls = [plan.events[index] for index in indices]
        produced = {slot for call in calls for slot in call.outputs}
        # A gradient the group reads that is a copy of a temporary: the group reads the
        # temporary and writes the copy itself (``copies``: gradient slot -> its source).
        self.copies = dict(copies or {})
        self.inputs: list[int] = []
        self.scalars: list[ScalarRef] = []
        for call in calls:
            for slot in slots_read(call.args):
                slot = self.copies.get(slot, slot)
                if slot not in produced and slot not in self.inputs:
                    self.inputs.append(slot)
            self.scalars.extend(ref for ref in _scalars(call.args) if ref not in self.scalars)
        self.written = [slot for slot in dict.fromkeys(
            slot for call in calls for slot in call.writes) if slot not in produced]
        # A result leaves the kernel if something after the group reads it, or it escapes.
        self.outputs = [slot for slot in dict.fromkeys(
            _result_slot(call) for call in calls) if slot in produced
            and (last_reads.get(slot, -1) > indices[-1] or slot in kept)]
        self.shape = plan.slots[_result_slot(calls[0])].shape
        self.input_shapes = [(slot, plan.slots[slot].shape) for slot in self.inputs]
        self.dtypes = {slot: plan.slots[slot].dtype for slot in self.outputs}
        self.methods = [call.method if call.method != "unary" else call.args[0]
                        for call in calls]
        self.source = self._source(plan, calls)

    def _source(self, plan: Plan, calls: list[KernelCall]) -> str:
        ndim = len(self.shape)
        loops = [f"i{d}" for d in range(ndim)]
        index = ", ".join(loops) if ndim else "()"
        names = {slot: f"in{n}[{_broadcast_index(plan.slots[slot].shape, self.shape)}]"
                 for n, slot in enumerate(self.inputs)}
        for copy, source in self.copies.items():
            names[copy] = names[source]
        for number, ref in enumerate(self.scalars):
            # a float argument, or a 0-d array (a number made into a constant tensor)
            names[("scalar", ref.number)] = f"s{number}" if ref.dtype is None else \
                f"s{number}[()]"
        body = []
        for number, call in enumerate(calls):
            value = f"t{number}"
            slot = _result_slot(call)
            dtype = np.dtype(plan.slots[slot].dtype).name
            if call.method == "assign":
                expression = f"np.{dtype}({_operand(call.args[1], names)})"
            elif call.method == "add_scaled_":
                # numpy's dst + src * alpha, alpha rounded to dst's dtype first (x * 1 == x,
                # so the multiply the backend skips for alpha == 1 changes nothing)
                alpha = call.args[2]
                alpha = names[("scalar", alpha.number)] if isinstance(alpha, ScalarRef) \
                    else repr(float(alpha))
                expression = (f"({names[slot]} + {_operand(call.args[1], names)} * "
                              f"np.{dtype}({alpha}))")
            else:
                expression = _expression(call, names, plan.slots[slot].dtype)
            body.append(f"{value} = {expression}")
            names[slot] = value
        # Stores last: a slot updated in place holds its final value by then.
        for slot in self.written:
            body.append(f"in{self.inputs.index(slot)}[{index}] = {names[slot]}")
        for number, slot in enumerate(self.outputs):
            body.append(f"out{number}[{index}] = {names[slot]}")
        for number, source in enumerate(self.copies.values()):
            body.append(f"copy{number}[{index}] = {names[source]}")
        parameters = [f"in{n}" for n in range(len(self.inputs))]
        parameters += [f"s{n}" for n in range(len(self.scalars))]
        parameters += [f"out{n}" for n in range(len(self.outputs))]
        parameters += [f"copy{n}" for n in range(len(self.copies))]
        lines = [f"def fused({', '.join(parameters)}):"]
        indent = "    "
        for depth, loop in enumerate(loops):  # the shape is fixed by the input signature
            lines.append(f"{indent}for {loop} in range({self.shape[depth]}):")
            indent += "    "
        lines.extend(indent + line for line in body)
        return "\n".join(lines) + "\n"


def _broadcast_index(shape: tuple, target: tuple) -> str:
    """How a kernel looping over ``target`` reads an input of ``shape`` (numpy broadcasting:
    shapes align on the right, a size-1 dimension is read at 0, a missing one is skipped)."""
    if not shape:
        return "()"
    offset = len(target) - len(shape)
    return ", ".join("0" if size == 1 and target[offset + axis] != 1 else f"i{offset + axis}"
                     for axis, size in enumerate(shape))


def _load_kernel(source: str) -> Callable:
    """The generated Numba kernel ``fused`` of ``source``, compiled (or loaded from cache)."""
    module_source = ("import numpy as np\nfrom numba import njit\n" + _HELPERS +
                     "\n\n@njit(cache=True, error_model='numpy')\n" + source)
    return load_generated_kernel(module_source, "fused")


def merged_kernel(groups: list[FusedGroup]) -> Callable:
    """One kernel running the kernels of ``groups`` one after the other (the updates of
    an optimizer step, one per parameter): each group's parameters and values are renamed
    ``k<n>_in0``, ``k<n>_t3``, ... so that they cannot meet, and its loops follow the
    previous group's."""
    parameters, body = [], []
    for number, group in enumerate(groups):
        header, *lines = group.source.splitlines()

        def rename(text: str, number=number) -> str:
            return re.sub(r"\b(in|s|out|copy|t)(\d+)\b", rf"k{number}_\1\2", text)

        parameters += [rename(name) for name in header[len("def fused("):-2].split(", ")]
        body += [rename(line) for line in lines]
    return _load_kernel(f"def fused({', '.join(parameters)}):\n" + "\n".join(body) + "\n")


def load_generated_kernel(module_source: str, prefix: str) -> Callable:
    """Write a generated module to the cache directory and import it (so that Numba's
    ``cache=True`` finds a source file to key its cache on); its function ``fused``.
    ``prefix`` names the file (``fused``, ``cuda_fused``): one per device's generator."""
    digest = hashlib.sha1(module_source.encode()).hexdigest()[:16]
    cached = _KERNELS.get(digest)
    if cached is not None:
        return cached
    directory = os.path.join(os.environ.get("MINIGRAD_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "minigrad"), "fused_kernels")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{prefix}_{digest}.py")
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as file:
            file.write(module_source)
        os.replace(temporary, path)  # atomic: a parallel process never sees half a file
    name = f"minigrad_{prefix}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: Numba's cache finds the module by name when it loads.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _KERNELS[digest] = module.fused
    return module.fused


_KERNELS: dict[str, Callable] = {}


class FusedStep:
    """How the replay runs one fused group: ``kernel(*inputs, *scalars, *outputs, *copies)``,
    with the outputs that are temporaries at their places in the arena (``placed``: slot ->
    array view) and the others made by ``empty(shape, dtype)`` (numpy's, or the device's)."""

    def __init__(self, group: FusedGroup, kernel: Callable, placed: dict[int, np.ndarray],
                 empty: Callable = np.empty):
        self.group = group
        self.kernel = kernel
        self.placed = placed
        self.empty = empty


def fused_step(group: FusedGroup, arena_views: dict[int, np.ndarray]) -> FusedStep:
    """The replay step running one fused kernel on the CPU."""
    return FusedStep(group, _load_kernel(group.source), arena_views)


def fuse_plan(plan: Plan) -> dict[int, tuple[FusedStep, list[int]]]:
    """Fused steps keyed by the first event of their group: ``{index: (step, indices)}``.
    The arena (one numpy byte buffer) holds the fused outputs that are temporaries. A plan
    on the CUDA device is fused by ``cuda_fusion.fuse_cuda_plan`` instead."""
    if any(getattr(event, "device", None) == "cuda" for event in plan.events):
        from minigrad.compile.cuda_fusion import fuse_cuda_plan  # generated @cuda.jit kernels

        return fuse_cuda_plan(plan)
    last_reads = _last_reads(plan)
    kept = set(plan.escaping) | set(plan.bound) | _output_slots(plan)
    found = find_groups(plan)
    copies = _gradient_copies(plan, found)
    groups = [FusedGroup(plan, indices, last_reads, kept,
                         {slot: source for slot, (source, _) in copies.get(indices[0], {}).items()})
              for indices in found]
    groups = [group for group in groups
              if (group.outputs or group.written) and _no_aliasing(plan, group)]
    plan.deferred_copies = {index: group.indices[0] for group in groups
                            for _, index in copies.get(group.indices[0], {}).values()}
    plan.fused_groups = groups
    # The arena holds the fused results that are temporaries (escaping ones get fresh
    # memory), and the results of the calls numpy replays with out= (into_arena.py).
    fused = {index for group in groups for index in group.indices}
    replacements = arena_calls(plan, fused, kept)
    starts = {slot: group.indices[0] for group in groups for slot in group.outputs
              if slot not in kept}
    starts.update({slot: index for index in replacements
                   for slot in plan.events[index].outputs})
    # A gradient copy that a fused update makes runs as a copy at the optimizer step when
    # the update falls back to Python: its source lives until then.
    read_later = {plan.events[index].args[0].slot: start
                  for index, start in plan.deferred_copies.items()}
    lay_out_arena(plan, starts, read_later)
    arena = np.empty(plan.arena_bytes, dtype=np.uint8)
    # (a result that a kept array views, such as a returned reshape of it, was not placed)
    plan.arena_calls = {index: (replacement, arena_views(plan, plan.events[index].outputs,
                                                         arena))
                        for index, replacement in replacements.items()
                        if all(slot in plan.arena_offsets
                               for slot in plan.events[index].outputs)}
    return {group.indices[0]: (fused_step(group, arena_views(plan, group.outputs, arena)),
                               group.indices) for group in groups}


def arena_views(plan: Plan, slots, arena) -> dict:
    """Each of ``slots`` that lives in the arena, as an array of its shape and dtype over
    its bytes of ``arena`` (a host or a device byte array)."""
    views = {}
    for slot in slots:
        offset = plan.arena_offsets.get(slot)
        if offset is None:
            continue
        info = plan.slots[slot]
        size = int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize
        views[slot] = arena[offset:offset + size].view(info.dtype).reshape(info.shape)
    return views


def _gradient_copies(plan: Plan, found: list[list[int]]) -> dict[int, dict]:
    """Gradients an optimizer's fused update can write itself.

    Backward stores a parameter's gradient with ``copy`` (a clone) into ``p.grad``, and the
    update then reads ``p.grad``: two passes over the gradient. When the update is a fused
    kernel, it can read the clone's source and write ``p.grad`` in the same pass. Returns
    ``{first index of a group: {gradient slot: (source slot, index of the copy)}}``."""
    in_groups = {index for indices in found for index in indices}
    made_in_group = {slot for index in in_groups for slot in plan.events[index].outputs}
    copies = {}
    for index, event in enumerate(plan.events):
        if (isinstance(event, KernelCall) and event.method == "copy" and event.host is None
                and event.outputs[0] in plan.escaping and isinstance(event.args[0], SlotRef)
                and event.args[0].slot not in made_in_group):
            copies[event.outputs[0]] = (event.args[0].slot, index)
    claimed: dict[int, dict] = {}
    taken = set()
    for indices in found:
        if plan.events[indices[0]].host is None:
            continue  # only inside an optimizer step replayed as kernels
        shape = plan.slots[_result_slot(plan.events[indices[0]])].shape
        for index in indices:
            for slot in slots_read(plan.events[index].args):
                if slot not in copies or slot in taken or plan.slots[slot].shape != shape:
                    continue
                source, copy_index = copies[slot]
                read_between = any(slot in slots_read((event.args, event.kwargs))
                                   for event in plan.events[copy_index + 1:indices[0]]
                                   if isinstance(event, KernelCall))
                written = any(slot in plan.events[i].writes for i in indices)
                if not read_between and not written:
                    claimed.setdefault(indices[0], {})[slot] = (source, copy_index)
                    taken.add(slot)
    return claimed


def _no_aliasing(plan: Plan, group: FusedGroup) -> bool:
    """A kernel that updates an array in place reads every input at the element it writes:
    no input may be another view of the memory it writes."""
    if not group.written:
        return True
    made_by = {slot: event.method for event in plan.events if isinstance(event, KernelCall)
               for slot in event.outputs}
    if any(made_by.get(slot) in _VIEWS for slot in group.inputs):
        return False
    written = [plan.bound[slot] for slot in group.written if slot in plan.bound]
    others = [plan.bound[slot] for slot in group.inputs
              if slot in plan.bound and slot not in group.written]
    return not any(np.may_share_memory(a, b) for a in written for b in others)


def _output_slots(plan: Plan) -> set[int]:
    from minigrad.compile.planner import _output_slots as output_slots

    return set(output_slots(plan.outputs))
