"""DOT drawings of scalar graphs compared with golden files, plus the colour scale."""

import math

import pytest

from minigrad.scalar import MLP, Value
from minigrad.viz import GRADIENT_SCALE, draw, gradient_colour


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
