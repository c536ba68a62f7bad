"""Regenerate the pictures used by docs/visualize.md (run from the repository root).

    python docs/images/make_visualize_images.py
"""

from pathlib import Path

import numpy as np

import minigrad
import minigrad.nn as nn
from minigrad.scalar import Value
from minigrad.viz import (
    animate_backward,
    draw,
    plot_activations,
    plot_decision_boundary,
    plot_grad_flow,
    render,
)
from minigrad.viz.animate import _frame_drawing, backward_steps
from minigrad.viz.graph import build_graph
from minigrad.viz.rendering import find_system_dot

HERE = Path(__file__).parent
# The system Graphviz where it is installed (else the fallback), for the main pictures.
SYSTEM = "system" if find_system_dot() else "auto"


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def main() -> None:
    o = neuron()
    render(draw(o, "forward"), HERE / "neuron_forward.svg")
    graph = build_graph(o)
    frame = _frame_drawing(graph, backward_steps(graph)[4])
    render(frame, HERE / "neuron_animation_frame.svg")
    animate_backward(o, HERE / "neuron_backward_steps.html")
    o.backward()
    render(draw(o, "backward"), HERE / "neuron_backward.svg")
    # The same drawing from each renderer, shown side by side in the docs.
    render(draw(o, "both"), HERE / "neuron_both.svg", backend=SYSTEM)
    render(draw(o, "both"), HERE / "neuron_both_fallback.svg", backend="pure")
    render(draw(o, "both"), HERE / "neuron_both_fallback.png", backend="pure")

    a, b, c = Value(3.0, label="a"), Value(2.0, label="b"), Value(4.0, label="c")
    difference_quotient = (a - b) / c
    difference_quotient.label = "out"
    difference_quotient.backward()
    render(draw(difference_quotient, "both"), HERE / "subtract_divide.svg")

    minigrad.manual_seed(0)
    model = nn.MLP(2, [4], 1)
    X, y = minigrad.randn(8, 2), minigrad.randn(8, 1)
    loss = nn.functional.mse_loss(model(X), y)
    render(draw(loss, "backward", model=model), HERE / "mlp_clusters_backward.svg")
    render(draw(loss, "both", model=model, collapse_modules=True), HERE / "mlp_collapsed.svg")

    deep_mlp_pictures()

    loss.backward()
    plot_grad_flow(model, path=HERE / "mlp_grad_flow.png")
    plot_activations(path=HERE / "activations.png")
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 2))
    labels = (points[:, 0] * points[:, 1] > 0).astype(int)
    plot_decision_boundary(lambda p: p[:, 0] * p[:, 1], points, labels,
                           path=HERE / "decision_boundary.png")


def deep_mlp_pictures() -> None:
    """A 10-layer sigmoid MLP folded into 6 rows, by each renderer, and as one long strip."""
    minigrad.manual_seed(0)
    model = nn.MLP(4, [8] * 9, 1, activation="sigmoid")
    loss = model(minigrad.randn(16, 4)).mean()
    strip = draw(loss, "backward", model=model, collapse_modules=True)
    render(strip, HERE / "mlp_deep_strip.svg", backend=SYSTEM)
    folded = draw(loss, "backward", model=model, collapse_modules=True, wrap=6)
    render(folded, HERE / "mlp_deep_wrapped.svg", backend=SYSTEM)
    render(folded, HERE / "mlp_deep_wrapped_fallback.svg", backend="pure")


if __name__ == "__main__":
    main()
