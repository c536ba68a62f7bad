"""Every compile test starts from the same seed."""

import pytest

import minigrad


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
