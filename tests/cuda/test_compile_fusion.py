"""minigrad.compile's fusion on the CUDA device: a fused group is one generated ``@cuda.jit``
kernel, and replay gives bit-for-bit the numbers of the eager step.

The simulator runs every kernel thread as Python, so the models are tiny and each is trained
only once per mode (``runs``): eager, compiled with fusion, compiled without.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@contextlib.contextmanager
def counting_launches(counter: list[int]):
    """Adds one to ``counter[0]`` per kernel launch (calls of device functions inside a
    kernel are not launches)."""
    if SIMULATOR:
        from numba.cuda.simulator.kernel import FakeCUDAKernel as launcher

        original = launcher.__call__

        def counted(self, *args):
            if not self._device:
                counter[0] += 1
            return original(self, *args)
    else:
        from numba.cuda.dispatcher import _LaunchConfiguration as launcher

        original = launcher.__call__

        def counted(self, *args):
            counter[0] += 1
            return original(self, *args)

    launcher.__call__ = counted
    try:
        yield
    finally:
        launcher.__call__ = original


class ScaleShift(nn.Module):
    """``x * scale + shift``: a per-feature scale of shape (n,) and a shift stored as a column
    (n, 1) and used transposed, so the fused kernels read a broadcast parameter and a
    strided view."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(minigrad.rand(features) + 0.5)
        self.shift = nn.Parameter(minigrad.randn(features, 1))

    def forward(self, x):
        shift = self.shift.t()  # first, so that the multiply and add are one run of calls
        return x * self.scale + shift


class SkipReLU(nn.Module):
    """``relu(x) + x``: the gradient reaching x is ReLU's backward plus the skip path's, and
    the engine adds the two right after the ReLU backward, so the two fuse."""

    def forward(self, x):
        return x.relu() + x


def skip_mlp():
    return nn.Sequential(nn.Linear(6, 8), SkipReLU(), nn.Linear(8, 3))


def scale_shift_batchnorm():
    return nn.Sequential(nn.Linear(6, 8), ScaleShift(8), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Linear(8, 3))


MODELS = {"skip_mlp": (skip_mlp, minigrad.float32),
          "scale_shift": (scale_shift_batchnorm, minigrad.float64)}
BATCH = 4


def train(model_name: str, mode: str, steps: int) -> dict:
    """Train a fresh model for ``steps`` steps; ``mode`` is "eager", "fused" or "unfused".
    Returns the final parameters and buffers, the losses, the step, the kernel launches of
    each call and whether each call replayed a program."""
    build, dtype = MODELS[model_name]
    minigrad.manual_seed(0)
    model = build().to(dtype=dtype).to("cuda")
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = train_step if mode == "eager" else minigrad.compile(train_step,
                                                               fuse=mode == "fused")
    rng = np.random.default_rng(1)
    losses, launches, replayed = [], [], []
    for _ in range(steps):
        replayed.append(mode != "eager" and step.program is not None)
        x = minigrad.tensor(rng.standard_normal((BATCH, 6)), dtype=dtype, device="cuda")
        y = minigrad.tensor(rng.integers(0, 3, BATCH), device="cuda")
        counter = [0]
        with counting_launches(counter):
            loss = step(x, y)
        launches.append(counter[0])
        losses.append(loss.numpy())
    state = {name: value.numpy() for name, value in model.state_dict().items()}
    return {"state": state, "losses": losses, "step": step, "launches": launches,
            "replayed": replayed}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Generated kernels go to a fresh cache directory, not the user's."""
    saved = os.environ.get("MINIGRAD_CACHE_DIR")
    os.environ["MINIGRAD_CACHE_DIR"] = str(tmp_path_factory.mktemp("minigrad_cache"))
    yield
    if saved is None:
        del os.environ["MINIGRAD_CACHE_DIR"]
    else:
        os.environ["MINIGRAD_CACHE_DIR"] = saved


@functools.cache
def runs(name: str) -> dict:
    """The same training in the three modes, once per test session. Calls 1 to 3 trace (the
    first SGD step makes the momentum buffers, so call 1 records a different program from
    calls 2 and 3, which agree), call 4 replays."""
    return {mode: train(name, mode, 4) for mode in ("eager", "fused", "unfused")}


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fused_replay_equals_eager_bit_for_bit(name, cache_dir):
    by_mode = runs(name)
    eager, fused = by_mode["eager"], by_mode["fused"]
    assert fused["step"].program is not None, fused["step"].eager_reason
    assert fused["step"].program.plan.fused_groups, f"{name}: nothing was fused"
    assert fused["replayed"] == [False, False, False, True]
    for ours, reference in zip(fused["losses"], eager["losses"], strict=True):
        assert _bits(ours) == _bits(reference)
    assert fused["state"].keys() == eager["state"].keys()
    for key, value in eager["state"].items():
        assert fused["state"][key].dtype == value.dtype
        assert _bits(fused["state"][key]) == _bits(value), f"{name}: {key} differs"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fusion_saves_the_launches_of_the_calls_it_replaces(name, cache_dir):
    by_mode = runs(name)
    plan = by_mode["fused"]["step"].program.plan
    saved = sum(len(group.indices) - 1 for group in plan.fused_groups)
    assert saved > 0
    assert by_mode["fused"]["replayed"][3] and by_mode["unfused"]["replayed"][3]
    fused_replay, unfused_replay = by_mode["fused"]["launches"][3], \
        by_mode["unfused"]["launches"][3]
    # Each call a group replaces is one eager launch; the group is one launch.
    assert fused_replay == unfused_replay - saved, (name, fused_replay, unfused_replay, saved)


