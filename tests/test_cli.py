"""The `minigrad` command line: drawing expressions safely, listing demos, printing info."""

import subprocess
import sys
from pathlib import Path

import pytest

from minigrad.cli import list_demos, main
from minigrad.viz.expression import (
    MAX_LENGTH,
    MAX_OPERATIONS,
    ExpressionError,
    build_value,
    parse_expression,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "viz"))
from svg_reading import svg_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

INJECTIONS = [
    "__import__('os').system('echo hacked')",
    "__import__",
    "x.__class__",
    "x.__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "lambda x: x",
    "[v for v in (1, 2)]",
    "{v: v for v in (1,)}",
    "(v for v in (1,))",
    "x[0]",
    "'abc'",
    "f'{x}'",
    "b'x'",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('1')",
    "getattr(x, 'data')",
    "globals()",
    "relu(x, y)",
    "relu(x=1)",
    "tanh(*x)",
    "x if x else y",
    "x < y",
    "x and y",
    "(x := 1)",
    "x @ y",
    "x // y",
    "x % y",
    "~x",
    "not x",
    "+x",
    "x ** y",
    "True",
    "None",
    "1j",
    "[x]",
    "(x, y)",
    "_secret",
    "relu",
    "relu.__globals__",
    "x; import os",
    "import os",
    "x = 1",
    "x +" + " x +" * 200 + " x",
    "(" * 300 + "x" + ")" * 300,
    "",
    "\0",
]


@pytest.mark.parametrize("expression", INJECTIONS)
def test_injections_are_rejected_with_exit_code_2(expression, capsys, tmp_path):
    output = tmp_path / "graph.svg"
    code = main(["draw", expression, "--set", "x=1,y=2", "-o", str(output)])
    assert code == 2
    error = capsys.readouterr().err
    assert "minigrad draw: error:" in error
    assert not output.exists()


@pytest.mark.parametrize("expression", INJECTIONS)
def test_parser_raises_expression_error(expression):
    with pytest.raises(ExpressionError):
        parse_expression(expression)


def test_long_expression_message_names_the_limit():
    with pytest.raises(ExpressionError, match=f"limit is {MAX_LENGTH}"):
        parse_expression("x+" * MAX_LENGTH + "x")


def test_allowed_expression_builds_the_right_value():
    out, leaves = build_value("-relu(w*x + b) ** 2 / 4 - exp(log(x)) + sigmoid(0*x) + tanh(b)",
                              {"w": 2.0, "x": 3.0, "b": -1.0})
    import math

    expected = -max(0.0, 5.0) ** 2 / 4 - 3.0 + 0.5 + math.tanh(-1.0)
    assert out.data == pytest.approx(expected)
    out.backward()
    assert leaves["w"].grad == pytest.approx(-2 * 5.0 / 4 * 3.0)
    assert list(leaves) == ["w", "x", "b"]


def test_missing_and_unused_names_are_errors(capsys):
    assert main(["draw", "x*y", "--set", "x=1", "--print-dot"]) == 2
    assert "no value for y: pass them with --set y=1.0" in capsys.readouterr().err
    assert main(["draw", "x", "--set", "x=1,z=2", "--print-dot"]) == 2
    assert "never uses" in capsys.readouterr().err
    assert main(["draw", "x", "--set", "x=one", "--print-dot"]) == 2
    assert "not a number" in capsys.readouterr().err
    assert main(["draw", "x", "--set", "x", "--print-dot"]) == 2


def test_math_errors_exit_1(capsys):
    assert main(["draw", "log(x)", "--set", "x=-1", "--print-dot"]) == 1
    assert "log of a non-positive number" in capsys.readouterr().err


def test_bad_output_suffix_is_usage_error(capsys, tmp_path):
    assert main(["draw", "x", "--set", "x=1", "-o", str(tmp_path / "a.gif")]) == 2
    assert main(["draw", "x", "--set", "x=1", "--animate", str(tmp_path / "a.txt")]) == 2


def test_print_dot(capsys):
    assert main(["draw", "tanh(w*x)", "--set", "x=2,w=-3", "--mode", "backward",
                 "--print-dot"]) == 0
    source = capsys.readouterr().out
    assert source.startswith("digraph minigrad")
    assert "<B>w</B>" in source and "grad" in source and "label=<tanh(w*x)>" in source


