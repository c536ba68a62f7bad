"""The CUDA kernel generator on hand-made plans: the source it writes for broadcasting, dtype
rounding, conversions and ``where``, without running it (no GPU or simulator needed; the
kernels themselves run in tests/cuda/test_compile_fusion.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba.cuda")

from minigrad.compile.cuda_fusion import CUDAFusedGroup, fuse_cuda_plan  # noqa: E402
from minigrad.compile.fusion import _last_reads, find_groups  # noqa: E402
from minigrad.compile.optimizer_scalars import ScalarRef  # noqa: E402
from minigrad.compile.planner import Plan  # noqa: E402
from minigrad.compile.recorder import KernelCall, SlotInfo, SlotRef  # noqa: E402


def make_plan(slots: list[tuple[str, tuple, str]], calls: list[tuple], device="cuda") -> Plan:
    """A plan of ``calls`` ``(method, args, output slot)`` over ``slots`` ``(origin, shape,
    dtype)``; the last call's result is the step's output."""
    infos = [SlotInfo(origin, shape, np.dtype(dtype), device) for origin, shape, dtype in slots]
    events = [KernelCall(device, method, args, {}, (output,), "array")
              for method, args, output in calls]
    last = events[-1].outputs[0]
    return Plan(events, infos, [(0, 0)], {}, {}, {}, {}, ("tensor", last, device),
                [[] for _ in events])


def generated(plan: Plan) -> CUDAFusedGroup:
    (indices,) = find_groups(plan, "cuda")
    kept = {plan.outputs[1]}
    return CUDAFusedGroup(plan, indices, _last_reads(plan), kept)


def body(group: CUDAFusedGroup) -> list[str]:
    return [line.strip() for line in group.source.splitlines()]


def test_broadcast_inputs_read_only_the_axes_they_have():
    # x (2, 3, 4) + column (3, 1) + row (4,) + constant (): each read the way numpy
    # broadcasts it, the multi-index computed only for the axes someone reads.
    plan = make_plan(
        [("input", (2, 3, 4), "float32"), ("external", (3, 1), "float32"),
         ("external", (4,), "float32"), ("external", (), "float32"),
         ("produced", (2, 3, 4), "float32"), ("produced", (2, 3, 4), "float32"),
         ("produced", (2, 3, 4), "float32")],
        [("add", (SlotRef(0), SlotRef(1)), 4), ("sub", (SlotRef(4), SlotRef(2)), 5),
         ("div", (SlotRef(5), SlotRef(3)), 6)])
    group = generated(plan)
    lines = body(group)
    assert lines[lines.index("def fused(in0, in0_offset, in0_strides, in1, in1_offset, "
                             "in1_strides, in2, in2_offset, in2_strides, in3, in3_offset, "
                             "out0):") + 1:] == [
        "for i in range(cuda.grid(1), 24, cuda.gridsize(1)):",
        "i2 = i % 4",
        "i1 = i // 4 % 3",
        "i0 = i // 12",
        "x0 = in0[in0_offset + i0 * in0_strides[0] + i1 * in0_strides[1] + i2 * "
        "in0_strides[2]]",
        "x1 = in1[in1_offset + i1 * in1_strides[0]]",
        "x2 = in2[in2_offset + i2 * in2_strides[0]]",
        "x3 = in3[in3_offset]",
        "t0 = float32(add(x0, x1))",
        "t1 = float32(sub(t0, x2))",
        "t2 = float32(div(t1, x3))",
        "out0[i] = t2",
    ]
    # Only the device functions it uses are bound, from the eager backend's tables.
    assert [line for line in lines if " = BINARY[" in line] == [
        'add = BINARY["add"]', 'sub = BINARY["sub"]', 'div = BINARY["div"]']


def test_each_result_is_rounded_to_the_dtype_eager_code_stores():
    # float32 * float64 is computed in float64 and stored in float32 (the first operand's
    # dtype), as the eager kernel does; products never become fused multiply-adds.
    plan = make_plan(
        [("input", (5,), "float32"), ("external", (5,), "float64"),
         ("produced", (5,), "float32"), ("produced", (5,), "float32"),
         ("produced", (5,), "bool"), ("produced", (5,), "bool"),
         ("produced", (5,), "float32")],
        [("mul", (SlotRef(0), SlotRef(1)), 2), ("mul", (SlotRef(2), SlotRef(0)), 3),
         ("compare", ("le", SlotRef(3), SlotRef(0)), 4), ("astype", (SlotRef(3), "bool"), 5),
         ("where", (SlotRef(4), SlotRef(3), SlotRef(5)), 6)])
    lines = body(generated(plan))
    assert lines[-6:] == [
        "t0 = float32(multiply_float64(x0, x1))",
        "t1 = float32(multiply_float32(t0, x0))",
        "t2 = le(t1, x0)",
        "t3 = (t1) != 0",
        "t4 = float32((t1 if t2 else t3))",
        "out0[i] = t4",
    ]


def test_intermediate_results_stay_in_registers_unless_read_later():
    # relu(x) is read after the group (say, by a matmul): it is written; the comparison
    # mask is not.
    plan = make_plan(
        [("input", (4, 3), "float64"), ("produced", (4, 3), "float64"),
         ("produced", (4, 3), "bool"), ("produced", (4, 3), "float64"),
         ("produced", (3, 3), "float64")],
        [("unary", ("relu", SlotRef(0)), 1), ("compare", ("gt", SlotRef(1), SlotRef(0)), 2),
         ("astype", (SlotRef(2), "float64"), 3),
         ("matmul", (SlotRef(1), SlotRef(3)), 4)])
    group = generated(plan)
    assert group.methods == ["relu", "compare", "astype"]
    assert group.outputs == [1, 3]
    lines = body(group)
    assert [line for line in lines if line.startswith("out")] == ["out0[i] = t0",
                                                                  "out1[i] = t2"]


def test_groups_are_found_per_device():
    slots = [("input", (3,), "float32"), ("produced", (3,), "float32"),
             ("produced", (3,), "float32")]
    calls = [("unary", ("neg", SlotRef(0)), 1), ("mul", (SlotRef(1), SlotRef(0)), 2)]
    assert find_groups(make_plan(slots, calls, "cuda"), "cuda") == [[0, 1]]
    assert find_groups(make_plan(slots, calls, "cuda")) == []  # the CPU generator's default
    assert find_groups(make_plan(slots, calls, "cpu"), "cuda") == []


@pytest.mark.parametrize("method, dtype", [("pow", "float32"), ("mul", "float16")])
def test_a_group_the_generator_cannot_write_is_left_unfused(method, dtype):
    plan = make_plan(
        [("input", (3,), dtype), ("produced", (3,), dtype), ("produced", (3,), dtype)],
        [("unary", ("neg", SlotRef(0)), 1), ("mul", (SlotRef(1), SlotRef(0)), 2)])
    # pow is not exactly rounded, so no generator fuses it; here it is slipped into a group
    # to check that a group the CUDA generator cannot write is dropped, not mis-compiled.
    plan.events[1].method = method
    group = CUDAFusedGroup(plan, [0, 1], _last_reads(plan), {2})
    assert group.source is None
    assert fuse_cuda_plan(plan) == {} and plan.fused_groups == []


def test_cuda_groups_leave_in_place_updates_and_optimizer_numbers_alone():
    # b = b * momentum (a number of the optimizer step), stored in place, then b += b - (-g)
    # in place: the CPU generator fuses all five calls; the CUDA generator writes only new
    # results, so the multiply by a ScalarRef and the in-place updates stay separate
    # kernels, and the group is the two calls between them.
    slots = [("external", (6,), "float32"), ("external", (6,), "float32"),
             ("produced", (6,), "float32"), ("produced", (6,), "float32"),
             ("produced", (6,), "float32")]
    for device, expected in (("cpu", [[0, 1, 2, 3, 4]]), ("cuda", [[2, 3]])):
        infos = [SlotInfo(origin, shape, np.dtype(dtype), device)
                 for origin, shape, dtype in slots]
        momentum = ScalarRef(0, 0, ("momentum",))
        events = [
            KernelCall(device, "mul", (SlotRef(0), momentum), {}, (2,), "array"),
            KernelCall(device, "assign", (SlotRef(0), SlotRef(2)), {}, (), "none", (0,)),
            KernelCall(device, "unary", ("neg", SlotRef(1)), {}, (3,), "array"),
            KernelCall(device, "sub", (SlotRef(0), SlotRef(3)), {}, (4,), "array"),
            KernelCall(device, "add_scaled_", (SlotRef(0), SlotRef(4), 1.0), {}, (), "none",
                       (0,)),
        ]
        plan = Plan(events, infos, [], {0: None, 1: None}, {}, {}, {},
                    ("tensor", 0, device), [[] for _ in events])
        assert find_groups(plan, device) == expected, device
