"""Drawings of computation graphs, the backward-pass animation, and training plots.

Nothing in the core imports this package, so ``import minigrad`` never loads Graphviz or
matplotlib. The plots load matplotlib only when first used.
"""

from minigrad.viz.dot import GRADIENT_SCALE, MODES, GraphDrawing, draw, gradient_colour, to_dot
from minigrad.viz.graph import Graph, GraphNode, build_graph

__all__ = [
    "GRADIENT_SCALE",
    "MODES",
    "Graph",
    "GraphDrawing",
    "GraphNode",
    "build_graph",
    "draw",
    "gradient_colour",
    "to_dot",
]
