"""Shared test setup: every random source is seeded before each test, and hypothesis runs a
modest, deterministic number of examples (profile "ci"; set HYPOTHESIS_PROFILE=dev for a
longer search)."""

import os
import random

import numpy as np
import pytest
import torch  # a dev dependency: tests comparing with PyTorch must fail, not skip, without it
from hypothesis import HealthCheck, settings

import minigrad

settings.register_profile(
    "ci",
    deadline=None,  # the first call of a kernel compiles it; timing is not what we test
    max_examples=25,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def seed_everything():
    """Seed Python's, numpy's, minigrad's and PyTorch's generators before every test."""
    random.seed(0)
    np.random.seed(0)
    minigrad.manual_seed(0)
    torch.manual_seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded numpy generator for test data."""
    return np.random.default_rng(0)
