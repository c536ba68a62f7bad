"""No title, label or name can add to a drawing, break its SVG, or be shown other than verbatim."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svg_reading import normalize, svg_node_ids, svg_texts

from minigrad.scalar import Value
from minigrad.viz import draw, render_bytes
from minigrad.viz.escape import ELLIPSIS, MAX_LABEL, MAX_TITLE, REPLACEMENT, clean_text
from minigrad.viz.rendering import available_renderers

RENDERERS = available_renderers()


def small_graph(label: str) -> Value:
    x = Value(2.0, label=label)
    y = (x * 3.0).tanh()
    y.label = "y"
    y.backward()
    return y


def test_clean_text_replaces_what_xml_cannot_hold_and_caps_length():
    r = REPLACEMENT
    assert clean_text("a\x00b\x1bc\x01d\x7fe\x85f") == f"a{r}b{r}c{r}d{r}e{r}f"
    assert clean_text("lone \ud800 surrogate") == f"lone {REPLACEMENT} surrogate"
    assert clean_text("\ufffe\uffff") == REPLACEMENT * 2
    assert clean_text("tab\tnew\nline\r") == "tab new line "
    long = clean_text("x" * 20_000)
    assert len(long) == MAX_LABEL and long.endswith(ELLIPSIS)
    assert clean_text("\\N &amp; <b>") == "\\N &amp; <b>"  # kept: escaped later, shown verbatim


@pytest.mark.parametrize("backend", RENDERERS)
def test_title_cannot_add_nodes_or_edges(backend):
    title = "<x>; evil -> pwned; <y>"
    root = small_graph("x")
    plain = svg_node_ids(render_bytes(draw(root, "both"), "svg", backend=backend))
    svg = render_bytes(draw(root, "both", title=title), "svg", backend=backend)
    assert svg_node_ids(svg) == plain
    assert "evil" not in svg_node_ids(svg) and "pwned" not in svg_node_ids(svg)
    assert title in svg_texts(svg)


HOSTILE_LABELS = [
    "\\N \\G \\n \\l",  # Graphviz escapes: must be shown, not expanded
    "&amp; &lt; &#65; &bogus;",  # entities: must be shown, not decoded
    '"quoted" \'single\' <tag> ]]> --> <!--',
    "esc\x1b[31mred\x01\x00nul",
    "lone surrogate \udcff here",
    "x" * 16_500,
]


@pytest.mark.parametrize("backend", RENDERERS)
@pytest.mark.parametrize("label", HOSTILE_LABELS, ids=range(len(HOSTILE_LABELS)))
def test_hostile_labels_render_verbatim(backend, label):
    svg = render_bytes(draw(small_graph(label), "both", title=label), "svg", backend=backend)
    texts = svg_texts(svg)  # parses: the SVG is well-formed XML
    assert normalize(clean_text(label)) in texts
    assert normalize(clean_text(label, MAX_TITLE)) in texts


def test_every_label_is_html_like():
    import minigrad
    import minigrad.nn as nn

    model = nn.MLP(2, [2], 1)
    out = model(minigrad.ones(1, 2)).sum()
    source = draw(out, "both", model=model, title="t", max_nodes=4).source
    # Cluster titles, captions, node labels: all built as <...> with escaped text, so none
    # is a quoted string where Graphviz would expand \N or entities.
    assert 'label="' not in source.replace('label=""', "")


unicode_text = st.text(st.characters(codec=None), max_size=200)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=unicode_text, title=unicode_text)
def test_any_unicode_label_and_title_render(label, title):
    root = small_graph(label)
    drawing = draw(root, "both", title=title)
    for backend in RENDERERS:
        texts = svg_texts(render_bytes(drawing, "svg", backend=backend))
        for text, limit in ((label, MAX_LABEL), (title, MAX_TITLE)):
            shown = normalize(clean_text(text, limit))
            if shown:
                assert shown in texts, (backend, text)
