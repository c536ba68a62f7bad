"""Shrinking a Graph for drawing: collapse modules into boxes, cap the node count.

Both return a new ``Graph`` and add a note saying what was hidden, which the drawing prints
as its caption, so a picture never silently leaves parts out.
"""

from __future__ import annotations

from collections import deque

from minigrad.viz.graph import Graph, GraphNode

HIDDEN_ID = "hidden"


def collapse_modules(graph: Graph, depth: bool | int = True) -> Graph:
    """Replace the nodes of each module by one box node.

    ``depth=True`` collapses every innermost module (each layer becomes one box);
    an integer ``d`` collapses at nesting level ``d`` (0 is the model itself, 1 its children,
    ...), so everything below that module becomes one box. The box shows the module's name and
    class, how many operations and parameters it hides, the output shape and, for gradients,
    the mean |grad| of its parameters (the quantity that reveals vanishing gradients).
    """
    if depth is False:
        return graph
    group_of: dict[str, tuple[str, ...]] = {}
    for node in graph.nodes:
        if not node.module:
            continue
        if depth is True:
            key = node.module
        elif len(node.module) > depth:
            key = node.module[: depth + 1]
        else:
            continue
        group_of[node.id] = key
    if not group_of:
        return graph

    members: dict[tuple[str, ...], list[GraphNode]] = {}
    for node in graph.nodes:
        if node.id in group_of:
            members.setdefault(group_of[node.id], []).append(node)
    group_ids = {key: f"{nodes[-1].id}_module" for key, nodes in members.items()}

    def target(node_id: str) -> str:
        key = group_of.get(node_id)
        return group_ids[key] if key is not None else node_id

    new_nodes: list[GraphNode] = []
    emitted: set[tuple[str, ...]] = set()
    # A group is emitted at the position of its last member (its output), after its inputs.
    last_member = {nodes[-1].id: key for key, nodes in members.items()}
    for node in graph.nodes:
        if node.id not in group_of:
            inputs = tuple(dict.fromkeys(target(i) for i in node.inputs))
            new_nodes.append(_replace(node, inputs=inputs))
            continue
        key = last_member.get(node.id)
        if key is None or key in emitted:
            continue
        emitted.add(key)
        group = members[key]
        group_id = group_ids[key]
        inside = {member.id for member in group}
        external = []
        for member in group:
            for input_id in member.inputs:
                if input_id not in inside:
                    external.append(target(input_id))
        operations = [m for m in group if m.op]
        parameters = [m for m in group if m.role == "parameter"]
        graded = [m.grad_magnitude for m in (parameters or group[-1:])]
        graded = [g for g in graded if g is not None]
        output = group[-1]
        name = key[-1]
        cls = graph.modules.get(name, "Module")
        new_nodes.append(
            GraphNode(
                id=group_id,
                role="module",
                label=name if name == cls else f"{name}: {cls}",
                op=cls,
                inputs=tuple(dict.fromkeys(i for i in external if i != group_id)),
                shape=output.shape,
                dtype=output.dtype,
                summary=f"{len(operations)} ops, {len(parameters)} parameters",
                grad_summary=(
                    f"mean |grad| of {'parameters' if parameters else 'output'} "
                    f"{sum(graded) / len(graded):.4g}"
                    if graded
                    else ""
                ),
                grad_magnitude=sum(graded) / len(graded) if graded else None,
                module=key[:-1],
            )
        )
    plural = "s" if len(members) > 1 else ""
    note = f"collapsed {len(members)} module{plural} ({len(group_of)} nodes) into one box each"
    root = target(graph.root)
    return Graph(graph.kind, new_nodes, root, graph.notes + [note], dict(graph.modules))


def cap_nodes(graph: Graph, max_nodes: int) -> Graph:
    """Keep the ``max_nodes`` nodes nearest the output; summarise the rest in one node.

    Nearness is breadth-first distance from the root along the inputs, so the drawing keeps the
    end of the computation (where the loss is) and hides the earliest part of it.
    """
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if len(graph) <= max_nodes:
        return graph
    kept: set[str] = {graph.root}
    queue = deque([graph.root])
    while queue and len(kept) < max_nodes:
        node = graph.by_id[queue.popleft()]
        for input_id in node.inputs:
            if input_id not in kept and len(kept) < max_nodes:
                kept.add(input_id)
                queue.append(input_id)
    hidden_count = len(graph) - len(kept)
    placeholder = GraphNode(
        id=HIDDEN_ID,
        role="hidden",
        label=f"... {hidden_count} more nodes not drawn",
    )
    new_nodes = [placeholder]
    for node in graph.nodes:
        if node.id not in kept:
            continue
        if all(i in kept for i in node.inputs):
            new_nodes.append(node)
            continue
        inputs = tuple(dict.fromkeys(i if i in kept else HIDDEN_ID for i in node.inputs))
        new_nodes.append(_replace(node, inputs=inputs))
    note = (
        f"showing the {len(kept)} nodes nearest the output of {len(graph)}; "
        f"{hidden_count} earlier nodes are summarised in one box"
    )
    return Graph(graph.kind, new_nodes, graph.root, graph.notes + [note], dict(graph.modules))


def _replace(node: GraphNode, **changes) -> GraphNode:
    fields = dict(node.__dict__)
    fields.update(changes)
    return GraphNode(**fields)
