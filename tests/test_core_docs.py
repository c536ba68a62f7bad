"""The examples in the autograd and testing docs, and in minigrad.testing's docstrings, run
and print what they claim."""

import doctest
from pathlib import Path

import pytest

import minigrad.testing.finite_differences
import minigrad.testing.torch_comparison

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", ["autograd.md", "testing.md"])
def test_doc_page_examples(page):
    result = doctest.testfile(str(DOCS / page), module_relative=False)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "module", [minigrad.testing.finite_differences, minigrad.testing.torch_comparison]
)
def test_testing_module_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
