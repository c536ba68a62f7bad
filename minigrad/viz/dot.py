"""Graph model -> Graphviz DOT, in three styles: forward, backward and both.

- forward: data flows left to right; leaves (inputs, parameters, constants) are coloured by
  role and each node shows its value (scalars) or shape, dtype and a summary (tensors).
- backward: the edges are reversed (the gradient flows from the output on the left towards the
  leaves on the right) and each node shows its gradient, filled with a colour from the fixed
  gradient-magnitude scale below, so vanishing (blue) and exploding (red) gradients stand out.
- both: value and gradient in each node, forward edges, gradient colours.

Scalar graphs are drawn micrograd style: every Value is a box and every operation a small
ellipse between its operands and its result. Tensor graphs draw one box per tensor, headed by
the operation that made it, grouped in nested clusters by ``nn.Module``.
"""

from __future__ import annotations

import math
from typing import Any

import graphviz

from minigrad.viz import simplify
from minigrad.viz.escape import MAX_TITLE, html_label, html_text, text_label
from minigrad.viz.graph import Graph, GraphNode, build_graph
from minigrad.viz.simplify import HIDDEN_ID
from minigrad.viz.wrap import assign_bands, check_wrap, connect_bands

MODES = ("forward", "backward", "both")
# Direction of the flow: left to right (wide drawings), top to bottom (tall, for slides of
# deep networks), and their mirror images.
RANKDIRS = ("LR", "TB", "RL", "BT")
# Nodes drawn when ``draw`` is not told otherwise: more is unreadable and slow to lay out.
DEFAULT_MAX_NODES = 200
# Operations drawn with "left" and "right" on their input edges, since a - b != b - a.
ORDERED_OPS = ("-", "/")

# Gradient magnitude scale: |grad| for scalars, mean |grad| for tensors, in decades. The bins
# are fixed (not relative to the graph) so colours can be compared between two drawings.
# Each entry: (upper bound, fill colour, font colour, legend text).
GRADIENT_SCALE: tuple[tuple[float, str, str, str], ...] = (
    (1e-6, "#08519c", "white", "< 1e-6  vanishing"),
    (1e-4, "#4292c6", "white", "1e-6 to 1e-4"),
    (1e-2, "#c6dbef", "black", "1e-4 to 1e-2"),
    (1.0, "#c7e9c0", "black", "1e-2 to 1"),
    (1e2, "#fdd49e", "black", "1 to 1e2"),
    (1e4, "#fc8d59", "black", "1e2 to 1e4"),
    (math.inf, "#b30000", "white", ">= 1e4  exploding"),
)
ZERO_GRADIENT = ("#ffffff", "black", "exactly 0")
NO_GRADIENT = ("#eeeeee", "#555555", "no gradient")

