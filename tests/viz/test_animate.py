"""The backward animation: one frame per node, correct chain-rule numbers, offline HTML."""

import re

import pytest

from minigrad.scalar import Value
from minigrad.viz import animate_backward, backward_steps, build_graph
from minigrad.viz.rendering import available_renderers


def test_steps_replay_backward(neuron):
    graph = build_graph(neuron)
    steps = backward_steps(graph)
    assert [step.node for step in steps] == [node.id for node in reversed(graph.nodes)]
    final = steps[-1].grads_after
    for node in graph.nodes:
        assert final[node.id] == pytest.approx(node.ref.grad, rel=1e-12, abs=1e-12)
    # The first step leaves the tanh: upstream 1, local derivative 1 - tanh^2 = 0.5.
    (input_id, local, contribution), = steps[0].terms
    assert local == pytest.approx(0.5) and contribution == pytest.approx(0.5)


def test_repeated_operand_receives_both_terms():
    a = Value(3.0, label="a")
    steps = backward_steps(build_graph(a * a))
    assert [term[2] for term in steps[0].terms] == [3.0, 3.0]
    assert steps[-1].grads_after["v0"] == 6.0


def test_html_has_one_frame_per_node_and_no_urls(neuron, tmp_path):
    path = animate_backward(neuron, tmp_path / "backward.html")
    page = path.read_text(encoding="utf-8")
    assert page.count('<div class="frame"') == len(build_graph(neuron)) == 10
    assert page.count("<svg") == 10
    assert not re.search(r"https?://|src=|<link|@import|url\(", page)
    for control in ('id="prev"', 'id="next"', 'id="play"'):
        assert control in page
    # The chain-rule product of the tanh step is written on its edge.
    assert "1 × 0.5 = 0.5" in page
    assert page.count("#ff7f00") >= 10  # one highlighted node per frame


def test_html_works_without_system_dot(neuron, tmp_path, hide_system_dot):
    page = animate_backward(neuron, tmp_path / "a.html").read_text(encoding="utf-8")
    assert page.count('<div class="frame"') == 10


@pytest.mark.parametrize("backend", available_renderers())
def test_gif(tmp_path, backend):
    from PIL import Image

    x = Value(2.0, label="x")
    path = animate_backward((x * 3.0).tanh(), tmp_path / "backward.gif", backend=backend)
    with Image.open(path) as image:
        assert image.n_frames == 4
        assert image.width > 200 and image.height > 50


def test_gif_without_system_dot_uses_graphviz_pure(tmp_path, hide_system_dot):
    from PIL import Image

    x = Value(2.0, label="x")
    path = animate_backward((x * 3.0).tanh(), tmp_path / "backward.gif")
    with Image.open(path) as image:
        assert image.n_frames == 4


def test_bad_suffix_and_huge_graphs_are_rejected(tmp_path):
    x = Value(1.0, label="x")
    with pytest.raises(ValueError, match=".html or .gif"):
        animate_backward(x * 2.0, tmp_path / "a.mp4")
    y = x
    for _ in range(400):
        y = y.tanh()
    with pytest.raises(ValueError, match="not useful in class"):
        animate_backward(y, tmp_path / "a.html")


def test_micrograd_values_are_supported(tmp_path):
    micrograd_engine = pytest.importorskip("micrograd.engine")
    a = micrograd_engine.Value(2.0)
    b = micrograd_engine.Value(-3.0)
    out = (a * b + a ** 2).relu()
    out.backward()
    steps = backward_steps(build_graph(out))
    graph = build_graph(out)
    for node in graph.nodes:
        assert steps[-1].grads_after[node.id] == pytest.approx(node.ref.grad)
