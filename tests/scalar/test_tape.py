"""Tape against the Python Value engine: random expressions, batches, deep graphs, errors."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.scalar import Tape, Value

RTOL = 1e-12

# Each op combines earlier nodes a, b into a new one; operands are squashed where needed so
# that random programs stay finite and inside every op's domain.
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b.tanh(),
    "div": lambda a, b: a / (b * b + 1),
    "rsub": lambda a, b: 1.5 - a,
    "rdiv": lambda a, b: 2.0 / (a * a + 0.5),
    "neg": lambda a, b: -a,
    "pow2": lambda a, b: (a.tanh() * 3) ** 2,
    "pow3": lambda a, b: a.tanh() ** 3,
    "sqrt": lambda a, b: (a * a + 0.25) ** 0.5,
    "relu": lambda a, b: a.relu(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "exp": lambda a, b: a.tanh().exp(),
    "log": lambda a, b: (a * a + 0.5).log(),
}

numbers = st.floats(-2.0, 2.0, allow_nan=False)


@st.composite
def programs(draw):
    """A random expression DAG: leaf counts, leaf numbers, and (op, operand, operand) steps."""
    n_inputs = draw(st.integers(1, 3))
    n_params = draw(st.integers(0, 3))
    n_leaves = n_inputs + n_params
    steps = []
    for k in range(draw(st.integers(1, 14))):
        available = n_leaves + k
        steps.append((draw(st.sampled_from(sorted(OPS))), draw(st.integers(0, available - 1)),
                      draw(st.integers(0, available - 1))))
    data = [draw(numbers) for _ in range(n_leaves)]
    new_inputs = [draw(numbers) for _ in range(n_inputs)]
    return n_inputs, steps, data, new_inputs


def build(n_inputs, steps, data):
    """Build the program's graph on fresh leaves; the output mixes the last and first step."""
    leaves = [Value(x, label=f"leaf{i}") for i, x in enumerate(data)]
    nodes = list(leaves)
    for name, i, j in steps:
        nodes.append(OPS[name](nodes[i], nodes[j]))
    out = nodes[-1] + nodes[len(leaves)] * 0.5
    return out, leaves[:n_inputs], leaves[n_inputs:]


def python_value_and_grads(n_inputs, steps, data):
    out, inputs, params = build(n_inputs, steps, data)
    out.backward()
    return out.data, [v.grad for v in inputs], [p.grad for p in params]


