"""Folding long drawings into rows or columns (``draw(..., wrap=k)``), read back as rendered.

A slide is 16:9 or 4:3. A 10-layer network drawn as one strip is about 14 times wider than
high (or 5 times higher than wide with rankdir TB); folded, it must land near a slide's shape
on every renderer present, with every node still drawn, the bands in reading order, and its
text at least twice as large once the picture is scaled to fit the slide.
"""

import re
import xml.etree.ElementTree as ElementTree
from collections import Counter

import numpy as np
import pytest
from svg_reading import SVG_NAMESPACE, svg_node_ids, svg_texts
from test_render import assert_shows, expected_scalar_texts

import minigrad
import minigrad.nn as nn
from minigrad.cli import main
from minigrad.scalar import MLP, Value
from minigrad.viz import build_graph, draw, render_bytes
from minigrad.viz.rendering import available_renderers
from minigrad.viz.wrap import assign_bands, flow_ranks, fold

RENDERERS = available_renderers()
# A slide is between 4:3 and 16:9; Graphviz's two ports differ by about 15% in width.
SLIDE_ASPECT = (1.2, 1.9)
SLIDE_POINTS = (960.0, 540.0)  # a 13.33 x 7.5 inch slide (16:9)


def svg_size(svg: bytes) -> tuple[float, float]:
    """(width, height) in points from the <svg> element's attributes."""
    root = ElementTree.fromstring(svg)
    return tuple(float(re.sub("pt$", "", root.get(side))) for side in ("width", "height"))


def slide_scale(svg: bytes) -> float:
    """How much the drawing is shrunk (or grown) to fit a 16:9 slide."""
    width, height = svg_size(svg)
    return min(SLIDE_POINTS[0] / width, SLIDE_POINTS[1] / height)


def node_centres(svg: bytes) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y) of its first text line, in SVG coordinates (y grows downwards)."""
    centres = {}
    for group in ElementTree.fromstring(svg).iter(f"{SVG_NAMESPACE}g"):
        if group.get("class") == "node":
            text = group.find(f"{SVG_NAMESPACE}text")
            title = group.find(f"{SVG_NAMESPACE}title").text
            centres[title] = (float(text.get("x")), float(text.get("y")))
    return centres


@pytest.fixture(scope="module")
def deep_mlp_loss():
    """A 10-layer nn.MLP (10 Linear, 9 ReLU) and the mean of its output."""
    minigrad.manual_seed(0)
    model = nn.MLP(4, [8] * 9, 1)
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32))
    return model, model(x).mean()


@pytest.fixture(scope="module")
def deep_scalar_mlp():
    """micrograd's MLP with 10 layers of two neurons, after backward()."""
    model = MLP(2, [2] * 9 + [1], seed=3)
    out = model([Value(1.0, label="x0"), Value(-0.5, label="x1")])
    out.label = "out"
    out.backward()
    return model, out


def test_ranks_follow_the_chain_and_leaves_sit_next_to_their_use():
    # x -> a -> b -> c -> out, and a weight w entering at c.
    nodes = ["x", "a", "b", "w", "c", "out"]
    edges = [("x", "a"), ("a", "b"), ("b", "c"), ("w", "c"), ("c", "out")]
    ranks = flow_ranks(nodes, edges)
    assert ranks == {"x": 0, "a": 1, "b": 2, "w": 2, "c": 3, "out": 4}
    band = fold(ranks, 2)
    assert band == {"x": 0, "a": 0, "b": 0, "w": 0, "c": 1, "out": 1}
    # A weight used first at the start of a band goes into that band with its use.
    assert assign_bands(nodes, edges, 2) == {**band, "w": 1}
    # One band per rank: x leaves band 0 for its use's band; no band is left empty.
    assert sorted(set(assign_bands(nodes, edges, 10).values())) == [0, 1, 2, 3]
    # More bands than ranks: one rank per band.
    assert set(fold(ranks, 10).values()) == {0, 1, 2, 3, 4}
    # Scalar drawings (step 2): Values on even ranks, operations on odd ones; every band
    # after the first starts with an operation.
    chain = {f"r{rank}": rank for rank in range(17)}
    band = fold(chain, 3, step=2)
    starts = [min(r for name, r in chain.items() if band[name] == b) for b in (1, 2)]
    assert starts == [7, 13] and max(band.values()) == 2


def test_bad_wrap_is_rejected(neuron):
    with pytest.raises(ValueError, match="wrap must be at least 1"):
        draw(neuron, wrap=0)
    with pytest.raises(TypeError, match="wrap must be a positive int"):
        draw(neuron, wrap=2.5)
    with pytest.raises(TypeError, match="wrap must be a positive int"):
        draw(neuron, wrap=True)
    assert draw(neuron, wrap=1).source == draw(neuron).source


