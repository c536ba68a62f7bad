"""Stage 3 on the CUDA device: a fused group becomes one generated ``@cuda.jit`` kernel.

The groups are the ones ``fusion.py`` finds on the CPU (a run of elementwise calls with one
output shape, only exactly rounded operations); what changes is the kernel written for them.
Eager CUDA code launches one kernel per call: the backward of a residual block
``relu(x) + x`` is two launches (ReLU's backward, then the sum with the skip path's
gradient) and a temporary array in device memory. Fused, it is one launch, and each thread
keeps its intermediate value in registers::

    @cuda.jit(cache=True)
    def fused(in0, in0_offset, in0_strides, in1, in1_offset, in1_strides, out0):
        for i in range(cuda.grid(1), 32, cuda.gridsize(1)):   # grid-stride loop
            i1 = i % 8                                         # flat index -> (i0, i1)
            i0 = i // 8
            x0 = in0[in0_offset + i0 * in0_strides[0] + i1 * in0_strides[1]]   # gradient
            x1 = in1[in1_offset + i0 * in1_strides[0] + i1 * in1_strides[1]]   # x
            t0 = float32(relu_backward(x0, x1))
            t1 = float32(add(x0, t0))
            out0[i] = t1

One thread per output element: thread ``t`` of a grid of ``T`` threads handles elements
``t, t + T, ...``, so any size runs on a bounded grid. The output shape is fixed by the
input signature, so the extents are written into the source as numbers. Each input is read
the way the backend's elementwise kernels read it, as a flat buffer plus an offset and
strides (in elements), so transposed or sliced inputs need no copy; an input of a smaller
shape is read the way numpy broadcasts it, by leaving out the dimensions it does not have
or has once (``bias[i1]``, a 0-d constant at its offset).

**Bit-for-bit equal to eager code.** Every operation calls the same device function the
eager kernel calls (``minigrad.backend.cuda.elementwise``), and every intermediate value is
rounded to the dtype eager code would have stored it in. One more thing is needed on a real
GPU: the CUDA compiler contracts a multiplication followed by an addition into one fused
multiply-add (rounded once instead of twice). Eager code never gives it the chance (each
result goes to memory), a fused kernel would. Products are therefore computed with
libdevice's ``fmul_rn``/``dmul_rn``, which the compiler never contracts. (A product of two
float32 numbers computed in float64 and rounded to float32 is the float32 product, so one
float32 and one float64 variant cover every dtype mix eager code can meet.)

Results are stored at the end of the loop body, as in the CPU kernels. The replay calls a
fused step the same way on both devices, ``kernel(*inputs, *outputs)`` (a CUDA group has no
optimizer numbers, in-place updates or gradient copies: those stay with the backend's
kernels on this device); ``CUDAFusedKernel`` turns that call into the launch, passing each
input's buffer, offset and strides and each output's flat buffer.

The source is written to minigrad's cache directory, like the CPU kernels', and imported from
there: ``cache=True`` keeps the compiled code between runs, and a student can read it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np
from numba import config, cuda, float32, float64

from minigrad.backend.cuda import elementwise
from minigrad.backend.cuda.layout import flat, launch_1d, view_of
from minigrad.compile.fusion import (
    FusedGroup,
    FusedStep,
    _last_reads,
    arena_views,
    find_groups,
    load_generated_kernel,
)
from minigrad.compile.planner import Plan, _output_slots, lay_out_arena
from minigrad.compile.recorder import KernelCall

if config.ENABLE_CUDASIM:
    # The simulator runs device functions as Python on numpy scalars: no contraction to
    # undo, and libdevice's functions are empty stubs there.
    @cuda.jit(device=True)
    def multiply_float32(a, b):
        return np.float32(a) * np.float32(b)

    @cuda.jit(device=True)
    def multiply_float64(a, b):
        return np.float64(a) * np.float64(b)
else:
    from numba.cuda import libdevice

    @cuda.jit(device=True)
    def multiply_float32(a, b):
        return libdevice.fmul_rn(float32(a), float32(b))

    @cuda.jit(device=True)
    def multiply_float64(a, b):
        return libdevice.dmul_rn(float64(a), float64(b))


# The exactly rounded operations, as in fusion.py; each is the eager kernel's device function
# ("mul" too, see multiply_float32; ``relu_backward`` is the backend method of that name,
# whose arguments are (grad, a)).
_BINARY = ("add", "sub", "div", "maximum", "minimum", "relu_backward")
_UNARY = ("neg", "abs", "sqrt", "relu")
# The dtypes a generated kernel can round to (the names it imports).
_DTYPES = ("bool", "float32", "float64")
# Names the generated module gives the backend's device functions (``abs`` would hide the
# builtin, so it is spelled out).
_DEVICE_NAMES = {"abs": "absolute"}


def _device_function(table: str, name: str) -> tuple[str, str]:
    """(local name, binding line) for ``elementwise.<table>[name]``."""
    local = _DEVICE_NAMES.get(name, name)
    return local, f'{local} = {table}["{name}"]'


class CUDAFusedGroup(FusedGroup):
    """A fused group whose kernel is generated for the CUDA device (``source`` is None when
    one of its operations has no CUDA expression; such a group is not fused)."""

    kernel_name = "cuda.fused"

    def _source(self, plan: Plan, calls: list[KernelCall]) -> str | None:
        shape = self.shape
        size = math.prod(shape)
        slots = [*self.inputs, *(call.outputs[0] for call in calls)]
        if any(np.dtype(plan.slots[slot].dtype).name not in _DTYPES for slot in slots):
            return None
        bindings: dict[str, str] = {}
        names: dict[int, str] = {}
        parameters, loads = [], []
        used_axes: set[int] = set()
        for number, slot in enumerate(self.inputs):
            input_shape = plan.slots[slot].shape
            terms = [f"i{axis} * in{number}_strides[{position}]"
                     for position, axis in _read_axes(input_shape, shape)]
            used_axes.update(axis for _, axis in _read_axes(input_shape, shape))
            parameters += [f"in{number}", f"in{number}_offset"]
            if input_shape:  # a 0-d input has no strides to pass
                parameters.append(f"in{number}_strides")
            position = " + ".join([f"in{number}_offset", *terms])
            loads.append(f"x{number} = in{number}[{position}]")
            names[slot] = f"x{number}"
        body = []
        for number, call in enumerate(calls):
            dtype = np.dtype(plan.slots[call.outputs[0]].dtype)
            expression = _expression(call, names, plan, bindings)
            if expression is None:
                return None
            value = f"t{number}"
            body.append(f"{value} = {_rounded(expression, dtype, call)}")
            names[call.outputs[0]] = value
        # Stores last, as in the CPU kernels.
        body += [f"out{number}[i] = {names[slot]}" for number, slot in enumerate(self.outputs)]
        parameters += [f"out{number}" for number in range(len(self.outputs))]
        lines = [*bindings.values(), "", "",
                 "@cuda.jit(cache=True)",
                 f"def fused({', '.join(parameters)}):",
                 f"    for i in range(cuda.grid(1), {size}, cuda.gridsize(1)):"]
        indent = "        "
        lines.extend(indent + line for line in _index_lines(shape, used_axes))
        lines.extend(indent + line for line in loads + body)
        return "\n".join(lines) + "\n"


def _read_axes(shape: tuple, target: tuple) -> list[tuple[int, int]]:
    """(input axis, output axis) pairs a kernel looping over ``target`` needs to read an
    input of ``shape``: shapes align on the right, and an axis of size 1 that the output
    broadcasts is read at index 0, so it adds nothing to the position."""
    offset = len(target) - len(shape)
    return [(axis, offset + axis) for axis, extent in enumerate(shape)
            if not (extent == 1 and target[offset + axis] != 1)]


def _index_lines(shape: tuple, used_axes: set[int]) -> list[str]:
    """Lines turning the flat index ``i`` into the multi-index (only the axes some input
    reads): C order, so the last axis moves fastest."""
    lines = []
    stride = 1
    for axis in range(len(shape) - 1, -1, -1):
        if axis in used_axes:
            quotient = "i" if stride == 1 else f"i // {stride}"
            lines.append(f"i{axis} = {quotient} % {shape[axis]}" if axis else
                         f"i{axis} = {quotient}")
        stride *= shape[axis]
    return lines


def _rounded(expression: str, dtype: np.dtype, call: KernelCall) -> str:
    """``expression`` rounded to the dtype eager code stores the result in."""
    if dtype.kind == "b":
        return expression if call.method == "compare" else f"({expression}) != 0"
    return f"{dtype.name}({expression})"


def _expression(call: KernelCall, names: dict[int, str], plan: Plan,
                bindings: dict[str, str]) -> str | None:
    """The device code computing ``call``'s output element from the values in ``names``,
    or None if it has none. ``bindings`` collects the device functions it uses."""
    method, args = call.method, call.args  # find_groups saw that every array is a SlotRef

    def use(table: str, name: str) -> str:
        local, line = _device_function(table, name)
        bindings[local] = line
        return local

    if method == "mul":
        dtypes = {np.dtype(plan.slots[argument.slot].dtype).name for argument in args}
        if "float64" in dtypes:
            return f"multiply_float64({names[args[0].slot]}, {names[args[1].slot]})"
        if "float32" in dtypes:
            return f"multiply_float32({names[args[0].slot]}, {names[args[1].slot]})"
        return f"{use('BINARY', method)}({names[args[0].slot]}, {names[args[1].slot]})"
    if method in _BINARY:
        return f"{use('BINARY', method)}({names[args[0].slot]}, {names[args[1].slot]})"
    if method == "unary" and args[0] in _UNARY:
        return f"{use('UNARY', args[0])}({names[args[1].slot]})"
    if method == "compare" and args[0] in elementwise.COMPARISONS:
        return f"{use('COMPARISONS', args[0])}({names[args[1].slot]}, {names[args[2].slot]})"
    if method == "where":
        condition, a, b = (names[argument.slot] for argument in args)
        return f"({a} if {condition} else {b})"
    if method == "astype":
        return names[args[0].slot]  # the conversion is the rounding to the output dtype
    return None


def _dependency_stamp() -> str:
    """A digest of the modules whose device functions a generated kernel calls: part of the
    generated source, so that Numba's cache never serves a kernel compiled against an older
    version of them."""
    if not _STAMP:
        digest = hashlib.sha1()
        for path in (elementwise.__file__, __file__):
            with open(path, "rb") as file:
                digest.update(file.read())
        _STAMP.append(digest.hexdigest()[:16])
    return _STAMP[0]


_STAMP: list[str] = []


def load_kernel(source: str) -> Callable:
    """Write the generated module to the cache directory and import it (Numba's
    ``cache=True`` keys its cache on a source file)."""
    module_source = (
        f"# generated by minigrad.compile.cuda_fusion (device code {_dependency_stamp()})\n"
        "from numba import cuda, float32, float64\n\n"
        "from minigrad.backend.cuda.elementwise import BINARY, COMPARISONS, UNARY\n"
        "from minigrad.compile.cuda_fusion import multiply_float32, multiply_float64\n\n"
        + source
    )
    return load_generated_kernel(module_source, "cuda_fused")


class CUDAFusedKernel:
    """A generated kernel called the way the replay calls every fused kernel,
    ``kernel(*inputs, *outputs)`` with device arrays: it passes each input as the buffer,
    offset and strides the kernel reads, each output as its flat buffer, and launches one
    thread per output element (a bounded grid; the kernel loops over the rest)."""

    def __init__(self, group: CUDAFusedGroup) -> None:
        self.kernel = load_kernel(group.source)
        size = math.prod(group.shape)
        self.launch = self.kernel[launch_1d(size)] if size else None
        # Whether each input is passed with its strides (a 0-d input has none).
        self.strided = [bool(shape) for _, shape in group.input_shapes]

    def __call__(self, *arrays) -> None:
        if self.launch is None:
            return  # an empty output: nothing to compute
        count = len(self.strided)
        arguments = []
        for array, strided in zip(arrays[:count], self.strided, strict=True):
            view = view_of(array)  # the buffer, offset and strides eager kernels read
            arguments += [view.buffer, view.offset, view.strides] if strided else \
                [view.buffer, view.offset]
        outputs = [flat(array) for array in arrays[count:]]
        self.launch(*arguments, *outputs)


def cuda_fused_step(group: CUDAFusedGroup, arena_views: dict) -> FusedStep:
    """The replay step launching one generated kernel."""
    return FusedStep(group, CUDAFusedKernel(group), arena_views, elementwise.empty)


def fuse_cuda_plan(plan: Plan) -> dict[int, tuple[FusedStep, list[int]]]:
    """``fusion.fuse_plan`` for a plan on the CUDA device: the same groups and arena layout,
    with the arena one device allocation and each group one generated ``@cuda.jit`` kernel.
    The groups update nothing in place and copy no gradients (``written`` and ``copies``
    stay empty)."""
    last_reads = _last_reads(plan)
    kept = set(plan.escaping) | set(plan.bound) | set(_output_slots(plan.outputs))
    groups = [CUDAFusedGroup(plan, indices, last_reads, kept)
              for indices in find_groups(plan, "cuda")]
    groups = [group for group in groups if group.outputs and group.source is not None]
    plan.fused_groups = groups
    plan.deferred_copies = {}
    lay_out_arena(plan, {slot: group.indices[0] for group in groups for slot in group.outputs
                         if slot not in kept})
    arena = cuda.device_array(plan.arena_bytes, dtype=np.uint8) if plan.arena_bytes else None
    return {group.indices[0]: (cuda_fused_step(group, arena_views(plan, group.outputs, arena)),
                               group.indices) for group in groups}
