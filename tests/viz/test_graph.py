"""The graph model: walking order, roles, very deep graphs, caps."""

import pytest

from minigrad.scalar import Value
from minigrad.viz import build_graph, cap_nodes, draw
from minigrad.viz.graph import topological_order


def test_nodes_are_topologically_ordered_with_roles(neuron):
    graph = build_graph(neuron)
    position = {node.id: i for i, node in enumerate(graph.nodes)}
    for node in graph.nodes:
        assert all(position[i] < position[node.id] for i in node.inputs)
    assert graph.nodes[-1].id == graph.root
    roles = {node.label: node.role for node in graph.nodes if node.label}
    assert roles == {"x1": "input", "x2": "input", "w1": "input", "w2": "input", "b": "input",
                     "n": "intermediate", "o": "output"}
    assert {node.op for node in graph.nodes if node.op} == {"*", "+", "tanh"}


def test_repeated_operands_keep_both_edges():
    a = Value(3.0, label="a")
    graph = build_graph(a * a)
    square = graph.by_id[graph.root]
    assert square.inputs == ("v0", "v0")
    assert graph.consumers()["v0"] == [graph.root]


def test_unlabelled_leaves_are_constants():
    x = Value(1.0, label="x")
    graph = build_graph(x * 2.0)
    assert [node.role for node in graph.nodes] == ["input", "constant", "output"]


def test_deep_graph_does_not_recurse():
    x = Value(0.1, label="x")
    y = x
    for _ in range(20_000):
        y = y + 1.0
    graph = build_graph(y)
    assert len(graph) == 40_001  # the chain, one constant per addition, and x
    assert graph.nodes[0].label == "x"


def test_topological_order_visits_each_object_once():
    class Node:
        def __init__(self, *children):
            self.children = children

    leaf = Node()
    middle = Node(leaf, leaf)
    root = Node(middle, leaf)
    assert topological_order(root, lambda n: n.children) == [leaf, middle, root]


def test_cap_keeps_nodes_nearest_the_output():
    x = Value(0.5, label="x")
    y = x
    for _ in range(10):
        y = y.tanh()
    graph = cap_nodes(build_graph(y), 4)
    assert len(graph) == 5  # four kept nodes and the placeholder
    assert graph.nodes[0].role == "hidden" and "7 more nodes" in graph.nodes[0].label
    assert "showing the 4 nodes nearest the output of 11" in graph.notes[0]
    assert "7 more nodes not drawn" in draw(y, max_nodes=4).source
    with pytest.raises(ValueError, match="max_nodes"):
        cap_nodes(build_graph(y), 0)
