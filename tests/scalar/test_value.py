"""Value against PyTorch float64: every operation's value and gradients, plus edge cases."""

import math

import numpy as np
import pytest
import torch

from minigrad.scalar import Value, topological_order

RTOL = 1e-12


def check_against_torch(fn, *numbers):
    """Run fn on Values and on float64 torch scalars; compare output and every input grad."""
    values = [Value(x) for x in numbers]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in numbers]
    out = fn(*values)
    expected = fn(*tensors)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.data, expected.item(), rtol=RTOL, atol=1e-300)
    for v, t in zip(values, tensors):
        np.testing.assert_allclose(v.grad, t.grad.item(), rtol=RTOL, atol=1e-300)


BINARY = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: 2.5 + a + b * 0,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 3.0 - a * b,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: -1.5 * a * b,
    "truediv": lambda a, b: a / b,
    "rtruediv": lambda a, b: 2.0 / (a * b),
    "div_number": lambda a, b: (a + b) / 4.0,
    "reuse": lambda a, b: a * a + a * b - b,
}

UNARY = {
    "neg": lambda a: -a,
    "pow2": lambda a: a**2,
    "pow3": lambda a: a**3,
    "pow_minus1": lambda a: a**-1,
    "pow_float": lambda a: (a * a + 0.1) ** 0.5,
    "pow_2.5": lambda a: (a * a + 0.1) ** 2.5,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "neuron": lambda a: (a * 0.3 + 0.7).tanh() * (a.sigmoid() + a.exp().log()),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_match_torch(name):
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.uniform(-3, 3, size=2)
        b = b if abs(b) > 0.1 else 0.5  # keep divisions well conditioned
        check_against_torch(BINARY[name], float(a), float(b))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_torch(name):
    rng = np.random.default_rng(1)
    for x in rng.uniform(-3, 3, size=6):
        check_against_torch(UNARY[name], float(x))


@pytest.mark.parametrize("x", [-1000.0, -30.0, 0.0, 30.0, 1000.0])
@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_saturating_ops_are_safe_at_large_inputs(op, x):
    check_against_torch(lambda a: getattr(a, op)(), x)
    out = getattr(Value(x), op)()
    assert not math.isnan(out.data)


def test_exp_overflows_to_inf_not_nan_or_error():
    x = Value(1000.0)
    y = x.exp()
    y.backward()
    assert y.data == math.inf and x.grad == math.inf
    assert Value(-1000.0).exp().data == 0.0
    check_against_torch(lambda a: a.exp(), 700.0)


def test_pow_overflow_gives_signed_inf():
    assert (Value(1e200) ** 2).data == math.inf
    assert (Value(-1e200) ** 3).data == -math.inf
    assert (Value(-1e200) ** 2).data == math.inf


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_raises_clear_error(x):
    with pytest.raises(ValueError, match="log of a non-positive number"):
        Value(x, label="z").log()


def test_power_domain_errors():
    with pytest.raises(ValueError, match="non-integer power"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError):
        1.0 / Value(0.0)
    with pytest.raises(TypeError, match="number exponent"):
        Value(2.0) ** Value(2.0)


def test_sqrt_derivative_at_zero_is_inf_like_torch():
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf


def test_constructor_rejects_non_numbers():
    with pytest.raises(TypeError, match="real number"):
        Value("3")
    with pytest.raises(TypeError):
        Value(True)
    assert Value(3).data == 3.0 and isinstance(Value(np.float32(1.5)).data, float)


def test_graph_structure_for_drawing():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert c._prev == (a, b) and c._op == "*"
    d = c + a
    assert d._prev == (c, a) and d._op == "+"
    assert (a**2)._op == "**2" and (a**0.5)._op == "**0.5" and (a / b)._prev[1]._op == "**-1"
    for method, op in [("relu", "ReLU"), ("tanh", "tanh"), ("sigmoid", "sigmoid"),
                       ("exp", "exp"), ("log", "log")]:
        node = getattr(a, method)()
        assert node._op == op and node._prev == (a,)
    assert a.label == "a" and isinstance(d._prev, tuple)
    assert "label='a'" in repr(a)


def test_topological_order_puts_children_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = (c + a).tanh() * c
    order = topological_order(d)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == len(position) == 6
    for node in order:
        for child in node._prev:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is d


def test_micrograd_readme_example():
    # the example from micrograd's README, with the numbers it prints
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert abs(g.data - 24.7041) < 1e-4
    assert abs(a.grad - 138.8338) < 1e-4
    assert abs(b.grad - 645.5773) < 1e-4


def test_backward_twice_resets_intermediates_and_accumulates_leaves():
    x, w = Value(0.5), Value(-2.0)
    hidden = x * w
    out = hidden.tanh() + hidden
    out.backward()
    first = (x.grad, w.grad, hidden.grad, out.grad)
    out.backward()
    assert hidden.grad == first[2] and out.grad == 1.0  # intermediates: not doubled
    assert x.grad == 2 * first[0] and w.grad == 2 * first[1]  # leaves: accumulated
    x.grad = w.grad = 0.0
    out.backward()
    assert (x.grad, w.grad, hidden.grad) == first[:3]


def test_backward_through_a_shared_intermediate_from_two_outputs():
    x = Value(1.5)
    shared = x * 3.0
    first = shared.tanh()
    second = shared * 2.0
    first.backward()
    assert shared.grad == pytest.approx(1 - math.tanh(4.5) ** 2)
    x.grad = 0.0
    second.backward()
    assert shared.grad == 2.0 and x.grad == 6.0


def test_deep_graph_has_no_recursion_limit():
    x = Value(0.001)
    y = x
    for _ in range(100_000):
        y = y + x
    y.backward()
    assert x.grad == 100_001.0
    assert y.data == pytest.approx(100.001)
