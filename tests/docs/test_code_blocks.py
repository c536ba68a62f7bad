"""Every ```python block of README.md and docs/*.md runs as written, in order, one namespace
per page, in a fresh folder (files the examples write land there).

A block of ``>>>`` lines runs as a doctest; its outputs are checked. A ```text block that
follows a ```python block with nothing but blank lines between is that block's printed
output and is checked too, with ``...`` matching any text (as doctest's ELLIPSIS does): the
numbers the prose quotes are written so, exactly where they are deterministic.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CHECKER = doctest.OutputChecker()
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class Example:
    """One ```python block: where it starts, its code, and the output it promises (if any)."""

    line: int
    code: str
    expected_output: str | None


def python_examples(text: str) -> list[Example]:
    """The ```python blocks of a Markdown page, each with the ```text block right after it."""
    blocks = [(match.group(1), match.group(2), match.start(), match.end())
              for match in FENCE.finditer(text)]
    examples = []
    for index, (language, code, start, end) in enumerate(blocks):
        if language != "python":
            continue
        expected = None
        if index + 1 < len(blocks):
            next_language, next_code, next_start, _ = blocks[index + 1]
            if next_language == "text" and not text[end:next_start].strip():
                expected = next_code
        examples.append(Example(text.count("\n", 0, start) + 2, code, expected))
    return examples


def run_doctest(example: Example, namespace: dict, name: str) -> str:
    test = doctest.DocTestParser().get_doctest(example.code, namespace, name, name,
                                               example.line - 1)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest works on a copy; the next block needs the names
    return report.getvalue() if runner.failures else ""


def run_page(page: Path) -> list[str]:
    """Run every example of ``page``; return a description of each failure."""
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    failures = []
    for example in python_examples(page.read_text(encoding="utf-8")):
        where = f"{page.relative_to(ROOT)}:{example.line}"
        if example.code.lstrip().startswith(">>>"):
            if problem := run_doctest(example, namespace, where):
                failures.append(problem)
            continue
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(example.code, where, "exec"), namespace)
        except Exception as error:  # report every block of the page, not only the first
            failures.append(f"{where}: {type(error).__name__}: {error}")
            break  # later blocks depend on this one
        if example.expected_output is not None and not CHECKER.check_output(
                example.expected_output, printed.getvalue(), OPTIONS):
            failures.append(f"{where}: printed\n{printed.getvalue()}\nbut the page shows\n"
                            f"{example.expected_output}")
    return failures


def test_the_block_reader_pairs_code_with_its_output():
    page = "x\n```python\nprint(1)\n```\n\n```text\n1\n```\n```python\npass\n```\n"
    examples = python_examples(page)
    assert [(e.line, e.code, e.expected_output) for e in examples] == [
        (3, "print(1)\n", "1\n"), (10, "pass\n", None)]


def test_a_wrong_promised_output_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(2 + 2)\n```\n```text\n5\n```\n", encoding="utf-8")
    assert "but the page shows" in run_page(page)[0]
    page.write_text("```python\nprint('a long line')\n```\n```text\na ...\n```\n",
                    encoding="utf-8")
    assert run_page(page) == []


@pytest.mark.parametrize("page", [p for p in PAGES if "```python" in p.read_text()],
                         ids=lambda p: p.name)
def test_page_examples_run_as_written(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    failures = run_page(page)
    assert not failures, "\n\n".join(failures)
