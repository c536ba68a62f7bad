"""Fixtures for the drawing tests, and the switch that regenerates the golden DOT files.

The golden files in tests/viz/golden/ are the exact DOT source of a fixed set of drawings.
After an intended change to the drawings, regenerate them and review the diff:

    python -m pytest tests/viz --regen-golden
    MINIGRAD_REGEN_GOLDEN=1 python -m pytest tests        # same, from any directory
"""

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/viz/golden/*.dot from the current drawings instead of comparing",
    )


@pytest.fixture
def golden(request):
    """``golden(name, text)``: compare ``text`` with golden/<name>, or rewrite it when asked."""
    regenerate = request.config.getoption("--regen-golden", default=False) or os.environ.get(
        "MINIGRAD_REGEN_GOLDEN"
    ) == "1"

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if regenerate:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), (
            f"missing golden file {path}; create it with: python -m pytest tests/viz --regen-golden"
        )
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"the DOT source differs from {path}; if the change is intended, regenerate with "
            "python -m pytest tests/viz --regen-golden and review the diff"
        )

    return check


@pytest.fixture
def neuron():
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), after o.backward()."""
    from minigrad.scalar import Value

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


@pytest.fixture
def hide_system_dot(monkeypatch):
    """Make the system Graphviz invisible: empty PATH and no `dot` found by the renderer."""
    import minigrad.viz.rendering as render_module

    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(render_module, "find_system_dot", lambda: None)
