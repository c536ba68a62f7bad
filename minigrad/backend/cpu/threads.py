"""Thread settings shared by the CPU kernels: when a kernel runs on one thread or on all.

Numba's parallel kernels run on Numba's own ``workqueue`` thread pool (chosen in
``minigrad/backend/__init__.py``; its idle threads sleep instead of spinning), and numpy's
matrix products on OpenBLAS's pool. Waking threads costs microseconds, and a parallel loop
finishes only when its slowest thread does - on a machine whose other cores are busy, that
thread may wait for a whole scheduler time slice. For small work one thread is faster, so
kernels call ``threads_for(work)``: below ``PARALLEL_GRAIN`` elementary steps the kernel
runs on the calling thread alone (PyTorch's ``at::parallel_for`` uses the same rule with a
grain of 32768).

The workqueue pool serves one caller at a time: Numba ends the process if two Python
threads launch parallel kernels at once. ``threads_for`` therefore also holds a lock while
its block runs, so a second thread using minigrad waits for the first instead.

Nothing here changes an environment variable or another library's threads:
``numba.set_num_threads`` applies to Numba's pool in the calling thread only.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numba

from minigrad.backend import compile_notice  # noqa: E402

compile_notice.install()  # every CPU kernel module imports this one before compiling

#: Below this many elementary steps (elements copied, multiply-adds, ...) a kernel runs on
#: one thread.
PARALLEL_GRAIN = 32768

# Re-entrant, so that a kernel wrapper may call another one inside its block.
KERNEL_LAUNCH_LOCK = threading.RLock()


@contextmanager
def threads_for(work: int):
    """Run the block's Numba kernels on one thread when ``work`` is small, else on all; one
    Python thread at a time."""
    with KERNEL_LAUNCH_LOCK:
        if work >= PARALLEL_GRAIN:
            yield
            return
        previous = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(previous)
