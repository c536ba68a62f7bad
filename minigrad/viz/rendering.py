"""Rendering DOT to svg/png/pdf, with or without a system Graphviz.

Two renderers draw the same DOT source, HTML-like labels included:

* ``"system"``: the Graphviz ``dot`` program, when it is on the PATH (svg, png, pdf);
* ``"pure"``: ``graphviz-pure``, a port of Graphviz's ``dot`` installed by pip with minigrad
  (wheels for Linux, macOS and Windows), so the full drawing works right after
  ``pip install minigrad``. It writes svg and png; a pdf is made from its png (a raster
  page: zoom in and it gets blurry, unlike the vector pdf of the system ``dot``).

The system ``dot`` is tried first. Every render runs as a child process with a time limit
(``timeout``, default 60 s): a layout that takes longer is stopped with a clear error, never
left to hang.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import graphviz

FORMATS = ("svg", "png", "pdf")
BACKENDS = ("auto", "system", "pure")
DEFAULT_TIMEOUT = 60.0
PURE_PROGRAM = "graphviz-pure"

INSTALL_GRAPHVIZ = (
    "install the Graphviz programs (Debian/Ubuntu: apt install graphviz; macOS: brew install "
    "graphviz; conda: conda install graphviz; Windows: winget install graphviz) so that `dot` "
    "is on the PATH"
)


class RenderTimeout(TimeoutError):
    """Graphviz took longer than the time limit to lay out a drawing."""


def find_system_dot() -> str | None:
    """Path of the system Graphviz ``dot`` program, or None when it is not installed."""
    return shutil.which("dot")


def find_pure_dot() -> str | None:
    """Path of the ``graphviz-pure`` program installed by pip, or None.

    pip puts it next to the Python interpreter's scripts, which need not be on the PATH (a
    virtual environment that was not activated, a notebook kernel), so look there too.
    """
    found = shutil.which(PURE_PROGRAM)
    if found:
        return found
    scripts = Path(sysconfig.get_path("scripts"))
    for name in (PURE_PROGRAM, PURE_PROGRAM + ".exe"):
        candidate = scripts / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def available_renderers() -> list[str]:
    """The renderers present on this machine, in the order ``"auto"`` tries them."""
    present = []
    if find_system_dot():
        present.append("system")
    if find_pure_dot():
        present.append("pure")
    return present


def available_backend() -> str:
    """The renderer ``backend="auto"`` uses: ``"system"``, else ``"pure"``, else ``"none"``."""
    present = available_renderers()
    return present[0] if present else "none"


def _source_of(graph_or_root: Any, mode: str) -> str:
    if isinstance(graph_or_root, graphviz.Digraph | graphviz.Graph):
        return graph_or_root.source
    if isinstance(graph_or_root, str):
        return graph_or_root
    from minigrad.viz.dot import draw

    return draw(graph_or_root, mode).source


def _run_dot(program: str, source: str, format: str, timeout: float) -> bytes:
    try:
        result = subprocess.run(
            [program, f"-T{format}"],
            input=source.encode("utf-8", "replace"),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"{Path(program).name} did not finish laying out the drawing within {timeout:g} s "
            f"({source.count(' -> ')} edges); draw fewer nodes (draw(..., max_nodes=...)) "
            "or allow more time (render(..., timeout=...))"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(program).name} failed (exit {result.returncode}): "
            f"{result.stderr.decode('utf-8', 'replace').strip()}"
        )
    return result.stdout


def _png_to_pdf(png: bytes) -> bytes:
    # Pillow comes with matplotlib, a dependency; the page is the png at 96 dots per inch.
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        page = io.BytesIO()
        image.convert("RGB").save(page, format="PDF", resolution=96.0)
    return page.getvalue()


def render_bytes(
    graph_or_root: Any,
    format: str = "svg",
    *,
    mode: str = "forward",
    backend: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Render a Digraph, a DOT source string, or a Value/Tensor (drawn in ``mode``) to bytes.

    ``backend`` is ``"auto"`` (system ``dot`` when present, else ``graphviz-pure``),
    ``"system"`` or ``"pure"``. ``timeout`` is in seconds; ``RenderTimeout`` when exceeded.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    source = _source_of(graph_or_root, mode)
    system = find_system_dot() if backend in ("auto", "system") else None
    if system is not None:
        return _run_dot(system, source, format, timeout)
    if backend == "system":
        raise RuntimeError(f"the system Graphviz `dot` was not found; {INSTALL_GRAPHVIZ}")
    pure = find_pure_dot()
    if pure is None:
        raise RuntimeError(
            "neither the system Graphviz `dot` nor graphviz-pure is available: "
            f"pip install graphviz-pure, or {INSTALL_GRAPHVIZ}"
        )
    if format == "pdf":
        return _png_to_pdf(_run_dot(pure, source, "png", timeout))
    return _run_dot(pure, source, format, timeout)


def render(
    graph_or_root: Any,
    path: str | os.PathLike,
    format: str | None = None,
    *,
    mode: str = "forward",
    backend: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Write a drawing to ``path`` and return the path.

    ``graph_or_root`` is a Digraph from ``draw``, DOT source, or a ``Value``/``Tensor``
    (drawn in ``mode``). ``format`` defaults to the file suffix (``.svg``, ``.png``,
    ``.pdf``). All three work with or without the system Graphviz; ``timeout`` (seconds)
    bounds the layout.
    """
    path = Path(path)
    if format is None:
        format = path.suffix.lstrip(".").lower() or "svg"
        if not path.suffix:
            path = path.with_suffix(".svg")
    data = render_bytes(graph_or_root, format, mode=mode, backend=backend, timeout=timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def svg_text(graph_or_root: Any, *, mode: str = "forward", backend: str = "auto") -> str:
    """The SVG markup of a drawing, without the XML prolog (ready to inline into HTML)."""
    svg = render_bytes(graph_or_root, "svg", mode=mode, backend=backend).decode("utf-8")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
