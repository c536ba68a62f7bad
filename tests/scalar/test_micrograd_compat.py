"""micrograd's own code runs on ``minigrad.Value`` with the same numbers.

micrograd 0.1.0 (a dev dependency) is installed: its ``micrograd/nn.py`` is executed here
with ``Value`` bound to ``minigrad.Value`` instead of ``micrograd.engine.Value`` (the only
change), and everything is run twice, once per engine, so the numbers are compared with the
real micrograd rather than with numbers written down here.

micrograd's ``test/test_engine.py`` and notebooks are not part of its wheel; when a checkout
of the micrograd repository is named by ``MICROGRAD_REPO``, the test functions and the
notebook cells are executed from it, with only the ``Value`` import substituted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
from pathlib import Path

import numpy as np
import pytest
from micrograd.engine import Value as MicrogradValue

import minigrad
from minigrad import Value

ENGINES = {"micrograd": MicrogradValue, "minigrad": Value}
MICROGRAD_IMPORT = "from micrograd.engine import Value"


def micrograd_nn(value_class) -> dict:
    """The namespace of micrograd's installed ``nn.py``, run with ``value_class`` as Value."""
    source = Path(importlib.util.find_spec("micrograd.nn").origin).read_text()
    assert MICROGRAD_IMPORT in source
    namespace = {"Value": value_class, "__name__": "micrograd_nn_on_" + value_class.__module__}
    exec(compile(source.replace(MICROGRAD_IMPORT, ""), "micrograd/nn.py", "exec"), namespace)
    return namespace


def expression(V):
    """Every op micrograd has, numbers on both sides, nodes reused (a DAG, not a tree)."""
    a, b = V(-3.0), V(1.5)
    c = a * b + 2 - a / b
    d = (c**2).relu() * 0.5 + (1 - c) * a
    e = d / 3.0 + 4 / (b**2) - (-a).relu() + (a - b).relu()
    f = e * e + e ** 3 + 10.0 / e
    return a, b, f


def test_same_numbers_as_micrograd_on_every_op():
    results = {}
    for name, V in ENGINES.items():
        a, b, f = expression(V)
        f.backward()
        results[name] = (f.data, a.grad, b.grad)
    assert results["minigrad"] == pytest.approx(results["micrograd"], rel=1e-12)


def test_op_names_and_children_match_micrograd():
    for make in [lambda x: x + 1, lambda x: x * 2, lambda x: x**2, lambda x: x**2.0,
                 lambda x: x**-1, lambda x: x**0.5, lambda x: x.relu()]:
        theirs, ours = make(MicrogradValue(2.0)), make(Value(2.0))
        assert ours._op == theirs._op
        assert {child.data for child in ours._prev} == {child.data for child in theirs._prev}
    assert Value(1.0)._op == MicrogradValue(1.0)._op == ""


def walk_backward_by_hand(output):
    """The lecture's step-by-step backward: seed the output, then call ``_backward`` on each
    node from the output back to the leaves (reverse topological order)."""
    order, visited = [], set()

    def build(node):  # the lecture's recursive build_topo
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build(child)
            order.append(node)

    build(output)
    output.grad = 1.0
    for node in reversed(order):
        node._backward()


def test_backward_step_by_step_matches_micrograd():
    results = {}
    for name, V in ENGINES.items():
        a, b, f = expression(V)
        walk_backward_by_hand(f)
        results[name] = (a.grad, b.grad)
    assert results["minigrad"] == pytest.approx(results["micrograd"], rel=1e-12)


def test_one_backward_step_is_the_local_chain_rule():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    out.grad = 2.0
    out._backward()
    assert (a.grad, b.grad) == (-6.0, 4.0)  # d(ab)/da * 2 = b * 2, d(ab)/db * 2 = a * 2
    out._backward()  # a second call adds again, exactly like micrograd's closure
    assert (a.grad, b.grad) == (-12.0, 8.0)
    a._backward()  # a leaf: nothing to pass on
    assert a.grad == -12.0


def trace(root):
    """Nodes and edges as micrograd's trace_graph notebook collects them."""
    nodes, edges = set(), set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node not in nodes:
            nodes.add(node)
            for child in node._prev:
                edges.add((child, node))
                stack.append(child)
    return nodes, edges


