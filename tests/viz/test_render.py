"""Rendering with the system Graphviz and with the WebAssembly fallback."""

import shutil

import pytest

from minigrad.viz import draw, render, render_bytes
from minigrad.viz.rendering import available_backend, svg_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="system Graphviz not installed")


def _check_svg(data: bytes) -> None:
    text = data.decode("utf-8")
    assert "<svg" in text and "</svg>" in text
    # Each Value box and each operation becomes an SVG group of class "node".
    assert text.count('class="node"') >= 10


@needs_dot
def test_svg_png_pdf_with_system_dot(neuron, tmp_path):
    drawing = draw(neuron, "both")
    assert available_backend() == "system"
    _check_svg(render(drawing, tmp_path / "graph.svg").read_bytes())
    assert render(drawing, tmp_path / "graph.png").read_bytes().startswith(b"\x89PNG")
    assert render(drawing, tmp_path / "graph.pdf").read_bytes().startswith(b"%PDF")


def test_svg_without_system_dot_uses_wasm(neuron, tmp_path, hide_system_dot):
    assert available_backend() == "wasm"
    path = render(draw(neuron, "backward"), tmp_path / "graph.svg")
    _check_svg(path.read_bytes())


def test_png_without_system_dot_says_what_to_install(neuron, tmp_path, hide_system_dot):
    with pytest.raises(RuntimeError, match="apt install graphviz"):
        render(draw(neuron), tmp_path / "graph.png")
    assert not (tmp_path / "graph.png").exists()
    with pytest.raises(RuntimeError, match="system Graphviz `dot` was not found"):
        render_bytes(draw(neuron), "svg", backend="system")


def test_wasm_backend_can_be_chosen_explicitly(neuron):
    _check_svg(render_bytes(neuron, "svg", mode="both", backend="wasm"))


def test_render_accepts_values_and_dot_source(neuron, tmp_path):
    path = render(neuron, tmp_path / "graph", mode="forward")
    assert path.suffix == ".svg"
    _check_svg(path.read_bytes())
    assert "<svg" in svg_text("digraph { a -> b }")
    assert svg_text("digraph { a -> b }").startswith("<svg")


def test_bad_format_and_backend_are_rejected(neuron, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        render(neuron, tmp_path / "graph.jpeg")
    with pytest.raises(ValueError, match="backend must be one of"):
        render_bytes(neuron, "svg", backend="cairo")


def test_jupyter_display_works_without_system_dot(neuron, hide_system_dot):
    svg = draw(neuron, "both")._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in svg
