"""Reading a rendered drawing back: the text an SVG shows, and the size of a PNG.

The drawing tests check what a reader would see, not how many nodes were emitted: the
SVG is parsed as XML (so it must be well-formed) and every <text> element is collected.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


def normalize(text: str) -> str:
    """Runs of whitespace (Graphviz writes repeated spaces as no-break spaces) as one space."""
    return " ".join(text.split())


def svg_texts(svg: bytes | str) -> list[str]:
    """The text of every <text> element, in document order, whitespace normalized.

    Raises ``xml.etree.ElementTree.ParseError`` when the SVG is not well-formed XML.
    """
    root = ElementTree.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    return [normalize("".join(element.itertext())) for element in root.iter(f"{SVG_NAMESPACE}text")]


def svg_node_ids(svg: bytes | str) -> list[str]:
    """The DOT ids of the drawn nodes (the <title> of each node group)."""
    root = ElementTree.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    ids = []
    for group in root.iter(f"{SVG_NAMESPACE}g"):
        if group.get("class") == "node":
            ids.append(group.find(f"{SVG_NAMESPACE}title").text)
    return ids


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, decoded by Pillow (so a broken file raises)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.size
