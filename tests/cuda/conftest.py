"""Tests of the CUDA backend in Numba's CUDA simulator.

The simulator must be switched on before Numba is first imported, so this directory runs
as its own pytest process:

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda

Without that variable in the environment the whole directory is skipped (a process that
has already imported Numba for the CPU kernels cannot switch to the simulator). On a
machine with a real GPU, ``MINIGRAD_CUDA_TESTS=gpu python -m pytest tests/cuda`` runs the
same tests on the device.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
REAL_GPU = os.environ.get("MINIGRAD_CUDA_TESTS") == "gpu"
ENABLED = SIMULATOR or REAL_GPU

if not ENABLED:
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config):
    if ENABLED:
        return f"minigrad CUDA tests: {'simulator' if SIMULATOR else 'real GPU'}"
    return ("minigrad CUDA tests skipped: run `NUMBA_ENABLE_CUDASIM=1 python -m pytest "
            "tests/cuda` (simulator) or set MINIGRAD_CUDA_TESTS=gpu on a GPU machine")


@pytest.fixture(scope="session")
def backend():
    from minigrad.backend.cuda import CUDABackend

    return CUDABackend()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def to_device(backend):
    """Copy numpy arrays to the device."""
    return backend.from_numpy


@pytest.fixture
def to_host(backend):
    """Copy a device array back to the host, checking on the way that it is C-contiguous
    unless it is a view (``reshape``, ``permute``, ``broadcast_to`` and basic indexing)."""

    def to_host(array):
        assert array.is_c_contiguous() or getattr(array, "storage_view", None) is not None
        return backend.to_numpy(array)

    return to_host
