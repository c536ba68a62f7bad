"""PyTorch's beginner tutorial pages (``tutorials.py``) run with ``torch`` and with
``minigrad`` imported as ``torch``: every number and printed line must agree."""

from __future__ import annotations

import pytest
import torch

import minigrad
from tests.port import tutorials
from tests.port.test_ports import assert_same_numbers

PAGES = {
    "tensors": tutorials.tensors_tutorial,
    "build_the_neural_network": tutorials.build_the_neural_network,
    "autograd": tutorials.autograd_tutorial,
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_tutorial_page_gives_pytorchs_numbers(page):
    torch.manual_seed(0)
    minigrad.manual_seed(0)
    ours, theirs = PAGES[page](minigrad), PAGES[page](torch)
    assert ours.keys() == theirs.keys()
    assert_same_numbers(ours, theirs)
