"""The one place where text becomes part of a DOT drawing.

Every piece of text a user controls (titles, Value labels, module and parameter names, the
expression typed on the command line) reaches Graphviz through ``html_text`` inside an
HTML-like label ``<...>``. Three things can go wrong with raw text, and each is handled here:

* **Injection.** A title like ``<x>; evil -> pwned; <y>`` is taken by the ``graphviz`` package
  as a ready-made HTML label and pasted into the DOT source, where it adds nodes and edges.
  We always build the ``<...>`` ourselves and escape ``< > & " '`` inside it, so user text can
  only ever be text.
* **Graphviz escapes.** Graphviz expands ``\\N`` (the node name), ``\\G`` (the graph name)
  and friends even inside HTML-like labels, and decodes entities such as ``&amp;``. Each
  backslash is doubled (``\\\\`` shows one backslash) and ``&`` becomes ``&amp;``, so both
  are shown verbatim.
* **Characters SVG cannot hold.** XML 1.0 forbids most control characters, NUL, lone
  surrogates and U+FFFE/U+FFFF; Graphviz would write them into the SVG (which then is not
  well-formed) or fail. They are replaced by U+FFFD, the replacement character "\ufffd".
  Line breaks and tabs become spaces. Very long text is cut with an ellipsis, so a 16 KB
  label cannot blow up the layout.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
ELLIPSIS = "\u2026"
MAX_LABEL = 120  # characters in a node label or an edge label
MAX_TITLE = 300  # characters in a drawing's title or caption line
_WHITESPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
# What XML 1.0 cannot hold or what Graphviz chokes on: the other C0 controls (NUL included),
# DEL and the C1 controls, lone surrogates, and the non-characters U+FFFE and U+FFFF.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: object, limit: int = MAX_LABEL) -> str:
    """``text`` as a string that any SVG can hold: no control characters, at most ``limit``.

    >>> clean_text("a\\x1bb\\x00c")
    'a\\ufffdb\\ufffdc'
    >>> clean_text("x" * 10, limit=5)
    'xxxx…'
    """
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return _UNSAFE.sub(REPLACEMENT, text.translate(_WHITESPACE))


# Characters with a meaning in an HTML-like label, as entities. "]" is among them because
# Graphviz 2.x rejects a label that is just "]" (a lexer quirk); the entity avoids it.
# A backslash is doubled: Graphviz reads "\\\\" as one backslash, "\\N" as the node name.
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "'": "&#39;", "]": "&#93;", "\\": "\\\\"})


def html_text(text: object, limit: int = MAX_LABEL) -> str:
    """Cleaned, capped ``text`` escaped for the inside of an HTML-like label.

    >>> print(html_text("a<b> & x\\\\y"))
    a&lt;b&gt; &amp; x\\\\y
    """
    return clean_text(text, limit).translate(_HTML_ESCAPES)


def html_label(markup: str) -> str:
    """Wrap label markup (already escaped with ``html_text``) as an HTML-like DOT label."""
    return f"<{markup}>"


def text_label(text: object, limit: int = MAX_LABEL) -> str:
    """A DOT label that shows ``text`` verbatim, whatever characters it holds."""
    return html_label(html_text(text, limit))
