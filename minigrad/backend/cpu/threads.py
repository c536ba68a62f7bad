"""Thread settings shared by the CPU kernels: when a kernel runs on one thread or on all.

Numba's parallel kernels run on Numba's own ``workqueue`` thread pool (chosen in
``minigrad/backend/__init__.py``; its idle threads sleep instead of spinning), and numpy's
matrix products on OpenBLAS's pool. A parallel loop costs more than its arithmetic: the
calling thread hands the work to the pool's threads and sleeps until the last of them is
done. Even at one thread the workqueue layer runs the loop on a pool thread, not on the
caller, so the hand-over (waking a sleeping thread and being woken again; on a machine
whose other cores are busy, a whole scheduler time slice) is paid on every call. For small
work that is more than the work itself.

So a kernel whose outer loop is ``prange`` is compiled twice, by ``serial_or_parallel``:
once with ``parallel=True`` and once without (where ``prange`` is a plain ``range`` and the
loop runs on the calling thread, with no pool involved). The call passes the amount of work
and gets the serial version below a grain of elementary steps.

How big is "small"? The hand-over is the price of waking a sleeping thread, and that price
depends on the machine. On a 2-vCPU virtual machine (2026-12-02) an empty parallel loop
took 90-550 us (median 140-200 us), and measured kernel by kernel the serial twin won at
every LeNet-5 size: max-pool of 64x6x28x28 0.17-0.25 ms serial against 0.37-0.95 ms
parallel, conv2's forward 1.28 against 1.86 ms, conv1's direct forward (8.6 million
multiply-adds) 0.81 against 0.93 ms. Memory-bound loops gained nothing from a second
thread even at millions of elements, because one core already streams as fast as memory
allows (a 3x3 convolution whose im2col copies 7.2 million values: 18.8 ms serial, 21.3 ms
parallel for the whole forward; a max-pool over 3.2 million inputs: a tie); a
compute-bound loop did (a direct convolution of 92 million multiply-adds: 10.3 against
7.7 ms). Hence two grains, set so that a parallel loop's serial time is several
hand-overs long even on such a machine:

- ``PARALLEL_GRAIN`` for compute-bound loops (multiply-adds): 2**24, about 2 ms of work;
- ``ELEMENTWISE_GRAIN`` for memory-bound loops (elements moved: copies, pooling, ReLU's
  backward, optimizer updates): 2**22.

On a desktop whose idle cores wake in tens of microseconds, smaller work would gain from a
second thread, but a small model's step is made of many calls of a millisecond or less,
and there a wrong guess the other way (paying a few hundred microseconds per call) costs far
more than a missed halving. PyTorch's ``at::parallel_for`` uses a grain of 32768; its
OpenMP threads spin for a while before they sleep, so its hand-over is cheap while a step
runs, at the price of CPU time burnt by the spinning.

The workqueue pool serves one caller at a time: Numba ends the process if two Python
threads launch parallel kernels at once. Parallel launches therefore hold
``KERNEL_LAUNCH_LOCK``, so a second thread using minigrad waits for the first instead.

Nothing here changes an environment variable, a thread count or another library's
threads.
"""

from __future__ import annotations

import threading
import types

import numba

from minigrad.backend import compile_notice  # noqa: E402

compile_notice.install()  # every CPU kernel module imports this one before compiling

#: Below this many multiply-adds a compute-bound kernel runs on the calling thread.
PARALLEL_GRAIN = 1 << 24

#: Below this many elements a memory-bound kernel (a copy, a pooling window scan, an
#: optimizer update: a few flops per element loaded) runs on the calling thread.
ELEMENTWISE_GRAIN = 1 << 22

# Re-entrant, so that a kernel wrapper may call another one inside its block.
KERNEL_LAUNCH_LOCK = threading.RLock()


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
