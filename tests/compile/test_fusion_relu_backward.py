"""ReLU's backward (the backend's ``relu_backward``) in the fusion generators: it joins a
group with its elementwise neighbours, and the fused kernel gives the eager numbers bit for
bit, also where the input is nan or the gradient infinite."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 2.0, -3.0])


def skip_relu_gradient(x, g):
    """The gradient of ``relu(x) + x`` for the cotangent g: ``relu_backward(g, x) + g``."""
    (grad,) = minigrad.grad(x.relu() + x, x, g)
    return grad


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_cpu_kernel_fuses_relu_backward_with_the_gradient_sum_bit_for_bit(dtype_name):
    dtype = getattr(minigrad, dtype_name)
    compiled = minigrad.compile(skip_relu_gradient)
    rng = np.random.default_rng(0)
    replayed = []
    for _ in range(3):
        replayed.append(compiled.program is not None)
        x = minigrad.tensor(rng.choice(SPECIAL, (3, 4)), dtype=dtype, requires_grad=True)
        g = minigrad.tensor(rng.choice(SPECIAL, (3, 4)), dtype=dtype)
        expected = skip_relu_gradient(x, g).numpy()
        result = compiled(x, g).numpy()
        assert result.dtype == expected.dtype
        assert result.tobytes() == expected.tobytes()
    assert replayed == [False, False, True]  # calls 1 and 2 trace, call 3 replays
    (group,) = compiled.program.plan.fused_groups
    assert group.methods == ["relu_backward", "add"]
    lines = [line.strip() for line in group.source.splitlines()]
    # a selection (0 where x <= 0, whatever the gradient), not gradient * mask
    assert f"t0 = (np.{dtype_name}(0) if in1[i0, i1] <= 0 else in0[i0, i1])" in lines


def test_cuda_generator_calls_the_eager_device_function():
    pytest.importorskip("numba.cuda")
    from minigrad.compile.cuda_fusion import CUDAFusedGroup
    from minigrad.compile.fusion import _last_reads, find_groups
    from minigrad.compile.planner import Plan
    from minigrad.compile.recorder import KernelCall, SlotInfo, SlotRef

    slots = [SlotInfo("input", (4, 3), np.dtype("float32"), "cuda"),
             SlotInfo("input", (4, 3), np.dtype("float32"), "cuda"),
             SlotInfo("produced", (4, 3), np.dtype("float32"), "cuda"),
             SlotInfo("produced", (4, 3), np.dtype("float32"), "cuda")]
    events = [KernelCall("cuda", "relu_backward", (SlotRef(0), SlotRef(1)), {}, (2,), "array"),
              KernelCall("cuda", "add", (SlotRef(2), SlotRef(0)), {}, (3,), "array")]
    plan = Plan(events, slots, [(0, 0)], {}, {}, {}, {}, ("tensor", 3, "cuda"),
                [[] for _ in events])
    (indices,) = find_groups(plan, "cuda")
    group = CUDAFusedGroup(plan, indices, _last_reads(plan), {3})
    lines = [line.strip() for line in group.source.splitlines()]
    assert 'relu_backward = BINARY["relu_backward"]' in lines
    assert lines[-3:] == ["t0 = float32(relu_backward(x0, x1))", "t1 = float32(add(t0, x0))",
                          "out0[i] = t1"]
