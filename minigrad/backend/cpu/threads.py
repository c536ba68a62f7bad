"""Thread settings shared by the CPU kernels: when a kernel runs on one thread or on all.

Numba's parallel kernels run on an OpenMP thread pool, and numpy's matrix products on
OpenBLAS's own pool. Two effects make naive parallelism slow on a machine with few cores:

- By default an OpenMP worker keeps spinning on its core for a while after a parallel loop
  ends. A training step alternates between the two pools dozens of times, so spinning
  OpenMP workers steal the cores OpenBLAS's threads need, and the other way round: we
  measured a BLAS product followed by a small Numba kernel taking 14 ms instead of 0.1 ms
  on 2 cores. ``OMP_WAIT_POLICY=PASSIVE`` makes idle workers sleep at once. We set it as a
  default (a value the user set is kept); OpenMP reads it when its library loads, which
  Numba does at the first parallel call - after this module ran. (If another library,
  PyTorch for example, loaded OpenMP earlier, the setting may come too late; exporting
  ``OMP_WAIT_POLICY=PASSIVE`` before starting Python always works.)
- Waking threads costs microseconds, and a parallel loop finishes only when its slowest
  thread does. For small work one thread is faster, so kernels call ``threads_for(work)``:
  below ``PARALLEL_GRAIN`` elementary steps the kernel runs on the calling thread alone
  (PyTorch's ``at::parallel_for`` uses the same rule with a grain of 32768).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402 - the OpenMP default above must be set before numba's pool loads

from minigrad.backend import compile_notice  # noqa: E402

compile_notice.install()  # every CPU kernel module imports this one before compiling

#: Below this many elementary steps (elements copied, multiply-adds, ...) a kernel runs on
#: one thread.
PARALLEL_GRAIN = 32768


@contextmanager
def threads_for(work: int):
    """Run the block's Numba kernels on one thread when ``work`` is small, else on all."""
    if work >= PARALLEL_GRAIN:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