def test_relu_backward_and_the_gradient_sum_are_one_generated_kernel(cache_dir):
    plan = runs("skip_mlp")["fused"]["step"].program.plan
    (group,) = [group for group in plan.fused_groups
                if group.methods == ["relu_backward", "add"]]
    source = group.source
    assert source.count("@cuda.jit(cache=True)") == 1 and source.count("def fused(") == 1
    lines = [line.strip() for line in source.splitlines()]
    # 4 x 8 outputs, one thread each in a grid-stride loop; the masked gradient stays in a
    # register until the skip path's gradient (the same incoming one, x0) is added.
    assert "for i in range(cuda.grid(1), 32, cuda.gridsize(1)):" in lines
    assert 'relu_backward = BINARY["relu_backward"]' in lines
    assert lines[-3:] == ["t0 = float32(relu_backward(x0, x1))", "t1 = float32(add(x0, t0))",
                          "out0[i] = t1"]
    assert len(group.outputs) == 1
    # The kernel was imported from a module in the cache directory holding that source.
    from minigrad.compile.cuda_fusion import load_kernel

    kernel = load_kernel(source)
    module = next(module for module in list(sys.modules.values())
                  if getattr(module, "fused", None) is kernel)
    with open(module.__file__) as file:
        assert source in file.read()


@pytest.mark.skipif(SIMULATOR, reason="the simulator compiles nothing: no PTX to read")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_products_are_never_contracted_into_fused_multiply_adds(name, cache_dir):
    """On a GPU the compiler may turn ``a * b + c`` into one ``fma`` (rounded once), which
    the eager kernels (one per operation) never do; the fused kernels multiply with
    ``mul.rn``, which it leaves alone."""
    from minigrad.compile.cuda_fusion import load_kernel

    by_mode = runs(name)
    for group in by_mode["fused"]["step"].program.plan.fused_groups:
        for ptx in load_kernel(group.source).inspect_asm().values():
            assert "fma." not in ptx
            assert ("mul.rn." in ptx) == ("multiply_float" in group.source)


def test_broadcast_and_strided_inputs_are_read_by_index(cache_dir):
    plan = runs("scale_shift")["fused"]["step"].program.plan
    forward = plan.fused_groups[0]
    assert forward.methods == ["mul", "add"]
    lines = [line.strip() for line in forward.source.splitlines()]
    # scale (8,) is read along the last axis only; shift.t() is a (1, 8) view of a column.
    assert "x1 = in1[in1_offset + i1 * in1_strides[0]]" in lines
    assert "x2 = in2[in2_offset + i1 * in2_strides[1]]" in lines
    assert "t0 = float64(multiply_float64(x0, x1))" in lines


@pytest.mark.parametrize("name", sorted(MODELS))
def test_explain_names_the_cuda_fused_groups(name, cache_dir):
    by_mode = runs(name)
    step = by_mode["fused"]["step"]
    text = step.explain(file=io.StringIO())
    groups = step.program.plan.fused_groups
    assert f"{len(groups)} fused groups (replacing " \
           f"{sum(len(group.indices) for group in groups)} calls)" in text
    for group in groups:
        assert f"cuda.fused[{', '.join(group.methods)}]" in text
    unfused = by_mode["unfused"]["step"].explain(file=io.StringIO())
    assert "0 fused groups" in unfused and "cuda.fused" not in unfused


# The simulator computes with numpy scalars, which warn about nan and inf; a GPU does not.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_every_fusable_operation_matches_eager_bit_for_bit(dtype_name, cache_dir):
    """Every operation the CUDA generator knows, on values that test the edge cases (nan,
    infinities, signed zeros), in one fused kernel."""
    dtype = getattr(minigrad, dtype_name)

    def elementwise(a, b, c):
        larger = minigrad.maximum(a, b) - minigrad.minimum(a, c)
        chosen = minigrad.where(a > b, larger / b, -larger)
        return (chosen.abs().sqrt() * c + a).relu()

    compiled = minigrad.compile(elementwise)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -2.5, 3.0, 7.0, -1.0])
    rng = np.random.default_rng(0)
    replayed = []
    for call in range(3):
        replayed.append(compiled.program is not None)
        values = rng.standard_normal((3, 5))
        values.flat[rng.permutation(15)[:8]] = special[rng.permutation(10)[:8]]
        a = minigrad.tensor(values, dtype=dtype, device="cuda")
        b = minigrad.tensor(rng.choice(special, 5), dtype=dtype, device="cuda")
        c = minigrad.tensor(rng.standard_normal(()), dtype=dtype, device="cuda")
        expected = elementwise(a, b, c).numpy()
        result = compiled(a, b, c).numpy()
        assert _bits(result) == _bits(expected), f"call {call}: {result} != {expected}"
    assert replayed == [False, False, True]  # calls 1 and 2 trace, call 3 replays
    (group,) = compiled.program.plan.fused_groups
    assert group.methods == ["maximum", "minimum", "sub", "compare", "div", "neg", "where",
                             "abs", "sqrt", "mul", "add", "relu"]
