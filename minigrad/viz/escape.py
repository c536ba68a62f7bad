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

import unicodedata

REPLACEMENT = "\ufffd"
ELLIPSIS = "\u2026"
MAX_LABEL = 120  # characters in a node label or an edge label
MAX_TITLE = 300  # characters in a drawing's title or caption line
_WHITESPACE = {"\t": " ", "\n": " ", "\r": " "}


def _clean_character(character: str) -> str:
    if character in _WHITESPACE:
        return _WHITESPACE[character]
    # Cc: control characters (C0, DEL, C1) including NUL; Cs: lone surrogates.
    if unicodedata.category(character) in ("Cc", "Cs") or character in "\ufffe\uffff":
        return REPLACEMENT
    return character


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
    return "".join(_clean_character(character) for character in text)


# Characters with a meaning in an HTML-like label, as entities. "]" is among them because
# Graphviz 2.x rejects a label that is just "]" (a lexer quirk); the entity avoids it.
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                  "]": "&#93;"}


def _html_character(character: str) -> str:
    if character == "\\":
        return "\\\\"
    return _HTML_ENTITIES.get(character, character)


def html_text(text: object, limit: int = MAX_LABEL) -> str:
    """Cleaned, capped ``text`` escaped for the inside of an HTML-like label.

    >>> print(html_text("a<b> & x\\\\y"))
    a&lt;b&gt; &amp; x\\\\y
    """
    return "".join(_html_character(character) for character in clean_text(text, limit))


def html_label(markup: str) -> str:
    """Wrap label markup (already escaped with ``html_text``) as an HTML-like DOT label."""
    return f"<{markup}>"


def text_label(text: object, limit: int = MAX_LABEL) -> str:
    """A DOT label that shows ``text`` verbatim, whatever characters it holds."""
    return html_label(html_text(text, limit))
