"""docs/pytorch_compatibility.md is generated from the code, every name in it is either
supported or raises NotImplementedError with a reason, and every supported name is exercised
next to PyTorch in a test that imports torch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import minigrad
from minigrad.pytorch_api import COURSE_NAMES, namespace_object, render_markdown, status

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def test_checked_in_table_is_the_generated_one():
    checked_in = (ROOT / "docs" / "pytorch_compatibility.md").read_text()
    assert checked_in == render_markdown(), (
        "docs/pytorch_compatibility.md is out of date: run "
        "python tools/generate_pytorch_compatibility.py"
    )


@pytest.mark.parametrize("namespace", sorted(COURSE_NAMES))
def test_every_listed_name_is_supported_or_explained(namespace):
    for name in COURSE_NAMES[namespace]:
        supported, note = status(namespace, name)  # an AttributeError here is a gap
        if not supported:
            assert len(note) > 20, f"{namespace}.{name}: the reason is too short: {note!r}"
            owner = minigrad.ones(1) if namespace == "Tensor" else namespace_object(namespace)
            with pytest.raises(NotImplementedError, match=re.escape(note[:20])):
                getattr(owner, name)


def torch_test_sources() -> str:
    """The text of every test module that runs PyTorch."""
    texts = []
    for path in TESTS.rglob("test_*.py"):
        text = path.read_text()
        if re.search(r"^\s*import torch|^from torch|import_torch|compare_with_torch|"
                     r"helper_test_op", text, re.MULTILINE):
            texts.append(text)
    return "\n".join(texts)


def test_every_supported_name_is_tested_against_pytorch():
    sources = torch_test_sources()
    untested = [
        f"{namespace}.{name}"
        for namespace, names in COURSE_NAMES.items() for name in names
        if status(namespace, name)[0] and not re.search(rf"\b{re.escape(name)}\b", sources)
    ]
    assert not untested, f"supported names with no test next to PyTorch: {untested}"
