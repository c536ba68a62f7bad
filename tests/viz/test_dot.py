"""DOT drawings of scalar graphs compared with golden files, plus the colour scale."""

import math

import pytest

from minigrad.scalar import MLP, Value
from minigrad.viz import DEFAULT_MAX_NODES, GRADIENT_SCALE, build_graph, draw, gradient_colour


@pytest.mark.parametrize("mode", ["forward", "backward", "both"])
def test_neuron_matches_golden(neuron, golden, mode):
    golden(f"scalar_neuron_{mode}.dot", draw(neuron, mode).source)


def test_scalar_mlp_matches_golden(golden):
    model = MLP(2, [3, 1], seed=0)
    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    loss = (model(x) - 1.0) ** 2
    loss.backward()
    golden("scalar_mlp_both.dot", draw(loss, "both", model=model).source)


def test_capped_graph_matches_golden(golden):
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = y.tanh()
    y.backward()
    golden("scalar_chain_capped.dot", draw(y, "backward", max_nodes=5).source)


def test_forward_shows_values_and_backward_shows_gradients(neuron):
    forward = draw(neuron, "forward").source
    backward = draw(neuron, "backward").source
    assert "data 0.7071" in forward and ">grad " not in forward
    assert "grad -1.5" in backward and ">data " not in backward
    # Backward drawings reverse the edges: the output points at its operation.
    output_id = "v9"
    assert f"{output_id} -> {output_id}_op" in backward
    assert f"{output_id}_op -> {output_id}" in forward


def test_model_marks_parameters():
    model = MLP(2, [1], seed=0)
    out = model([1.0, 2.0])
    source = draw(out, "forward", model=model).source
    # Parameters are drawn with a double border, under their labels (w0, w1, b).
    assert source.count("peripheries=2") == len(model.parameters())
    assert "<B>w0</B>" in source and "<B>b</B>" in source


def test_unlabelled_parameters_get_names():
    weight = Value(0.5)

    class OneWeight:
        def parameters(self):
            return [weight]

    out = weight * 2.0
    source = draw(out, "forward", model=OneWeight()).source
    assert "<B>p0</B>" in source and source.count("peripheries=2") == 1


def test_unknown_mode_and_type_are_rejected(neuron):
    with pytest.raises(ValueError, match="mode must be one of"):
        draw(neuron, "sideways")
    with pytest.raises(TypeError, match="expected a minigrad Value or Tensor"):
        draw(3.0)


def test_gradient_colour_scale_bins():
    assert gradient_colour(None)[2] == "no gradient"
    assert gradient_colour(0.0)[2] == "exactly 0"
    assert gradient_colour(float("nan"))[2] == "no gradient"
    assert "vanishing" in gradient_colour(1e-9)[2]
    assert "exploding" in gradient_colour(1e9)[2]
    assert gradient_colour(0.5)[2] == "1e-2 to 1"
    # Each bin's upper bound falls into the next bin; the bounds increase by decades.
    uppers = [upper for upper, *_ in GRADIENT_SCALE]
    assert uppers == sorted(uppers) and math.isinf(uppers[-1])
    for (upper, *_), (_, fill, _, _) in zip(GRADIENT_SCALE[:-1], GRADIENT_SCALE[1:]):
        assert gradient_colour(upper)[0] == fill


def test_backward_colours_follow_gradient_magnitude():
    x = Value(8.0, label="x")
    y = x.tanh()  # d tanh / dx at 8 is about 4.5e-7: a vanished gradient
    y.backward()
    source = draw(y, "backward").source
    vanishing_fill = GRADIENT_SCALE[0][1]
    line = next(line for line in source.splitlines() if "<B>x</B>" in line)
    assert vanishing_fill in line
    assert "legend" in source and "vanishing" in source


def test_legend_can_be_left_out(neuron):
    assert "legend" not in draw(neuron, "both", legend=False).source


def test_big_graphs_are_capped_by_default_with_a_note():
    x = Value(0.5, label="x")
    y = x
    for _ in range(DEFAULT_MAX_NODES + 50):
        y = y.tanh()
    y.backward()
    source = draw(y, "backward").source
    assert source.count("_op [") == DEFAULT_MAX_NODES  # the 200 last tanh; x and 50 hidden
    assert f"showing the {DEFAULT_MAX_NODES} nodes nearest the output of" in source
    assert "51 more nodes not drawn" in source
    everything = draw(y, "backward", max_nodes=None).source
    assert everything.count("_op [") == DEFAULT_MAX_NODES + 50


def test_legend_says_what_the_fill_colour_means_in_each_mode(neuron):
    forward = draw(neuron, "forward").source
    assert "fill colour: the node&#39;s role" in forward
    for mode in ("backward", "both"):
        assert "fill colour: |grad|, in decades" in draw(neuron, mode).source
    for mode in ("forward", "backward", "both"):
        source = draw(neuron, mode).source
        assert "border: the node" in source and "double border: parameter" in source


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir_sets_the_direction(neuron, rankdir):
    assert f"rankdir={rankdir}" in draw(neuron, rankdir=rankdir).source


def test_bad_rankdir_is_rejected(neuron):
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw(neuron, rankdir="diagonal")


def test_subtraction_and_division_fold_only_private_helpers():
    a, b = Value(3.0, label="a"), Value(2.0, label="b")
    difference = a - b
    difference.label = "d"
    # The helper b * -1 is also used by another node: the fold would hide a used value,
    # so the faithful a + (b * -1) is drawn instead.
    negated_b = difference._prev[1]
    out = difference * negated_b
    out.backward()
    source = draw(out, "both").source
    assert "label=<->" not in source and "label=<+>" in source
    ops = {node.op for node in build_graph(out, display_ops=True).nodes}
    assert ops == {"", "+", "*"}
    c = a / b - 1.0
    c.backward()
    folded = build_graph(c, display_ops=True)
    # Value / Value is drawn as "/"; minus a number is micrograd's a + (-1), one "+" node
    assert [node.op for node in folded.nodes if node.op] == ["/", "+"]
    assert len(folded) == 5  # a, b, a / b, the constant -1, the result
    assert len(build_graph(c)) == 6  # a, b, b**-1, a*b**-1, -1, the sum