def drawing(root) -> list[tuple]:
    """What micrograd's draw_dot puts on the page: one record per node, one op bubble per
    node with an ``_op``, one arrow per edge; ids replaced by the labels they point to."""
    nodes, edges = trace(root)
    records = sorted(("record", f"{n.data:.4f} | {n.grad:.4f}") for n in nodes)
    bubbles = sorted(("op", n._op) for n in nodes if n._op)
    arrows = sorted(("edge", f"{a.data:.4f}", f"{b.data:.4f}{b._op}") for a, b in edges)
    return records + bubbles + arrows


def test_micrograd_drawing_of_a_neuron_is_the_same():
    drawings = {}
    for name, V in ENGINES.items():
        nn = micrograd_nn(V)
        random.seed(1337)
        neuron = nn["Neuron"](2)
        y = neuron([V(1.0), V(-2.0)])
        y.backward()
        drawings[name] = drawing(y)
    assert drawings["minigrad"] == drawings["micrograd"]
    assert ("op", "ReLU") in drawings["minigrad"]


def train_moons_demo(V, steps: int) -> tuple[list[float], list[float]]:
    """micrograd's demo: an MLP from its nn.py, max-margin loss with L2, SGD with a decaying
    learning rate, on a fixed moons data set. Returns the loss per step and final weights."""
    nn = micrograd_nn(V)
    random.seed(1337)
    rng = np.random.default_rng(1337)
    X = rng.normal(size=(24, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)  # numpy int64 labels, as in the demo
    model = nn["MLP"](2, [8, 8, 1])
    losses = []
    for k in range(steps):
        inputs = [list(map(V, row)) for row in X]
        scores = list(map(model, inputs))
        margins = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
        data_loss = sum(margins) * (1.0 / len(margins))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total.data)
    return losses, [p.data for p in model.parameters()]


def test_micrograd_demo_trains_the_same():
    theirs = train_moons_demo(MicrogradValue, steps=8)
    ours = train_moons_demo(Value, steps=8)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-9)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-9, abs=1e-12)
    assert ours[0][-1] < ours[0][0]
    assert all(math.isfinite(v) for v in ours[1])


def test_value_repr_and_label_follow_micrograd():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    v = Value(2.0, label="w")
    v.label = "weight"
    assert "label='weight'" in repr(v) and minigrad.Value is Value


# --- micrograd's own files, when a checkout of its repository is at hand ------------------

REPO = os.environ.get("MICROGRAD_REPO")


def micrograd_file(name: str) -> Path:
    """A file of micrograd's repository (or of its source distribution on PyPI, which has
    ``test/test_engine.py`` but not the notebooks), found through ``MICROGRAD_REPO``.

    CI downloads the source distribution and sets ``MICROGRAD_REPO``, so there micrograd's
    own tests must run; elsewhere a missing file skips the test."""
    path = Path(REPO or ".", name)
    if REPO and path.is_file():
        return path
    if os.environ.get("CI") and name == "test/test_engine.py":
        pytest.fail("CI must set MICROGRAD_REPO to micrograd's source (see .ci/run)")
    pytest.skip(f"{name} of micrograd is not at hand: set MICROGRAD_REPO to a checkout of "
                "its repository")


def run_with_minigrad(source: str, namespace: dict) -> dict:
    namespace.setdefault("__name__", "micrograd_file_on_minigrad")
    exec(compile(source.replace(MICROGRAD_IMPORT, "from minigrad import Value"), "<micrograd>",
                 "exec"), namespace)
    return namespace


def test_micrograd_test_engine_passes_on_minigrad():
    namespace = run_with_minigrad(micrograd_file("test/test_engine.py").read_text(), {})
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()


def notebook_code(name: str) -> list[str]:
    cells = json.loads(micrograd_file(name).read_text())["cells"]
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    # Jupyter magics and the plotting/rendering lines are not Python the engine runs.
    return ["\n".join(line for line in cell.splitlines()
                      if not line.startswith("%") and "render(" not in line) for cell in code]


def test_micrograd_trace_graph_notebook_runs_on_minigrad():
    # The cells share names through the notebook's globals: run them as one program.
    program = "\n".join(notebook_code("trace_graph.ipynb")).replace(
        "from micrograd import nn", "")
    namespace = run_with_minigrad(program, {"nn": type("nn", (), micrograd_nn(Value))})
    assert "ReLU" in namespace["dot"].source
