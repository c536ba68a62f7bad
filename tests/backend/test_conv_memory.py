"""The CPU kernels keep freed memory in the process (``backend/cpu/memory.py``), so that a
training step that frees and re-allocates the same arrays does not page-fault each time."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

from minigrad.backend.cpu import memory


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the thresholds are glibc's")
def test_a_freed_array_is_reused_without_page_faults():
    assert memory.keep_freed_memory()
    assert memory.keep_freed_memory()  # once per process; later calls change nothing
    size = 3 << 20  # 3 MiB: above glibc's default mmap threshold, below ours
    for _ in range(3):  # what a training step does: the same arrays every time
        first, second = np.ones(size // 8), np.ones(size // 8)
        del first, second
    before = _minor_faults()
    first, second = np.ones(size // 8), np.ones(size // 8)
    # each array is 768 pages; handed back to the system they would fault again
    assert _minor_faults() - before < 100
    del first, second
