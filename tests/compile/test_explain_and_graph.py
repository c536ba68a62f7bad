"""explain() and the program graph describe the program that really runs."""

from __future__ import annotations

import shutil

import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn


@pytest.fixture
def compiled_step():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = minigrad.optim.Adam(model.parameters(), lr=0.01)

    @minigrad.compile
    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    x, y = minigrad.randn(5, 4), minigrad.tensor([0, 1, 2, 1, 0])
    for _ in range(3):
        train_step(x, y)
    return train_step


def test_explain_lists_kernels_groups_and_buffers(compiled_step, capsys):
    text = compiled_step.explain()
    assert capsys.readouterr().out.strip() == text.strip()
    assert "compiled train_step" in text
    assert "linear" in text and "softmax_cross_entropy_backward" in text
    assert "Adam.step()" in text
    # 4 parameters: 4 gradients written back, 4 parameters read from the user's storage
    assert "written back (gradients):            4" in text
    assert "arena:" in text and "fused" in text


def test_explain_before_planning_says_why():
    step = minigrad.compile(lambda x: x * 2)
    step(minigrad.ones(3))
    assert "no program" in step.explain()
    with pytest.raises(RuntimeError, match="first two calls"):
        step.graph()


def test_graph_follows_the_data(compiled_step):
    graph = compiled_step.graph()
    ids = {node["id"] for node in graph["nodes"]}
    assert all(edge["source"] in ids and edge["target"] in ids for edge in graph["edges"])
    kinds = [node["kind"] for node in graph["nodes"]]
    assert kinds.count("input") == 2 and kinds.count("host") == 1
    assert kinds.count("escaping") == 4  # the four gradients
    labels = [node["label"] for node in graph["nodes"]]
    linear = labels.index("linear")
    # the first linear layer reads x and the user's weight and bias
    sources = {edge["source"] for edge in graph["edges"]
               if edge["target"] == graph["nodes"][linear]["id"]}
    source_kinds = sorted(node["kind"] for node in graph["nodes"] if node["id"] in sources)
    assert source_kinds == ["bound", "bound", "input"]


def test_to_dot_draws_every_node(compiled_step):
    dot = compiled_step.to_dot()
    source = dot.source
    for node in compiled_step.graph()["nodes"]:
        assert f'\t{node["id"]} [label=' in source
        assert node["label"] in source
    if shutil.which("dot"):
        svg = dot.pipe(format="svg").decode()
        assert "softmax_cross_entropy" in svg


def test_viz_draw_of_a_compiled_step_renders_without_system_dot(compiled_step, monkeypatch):
    from minigrad.viz import draw, rendering

    drawing = draw(compiled_step)
    assert drawing.source == compiled_step.to_dot().source
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(rendering, "find_system_dot", lambda: None)  # no system dot
    svg = drawing._repr_svg_()
    assert "softmax_cross_entropy" in svg and "linear" in svg