def test_wrapped_chain_matches_golden(golden):
    x = Value(0.5, label="x")
    y = x
    for _ in range(8):
        y = y.tanh()
    y.label = "y"
    y.backward()
    golden("scalar_chain_wrapped.dot", draw(y, "both", wrap=3).source)


def test_wrapped_drawing_says_so_and_draws_no_module_clusters(deep_mlp_loss):
    model, loss = deep_mlp_loss
    source = draw(loss, "forward", model=model, wrap=4).source
    assert "folded into 4 rows, top to bottom; module clusters not drawn" in source
    # Each band is an invisible cluster; no module cluster (cluster_0, cluster_1, ...) is left.
    assert source.count("subgraph cluster_band") == 4
    assert not re.search(r"subgraph cluster_\d", source)
    tall = draw(loss, "forward", model=model, rankdir="TB", wrap=3).source
    assert "folded into 3 columns, left to right" in tall
    # Each edge into the next band is a pair of numbered connectors, not a long curve.
    assert len(re.findall(r"wrap\d+_from \[label=", tall)) == 2
    assert len(re.findall(r"wrap\d+_to \[label=", tall)) == 2


@pytest.mark.parametrize("backend", RENDERERS)
@pytest.mark.parametrize(
    ("mode", "rankdir", "wrap"),
    [("backward", "LR", 6), ("forward", "LR", 5), ("backward", "TB", 5)],
)
def test_ten_layer_mlp_fits_a_slide(deep_mlp_loss, backend, mode, rankdir, wrap):
    model, loss = deep_mlp_loss
    strip = render_bytes(
        draw(loss, mode, model=model, collapse_modules=True, rankdir=rankdir), "svg",
        backend=backend,
    )
    drawing = draw(loss, mode, model=model, collapse_modules=True, rankdir=rankdir, wrap=wrap)
    svg = render_bytes(drawing, "svg", backend=backend)
    width, height = svg_size(svg)
    assert SLIDE_ASPECT[0] <= width / height <= SLIDE_ASPECT[1], (width, height)
    # Text on the slide is at least twice as large as with the unfolded strip.
    assert slide_scale(svg) >= 2 * slide_scale(strip)
    # Every node is drawn, with its label: all 19 layers as boxes.
    assert set(svg_node_ids(svg)) == set(re.findall(r"^\t+(\w+) \[label=", drawing.source, re.M))
    texts = svg_texts(svg)
    layers = [f"{index}: {'Linear' if index % 2 == 0 else 'ReLU'}" for index in range(19)]
    assert Counter(texts) >= Counter(layers)
    # The bands follow each other in reading order: connector k+1 lies after connector k
    # across the bands (down the page for rows, to the right for columns).
    centres = node_centres(svg)
    arrivals = sorted(
        (int(name[4:-3]), centres[name]) for name in centres if name.endswith("_to")
    )
    across = 1 if rankdir == "LR" else 0
    positions = [centre[across] for _, centre in arrivals]
    assert len(positions) == wrap - 1 and positions == sorted(positions)


@pytest.mark.parametrize("backend", RENDERERS)
def test_ten_layer_scalar_mlp_fits_a_slide(deep_scalar_mlp, backend):
    model, out = deep_scalar_mlp
    drawing = draw(out, "both", model=model, wrap=4)
    svg = render_bytes(drawing, "svg", backend=backend)
    width, height = svg_size(svg)
    assert SLIDE_ASPECT[0] <= width / height <= SLIDE_ASPECT[1], (width, height)
    strip = render_bytes(draw(out, "both", model=model), "svg", backend=backend)
    assert slide_scale(svg) >= 2 * slide_scale(strip)
    assert set(svg_node_ids(svg)) == set(re.findall(r"^\t+(\w+) \[label=", drawing.source, re.M))
    assert_shows(svg, expected_scalar_texts(out, "both"))
    # Reading order: the inputs' row is above the output's.
    graph = build_graph(out, display_ops=True)
    first_input = next(node.id for node in graph.nodes if node.label == "x0")
    centres = node_centres(svg)
    assert centres[first_input][1] < centres[graph.root][1]


def test_cli_wrap_option(capsys):
    expression = "tanh(tanh(tanh(tanh(x*w + b))))"
    assert main(["draw", expression, "--set", "x=1,w=0.5,b=0.1", "--wrap", "2",
                 "--print-dot"]) == 0
    assert "folded into 2 rows" in capsys.readouterr().out
    assert main(["draw", "x*2", "--set", "x=1", "--wrap", "0", "--print-dot"]) == 2
    assert "--wrap must be at least 1" in capsys.readouterr().err
