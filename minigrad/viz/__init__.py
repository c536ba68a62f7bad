"""Drawings of computation graphs, the backward-pass animation, and training plots.

Nothing in the core imports this package, so ``import minigrad`` never loads Graphviz or
matplotlib. The plots load matplotlib only when one of them is first used.

>>> from minigrad.scalar import Value
>>> from minigrad.viz import draw, render
>>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.backward()
>>> drawing = draw(y, mode="both")          # a graphviz.Digraph
>>> render(drawing, "y.svg")                # doctest: +SKIP
"""

from minigrad.viz.animate import animate_backward, backward_steps
from minigrad.viz.dot import (
    DEFAULT_MAX_NODES,
    GRADIENT_SCALE,
    MODES,
    GraphDrawing,
    draw,
    gradient_colour,
    to_dot,
)
from minigrad.viz.graph import Graph, GraphNode, build_graph
from minigrad.viz.rendering import (
    RenderTimeout,
    available_backend,
    available_renderers,
    render,
    render_bytes,
)
from minigrad.viz.simplify import cap_nodes, collapse_modules

_PLOTS = ("plot_history", "plot_decision_boundary", "plot_grad_flow", "plot_activations")

__all__ = [
    "DEFAULT_MAX_NODES",
    "GRADIENT_SCALE",
    "MODES",
    "Graph",
    "GraphDrawing",
    "GraphNode",
    "RenderTimeout",
    "animate_backward",
    "available_backend",
    "available_renderers",
    "backward_steps",
    "build_graph",
    "cap_nodes",
    "collapse_modules",
    "draw",
    "gradient_colour",
    "render",
    "render_bytes",
    "to_dot",
    *_PLOTS,
]


def __getattr__(name: str):
    # Lazy attribute (PEP 562): matplotlib is imported only when a plot is first asked for.
    if name in _PLOTS:
        from minigrad.viz import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'minigrad.viz' has no attribute {name!r}")