@settings(max_examples=80, deadline=None)
@given(programs())
def test_tape_matches_python_engine_on_random_expressions(program):
    n_inputs, steps, data, new_inputs = program
    out, inputs, params = build(n_inputs, steps, data)
    tape = Tape(out, inputs=inputs, params=params)
    value, grad_inputs, grad_params = python_value_and_grads(n_inputs, steps, data)

    result = tape.value_and_grad(data[:n_inputs])
    np.testing.assert_allclose(result.value, value, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(result.input_grads, grad_inputs, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(result.param_grads, grad_params, rtol=RTOL, atol=1e-300)

    # re-run on new input numbers: same as building the graph again with them
    new_data = new_inputs + data[n_inputs:]
    value, grad_inputs, grad_params = python_value_and_grads(n_inputs, steps, new_data)
    result = tape.value_and_grad(new_inputs)
    np.testing.assert_allclose(tape.forward(new_inputs), value, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(result.value, value, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(result.input_grads, grad_inputs, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(result.param_grads, grad_params, rtol=RTOL, atol=1e-300)


@settings(max_examples=25, deadline=None)
@given(programs(), st.integers(1, 150), st.integers(0, 2**31 - 1))
def test_batch_matches_loop_of_single_samples(program, batch, seed):
    n_inputs, steps, data, _ = program
    out, inputs, params = build(n_inputs, steps, data)
    X = np.random.default_rng(seed).uniform(-2, 2, size=(batch, n_inputs))
    for parallel in (False, True):
        tape = Tape(out, inputs=inputs, params=params, block_size=16, parallel=parallel)
        singles = [tape.value_and_grad(x) for x in X]
        np.testing.assert_allclose(tape.forward_batch(X), [r.value for r in singles],
                                   rtol=RTOL, atol=1e-300)
        mean = tape.value_and_grad_batch(X)
        total = tape.value_and_grad_batch(X, reduction="sum")
        param_sum = np.sum([r.param_grads for r in singles], axis=0)
        scale = np.abs([r.param_grads for r in singles]).sum(axis=0) + 1e-300
        assert np.all(np.abs(total.param_grads - param_sum) <= 1e-12 * scale)
        assert np.all(np.abs(mean.param_grads - param_sum / batch) <= 1e-12 * scale / batch)
        np.testing.assert_allclose(total.input_grads, [r.input_grads for r in singles],
                                   rtol=RTOL, atol=1e-300)
        np.testing.assert_allclose(mean.input_grads * batch, total.input_grads, rtol=1e-12)
        np.testing.assert_allclose(mean.value, np.mean([r.value for r in singles]),
                                   rtol=1e-12, atol=1e-12)


def test_parallel_batches_match_serial(monkeypatch):
    from minigrad.scalar import tape as tape_module

    monkeypatch.setattr(tape_module, "MIN_SAMPLES_PER_THREAD", 8)
    x, w = Value(0.0), Value(0.3)
    out = (x * w).tanh() + (x - w) ** 2
    X = np.random.default_rng(4).normal(size=(301, 1))
    serial = Tape(out, inputs=[x], params=[w], block_size=32, parallel=False)
    threaded = Tape(out, inputs=[x], params=[w], block_size=32, parallel=True)
    a, b = serial.value_and_grad_batch(X), threaded.value_and_grad_batch(X)
    np.testing.assert_allclose(b.value, a.value, rtol=1e-13)
    np.testing.assert_allclose(b.param_grads, a.param_grads, rtol=1e-13)
    np.testing.assert_array_equal(b.input_grads, a.input_grads)
    np.testing.assert_array_equal(threaded.forward_batch(X), serial.forward_batch(X))
    with pytest.raises(ValueError, match="sample 301"):
        Tape((x + 10).log(), inputs=[x]).forward_batch(np.r_[X, [[-20.0]]])
    with pytest.raises(ValueError, match="sample 301"):
        Tape((x + 10).log(), inputs=[x], params=[w], block_size=32).value_and_grad_batch(
            np.r_[X, [[-20.0]]])


def test_batch_matches_python_engine_over_many_samples():
    w, b, x, y = Value(0.7), Value(-0.2), Value(0.0), Value(0.0)
    loss = ((w * x + b).tanh() - y) ** 2
    tape = Tape(loss, inputs=[x, y], params=[w, b])
    X = np.random.default_rng(0).normal(size=(300, 2))  # several blocks, both threads
    total = Value(0.0)
    for xi, yi in X:
        total = total + ((w * xi + b).tanh() - yi) ** 2
    mean = total * (1 / len(X))
    mean.backward()
    result = tape.value_and_grad_batch(X)
    np.testing.assert_allclose(result.value, mean.data, rtol=RTOL)
    np.testing.assert_allclose(result.param_grads, [w.grad, b.grad], rtol=1e-11)


def test_deep_graph_of_100_000_nodes():
    x, c = Value(0.5), Value(1.0)
    y = x
    for _ in range(50_000):
        y = (y * 0.999 + c * 1e-3).tanh()
    tape = Tape(y, inputs=[x], params=[c])
    assert len(tape) >= 100_000
    y.backward()
    result = tape.value_and_grad([0.5])
    np.testing.assert_allclose(result.value, y.data, rtol=RTOL)
    np.testing.assert_allclose(result.input_grads, [x.grad], rtol=RTOL)
    np.testing.assert_allclose(result.param_grads, [c.grad], rtol=RTOL)


def test_overflowing_inputs_give_inf_or_saturate_not_nan():
    x = Value(0.0)
    tape = Tape([x.exp(), x.tanh(), x.sigmoid()], inputs=[x])
    out = tape.forward_batch([[1000.0], [-1000.0]])
    np.testing.assert_array_equal(out, [[math.inf, 1.0, 1.0], [0.0, -1.0, 0.0]])
    for op in ("tanh", "sigmoid"):
        result = Tape(getattr(x, op)(), inputs=[x]).value_and_grad_batch([[1000.0], [-1000.0]])
        assert np.all(np.isfinite(result.input_grads))
    result = Tape(x.exp(), inputs=[x]).value_and_grad([1000.0])
    assert result.value == math.inf and result.input_grads[0] == math.inf


def test_domain_errors_name_the_operation_and_sample():
    x = Value(3.0)
    tape = Tape((x - 1.0).log(), inputs=[x])
    with pytest.raises(ValueError, match=r"log of a non-positive number .*sample 2"):
        tape.forward_batch([[3.0], [2.0], [1.0], [0.5]])
    with pytest.raises(ValueError, match="non-integer power"):
        Tape(x**0.5, inputs=[x]).forward([-1.0])
    with pytest.raises(ZeroDivisionError):
        Tape(1 / x, inputs=[x]).value_and_grad([0.0])


def test_bad_input_shapes_raise_value_errors():
    x, y, w = Value(1.0), Value(2.0), Value(3.0)
    tape = Tape(x * w + y, inputs=[x, y], params=[w])
    with pytest.raises(ValueError, match=r"expected 2 input numbers"):
        tape.forward([1.0])
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        tape.forward_batch(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        tape.value_and_grad_batch(np.zeros(4))
    with pytest.raises(ValueError, match=r"batch >= 1"):
        tape.value_and_grad_batch(np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"params must have shape \(1,\)"):
        tape.forward([1.0, 2.0], params=np.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        tape.value_and_grad_batch(np.zeros((1, 2)), reduction="max")


def test_bad_graph_arguments_raise_clear_errors():
    x, w = Value(1.0), Value(2.0)
    product = x * w
    with pytest.raises(ValueError, match="must be a leaf"):
        Tape(product + 1, inputs=[product])
    with pytest.raises(ValueError, match="listed twice"):
        Tape(product, inputs=[x], params=[x])
    with pytest.raises(TypeError, match="must be a Value"):
        Tape(product, inputs=[1.0])
    with pytest.raises(ValueError, match="single output"):
        Tape([product, x], inputs=[x]).value_and_grad([1.0])
    odd = x.tanh()
    odd._op = "sin"
    with pytest.raises(ValueError, match="cannot compile the operation 'sin'"):
        Tape(odd, inputs=[x])


def test_params_live_in_the_tape_and_move_to_and_from_values():
    x, w = Value(2.0), Value(3.0)
    tape = Tape(x * w, inputs=[x], params=[w])
    assert tape.forward([2.0]) == 6.0
    tape.params[0] = 5.0
    assert tape.forward([2.0]) == 10.0 and w.data == 3.0
    tape.write_params()
    assert w.data == 5.0
    w.data = 1.0
    tape.read_params()
    assert tape.forward([2.0]) == 2.0
    tape.write_grads(tape.value_and_grad([4.0]).param_grads)
    assert w.grad == 4.0
    # an unlisted leaf is a constant, frozen at compile time
    frozen = Tape(x * w, inputs=[x])
    w.data = 100.0
    assert frozen.forward([2.0]) == 2.0


def test_multiple_outputs_forward():
    x, w = Value(0.0), Value(2.0)
    tape = Tape([x * w, x + w, w], inputs=[x], params=[w])
    np.testing.assert_array_equal(tape.forward([3.0]), [6.0, 5.0, 2.0])
    assert tape.forward_batch([[1.0], [2.0]]).shape == (2, 3)


def test_numba_is_loaded_lazily():
    code = ("import sys\n"
            "from minigrad.scalar import MLP, Value, Tape\n"
            "x = Value(2.0); (x * x).backward(); MLP(2, [3, 1])([1.0, 2.0])\n"
            "assert 'minigrad.scalar.tape_kernels' not in sys.modules\n"
            "assert 'numba' not in sys.modules or 'minigrad.backend' in str(sys.modules)\n"
            "Tape(x * x, inputs=[x]).forward([3.0])\n"
            "assert 'minigrad.scalar.tape_kernels' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
