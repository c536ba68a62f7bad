"""Rendering with every renderer on the machine, checked by reading the picture back.

graphviz-pure is a dependency of minigrad, so the fallback is always tested; the system
``dot`` is tested where it is installed (CI installs it).
"""

import os
import stat
from collections import Counter

import numpy as np
import pytest
from svg_reading import png_size, svg_node_ids, svg_texts

import minigrad
import minigrad.nn as nn
from minigrad.viz import draw, render, render_bytes
from minigrad.viz.dot import format_number
from minigrad.viz.graph import build_graph
from minigrad.viz.rendering import (
    RenderTimeout,
    available_backend,
    available_renderers,
    find_pure_dot,
    svg_text,
)

RENDERERS = available_renderers()


def expected_scalar_texts(root, mode="both", display_ops=True):
    """What a reader must find in a scalar drawing: each label, value, gradient and operation."""
    texts = []
    for node in build_graph(root, display_ops=display_ops).nodes:
        if node.label:
            texts.append(node.label)
        if mode in ("forward", "both"):
            texts.append(f"data {format_number(node.value)}")
        if mode in ("backward", "both"):
            texts.append(f"grad {format_number(node.grad)}")
        if node.op:
            texts.append(node.op)
    return Counter(texts)


def assert_shows(svg, expected: Counter) -> None:
    shown = Counter(svg_texts(svg))
    missing = expected - shown
    assert not missing, f"not in the drawing: {dict(missing)}"


def test_graphviz_pure_is_installed_with_minigrad():
    assert find_pure_dot() is not None
    assert "pure" in RENDERERS


@pytest.mark.parametrize("backend", RENDERERS)
@pytest.mark.parametrize("mode", ["forward", "backward", "both"])
def test_svg_shows_every_label_value_and_gradient(neuron, backend, mode):
    svg = render_bytes(draw(neuron, mode), "svg", backend=backend)
    assert_shows(svg, expected_scalar_texts(neuron, mode))
    # Only what belongs to the mode: no gradients in a forward drawing and vice versa.
    texts = svg_texts(svg)
    if mode == "forward":
        assert not any(text.startswith("grad ") for text in texts)
    if mode == "backward":
        assert not any(text.startswith("data ") for text in texts)


@pytest.mark.parametrize("backend", RENDERERS)
def test_subtraction_and_division_are_drawn_as_written(backend):
    a, b = minigrad.Value(3.0, label="a"), minigrad.Value(2.0, label="b")
    one = minigrad.Value(1.0, label="one")
    out = (a - b) / (b - one)
    out.label = "out"
    out.backward()
    svg = render_bytes(draw(out, "both"), "svg", backend=backend)
    texts = svg_texts(svg)
    assert texts.count("-") == 2 and texts.count("/") == 1
    assert "*" not in texts and not any(text.startswith("**") for text in texts)
    assert texts.count("left") == 3 and texts.count("right") == 3
    assert_shows(svg, expected_scalar_texts(out))
    # d out / d b = -1/(b-1) - (a-b)/(b-1)^2 = -1 - 1 = -2: the true gradient is shown.
    assert "grad -2" in texts


@pytest.mark.parametrize("backend", RENDERERS)
def test_tensor_drawing_shows_summaries_and_gradients(backend):
    model = nn.Linear(2, 1)
    x = minigrad.tensor(np.array([[1.0, -2.0]], dtype=np.float32))
    loss = (model(x) ** 2).sum()
    svg = render_bytes(draw(loss, "both", model=model), "svg", backend=backend)
    texts = svg_texts(svg)
    graph = build_graph(loss, model=model)
    for node in graph.nodes:
        assert node.summary in texts
        assert f"grad {node.grad_summary or 'none'}" in texts
    assert "weight" in " ".join(texts) and "bias" in " ".join(texts)


@pytest.mark.parametrize("backend", RENDERERS)
def test_png_and_pdf(neuron, tmp_path, backend):
    drawing = draw(neuron, "both")
    width, height = png_size(render(drawing, tmp_path / "graph.png", backend=backend).read_bytes())
    # Nine boxes, five operations and the legend: several hundred pixels each way.
    assert 600 < width < 5000 and 300 < height < 3000
    assert render(drawing, tmp_path / "graph.pdf", backend=backend).read_bytes().startswith(b"%PDF")


def test_without_system_dot_the_fallback_draws_everything(neuron, tmp_path, hide_system_dot):
    assert available_backend() == "pure"
    svg = render(draw(neuron, mode="both"), tmp_path / "g.svg").read_bytes()
    assert_shows(svg, expected_scalar_texts(neuron))
    width, height = png_size(render(draw(neuron, "both"), tmp_path / "g.png").read_bytes())
    assert width > 600 and height > 300
    assert render(neuron, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(RuntimeError, match="system Graphviz `dot` was not found"):
        render_bytes(draw(neuron), "svg", backend="system")


def test_jupyter_display_is_the_full_drawing_without_system_dot(neuron, hide_system_dot):
    drawing = draw(neuron, "both")
    for svg in (drawing._repr_mimebundle_()["image/svg+xml"], drawing._repr_svg_()):
        assert_shows(svg, expected_scalar_texts(neuron))


def test_no_renderer_at_all_says_what_to_install(neuron, monkeypatch, hide_system_dot):
    import minigrad.viz.rendering as rendering

    monkeypatch.setattr(rendering, "find_pure_dot", lambda: None)
    assert available_backend() == "none"
    with pytest.raises(RuntimeError, match="pip install graphviz-pure"):
        render_bytes(neuron, "svg")


def test_render_accepts_values_and_dot_source(neuron, tmp_path):
    path = render(neuron, tmp_path / "graph", mode="forward")
    assert path.suffix == ".svg"
    assert_shows(path.read_bytes(), expected_scalar_texts(neuron, "forward"))
    assert svg_text("digraph { a -> b }").startswith("<svg")
    assert svg_node_ids(svg_text("digraph { a -> b }")) == ["a", "b"]


def test_bad_format_backend_and_timeout_are_rejected(neuron, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        render(neuron, tmp_path / "graph.jpeg")
    with pytest.raises(ValueError, match="backend must be one of"):
        render_bytes(neuron, "svg", backend="cairo")
    with pytest.raises(ValueError, match="timeout must be a positive"):
        render_bytes(neuron, "svg", timeout=0)


def test_a_slow_layout_is_stopped_with_a_clear_error(neuron, tmp_path, monkeypatch):
    import minigrad.viz.rendering as rendering

    # A stand-in `dot` that never finishes.
    slow_dot = tmp_path / "dot"
    slow_dot.write_text("#!/bin/sh\nexec sleep 30\n")
    slow_dot.chmod(slow_dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(rendering, "find_system_dot", lambda: os.fspath(slow_dot))
    with pytest.raises(RenderTimeout, match=r"within 0\.5 s.*max_nodes.*timeout"):
        render(draw(neuron), tmp_path / "graph.svg", timeout=0.5)
    assert not (tmp_path / "graph.svg").exists()


def test_renderer_failure_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match="failed"):
        render_bytes("digraph { a -> }", "svg")
