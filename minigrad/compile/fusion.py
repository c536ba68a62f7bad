"""Stage 3, **fuse**: a run of elementwise kernels becomes one generated Numba kernel.

Eager code computes ``grad * (x > 0)`` as three passes over memory (compare, convert, multiply)
with two temporary arrays. A fused kernel makes one pass and keeps the intermediate values in
registers::

    for i, j in output:                      # one loop, written for this group
        t0 = x[i, j] > zero[i, j]
        t1 = np.float32(t0)
        out[i, j] = grad[i, j] * t1

A **group** is a run of consecutive recorded calls that are all elementwise, all produce the
same shape on the CPU, and whose inputs broadcast to that shape. Only results that something
after the group reads (or that escape the step) are written to memory; they are placed in the
program's static arena, at the offsets the planner chose by lifetime.

Only operations that IEEE 754 rounds exactly (``+ - * /``, ``sqrt``, comparisons, max/min,
``where``, conversions) are fused, so a fused program gives bit-for-bit the numbers of the
eager one. ``exp``, ``log``, ``tanh`` and ``pow`` stay with numpy, whose implementations can
differ from LLVM's in the last bit.

The kernel source is written to a file in minigrad's cache directory and imported from
there, so Numba's ``cache=True`` can keep the compiled machine code between runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable

import numpy as np

from minigrad.compile.planner import Plan, lay_out_arena, slots_read
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
    if method == "astype" and isinstance(args[0], SlotRef):
        return f"np.{np.dtype(args[1]).name}({name(args[0])})"
    return None


def _fusable(call, plan: Plan, shape: tuple | None, device: str = "cpu") -> bool:
    if not isinstance(call, KernelCall) or call.device != device or call.kwargs:
        return False
    if len(call.outputs) != 1 or call.writes:
        return False
    output = plan.slots[call.outputs[0]]
    if output.dtype.kind not in "fb" or output.shape == () or (
            shape is not None and output.shape != shape):
        return False
    for slot in slots_read(call.args):
        info = plan.slots[slot]
        if info.dtype.kind not in "fb" or not _broadcasts_to(info.shape, output.shape):
            return False
    names = {slot: "x" for slot in slots_read(call.args)}
    return _expression(call, names, output.dtype) is not None


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(size in (1, full) for size, full in zip(shape[::-1], target[::-1], strict=False))


def find_groups(plan: Plan, device: str = "cpu") -> list[list[int]]:
    """Runs of consecutive fusable calls on ``device`` with one output shape (event
    indices)."""
    groups, current, shape = [], [], None
    for index, event in enumerate(plan.events):
        if current and _fusable(event, plan, shape, device):
            current.append(index)
            continue
        if len(current) >= MIN_GROUP:
            groups.append(current)
        current, shape = [], None
        if _fusable(event, plan, None, device):
            current, shape = [index], plan.slots[event.outputs[0]].shape
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
    """One generated kernel: which calls it replaces, what it reads and writes."""

    kernel_name = "fused"  # how explain() and the drawings call it

    def __init__(self, plan: Plan, indices: list[int], last_reads: dict[int, int],
                 kept: set[int]) -> None:
        self.indices = indices
        calls = [plan.events[index] for index in indices]
        produced = {call.outputs[0] for call in calls}
        self.inputs: list[int] = []
        for call in calls:
            for slot in slots_read(call.args):
                if slot not in produced and slot not in self.inputs:
                    self.inputs.append(slot)
        # A result leaves the kernel if something after the group reads it, or it escapes.
        self.outputs = [call.outputs[0] for call in calls
                        if last_reads.get(call.outputs[0], -1) > indices[-1]
                        or call.outputs[0] in kept]
        self.shape = plan.slots[calls[0].outputs[0]].shape
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
        body = []
        for number, call in enumerate(calls):
            value = f"t{number}"
            dtype = plan.slots[call.outputs[0]].dtype
            body.append(f"{value} = {_expression(call, names, dtype)}")
            names[call.outputs[0]] = value
            if call.outputs[0] in self.outputs:
                body.append(f"out{self.outputs.index(call.outputs[0])}[{index}] = {value}")
        parameters = [f"in{n}" for n in range(len(self.inputs))]
        parameters += [f"out{n}" for n in range(len(self.outputs))]
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
    """Write the generated module to the cache directory and import it (so that Numba's
    ``cache=True`` finds a source file to key its cache on)."""
    module_source = ("import numpy as np\nfrom numba import njit\n" + _HELPERS +
                     "\n\n@njit(cache=True, error_model='numpy')\n" + source)
    digest = hashlib.sha1(module_source.encode()).hexdigest()[:16]
    cached = _KERNELS.get(digest)
    if cached is not None:
        return cached
    directory = os.path.join(os.environ.get("MINIGRAD_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "minigrad"), "fused_kernels")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"fused_{digest}.py")
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as file:
            file.write(module_source)
        os.replace(temporary, path)  # atomic: a parallel process never sees half a file
    name = f"minigrad_fused_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: Numba's cache finds the module by name when it loads.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _KERNELS[digest] = module.fused
    return module.fused


_KERNELS: dict[str, Callable] = {}


def fused_step(group: FusedGroup, arena_views: dict[int, np.ndarray], releases: list[int]):
    """The replay step running one fused kernel."""
    kernel = _load_kernel(group.source)
    shape = group.shape
    outputs = group.outputs
    # numpy hands back 0-d results as numpy scalars; the kernel indexes arrays.
    inputs = [(slot, plan_shape == ()) for slot, plan_shape in group.input_shapes]
    fresh = [(slot, group.dtypes[slot]) for slot in outputs if slot not in arena_views]
    placed = [(slot, arena_views[slot]) for slot in outputs if slot in arena_views]

    def run(env: list) -> None:
        arguments = [np.asarray(env[slot]) if scalar else env[slot] for slot, scalar in inputs]
        for slot, view in placed:
            env[slot] = view
        for slot, dtype in fresh:
            env[slot] = np.empty(shape, dtype=dtype)
        kernel(*arguments, *[env[slot] for slot in outputs])
        for slot in releases:
            env[slot] = None

    return run


def fuse_plan(plan: Plan) -> dict[int, tuple[Callable, list[int]]]:
    """Fused steps keyed by the first event of their group: ``{index: (step, indices)}``.
    The arena (one numpy byte buffer) holds the fused outputs that are temporaries."""
    if any(getattr(event, "device", None) == "cuda" for event in plan.events):
        from minigrad.compile.cuda_fusion import fuse_cuda_plan  # generated @cuda.jit kernels

        return fuse_cuda_plan(plan)
    last_reads = _last_reads(plan)
    kept = set(plan.escaping) | set(plan.bound) | _output_slots(plan)
    groups = [FusedGroup(plan, indices, last_reads, kept) for indices in find_groups(plan)]
    groups = [group for group in groups if group.outputs]
    plan.fused_groups = groups
    # The arena holds the fused results that are temporaries; escaping ones get fresh memory.
    lay_out_arena(plan, {slot: group.indices[0] for group in groups for slot in group.outputs
                         if slot not in kept})
    arena = np.empty(plan.arena_bytes, dtype=np.uint8)
    steps = {}
    for group in groups:
        views = {}
        for slot in group.outputs:
            offset = plan.arena_offsets.get(slot)
            if offset is None:
                continue
            info = plan.slots[slot]
            size = int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize
            views[slot] = arena[offset:offset + size].view(info.dtype).reshape(info.shape)
        releases = sorted({slot for index in group.indices for slot in plan.release_after[index]})
        steps[group.indices[0]] = (fused_step(group, views, releases), group.indices)
    return steps


def _output_slots(plan: Plan) -> set[int]:
    from minigrad.compile.planner import _output_slots as output_slots

    return set(output_slots(plan.outputs))