ROLE_COLOURS = {
    "input": "#dbe9f6",
    "parameter": "#fde0c5",
    "constant": "#eeeeee",
    "intermediate": "#ffffff",
    "output": "#d9f0d3",
    "module": "#f3e8fb",
    "hidden": "#ffffff",
}
HIGHLIGHT = "#ff7f00"


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that displays in Jupyter even without a system Graphviz.

    Jupyter asks for ``_repr_mimebundle_`` (which calls ``_repr_image_svg_xml``) or
    ``_repr_svg_``; both go through ``minigrad.viz.rendering``, so the pip-installed
    ``graphviz-pure`` draws the full picture when the ``dot`` program is missing.
    """

    def _repr_image_svg_xml(self) -> str:
        from minigrad.viz.rendering import render_bytes

        return render_bytes(self, "svg").decode("utf-8")

    def _repr_svg_(self) -> str:
        return self._repr_image_svg_xml()


def gradient_colour(magnitude: float | None) -> tuple[str, str, str]:
    """(fill colour, font colour, legend text) of a gradient magnitude on ``GRADIENT_SCALE``."""
    if magnitude is None or math.isnan(magnitude):
        return NO_GRADIENT
    if magnitude == 0:
        return ZERO_GRADIENT
    for upper, fill, font, text in GRADIENT_SCALE:
        if magnitude < upper:
            return fill, font, text
    return GRADIENT_SCALE[-1][1:]


def format_number(x: float | None) -> str:
    """Four significant digits, so both 0.8814 and 3.2e-09 stay readable."""
    if x is None:
        return "?"
    return f"{x:.4g}"


def _table(rows: list[list[str]], font: str) -> str:
    """An HTML-like Graphviz label: rows of cells separated by rules, in one font colour."""
    if font != "black":
        rows = [[f'<FONT COLOR="{font}">{cell}</FONT>' for cell in row] for row in rows]
    body = "<HR/>".join(
        "<TR>" + "<VR/>".join(f"<TD>{cell}</TD>" for cell in row) + "</TR>" for row in rows
    )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">{body}</TABLE>>'


def _scalar_label(node: GraphNode, mode: str, grad: float | None, font: str) -> str:
    name = node.label or ("const" if node.role == "constant" else "")
    cells = [f"<B>{html_text(name)}</B>"] if name else []
    if mode in ("forward", "both"):
        cells.append(f"data {format_number(node.value)}")
    if mode in ("backward", "both"):
        cells.append(f"grad {format_number(grad)}")
    return _table([cells], font)


def _tensor_label(node: GraphNode, mode: str, grad_text: str, font: str) -> str:
    if node.role == "module":
        title = f"<B>{html_text(node.label)}</B>"
    elif node.op:
        title = f"<B>{html_text(node.op)}</B>"
        if node.label:
            title += f" {html_text(node.label)}"
    else:
        title = f"<B>{html_text(node.label or node.role)}</B>"
    shape = "x".join(str(n) for n in node.shape) if node.shape else "scalar"
    rows = [[title], [f"{shape} {html_text(node.dtype or '')}"]]
    if node.role == "module" or mode in ("forward", "both"):
        rows.append([html_text(node.summary)])
    if mode in ("backward", "both"):
        rows.append([f"grad {html_text(grad_text or 'none')}"])
    return _table(rows, font)


def _node_style(node: GraphNode) -> dict[str, str]:
    style = {"shape": "box", "style": "filled"}
    if node.role in ("input", "constant"):
        style["style"] = "filled,rounded"
    elif node.role == "parameter":
        style["peripheries"] = "2"
    elif node.role == "output":
        style["penwidth"] = "2.5"
    elif node.role == "module":
        style["shape"] = "box3d"
    return style


# The border shows a node's role in every mode, so the fill colour is free to show gradients.
ROLE_BORDERS = (
    ("rounded corners", "input or constant"),
    ("double border", "parameter"),
    ("thick border", "output"),
)


def _legend(drawing: graphviz.Digraph, mode: str, kind: str) -> None:
    """One key for every mode: it says what the fill colour means in this drawing.

    Forward drawings fill nodes by role; backward and both fill them by gradient magnitude.
    The border marks the role in all three, and the key lists both.
    """
    if mode == "forward":
        title = "fill colour: the node's role"
        rows = [
            (ROLE_COLOURS[role], role)
            for role in ("input", "parameter", "constant", "intermediate", "output")
        ]
    else:
        quantity = "|grad|" if kind == "scalar" else "mean |grad|"
        title = f"fill colour: {quantity}, in decades"
        rows = [(fill, text) for _, fill, _, text in GRADIENT_SCALE]
        rows += [(ZERO_GRADIENT[0], ZERO_GRADIENT[2]), (NO_GRADIENT[0], NO_GRADIENT[2])]
    body = f'<TR><TD COLSPAN="2"><B>{html_text(title)}</B></TD></TR>'
    for fill, text in rows:
        body += (
            f'<TR><TD BGCOLOR="{fill}" WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT">{html_text(text)}</TD></TR>'
        )
    body += '<TR><TD COLSPAN="2"><B>border: the node\'s role</B></TD></TR>'
    for border, role in ROLE_BORDERS:
        body += f'<TR><TD COLSPAN="2" ALIGN="LEFT">{border}: {role}</TD></TR>'
    label = f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2">{body}</TABLE>>'
    with drawing.subgraph(name="cluster_legend") as legend:
        legend.attr(label="", style="invis")
        legend.node("legend", label=label, shape="plaintext", fontsize="10")


def _module_tree(nodes: list[GraphNode]) -> dict[tuple[str, ...], list[GraphNode]]:
    """Nodes grouped by the full module path they sit in (the innermost cluster)."""
    clusters: dict[tuple[str, ...], list[GraphNode]] = {}
    for node in nodes:
        clusters.setdefault(node.module, []).append(node)
    return clusters


def _drawn_edges(
    graph: Graph, backward: bool, edge_labels: dict[tuple[str, str], str]
) -> list[tuple[str, str, dict[str, str]]]:
    """Every edge as drawn, (tail, head, attributes), in a fixed order (golden files).

    Scalar graphs go through the operation's ellipse (``v3_op``); backward drawings point
    from the output towards the inputs.
    """
    edges: list[tuple[str, str, dict[str, str]]] = []
    for node in graph.nodes:
        if not node.inputs:
            continue
        if graph.kind == "scalar" and node.op:
            op_id = f"{node.id}_op"
            edges.append((node.id, op_id, {}) if backward else (op_id, node.id, {}))
            # a - b and a / b: the order of the operands matters, so the edges say which is which.
            sides = ("left", "right") if node.op in ORDERED_OPS and len(node.inputs) == 2 else ()
            for position, input_id in enumerate(node.inputs):
                ends = (op_id, input_id) if backward else (input_id, op_id)
                label = edge_labels.get((node.id, input_id))
                if label:
                    style = {"label": text_label(label), "fontcolor": HIGHLIGHT,
                             "color": HIGHLIGHT, "penwidth": "2"}
                elif sides:
                    style = {"taillabel": text_label(sides[position]), "fontsize": "8",
                             "fontcolor": "#7f7f7f"}
                else:
                    style = {}
                edges.append((*ends, style))
        else:
            for input_id in node.inputs:
                ends = (node.id, input_id) if backward else (input_id, node.id)
                style = {"style": "dashed"} if input_id == HIDDEN_ID else {}
                label = edge_labels.get((node.id, input_id))
                if label:
                    style.update(label=text_label(label), fontcolor=HIGHLIGHT, color=HIGHLIGHT,
                                 penwidth="2")
                edges.append((*ends, style))
    return edges


def _drawn_nodes(graph: Graph) -> list[str]:
    """Ids of the drawn nodes, the operation ellipses of scalar graphs included."""
    ids = []
    for node in graph.nodes:
        if graph.kind == "scalar" and node.op:
            ids.append(f"{node.id}_op")
        ids.append(node.id)
    return ids


def to_dot(
    graph: Graph,
    mode: str = "forward",
    *,
    legend: bool = True,
    title: str | None = None,
    highlight: str | None = None,
    grads: dict[str, float | None] | None = None,
    edge_labels: dict[tuple[str, str], str] | None = None,
    reverse_edges: bool | None = None,
    rankdir: str = "LR",
    wrap: int | None = None,
) -> GraphDrawing:
    """Draw a ``Graph`` as a DOT digraph.

    ``highlight`` (a node id), ``grads`` (node id -> gradient to show instead of the stored
    one), ``edge_labels`` ((consumer id, input id) -> text) and ``reverse_edges`` (default:
    only in backward mode) let the backward animation show one step of the chain rule;
    everyday drawings leave them out. ``wrap`` folds the drawing into that many bands (see
    ``minigrad.viz.wrap``).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    check_wrap(wrap)
    if wrap == 1:
        wrap = None
    edge_labels = edge_labels or {}
    drawing = GraphDrawing(name="minigrad", format="svg")
    # nslimit bounds the network-simplex passes that place nodes to 2 x (number of nodes):
    # a value used a hundred times (x*x*...*x) otherwise keeps dot busy for minutes.
    drawing.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", nslimit="2",
                 nslimit1="2")
    drawing.attr("node", fontname="Helvetica", fontsize="11")
    drawing.attr("edge", color="#555555", arrowsize="0.7", fontname="Helvetica", fontsize="10")
    backward = mode == "backward" if reverse_edges is None else reverse_edges
    edges = _drawn_edges(graph, backward, edge_labels)
    band: dict[str, int] | None = None
    caption = ([title] if title else []) + graph.notes
    if wrap is not None:
        drawn = _drawn_nodes(graph)
        step = 2 if graph.kind == "scalar" else 1
        band = assign_bands(drawn, [(tail, head) for tail, head, _ in edges], wrap, step)
        count = max(band.values()) + 1
        across = "rows, top to bottom" if rankdir in ("LR", "RL") else "columns, left to right"
        note = f"folded into {count} {across}"
        if any(node.module for node in graph.nodes):
            note += "; module clusters not drawn"
        caption.append(note)
    if caption:
        lines = "<BR/>".join(html_text(line, MAX_TITLE) for line in caption)
        drawing.attr(label=html_label(lines), labelloc="t", labeljust="l")

    def node_statements(target: Any, node: GraphNode) -> None:
        # ``target`` is a (sub)graph, or a function of a node id giving one (wrapped drawings).
        target_of = target if callable(target) else lambda _: target
        grad = grads.get(node.id) if grads is not None else node.grad
        magnitude = abs(grad) if grads is not None and grad is not None else node.grad_magnitude
        if grads is not None and grad is None:
            magnitude = None
        if mode == "forward" or node.role == "hidden":
            fill, font = ROLE_COLOURS[node.role], "black"
        else:
            fill, font, _ = gradient_colour(magnitude)
        attributes = _node_style(node)
        attributes["fillcolor"] = fill
        if node.id == highlight:
            attributes.update(color=HIGHLIGHT, penwidth="4")
        if node.role == "hidden":
            attributes.update(shape="note", style="dashed")
            target_of(node.id).node(node.id, label=text_label(node.label), **attributes)
            return
        if graph.kind == "scalar":
            label = _scalar_label(node, mode, grad, font)
        else:
            grad_text = node.grad_summary
            if grads is not None:
                grad_text = f"mean |g| {format_number(grad)}" if grad is not None else ""
            label = _tensor_label(node, mode, grad_text, font)
        target_of(node.id).node(node.id, label=label, **attributes)
        if graph.kind == "scalar" and node.op:
            target_of(f"{node.id}_op").node(f"{node.id}_op", label=text_label(node.op),
                                            shape="ellipse", fontsize="10", width="0.3",
                                            height="0.3", margin="0.03")

    clusters = _module_tree(graph.nodes)
    # Emit clusters outermost first so nested subgraphs sit inside their parents.
    emitted_clusters: dict[tuple[str, ...], Any] = {}

    def emit(path: tuple[str, ...], parent: graphviz.Digraph) -> None:
        with parent.subgraph(name=f"cluster_{len(emitted_clusters)}") as cluster:
            emitted_clusters[path] = cluster
            name = path[-1]
            cls = graph.modules.get(name, "")
            title = f"{name}: {cls}" if cls and cls != name else name
            cluster.attr(label=text_label(title),
                         style="rounded,dashed", color="#7f7f7f", fontsize="10")
            for node in clusters.get(path, []):
                node_statements(cluster, node)
            for child in sorted(p for p in all_paths if len(p) == len(path) + 1
                                and p[: len(path)] == path):
                emit(child, cluster)

    all_paths = set()
    for path in clusters:
        for depth in range(1, len(path) + 1):
            all_paths.add(path[:depth])
    if band is not None:
        # Each band is an invisible cluster, so the bands never interleave. A module's
        # cluster cannot be cut across two bands: module names show in the labels instead.
        band_clusters = [graphviz.Digraph(name=f"cluster_band{index}") for index in range(count)]
        for cluster in band_clusters:
            cluster.attr(label="", style="invis")
        for node in graph.nodes:
            node_statements(lambda node_id: band_clusters[band[node_id]], node)
    else:
        for node in clusters.get((), []):
            node_statements(drawing, node)
        for path in sorted(p for p in all_paths if len(p) == 1):
            emit(path, drawing)

    crossing = []
    for tail, head, style in edges:
        if band is None:
            drawing.edge(tail, head, **style)
        elif band[tail] != band[head]:
            crossing.append((tail, head, style))
        else:
            band_clusters[band[tail]].edge(tail, head, **style)
    if band is not None:
        connect_bands(band_clusters, crossing, band)
        # Nothing ties the bands to each other, and dot places such clusters in the order it
        # reads them: left to right, which its rotation for rankdir LR turns into bottom to
        # top. So rows are written last to first, and columns first to last.
        for cluster in band_clusters[:: -1 if rankdir in ("LR", "RL") else 1]:
            drawing.subgraph(cluster)
    if legend:
        _legend(drawing, mode, graph.kind)
    return drawing


