"""The backward pass, step by step, as a self-contained HTML page (and a GIF when possible).

One frame per node, in reverse topological order (the order ``backward()`` visits them).
In the frame of node ``v`` its gradient is complete, so ``v`` is highlighted and, for each
input ``u`` of ``v``, the edge carries the chain-rule term

    dL/du  +=  dL/dv  ×  dv/du      (upstream gradient × local derivative)

which the frame has just added to ``u``'s running total. Nodes that have not received any
gradient yet show ``?``. For tensors the term is a vector-Jacobian product, summarised by its
mean absolute value.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.viz.dot import format_number, to_dot
from minigrad.viz.escape import MAX_TITLE, clean_text
from minigrad.viz.graph import Graph, GraphNode, build_graph
from minigrad.viz.rendering import render_bytes, svg_text

MAX_FRAMES = 300


@dataclass
class Step:
    """What happens when the backward pass reaches one node."""

    node: str
    upstream: float | None  # dL/dnode, complete at this step (mean |.| for tensors)
    # (input id, local derivative or None for tensors, contribution), one per operand use.
    terms: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    grads_after: dict[str, float | None] = field(default_factory=dict)


def _power_exponent(op: str) -> float | None:
    try:
        return float(op[2:]) if op.startswith("**") else None
    except ValueError:
        return None


def local_derivatives(node: GraphNode, graph: Graph) -> tuple[float, ...]:
    """d node / d input for each input of a scalar node.

    ``minigrad.Value`` stores them (``_local_grads``); for other micrograd-style Values the
    standard operations are recomputed from the operands' data.
    """
    value = node.ref
    stored = getattr(value, "_local_grads", None)
    if stored is not None and len(stored) == len(node.inputs):
        return tuple(float(d) for d in stored)
    operands = [graph.by_id[i].value for i in node.inputs]
    op, out = node.op, node.value
    if op == "+":
        return tuple(1.0 for _ in operands)
    if op == "*" and len(operands) == 2:
        return (operands[1], operands[0])
    exponent = _power_exponent(op)
    if exponent is not None:
        return (exponent * operands[0] ** (exponent - 1),)
    derivatives = {
        "relu": lambda x: 1.0 if x > 0 else 0.0,
        "tanh": lambda x: 1.0 - out * out,
        "sigmoid": lambda x: out * (1.0 - out),
        "exp": lambda x: out,
        "log": lambda x: 1.0 / x,
    }
    rule = derivatives.get(op.lower())
    if rule is None:
        raise ValueError(
            f"cannot animate operation {op!r}: its local derivative is unknown "
            "(minigrad.Value stores local derivatives; other node types need a standard op)"
        )
    return (rule(operands[0]),)


def backward_steps(graph: Graph) -> list[Step]:
    """Replay the backward pass over ``graph`` without touching any ``.grad`` field."""
    if graph.kind == "tensor":
        return _tensor_steps(graph)
    totals: dict[str, float | None] = {node.id: None for node in graph.nodes}
    totals[graph.root] = 1.0
    steps = []
    for node in reversed(graph.nodes):
        upstream = totals[node.id] if totals[node.id] is not None else 0.0
        step = Step(node.id, upstream)
        if node.inputs:
            for input_id, local in zip(node.inputs, local_derivatives(node, graph), strict=True):
                contribution = upstream * local
                step.terms.append((input_id, local, contribution))
                totals[input_id] = (totals[input_id] or 0.0) + contribution
        step.grads_after = dict(totals)
        steps.append(step)
    return steps


def _tensor_steps(graph: Graph) -> list[Step]:
    """Tensor version: each term is the vector-Jacobian product dL/dv . dv/du, by minigrad.grad."""
    import minigrad

    root = graph.by_id[graph.root].ref
    seed = minigrad.ones_like(root)
    upstream_of: dict[str, Any] = {graph.root: seed}
    totals: dict[str, float | None] = {node.id: None for node in graph.nodes}
    totals[graph.root] = 1.0
    running: dict[str, np.ndarray] = {}
    steps = []
    for node in reversed(graph.nodes):
        upstream = upstream_of.get(node.id)
        step = Step(node.id, totals[node.id])
        if node.inputs and upstream is not None:
            # One term per distinct input: for x * x, minigrad.grad already sums both uses.
            unique = list(dict.fromkeys(node.inputs))
            wanted = [(i, graph.by_id[i].ref) for i in unique if graph.by_id[i].ref.requires_grad]
            if wanted:
                try:
                    vjps = minigrad.grad(node.ref, [t for _, t in wanted],
                                         grad_outputs=upstream, retain_graph=True,
                                         allow_unused=True)
                except RuntimeError as error:
                    raise RuntimeError(
                        f"cannot replay the backward pass: {error} (animate the graph before "
                        "calling backward(), or call backward(retain_graph=True))"
                    ) from error
                for (input_id, _), vjp in zip(wanted, vjps, strict=True):
                    if vjp is None:
                        continue
                    array = vjp.numpy()
                    step.terms.append((input_id, None, float(np.abs(array).mean())))
                    running[input_id] = running.get(input_id, 0) + array
                    previous = upstream_of.get(input_id)
                    upstream_of[input_id] = vjp if previous is None else previous + vjp
                    totals[input_id] = float(np.abs(running[input_id]).mean())
        step.grads_after = dict(totals)
        steps.append(step)
    return steps


def _name(node: GraphNode) -> str:
    if node.label:
        return node.label
    if node.op:
        return f"({node.op})"
    return "const" if node.role == "constant" else node.id


def _frame_caption(graph: Graph, step: Step, index: int, total: int) -> str:
    node = graph.by_id[step.node]
    root_name = _name(graph.by_id[graph.root])
    lines = [
        f"Step {index + 1} of {total}: d{root_name}/d{_name(node)} = "
        f"{format_number(step.upstream)} is complete."
    ]
    if node.id == graph.root:
        lines[0] = (f"Step 1 of {total}: the backward pass starts with "
                    f"d{root_name}/d{root_name} = 1.")
    if not step.terms and node.is_leaf:
        lines.append(f"{_name(node)} is a leaf: nothing further to pass back.")
    for input_id, local, contribution in step.terms:
        target = _name(graph.by_id[input_id])
        if local is None:
            lines.append(
                f"d{root_name}/d{target} += vector-Jacobian product, mean |.| = "
                f"{format_number(contribution)}"
            )
        else:
            lines.append(
                f"d{root_name}/d{target} += {format_number(step.upstream)} x "
                f"{format_number(local)} = {format_number(contribution)}"
            )
    return "\n".join(lines)


def _frame_drawing(graph: Graph, step: Step):
    labels: dict[tuple[str, str], str] = {}
    for input_id, local, contribution in step.terms:
        if local is None:
            text = f"vjp {format_number(contribution)}"
        else:
            text = (f"{format_number(step.upstream)} × {format_number(local)}"
                    f" = {format_number(contribution)}")
        key = (step.node, input_id)
        labels[key] = f"{labels[key]} + {text}" if key in labels else text
    return to_dot(graph, "both", legend=False, highlight=step.node, grads=step.grads_after,
                  edge_labels=labels, reverse_edges=True)


def _strip_namespaces(svg: str) -> str:
    # Inline SVG in HTML needs no namespace declarations; removing them leaves the page with
    # no URL at all, so nothing could ever be fetched.
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em; }}
.controls button {{ font-size: 1em; margin-right: 0.3em; }}
#caption {{ white-space: pre-line; font-family: monospace; background: #f6f6f6;
  padding: 0.6em; border-left: 4px solid #ff7f00; min-height: 3.5em; }}
.frame {{ display: none; overflow: auto; }}
.frame.current {{ display: block; }}
</style>
</head>
<body>
<h2>{title}</h2>
<div class="controls">
<button id="first" title="first frame (Home)">|&lt;</button>
<button id="prev" title="previous frame (left arrow)">&lt; previous</button>
<button id="play" title="play / pause (space)">play</button>
<button id="next" title="next frame (right arrow)">next &gt;</button>
<input id="slider" type="range" min="0" max="{last}" value="0">
<span id="counter"></span>
</div>
<p id="caption"></p>
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll(".frame");
  var captions = {captions};
  var slider = document.getElementById("slider");
  var playButton = document.getElementById("play");
  var current = 0, timer = null;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{
      frames[k].className = k === current ? "frame current" : "frame";
    }}
    slider.value = current;
    document.getElementById("counter").textContent =
      "frame " + (current + 1) + " / " + frames.length;
    document.getElementById("caption").textContent = captions[current];
  }}
  function stop() {{ clearInterval(timer); timer = null; playButton.textContent = "play"; }}
  function play() {{
    if (timer) {{ stop(); return; }}
    if (current === frames.length - 1) {{ show(0); }}
    playButton.textContent = "pause";
    timer = setInterval(function () {{
      if (current >= frames.length - 1) {{ stop(); }} else {{ show(current + 1); }}
    }}, {interval});
  }}
  document.getElementById("first").onclick = function () {{ stop(); show(0); }};
  document.getElementById("prev").onclick = function () {{ stop(); show(current - 1); }};
  document.getElementById("next").onclick = function () {{ stop(); show(current + 1); }};
  playButton.onclick = play;
  slider.oninput = function () {{ stop(); show(parseInt(slider.value, 10)); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight") {{ stop(); show(current + 1); }}
    else if (e.key === "ArrowLeft") {{ stop(); show(current - 1); }}
    else if (e.key === "Home") {{ stop(); show(0); }}
    else if (e.key === " ") {{ e.preventDefault(); play(); }}
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


def animate_backward(
    root: Any,
    path: str | os.PathLike,
    *,
    model: Any = None,
    title: str | None = None,
    interval_ms: int = 1200,
    backend: str = "auto",
) -> Path:
    """Write the backward pass of ``root`` as an animation; returns the path written.

    ``path`` ending in ``.html`` gives one self-contained page (inline SVG frames, previous /
    next / play controls, arrow keys; no network access needed); ``.gif`` gives a GIF (frames
    rasterised by the system ``dot`` or graphviz-pure). No ``.grad`` field is changed:
    the gradients are recomputed step by step.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".gif"):
        raise ValueError(f"animate_backward writes .html or .gif files, got {path.name!r}")
    graph = build_graph(root, model=model, grads=False)
    if len(graph) > MAX_FRAMES:
        raise ValueError(
            f"the graph has {len(graph)} nodes; animating more than {MAX_FRAMES} frames is not "
            "useful in class - animate a smaller example, or use draw(root, 'backward')"
        )
    steps = backward_steps(graph)
    captions = [_frame_caption(graph, step, i, len(steps)) for i, step in enumerate(steps)]
    drawings = [_frame_drawing(graph, step) for step in steps]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        _write_gif(drawings, path, interval_ms, backend)
        return path
    frames = "\n".join(
        f'<div class="frame" id="frame-{i}">{_strip_namespaces(svg_text(d, backend=backend))}'
        "</div>"
        for i, d in enumerate(drawings)
    )
    root_name = _name(graph.by_id[graph.root])
    page = _PAGE.format(
        title=html.escape(clean_text(title or f"Backward pass of {root_name}, step by step",
                                     MAX_TITLE)),
        last=len(steps) - 1,
        frames=frames,
        captions=json.dumps(captions).replace("</", "<\\/"),
        interval=int(interval_ms),
    )
    path.write_text(page, encoding="utf-8")
    return path


def _write_gif(drawings: list, path: Path, interval_ms: int, backend: str) -> None:
    """Rasterise frames (system ``dot`` or graphviz-pure) and join them with Pillow."""
    import io

    from PIL import Image

    images = [Image.open(io.BytesIO(render_bytes(d, "png", backend=backend))).convert("RGB")
              for d in drawings]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    padded = []
    for image in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, (0, 0))
        padded.append(canvas)
    duration = max(1, math.ceil(interval_ms))
    padded[0].save(path, save_all=True, append_images=padded[1:], duration=duration, loop=0)
