"""The examples in minigrad.testing's docstrings run and print what they claim. (The
Markdown pages' examples are run by tests/docs/test_code_blocks.py.)"""

import doctest

import pytest

import minigrad.testing.finite_differences
import minigrad.testing.torch_comparison


@pytest.mark.parametrize(
    "module", [minigrad.testing.finite_differences, minigrad.testing.torch_comparison]
)
def test_testing_module_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
