"""Thread settings shared by the CPU kernels: when a kernel runs on one thread or on all.

Numba's parallel kernels run on Numba's own ``workqueue`` thread pool (chosen in
``minigrad/backend/__init__.py``; its idle threads sleep instead of spinning), and numpy's
matrix products on OpenBLAS's pool. A parallel loop costs more than its arithmetic: the
calling thread hands the work to the pool's threads and sleeps until the last of them is
done. Even at one thread the workqueue layer runs the loop on a pool thread, not on the
caller, so the hand-over (two context switches, tens of microseconds; on a machine whose
other cores are busy, a whole scheduler time slice) is paid on every call. For small work
that is more than the work itself.

So a kernel whose outer loop is ``prange`` is compiled twice, by ``serial_or_parallel``:
once with ``parallel=True`` and once without (where ``prange`` is a plain ``range`` and the
loop runs on the calling thread, with no pool involved). The call passes the amount of work
and gets the serial version below ``PARALLEL_GRAIN`` elementary steps (PyTorch's
``at::parallel_for`` uses the same rule with a grain of 32768).

``threads_for(work)`` is the older form of the same rule for kernels compiled only with
``parallel=True``: below the grain it sets Numba's thread count to one for its block, which
avoids the second thread but not the hand-over.

The workqueue pool serves one caller at a time: Numba ends the process if two Python
threads launch parallel kernels at once. Parallel launches therefore hold
``KERNEL_LAUNCH_LOCK``, so a second thread using minigrad waits for the first instead.

Nothing here changes an environment variable or another library's threads:
``numba.set_num_threads`` applies to Numba's pool in the calling thread only.
"""

from __future__ import annotations

import threading
import types
from contextlib import contextmanager

import numba

from minigrad.backend import compile_notice  # noqa: E402

compile_notice.install()  # every CPU kernel module imports this one before compiling

#: Below this many elementary steps (elements copied, multiply-adds, ...) a kernel runs on
#: one thread.
PARALLEL_GRAIN = 32768

#: The grain of memory-bound elementwise kernels (an optimizer update: a few flops per
#: element loaded). One thread streams about 100 million elements a second, so below a
#: million elements the hand-over to the pool costs about as much as a second thread saves
#: (measured: a 100,352-element SGD update takes 17 us serial, 84 us parallel; at a million
#: elements 150 us and 540 us - on a busy machine, where the pool's threads wait for a core).
ELEMENTWISE_GRAIN = 1 << 20

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


class SerialOrParallelKernel:
    """One Python function compiled as two Numba kernels; ``kernel(work, *args)`` runs the
    serial one on the calling thread when ``work < grain``, else the parallel one.

    ``kernel.serial`` and ``kernel.parallel`` are the two compiled functions (for tests)."""

    def __init__(self, function: types.FunctionType, options: dict,
                 grain: int = PARALLEL_GRAIN) -> None:
        self.__doc__ = function.__doc__
        self.grain = grain
        self.parallel = numba.njit(parallel=True, cache=True, **options)(function)
        # Numba's on-disk cache names a kernel by its function's qualified name and does not
        # tell compile flags apart, so the serial twin is compiled from a copy of the
        # function under its own name; otherwise the two would share (and overwrite) one
        # cache entry.
        serial_function = types.FunctionType(function.__code__, function.__globals__,
                                             function.__name__, function.__defaults__,
                                             function.__closure__)
        serial_function.__qualname__ = f"{function.__qualname__}_serial"
        self.serial = numba.njit(cache=True, **options)(serial_function)

    def __call__(self, work: int, *args):
        if work < self.grain:
            return self.serial(*args)
        with KERNEL_LAUNCH_LOCK:
            return self.parallel(*args)


def serial_or_parallel(grain: int = PARALLEL_GRAIN, **options):
    """Decorator: compile a ``prange`` kernel both serial and parallel (see the module
    docstring), the parallel one used from ``grain`` steps of work; ``options`` go to
    ``numba.njit`` (``fastmath``, ...)."""

    def compile_twice(function: types.FunctionType) -> SerialOrParallelKernel:
        return SerialOrParallelKernel(function, options, grain)

    return compile_twice
