"""Tensor graphs: golden files for an MLP and a small CNN, module clusters, collapse, animation.

Parameters and inputs hold small multiples of 1/4 so that every sum in the forward pass is
exact in floating point: the numbers in the golden files cannot depend on summation order.
"""

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.viz import animate_backward, backward_steps, build_graph, draw


def quarters(shape, offset=0):
    count = int(np.prod(shape))
    values = ((np.arange(count) + offset) % 5 - 2).reshape(shape) / 4.0
    return minigrad.tensor(values.astype(np.float32))


def set_parameters(model):
    for index, (_, parameter) in enumerate(model.named_parameters()):
        parameter.data = quarters(parameter.shape, index)


@pytest.fixture
def mlp_loss():
    model = nn.MLP(2, [3], 1)
    set_parameters(model)
    loss = nn.functional.mse_loss(model(quarters((4, 2), 7)), quarters((4, 1), 3))
    return model, loss


@pytest.fixture
def cnn_output():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    set_parameters(model)
    return model, model(quarters((1, 1, 4, 4), 1)).sum()


@pytest.mark.parametrize("mode", ["forward", "both"])
def test_mlp_matches_golden(mlp_loss, golden, mode):
    model, loss = mlp_loss
    golden(f"tensor_mlp_{mode}.dot", draw(loss, mode, model=model).source)


def test_cnn_matches_golden(cnn_output, golden):
    model, out = cnn_output
    golden("tensor_cnn_forward.dot", draw(out, "forward", model=model).source)


def test_mlp_collapsed_matches_golden(mlp_loss, golden):
    model, loss = mlp_loss
    golden("tensor_mlp_collapsed.dot",
           draw(loss, "backward", model=model, collapse_modules=True).source)


def test_parameters_and_clusters_are_named(mlp_loss):
    model, loss = mlp_loss
    graph = build_graph(loss, model=model, grads=False)
    parameters = {node.label: node.module for node in graph.nodes if node.role == "parameter"}
    assert parameters == {"0.weight": ("MLP", "0"), "0.bias": ("MLP", "0"),
                          "2.weight": ("MLP", "2"), "2.bias": ("MLP", "2")}
    source = draw(loss, model=model).source
    for cluster in ("label=<MLP>", "label=<0: Linear>", "label=<1: ReLU>", "label=<2: Linear>"):
        assert cluster in source


def test_backward_gradients_match_backward_without_touching_grad(mlp_loss):
    model, loss = mlp_loss
    graph = build_graph(loss, model=model)
    assert all(p.grad is None for p in model.parameters())
    loss.backward()
    for node in graph.nodes:
        if node.role == "parameter":
            expected = np.abs(node.ref.grad.numpy()).mean()
            assert node.grad_magnitude == pytest.approx(expected, rel=1e-6)


def test_collapse_depth_and_cap_notes(mlp_loss):
    model, loss = mlp_loss
    whole = draw(loss, "backward", model=model, collapse_modules=0).source
    # 4 parameters and 3 operations (two Linear, one ReLU) become one box.
    assert "<B>MLP</B>" in whole and "collapsed 1 module (7 nodes)" in whole
    capped = draw(loss, "forward", model=model, max_nodes=5).source
    assert "more nodes not drawn" in capped and "nearest the output" in capped


def test_animation_of_a_tensor_graph(mlp_loss, tmp_path):
    model, loss = mlp_loss
    graph = build_graph(loss, model=model)
    steps = backward_steps(graph)
    final = steps[-1].grads_after
    for node in graph.nodes:
        if node.grad_magnitude is not None:
            assert final[node.id] == pytest.approx(node.grad_magnitude, rel=1e-5)
    page = animate_backward(loss, tmp_path / "mlp.html", model=model).read_text()
    assert page.count('<div class="frame"') == len(graph)
    assert "vjp" in page


def test_animation_after_backward_explains_freed_buffers(mlp_loss, tmp_path):
    model, loss = mlp_loss
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        animate_backward(loss, tmp_path / "late.html", model=model)
    # Drawing still works and falls back to the leaves' .grad with a note.
    assert "showing leaf .grad" in draw(loss, "backward", model=model).source