def draw(
    root: Any,
    mode: str = "forward",
    *,
    model: Any = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    collapse_modules: bool | int = False,
    legend: bool = True,
    title: str | None = None,
    rankdir: str = "LR",
    wrap: int | None = None,
) -> GraphDrawing:
    """Draw the computation graph that produced ``root`` (a ``Value`` or a ``Tensor``), or
    the captured program of a ``minigrad.compile``-d function (its other options are unused).

    ``mode`` is ``"forward"`` (values), ``"backward"`` (gradients, edges reversed, coloured
    by gradient magnitude) or ``"both"``. For scalars the stored ``.grad`` fields are shown, so
    call ``root.backward()`` first. For tensors the gradient of every tensor in the graph is
    computed with ``minigrad.grad(..., retain_graph=True)``; no ``.grad`` field is changed.

    ``model`` names things: an ``nn.Module`` gives clusters by module and parameter names
    (``"fc1.weight"``); a scalar ``MLP`` marks its Values as parameters.
    ``collapse_modules`` (True, or a nesting depth) draws each module as one box and
    ``max_nodes`` (default ``DEFAULT_MAX_NODES``; None draws everything) keeps only the nodes
    nearest the output; both say in the caption what they left out. ``title`` is shown
    verbatim (escaped, capped). ``rankdir="TB"`` stacks a long chain top to bottom;
    ``wrap=k`` folds it into ``k`` rows (``rankdir="LR"``) or columns (``"TB"``) placed side
    by side, so a deep network fits a slide (module clusters are then left out).
    Returns a ``graphviz.Digraph`` (displayed inline in Jupyter).
    Scalar drawings show ``a - b`` and ``a / b`` as ``-`` and ``/`` operations (micrograd
    computes them as ``a + (-1 * b)`` and ``a * b**-1``; the hidden helper nodes only pass
    the gradient through).
    """
    from minigrad.compile import CompiledFunction

    if isinstance(root, CompiledFunction):  # the captured program of minigrad.compile
        return root.to_dot(GraphDrawing)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    graph = build_graph(root, model=model, grads=mode != "forward", display_ops=True)
    if collapse_modules is not False:
        graph = simplify.collapse_modules(graph, collapse_modules)
    if max_nodes is not None:
        graph = simplify.cap_nodes(graph, max_nodes)
    return to_dot(graph, mode, legend=legend, title=title, rankdir=rankdir, wrap=wrap)
