"""The `minigrad` command line: drawing expressions safely, listing demos, printing info."""

import subprocess
import sys
from pathlib import Path

import pytest

from minigrad.cli import list_demos, main
from minigrad.viz.expression import MAX_LENGTH, ExpressionError, build_value, parse_expression

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
    assert "<B>w</B>" in source and "grad" in source and 'label="tanh(w*x)"' in source


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