def test_duplicate_names_in_set_are_rejected(capsys):
    assert main(["draw", "x", "--set", "x=1,x=2", "--print-dot"]) == 2
    assert "--set gives x twice (1 and 2)" in capsys.readouterr().err
    assert main(["draw", "x", "--set", "x=1", "--set", "x=1", "--print-dot"]) == 2


def test_expression_with_too_many_operations_is_rejected(capsys):
    expression = "*".join(["x"] * (MAX_OPERATIONS + 2))
    assert len(expression) <= MAX_LENGTH
    assert main(["draw", expression, "--set", "x=1", "--print-dot"]) == 2
    assert f"more than {MAX_OPERATIONS} operations" in capsys.readouterr().err


def test_a_hundred_factors_render_within_the_time_limit(tmp_path):
    # x*x*...*x: x feeds 99 multiplications, which kept dot busy for minutes before the
    # layout's iterations were bounded.
    output = tmp_path / "chain.svg"
    assert main(["draw", "*".join(["x"] * 100), "--set", "x=1.01", "--mode", "forward",
                 "-o", str(output), "--timeout", "60"]) == 0
    texts = svg_texts(output.read_bytes())
    assert texts.count("*") == 99


def test_comments_and_backslashes_in_the_expression_are_shown_verbatim(tmp_path):
    output = tmp_path / "c.svg"
    assert main(["draw", "x # \\", "--set", "x=1", "-o", str(output)]) == 0
    texts = svg_texts(output.read_bytes())
    assert "x # \\" in texts
    assert "data 1" in texts and "grad 1" in texts


def test_timeout_and_rankdir_options(tmp_path, capsys):
    assert main(["draw", "x", "--set", "x=1", "--timeout", "0", "--print-dot"]) == 2
    assert "--timeout must be positive" in capsys.readouterr().err
    assert main(["draw", "x*2", "--set", "x=1", "--rankdir", "TB", "--print-dot"]) == 0
    assert "rankdir=TB" in capsys.readouterr().out


def test_png_without_system_dot_shows_values_and_gradients(tmp_path):
    """The acceptance run: no Graphviz on PATH, a PNG of the neuron with data and grad."""
    from PIL import Image

    empty = tmp_path / "empty_path"
    empty.mkdir()
    for name in ("n.png", "n.svg"):
        result = subprocess.run(
            [sys.executable, "-m", "minigrad", "draw", "tanh(x*w + b)", "--set",
             "x=2,w=-3,b=6.88", "--mode", "both", "-o", str(tmp_path / name)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={"PATH": str(empty), "PYTHONPATH": str(ROOT)},
        )
        assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "n.png") as image:
        assert image.width > 600 and image.height > 200
    texts = svg_texts((tmp_path / "n.svg").read_bytes())
    out, leaves = build_value("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88})
    out.backward()
    for value in (out, *leaves.values()):
        for text in (value.label, f"data {value.data:.4g}", f"grad {value.grad:.4g}"):
            assert text in texts, text
    assert "tanh" in texts and "*" in texts and "+" in texts


def test_draw_through_python_dash_m(tmp_path):
    output = tmp_path / "graph.svg"
    animation = tmp_path / "steps.html"
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "draw", "tanh(w*x + b)", "--set", "x=2,w=-3",
         "--set", "b=6.8813735870195432", "--mode", "both", "-o", str(output),
         "--animate", str(animation)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "d out / d x = -1.5" in result.stdout
    assert "<svg" in output.read_text()
    # w, x, b, w*x, w*x + b, tanh: one frame per node.
    assert animation.read_text().count('<div class="frame"') == 6


def test_injection_through_python_dash_m_exits_2(tmp_path):
    marker = tmp_path / "pwned"
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "draw", f"__import__('pathlib').Path('{marker}')"
         ".touch()", "-o", str(tmp_path / "g.svg")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2
    assert "not allowed" in result.stderr
    assert not marker.exists()


def test_demos_lists_each_demo_with_a_description(capsys):
    assert main(["demos"]) == 0
    out = capsys.readouterr().out
    demos = list_demos(ROOT / "demos")
    assert {name for name, _ in demos} >= {"chain_rule.py", "vanishing_gradients.py"}
    for name, description in demos:
        assert name in out and description in out and description != "(no description)"
    assert "python demos/<name>.py" in out


def test_info_prints_versions(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for key in ("minigrad", "python", "numpy", "numba", "graphviz rendering", "cuda", "kernels"):
        assert key in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
